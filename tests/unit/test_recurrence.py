"""Occurrence expansion: wall-clock times across DST, last weekdays, intervals, counts, skips and moves."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from reconciler.desired.model import Meeting, OccurrenceOverride, Recurrence
from reconciler.desired.recurrence import neighbours, occurrence_start, occurrences


def meeting(start: datetime, rec: Recurrence | None, tz: str = "Europe/Amsterdam", **kw) -> Meeting:
    return Meeting("m", "M", "o@example.com", start, timedelta(minutes=30), tz, recurrence=rec, **kw)


def window(a: date, b: date) -> tuple[datetime, datetime]:
    return datetime(a.year, a.month, a.day, tzinfo=UTC), datetime(b.year, b.month, b.day, tzinfo=UTC)


def test_weekly_keeps_wall_clock_across_amsterdam_dst() -> None:
    m = meeting(datetime(2027, 3, 22, 9, 30), Recurrence("week", days=("mon",)))
    occ = occurrences(m, *window(date(2027, 3, 20), date(2027, 4, 1)))
    assert [o.start.strftime("%Y-%m-%d %H:%M") for o in occ] == ["2027-03-22 09:30", "2027-03-29 09:30"]
    assert [o.start.astimezone(UTC).hour for o in occ] == [8, 7]  # UTC moves, wall clock stays
    autumn = occurrences(m, *window(date(2027, 10, 24), date(2027, 11, 2)))
    assert [o.start.astimezone(UTC).strftime("%H:%M") for o in autumn] == ["07:30", "08:30"]


def test_daily_across_new_york_dst() -> None:
    m = meeting(datetime(2027, 3, 12, 8, 0), Recurrence("day"), tz="America/New_York")
    occ = occurrences(m, *window(date(2027, 3, 12), date(2027, 3, 16)))
    assert [o.start.hour for o in occ] == [8, 8, 8, 8]
    assert [o.start.astimezone(UTC).hour for o in occ] == [13, 13, 12, 12]
    assert occ[0].start.tzinfo == ZoneInfo("America/New_York")


def test_last_friday_monthly() -> None:
    m = meeting(datetime(2027, 1, 29, 16), Recurrence("month", weekday="fri", week="last"))
    occ = occurrences(m, *window(date(2027, 1, 1), date(2027, 6, 1)))
    assert [o.original_date for o in occ] == [
        date(2027, 1, 29),
        date(2027, 2, 26),
        date(2027, 3, 26),
        date(2027, 4, 30),
        date(2027, 5, 28),
    ]


def test_fortnightly_and_count() -> None:
    m = meeting(datetime(2026, 12, 8, 10), Recurrence("week", interval=2, days=("tue",), count=3))
    occ = occurrences(m, *window(date(2026, 12, 1), date(2027, 6, 1)))
    assert [o.original_date for o in occ] == [date(2026, 12, 8), date(2026, 12, 22), date(2027, 1, 5)]


def test_yearly_relative_and_until() -> None:
    m = meeting(
        datetime(2027, 3, 9, 10),
        Recurrence("year", weekday="tue", week="second", month=3, until=date(2029, 12, 31)),
    )
    occ = occurrences(m, *window(date(2027, 1, 1), date(2031, 1, 1)))
    assert [o.original_date for o in occ] == [date(2027, 3, 9), date(2028, 3, 14), date(2029, 3, 13)]


def test_skips_and_moves_applied() -> None:
    m = meeting(
        datetime(2026, 12, 7, 9, 30),
        Recurrence("day"),
        skip=(date(2026, 12, 8),),
        moves=(OccurrenceOverride(date(2026, 12, 9), start=datetime(2026, 12, 9, 14), location="Cafe"),),
    )
    occ = occurrences(m, *window(date(2026, 12, 7), date(2026, 12, 10)))
    assert [(o.original_date.day, o.start.hour, o.moved, o.location) for o in occ] == [
        (7, 9, False, None),
        (9, 14, True, "Cafe"),
    ]


def test_occurrence_lookup_and_neighbours() -> None:
    m = meeting(datetime(2026, 12, 7, 9, 30), Recurrence("week", days=("mon", "wed")))
    assert occurrence_start(m, date(2026, 12, 9)) == datetime(2026, 12, 9, 9, 30)
    assert occurrence_start(m, date(2026, 12, 8)) is None
    assert neighbours(m, date(2026, 12, 9)) == (date(2026, 12, 7), date(2026, 12, 14))


def test_single_meeting_has_one_occurrence() -> None:
    m = meeting(datetime(2027, 3, 11, 10), None)
    assert len(occurrences(m, *window(date(2027, 1, 1), date(2028, 1, 1)))) == 1
    assert occurrences(m, *window(date(2027, 4, 1), date(2028, 1, 1))) == []
