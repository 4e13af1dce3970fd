"""The calendar's values written into a meeting document with the fewest edits, comments and layout kept."""

from __future__ import annotations

import io
from dataclasses import replace

from reconciler.desired.build import build_meeting
from reconciler.desired.model import Attendee, Attendees
from reconciler.desired.writeback import FROM_DEFAULTS, rewrite, write
from reconciler.pull import _round_trip

BLOCK = """\
key: sync  # the daily sync
subject: Team sync
organizer: lead@example.com
timezone: Europe/Amsterdam
attendees:
  required:
    - carol@example.com  # backend
    - erin@example.com
start: 2027-01-04T09:00
duration: 15m
repeat: {every: week, days: [mon, wed]}
"""


def _meeting(text: str, **defaults):  # type: ignore[no-untyped-def]
    import yaml

    built, problems = build_meeting({**defaults, **yaml.safe_load(text)}, {})
    assert not problems, problems
    return built


def _pulled(text: str, files, calendar) -> tuple[str, list[str]]:  # type: ignore[no-untyped-def]
    yaml = _round_trip(text, "sync.yaml")
    document = yaml.load(text)
    notes = write(document, rewrite(files, calendar))
    out = io.StringIO()
    yaml.dump(document, out)
    return out.getvalue(), notes


def test_a_block_list_keeps_its_layout_and_comments_and_gains_the_new_attendee() -> None:
    files = _meeting(BLOCK)
    people = Attendees(required=(Attendee("carol@example.com"), Attendee("dave@example.com")))
    calendar = replace(files, attendees=people, duration=files.duration * 2)
    text, notes = _pulled(BLOCK, files, calendar)
    assert notes == []
    assert text == BLOCK.replace("    - erin@example.com\n", "    - dave@example.com\n").replace(
        "duration: 15m", "duration: 30m"
    )


def test_a_value_the_defaults_set_is_written_into_the_meeting_with_a_comment() -> None:
    files = _meeting(BLOCK, location="Oak room")  # as a _defaults.yaml would give it
    calendar = replace(files, location="Elm room")
    text, _ = _pulled(BLOCK, files, calendar)
    assert text.startswith(BLOCK)
    assert text[len(BLOCK) :] == f"location: Elm room  # {FROM_DEFAULTS}\n"


def test_a_weekly_day_taken_out_in_the_calendar_edits_the_flow_list_in_place() -> None:
    files = _meeting(BLOCK)
    calendar = replace(files, recurrence=replace(files.recurrence, days=("mon",)))
    text, _ = _pulled(BLOCK, files, calendar)
    assert text == BLOCK.replace("days: [mon, wed]", "days: [mon]")
