"""Writing a meeting back as a document and building it again gives the same meeting."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from reconciler.desired.build import build_meeting
from reconciler.desired.export import to_document
from reconciler.desired.load import load_meetings

EXAMPLES = load_meetings(Path(__file__).resolve().parents[2] / "meetings").meetings


@pytest.mark.parametrize("meeting", EXAMPLES, ids=lambda m: m.key)
def test_round_trip(meeting) -> None:
    rebuilt, problems = build_meeting(to_document(meeting), {})
    assert problems == [] and rebuilt == meeting


def test_round_trip_with_uid_and_non_defaults() -> None:
    m = replace(EXAMPLES[0], uid="ABC-123", show_as="free", reminder=None, importance="high")
    rebuilt, problems = build_meeting(to_document(m), {})
    assert problems == [] and rebuilt == m
    assert to_document(m)["reminder"] == "none" and to_document(m)["uid"] == "ABC-123"
