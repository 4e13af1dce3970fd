"""Occurrences of a meeting: the pattern expanded in wall-clock time, then skips and moves applied.

Expansion uses dateutil's rrule on naive local times, so 09:30 stays 09:30 across daylight-saving changes;
times become aware (the meeting's zone) only at the end. "Day 31" falls on the last day of shorter months,
as in Exchange (BYMONTHDAY candidates with BYSETPOS=-1).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from dateutil import rrule as rr

from reconciler.desired.model import WEEKDAYS, Meeting, Recurrence

_FREQ = {"day": rr.DAILY, "week": rr.WEEKLY, "month": rr.MONTHLY, "year": rr.YEARLY}
_DAYS = dict(zip(WEEKDAYS, (rr.MO, rr.TU, rr.WE, rr.TH, rr.FR, rr.SA, rr.SU), strict=True))
_NTH = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}
HORIZON_YEARS = 50
"""An endless series is never expanded beyond this many years from its start."""


@dataclass(frozen=True)
class Occurrence:
    """One instance of a meeting: where its pattern put it (`original_date`) and when it really is."""

    original_date: date
    start: datetime
    end: datetime
    location: str | None
    moved: bool = False


@lru_cache(maxsize=4096)
def rule(recurrence: Recurrence, start: datetime) -> rr.rrule:
    """The rrule of `recurrence` anchored at the naive local `start`."""
    kwargs: dict = {"dtstart": start, "interval": recurrence.interval, "cache": True, "wkst": rr.MO}
    if recurrence.every == "week":
        kwargs["byweekday"] = [_DAYS[d] for d in recurrence.days] or [_DAYS[WEEKDAYS[start.weekday()]]]
    if recurrence.every in ("month", "year"):
        if recurrence.weekday and recurrence.week:
            kwargs["byweekday"] = [_DAYS[recurrence.weekday](_NTH[recurrence.week])]
        else:
            day = recurrence.day_of_month or start.day
            kwargs["bymonthday"] = list(range(min(day, 28), day + 1))
            kwargs["bysetpos"] = -1
    if recurrence.every == "year":
        kwargs["bymonth"] = recurrence.month or start.month
    if recurrence.count:
        kwargs["count"] = recurrence.count
    else:
        last = recurrence.until or date(start.year + HORIZON_YEARS, start.month, 1)
        kwargs["until"] = datetime.combine(last, time(23, 59, 59))
    return rr.rrule(_FREQ[recurrence.every], **kwargs)


def pattern_starts(meeting: Meeting) -> Iterator[datetime]:
    """Naive local starts the pattern produces (a single meeting produces its start)."""
    if meeting.recurrence is None:
        yield meeting.start
        return
    yield from rule(meeting.recurrence, meeting.start)


def occurrence_start(meeting: Meeting, day: date) -> datetime | None:
    """The naive local start of the pattern's occurrence on `day`, or None if the pattern skips that day."""
    if meeting.recurrence is None:
        return meeting.start if meeting.start.date() == day else None
    found = rule(meeting.recurrence, meeting.start).between(
        datetime.combine(day, time.min), datetime.combine(day, time.max), inc=True
    )
    return found[0] if found else None


def neighbours(meeting: Meeting, day: date) -> tuple[date | None, date | None]:
    """Original dates of the occurrences before and after the one on `day`."""
    if meeting.recurrence is None:
        return None, None
    r = rule(meeting.recurrence, meeting.start)
    before = r.before(datetime.combine(day, time.min))
    after = r.after(datetime.combine(day, time.max))
    return (before.date() if before else None), (after.date() if after else None)


def first_start_after(meeting: Meeting, moment: datetime) -> datetime | None:
    """The first pattern start at or after the naive local `moment`."""
    if meeting.recurrence is None:
        return meeting.start if meeting.start >= moment else None
    return rule(meeting.recurrence, meeting.start).after(moment, inc=True)


def occurrences(meeting: Meeting, window_start: datetime, window_end: datetime) -> list[Occurrence]:
    """Occurrences overlapping [window_start, window_end) (aware datetimes), skips removed, moves applied."""
    zone = ZoneInfo(meeting.timezone)
    local_from = window_start.astimezone(zone).replace(tzinfo=None)
    local_to = window_end.astimezone(zone).replace(tzinfo=None)
    moves = {m.date: m for m in meeting.moves}
    longest = max([meeting.duration, *(m.duration for m in meeting.moves if m.duration)])
    slack = longest + timedelta(days=31)  # a moved occurrence may land inside the window from outside it
    if meeting.recurrence is None:
        candidates = [meeting.start]
    else:
        candidates = rule(meeting.recurrence, meeting.start).between(
            local_from - slack, local_to + slack, inc=True
        )
    out = []
    skipped = set(meeting.skip)
    for local in candidates:
        day = local.date()
        if day in skipped:
            continue
        move = moves.get(day)
        start = move.start if move and move.start else local
        duration = move.duration if move and move.duration else meeting.duration
        location = move.location if move and move.location is not None else meeting.location
        if start < local_to and start + duration > local_from:
            out.append(
                Occurrence(
                    day,
                    start.replace(tzinfo=zone),
                    (start + duration).replace(tzinfo=zone),
                    location,
                    moved=move is not None,
                )
            )
    return sorted(out, key=lambda o: o.start)


def occurrence_index(meeting: Meeting, day: date) -> int | None:
    """The 1-based position of the occurrence on `day` in its series (EWS's InstanceIndex)."""
    if meeting.recurrence is None:
        return 1 if meeting.start.date() == day else None
    r = rule(meeting.recurrence, meeting.start)
    found = occurrence_start(meeting, day)
    if found is None:
        return None
    return len(r.between(meeting.start, found, inc=True))
