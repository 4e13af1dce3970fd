"""Putting a meeting in a calendar through a backend, as an apply would: create, then its skips and moves."""

from __future__ import annotations

from reconciler.backends.base import CalendarBackend, Marker, Write, WriteResult
from reconciler.spec.canonical import spec_hash
from reconciler.spec.model import Meeting


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
