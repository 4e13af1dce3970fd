"""Recurrence expansion through CalendarView, in the item's zone, across the 2027 DST changes."""

from __future__ import annotations

import pytest
from exchangelib import EWSDateTime, EWSTimeZone
from exchangelib.errors import (
    ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange,
    ErrorCalendarOccurrenceIsDeletedFromRecurrence,
    ErrorCalendarViewRangeTooBig,
    ErrorOccurrenceCrossingBoundary,
)
from exchangelib.items import SEND_TO_NONE
from exchangelib.recurrence import (
    AbsoluteMonthlyPattern,
    AbsoluteYearlyPattern,
    DailyPattern,
    EndDatePattern,
    NoEndPattern,
    NumberedPattern,
    Recurrence,
    RelativeMonthlyPattern,
    RelativeYearlyPattern,
    WeeklyPattern,
)

from tests.sandbox.conftest import meeting

AMS, NYC = EWSTimeZone("Europe/Amsterdam"), EWSTimeZone("America/New_York")


def local(tz, *args):
    return EWSDateTime(*args, tzinfo=tz)


def expand(acct, tz, pattern, boundary, start, view_from, view_to, minutes=30):
    item = meeting(acct, "R", start, minutes, recurrence=Recurrence(pattern=pattern, boundary=boundary))
    item.save(send_meeting_invitations=SEND_TO_NONE)
    view = acct.calendar.view(start=view_from, end=view_to).only("start", "end", "type")
    return [(o.start.astimezone(tz), o.type) for o in view]


@pytest.mark.parametrize("tz,dst_day", [(AMS, 28), (NYC, 14)])
def test_weekly_across_spring_dst(account, tz, dst_day) -> None:
    acct = account("lead@example.com")
    start = local(tz, 2027, 3, dst_day - 6, 9, 30)  # the Monday before the change
    got = expand(
        acct,
        tz,
        WeeklyPattern(interval=1, weekdays=[start.isoweekday()]),
        NumberedPattern(start=start.date(), number=3),
        start,
        local(tz, 2027, 3, 1),
        local(tz, 2027, 4, 30),
    )
    assert [(o.hour, o.minute) for o, _ in got] == [(9, 30)] * 3
    offsets = [o.utcoffset() for o, _ in got]
    assert offsets[0] != offsets[1] == offsets[2]
    assert {t for _, t in got} == {"Occurrence"}


def test_daily_across_autumn_dst_amsterdam(account) -> None:
    acct = account("lead@example.com")
    start = local(AMS, 2027, 10, 29, 8, 0)
    got = expand(
        acct,
        AMS,
        DailyPattern(interval=1),
        NumberedPattern(start=start.date(), number=4),
        start,
        local(AMS, 2027, 10, 1),
        local(AMS, 2027, 11, 30),
    )
    assert [(o.day, o.hour) for o, _ in got] == [(29, 8), (30, 8), (31, 8), (1, 8)]
    assert [o.utcoffset().seconds // 3600 for o, _ in got] == [2, 2, 1, 1]


def test_daily_interval_across_new_york_autumn(account) -> None:
    acct = account("lead@example.com")
    start = local(NYC, 2027, 11, 3, 17, 0)
    got = expand(
        acct,
        NYC,
        DailyPattern(interval=2),
        EndDatePattern(start=start.date(), end=local(NYC, 2027, 11, 9).date()),
        start,
        local(NYC, 2027, 11, 1),
        local(NYC, 2027, 11, 30),
    )
    assert [(o.day, o.hour, o.utcoffset().total_seconds() / 3600) for o, _ in got] == [
        (3, 17, -4),
        (5, 17, -4),
        (7, 17, -5),
        (9, 17, -5),
    ]


def test_monthly_absolute_and_relative_last(account) -> None:
    acct = account("lead@example.com")
    start = local(AMS, 2027, 1, 29, 16, 0)
    last_friday = expand(
        acct,
        AMS,
        RelativeMonthlyPattern(interval=1, weekday=5, week_number=5),
        NumberedPattern(start=start.date(), number=4),
        start,
        local(AMS, 2027, 1, 1),
        local(AMS, 2027, 6, 1),
    )
    assert [(o.month, o.day, o.hour) for o, _ in last_friday] == [
        (1, 29, 16),
        (2, 26, 16),
        (3, 26, 16),
        (4, 30, 16),
    ]
    acct2 = account("other@example.com")
    start = local(NYC, 2027, 1, 31, 10, 0)
    day31 = expand(
        acct2,
        NYC,
        AbsoluteMonthlyPattern(interval=1, day_of_month=31),
        NumberedPattern(start=start.date(), number=4),
        start,
        local(NYC, 2027, 1, 1),
        local(NYC, 2027, 6, 1),
    )
    assert [(o.month, o.day, o.hour) for o, _ in day31] == [
        (1, 31, 10),
        (2, 28, 10),
        (3, 31, 10),
        (4, 30, 10),
    ]


def test_yearly_absolute_and_relative(account) -> None:
    acct = account("lead@example.com")
    start = local(AMS, 2027, 3, 29, 9, 0)
    got = expand(
        acct,
        AMS,
        AbsoluteYearlyPattern(day_of_month=29, month=3),
        NoEndPattern(start=start.date()),
        start,
        local(AMS, 2027, 1, 1),
        local(AMS, 2028, 12, 31),
    )
    assert [(o.year, o.month, o.day, o.hour) for o, _ in got] == [(2027, 3, 29, 9), (2028, 3, 29, 9)]
    acct2 = account("other@example.com")
    start = local(NYC, 2027, 11, 25, 12, 0)  # fourth Thursday of November
    got = expand(
        acct2,
        NYC,
        RelativeYearlyPattern(weekday=4, week_number=4, month=11),
        NumberedPattern(start=start.date(), number=2),
        start,
        local(NYC, 2027, 1, 1),
        local(NYC, 2028, 12, 31),
    )
    assert [(o.year, o.month, o.day, o.hour) for o, _ in got] == [(2027, 11, 25, 12), (2028, 11, 23, 12)]


def test_master_summaries_and_occurrence_errors(account) -> None:
    acct = account("lead@example.com")
    start = local(AMS, 2027, 3, 22, 9, 30)
    item = meeting(
        acct,
        "R",
        start,
        recurrence=Recurrence(
            pattern=WeeklyPattern(interval=1, weekdays=[1, 3]),
            boundary=NumberedPattern(start=start.date(), number=4),
        ),
    )
    item.save(send_meeting_invitations=SEND_TO_NONE)
    master = acct.calendar.get(id=item.id)
    assert master.type == "RecurringMaster"
    assert master.first_occurrence.start == start and master.last_occurrence.start == local(
        AMS, 2027, 3, 31, 9, 30
    )
    with pytest.raises(ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange):
        master.occurrence(index=5).refresh()
    master.occurrence(index=2).delete(send_meeting_cancellations=SEND_TO_NONE)
    with pytest.raises(ErrorCalendarOccurrenceIsDeletedFromRecurrence):
        acct.calendar.get(id=item.id).occurrence(index=2).refresh()
    third = acct.calendar.get(id=item.id).occurrence(index=3)
    third.refresh()
    assert third.type == "Occurrence" and third.start == local(AMS, 2027, 3, 29, 9, 30)
    master_again = third.recurring_master()
    master_again.refresh()
    assert master_again.type == "RecurringMaster" and master_again.recurrence is not None
    third.start, third.end = local(AMS, 2027, 3, 31, 12, 0), local(AMS, 2027, 3, 31, 12, 30)
    with pytest.raises(ErrorOccurrenceCrossingBoundary):
        third.save(update_fields=["start", "end"], send_meeting_invitations=SEND_TO_NONE)


def test_calendar_view_limits(account) -> None:
    acct = account("lead@example.com")
    with pytest.raises(ErrorCalendarViewRangeTooBig):
        list(acct.calendar.view(start=local(AMS, 2027, 1, 1), end=local(AMS, 2030, 1, 1)))
