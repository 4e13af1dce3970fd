"""`show` for people: readable values, and meeting text shown as written (never as rich markup)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from reconciler.backends.base import Marker, ObservedMeeting, Response
from reconciler.desired.build import build_meeting
from reconciler.show import print_rich, render


def meeting():
    built, problems = build_meeting(
        {
            "key": "sync",
            "subject": "[bold]urgent[/bold] sync",
            "organizer": "lead@example.com",
            "timezone": "Europe/Amsterdam",
            "start": "2027-01-04T10:00",
            "duration": "30m",
            "attendees": {"required": ["alice@example.com"]},
            "repeat": {"every": "week", "days": ["mon"], "count": 4},
        },
        {},
    )
    assert not problems
    return built


def observed(m):
    answer = Response("alice@example.com", "required", "declined", datetime(2026, 12, 1, 9, tzinfo=UTC))
    held = replace(m, location="Roof")
    return ObservedMeeting(held, Marker("ns", "sync", "h"), "AAMk" + "x" * 20, "ck", responses=(answer,))


def test_plain_text_is_readable() -> None:
    m = meeting()
    text = render("sync", m, observed(m))
    assert "Meeting(" not in text and "Recurrence(" not in text
    assert "every week on Mon" in text or "Mon 10:00–10:30" in text
    assert "! location" in text
    assert "alice@example.com  required  declined   2026-12-01 09:00 UTC" in text


def test_tables_show_meeting_text_as_written(capsys) -> None:
    m = meeting()
    print_rich("sync", m, observed(m))
    out = capsys.readouterr().out
    assert "[bold]urgent[/bold]" in out and "declined" in out  # the cell may wrap before "sync"
