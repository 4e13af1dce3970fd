"""Plain-text descriptions of meetings: the pattern in words, and the upcoming occurrences."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from reconciler.desired.durations import format_duration
from reconciler.desired.model import WEEKDAYS, Meeting
from reconciler.desired.recurrence import occurrences
from reconciler.inert import inert

_DAY_NAMES = dict(zip(WEEKDAYS, ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), strict=True))
_UNITS = {"day": "days", "week": "weeks", "month": "months", "year": "years"}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _days(days: Sequence[str]) -> str:
    if tuple(days) == WEEKDAYS[:5]:
        return "Mon–Fri"
    return ", ".join(_DAY_NAMES[d] for d in days)


def _times(meeting: Meeting) -> str:
    if meeting.all_day:
        n = meeting.duration.days
        return "all day" if n == 1 else f"all day, {n} days"
    end = meeting.start + meeting.duration
    return f"{meeting.start:%H:%M}–{end:%H:%M} {meeting.timezone}"


def describe_pattern(meeting: Meeting) -> str:
    """E.g. `Mon–Fri 09:30–09:45 Europe/Amsterdam`, `every 2 weeks on Tue ...`, `once on 2027-03-12 ...`."""
    r = meeting.recurrence
    if r is None:
        return f"once on {meeting.start:%Y-%m-%d} {_times(meeting)}"
    every = (
        f"every {r.interval} {_UNITS[r.every]}"
        if r.interval > 1
        else {"day": "daily", "week": "weekly", "month": "monthly", "year": "yearly"}[r.every]
    )
    if r.every == "week":
        what = _days(r.days) if r.interval == 1 else f"{every} on {_days(r.days)}"
    elif r.every in ("month", "year"):
        on = f"the {r.week} {_DAY_NAMES[r.weekday]}" if r.weekday and r.week else f"day {r.day_of_month}"
        what = f"{every} on {on}" + (f" of {_MONTHS[(r.month or 1) - 1]}" if r.every == "year" else "")
    else:
        what = every
    until = f" until {r.until}" if r.until else f", {r.count} times" if r.count else ""
    return f"{what} {_times(meeting)}{until}"


UPCOMING = 5
"""How many next occurrences `show` and a plan's changes list."""


def next_occurrences(meeting: Meeting | None, now: datetime, count: int = UPCOMING) -> tuple[str, ...]:
    """The meeting's next occurrences as a person reads them, in its own zone (a moved one with its place)."""
    if meeting is None:
        return ()
    fmt = "%a %Y-%m-%d" if meeting.all_day else "%a %Y-%m-%d %H:%M"
    found = occurrences(meeting, now, now + timedelta(days=800))[:count]
    return tuple(f"{o.start:{fmt}}" + (f" @ {o.location}" if o.moved and o.location else "") for o in found)


def render_schedule(meetings: Sequence[Meeting], today: date, days: int) -> str:
    """Each meeting with its pattern and its occurrences in [today, today + days)."""
    lines = []
    for meeting in meetings:
        zone = ZoneInfo(meeting.timezone)
        start = datetime.combine(today, time.min, zone)
        found = occurrences(meeting, start, start + timedelta(days=days))
        people = len(meeting.attendees.all())
        lines.append(f'{meeting.key}  "{inert(meeting.subject)}"  {describe_pattern(meeting)}')
        lines.append(
            f"    organizer {meeting.organizer} · {people} attendee{'s' * (people != 1)}"
            + (f" · {len(meeting.skip)} skipped" if meeting.skip else "")
            + (f" · {len(meeting.moves)} moved" if meeting.moves else "")
        )
        end = today + timedelta(days=days)
        for day, name in meeting.holiday_skips:
            if today <= day < end:
                lines.append(f"    {day:%a %Y-%m-%d} skipped: {name} ({', '.join(meeting.skip_holidays)})")
        for occ in found[:10]:
            when = f"{occ.start:%a %Y-%m-%d %H:%M}" if not meeting.all_day else f"{occ.start:%a %Y-%m-%d}"
            extra = f" ({format_duration(occ.end - occ.start)})"
            moved = " moved" if occ.moved else ""
            lines.append(f"    {when}{extra}{moved}" + (f" @ {occ.location}" if occ.location else ""))
        if len(found) > 10:
            lines.append(f"    … {len(found) - 10} more in the next {days} days")
        if not found:
            lines.append(f"    no occurrence in the next {days} days")
    return "\n".join(lines)
