"""The EWS backend against the sandbox: round trips, batched reads within budget, per-write errors."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from exchangelib import CalendarItem, EWSDateTime, EWSTimeZone
from exchangelib.transport import NOAUTH

from reconciler.backends.base import Marker, Write
from reconciler.backends.ews.backend import EwsBackend
from reconciler.desired.canonical import spec_hash
from reconciler.desired.load import load_meetings
from tests.writes import assert_round_trips, create

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = load_meetings(ROOT / "meetings").meetings


@pytest.fixture
def backend(sandbox):
    b = EwsBackend(sandbox.endpoint, auth_type=NOAUTH, pin_version=True, max_wait=10)
    yield b
    b.close()


@pytest.mark.echo
def test_every_example_round_trips(backend) -> None:
    assert_round_trips(backend, EXAMPLES, send="none")


def test_every_example_round_trips_as_the_reconciler_compares_on_a_server_that_rewrites(backend) -> None:
    assert_round_trips(backend, EXAMPLES, send="none", exact=False)


def test_observe_reads_in_batches(sandbox, backend) -> None:
    base = next(m for m in EXAMPLES if m.key == "sprint-planning")
    metas = [replace(base, key=f"k{i:03d}") for i in range(250)]
    marker = lambda m: Marker("ns", m.key, spec_hash(m))  # noqa: E731
    results = backend.apply(base.organizer, [Write("create", m.key, "none", marker(m), m) for m in metas])
    assert all(r.ok for r in results)
    before = sandbox.requests
    observation = backend.observe(base.organizer, "ns")
    used = sandbox.requests - before
    assert len(observation.meetings) == 250
    assert used <= 2 + 2 * math.ceil(250 / 100) and used == observation.requests


def test_unmarked_and_foreign_items(sandbox, backend, account) -> None:
    meeting = EXAMPLES[0]
    create(backend, meeting, namespace="other-team")
    lead = account(meeting.organizer)
    tz = EWSTimeZone("Europe/Amsterdam")
    start = EWSDateTime(2027, 1, 4, 9, tzinfo=tz)
    CalendarItem(
        account=lead, folder=lead.calendar, subject="Private", start=start, end=start + timedelta(hours=1)
    ).save(send_meeting_invitations="SendToNone")
    observation = backend.observe(meeting.organizer, "ns")
    assert observation.meetings == () and observation.other_namespaces == ("other-team",)


def test_stale_change_key_fails_one_write_only(backend) -> None:
    a, b = EXAMPLES[0], EXAMPLES[2]
    ra, rb = create(backend, a), create(backend, b)
    changed_a = replace(a, location="Elsewhere")
    changed_b = replace(b, location="Elsewhere")
    writes = [
        Write(
            "update",
            a.key,
            "none",
            Marker("ns", a.key, "h"),
            changed_a,
            ra.item_id,
            "stale-key",
            fields=("location",),
        ),
        Write(
            "update",
            b.key,
            "none",
            Marker("ns", b.key, "h"),
            changed_b,
            rb.item_id,
            rb.change_key,
            fields=("location",),
        ),
    ]
    first, second = backend.apply(a.organizer, writes)
    assert first.error and "ErrorIrresolvableConflict" in first.error
    assert second.ok
