"""Putting a meeting in a calendar through a backend, as an apply would: create, then its skips and moves."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from reconciler.backends.base import CalendarBackend, Marker, Write, WriteResult
from reconciler.desired.canonical import NOT_ON_CALENDAR, spec_hash
from reconciler.desired.model import Meeting
from reconciler.plan.baseline import MASTER_FIELDS, differs, kept_as_known


def create(
    backend: CalendarBackend, meeting: Meeting, namespace: str = "ns", send: str = "none"
) -> WriteResult:
    marker = Marker(namespace, meeting.key, spec_hash(meeting))
    [result] = backend.apply(meeting.organizer, [Write("create", meeting.key, send, marker, meeting)])  # type: ignore[arg-type]
    assert result.ok, result.error
    writes = [
        Write("skip", meeting.key, send, marker, meeting, result.item_id, occurrence=d)  # type: ignore[arg-type]
        for d in meeting.skip
    ]
    writes += [
        Write("move", meeting.key, send, marker, meeting, result.item_id, occurrence=m.date)  # type: ignore[arg-type]
        for m in meeting.moves
    ]
    outcomes = backend.apply(meeting.organizer, writes)
    assert all(r.ok for r in outcomes), [r.error for r in outcomes]
    return result


def assert_round_trips(
    backend: CalendarBackend, meetings: Sequence[Meeting], send: str = "none", exact: bool = True
) -> None:
    """Every meeting put in the calendar reads back as itself (what the calendar can hold of it).

    `exact`: field for field (a sandbox that keeps what it is given); otherwise as the reconciler compares
    (a server that rewrites: display names do not count, a body may come back as Exchange keeps it)."""
    for meeting in meetings:
        create(backend, meeting, send=send)
    for organizer in {m.organizer for m in meetings}:
        observation = backend.observe(organizer, "ns")
        assert observation.meetings
        for observed in observation.meetings:
            want = next(m for m in meetings if m.key == observed.meeting.key)
            not_on_calendar = {name: getattr(want, name) for name in NOT_ON_CALENDAR if name != "key"}
            if exact:
                assert replace(observed.meeting, **not_on_calendar) == want
            else:
                have = observed.meeting
                for f in MASTER_FIELDS:
                    same = not differs(f, getattr(want, f), getattr(have, f))
                    assert same or kept_as_known(f, want, have), (want.key, f)
                assert (have.skip, have.moves) == (want.skip, want.moves)
            assert observed.marker.spec_hash == spec_hash(want)
            assert observed.uid and observed.change_key
            assert observed.unsent == (send == "none" and bool(want.attendees.all()))
