"""The builder produces canonical models: equal meaning gives equal models."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from reconciler.desired.build import build_meeting
from reconciler.desired.model import Attendee, Recurrence

BASE = {
    "key": "standup",
    "subject": "Stand-up",
    "organizer": "lead@example.com",
    "timezone": "Europe/Amsterdam",
    "start": "2026-12-07T09:30",
    "duration": "15m",
}


def build(**changes):
    doc = {**BASE, **changes}
    if "end" in changes:
        del doc["duration"]
    doc = {k: v for k, v in doc.items() if v is not None}
    meeting, problems = build_meeting(doc, {"platform": ("alice@example.com", "Bob <BOB@example.com>")})
    assert problems == [], problems
    return meeting


@pytest.mark.parametrize(
    "a,b",
    [
        ({"duration": "1h30m"}, {"duration": "PT1H30M"}),
        ({"duration": "1h30m"}, {"duration": "90m", "start": "2026-12-07 09:30"}),
        ({"duration": "1h30m"}, {"end": "11:00"}),
        ({"duration": "1h30m"}, {"end": "2026-12-07T11:00"}),
        (
            {"attendees": {"required": ["Alice@Example.com", "bob@example.com", "alice@example.com"]}},
            {"attendees": {"required": ["bob@example.com", "alice@example.com"]}},
        ),
        (
            {"attendees": {"required": ["group:platform"]}},
            {"attendees": {"required": ["alice@example.com", "Bob <bob@example.com>"]}},
        ),
        (
            {"attendees": {"required": ["lead@example.com", "x@example.com"]}},
            {"attendees": {"required": ["x@example.com"]}},
        ),
        (
            {"repeat": {"every": "week", "days": ["fri", "mon"]}},
            {"repeat": {"every": "week", "days": ["mon", "fri"], "interval": 1}},
        ),
        ({"repeat": {"every": "week"}}, {"repeat": {"every": "week", "days": ["mon"]}}),
        ({"categories": ["b", "a", "b"]}, {"categories": ["a", "b"]}),
        ({"reminder": "15m"}, {}),
        ({"show_as": "busy", "importance": "normal"}, {}),
        ({"repeat": {"every": "month"}}, {"repeat": {"every": "month", "day_of_month": 7}}),
        (
            {"repeat": {"every": "week", "days": ["mon", "tue"]}, "moves": [{"date": "2026-12-08"}]},
            {"repeat": {"every": "week", "days": ["mon", "tue"]}},
        ),
    ],
)
def test_same_meaning_same_model(a: dict, b: dict) -> None:
    assert build(**a) == build(**b)


def test_canonical_fields() -> None:
    m = build(
        attendees={
            "required": ["Carol <Carol@Example.com>", "group:platform"],
            "optional": ["alice@example.com", "dan@example.com"],
            "resources": ["room@example.com"],
        },
        reminder="none",
    )
    assert m.attendees.required == (
        Attendee("alice@example.com"),
        Attendee("bob@example.com", "Bob"),
        Attendee("carol@example.com", "Carol"),
    )
    assert m.attendees.optional == (Attendee("dan@example.com"),)  # required wins over optional
    assert m.attendees.resources == (Attendee("room@example.com"),)
    assert (
        m.reminder is None and m.duration == timedelta(minutes=15) and m.start == datetime(2026, 12, 7, 9, 30)
    )


def test_all_day_meeting() -> None:
    m = build(start="2027-03-11", all_day=True, days=2, duration=None)
    assert m.all_day and m.start == datetime(2027, 3, 11) and m.duration == timedelta(days=2)


@pytest.mark.parametrize("duration", ["2d", "P2D", "48h"])
def test_all_day_duration_in_whole_days_means_days(duration: str) -> None:
    assert build(start="2027-03-11", all_day=True, duration=duration) == build(
        start="2027-03-11", all_day=True, days=2, duration=None
    )


def test_recurrence_model() -> None:
    m = build(
        start="2027-01-29T16:00", repeat={"every": "month", "weekday": "fri", "week": "last", "count": 6}
    )
    assert m.recurrence == Recurrence("month", 1, (), None, "fri", "last", None, None, 6)
    y = build(start="2027-03-09T10:00", repeat={"every": "year", "weekday": "tue", "week": "second"})
    assert y.recurrence.month == 3


def test_skips_and_moves_sorted() -> None:
    m = build(
        repeat={"every": "day"},
        skip=["2026-12-10", "2026-12-08"],
        moves=[
            {"date": "2026-12-12", "location": "Cafe"},
            {"date": "2026-12-09", "start": "2026-12-09T11:00"},
        ],
    )
    assert m.skip == (date(2026, 12, 8), date(2026, 12, 10))
    assert [o.date for o in m.moves] == [date(2026, 12, 9), date(2026, 12, 12)]
    assert m.moves[0].start == datetime(2026, 12, 9, 11) and m.moves[1].location == "Cafe"


def test_problems_are_all_reported_at_once() -> None:
    doc = {**BASE, "timezone": "Nowhere/City", "attendees": {"required": ["bad", "group:nope"]}}
    meeting, problems = build_meeting(doc, {})
    assert meeting is None
    assert [p.path for p in problems] == [
        ("timezone",),
        ("attendees", "required", 0),
        ("attendees", "required", 1),
    ]


def test_day_31_falls_on_last_day_of_short_months() -> None:
    from reconciler.desired.recurrence import pattern_starts

    m = build(start="2027-01-31T10:00", repeat={"every": "month", "count": 4})
    assert [d.date() for d in pattern_starts(m)] == [
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),
        date(2027, 4, 30),
    ]
