"""EWS recurrence (`t:Recurrence`) parsed and expanded in the item's start time zone.

Occurrences keep the master's wall-clock time in its zone, so the UTC instant moves across DST. The range's
StartDate anchors the series; the first occurrence is the first pattern date on or after it. Day 29–31 of a
month falls on the month's last day in shorter months, as in Exchange.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from dateutil import rrule as rr
from exchangelib.winzone import MS_TIMEZONE_TO_IANA_MAP
from lxml import etree

from reconciler.sandbox.types_xml import local, t

_DAYS = {
    "Monday": rr.MO,
    "Tuesday": rr.TU,
    "Wednesday": rr.WE,
    "Thursday": rr.TH,
    "Friday": rr.FR,
    "Saturday": rr.SA,
    "Sunday": rr.SU,
}
_GROUPS = {
    "Day": list(_DAYS.values()),
    "Weekday": [rr.MO, rr.TU, rr.WE, rr.TH, rr.FR],
    "WeekendDay": [rr.SA, rr.SU],
}
_INDEX = {"First": 1, "Second": 2, "Third": 3, "Fourth": 4, "Last": -1}
MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
"""types.xsd MonthNamesType, in calendar order."""
_MONTHS = {name: i for i, name in enumerate(MONTH_NAMES, start=1)}
MAX_OCCURRENCES = 5000
"""Never expand more occurrences than this from one series (an endless daily series is 13 years)."""


class RecurrenceError(ValueError):
    """A recurrence the sandbox does not understand."""


@dataclass(frozen=True)
class Rule:
    """A parsed recurrence: pattern plus range."""

    pattern: str
    interval: int
    days: tuple[str, ...]
    day_of_month: int | None
    index: str | None
    month: int | None
    first_day_of_week: str
    start_date: date
    end_date: date | None
    count: int | None


@dataclass(frozen=True)
class Occurrence:
    index: int  # 1-based InstanceIndex
    start: datetime  # aware UTC
    end: datetime


def parse(xml: str | etree._Element) -> Rule:
    """A stored recurrence (its XML text, parsed once per text) or a request's element, as a `Rule`."""
    return _parse_text(xml) if isinstance(xml, str) else _parse(xml)


@lru_cache(maxsize=4096)
def _parse_text(xml: str) -> Rule:
    return _parse(etree.fromstring(xml))


def _parse(el: etree._Element) -> Rule:
    if local(el.tag) != "Recurrence" or len(el) != 2:
        raise RecurrenceError("Recurrence needs one pattern and one range")
    pattern, rng = el[0], el[1]
    name = local(pattern.tag)
    if name not in (
        "DailyRecurrence",
        "WeeklyRecurrence",
        "AbsoluteMonthlyRecurrence",
        "RelativeMonthlyRecurrence",
        "AbsoluteYearlyRecurrence",
        "RelativeYearlyRecurrence",
    ):
        raise RecurrenceError(f"unsupported recurrence pattern {name}")
    month = pattern.findtext(t("Month"))
    dom = pattern.findtext(t("DayOfMonth"))
    end = rng.findtext(t("EndDate"))
    count = rng.findtext(t("NumberOfOccurrences"))
    start = rng.findtext(t("StartDate"))
    if not start:
        raise RecurrenceError("recurrence range without StartDate")
    return Rule(
        pattern=name,
        interval=int(pattern.findtext(t("Interval")) or 1),
        days=tuple((pattern.findtext(t("DaysOfWeek")) or "").split()),
        day_of_month=int(dom) if dom else None,
        index=pattern.findtext(t("DayOfWeekIndex")),
        month=_MONTHS.get(month) if month else None,
        first_day_of_week=pattern.findtext(t("FirstDayOfWeek")) or "Sunday",
        start_date=date.fromisoformat(start[:10]),
        end_date=date.fromisoformat(end[:10]) if end else None,
        count=int(count) if count else None,
    )


def zone_from_xml(xml: str | None) -> ZoneInfo:
    """The IANA zone of a `t:StartTimeZone` element (by its Windows Id); UTC when unknown."""
    found = re.search(r'\bId="([^"]+)"', xml or "")
    name = MS_TIMEZONE_TO_IANA_MAP.get(found.group(1)) if found else None
    try:
        return ZoneInfo(name or (found.group(1) if found else "UTC"))
    except (KeyError, ValueError, OSError):
        return ZoneInfo("UTC")


@lru_cache(maxsize=2048)
def _rrule(rule: Rule, wall: time) -> rr.rrule:
    kwargs: dict = {
        "dtstart": datetime.combine(rule.start_date, wall),
        "interval": rule.interval,
        "wkst": _DAYS.get(rule.first_day_of_week, rr.SU),
    }
    freq = rr.DAILY
    if rule.pattern == "WeeklyRecurrence":
        freq = rr.WEEKLY
        kwargs["byweekday"] = [_DAYS[d] for d in rule.days if d in _DAYS] or None
    elif rule.pattern in ("AbsoluteMonthlyRecurrence", "AbsoluteYearlyRecurrence"):
        freq = rr.MONTHLY if rule.pattern.endswith("MonthlyRecurrence") else rr.YEARLY
        day = rule.day_of_month or rule.start_date.day
        kwargs["bymonthday"] = list(range(min(day, 28), day + 1))
        kwargs["bysetpos"] = -1
    elif rule.pattern in ("RelativeMonthlyRecurrence", "RelativeYearlyRecurrence"):
        freq = rr.MONTHLY if rule.pattern.endswith("MonthlyRecurrence") else rr.YEARLY
        day = rule.days[0] if rule.days else "Day"
        kwargs["byweekday"] = _GROUPS.get(day) or [_DAYS[day]]
        kwargs["bysetpos"] = _INDEX.get(rule.index or "First", 1)
    if freq == rr.YEARLY:
        kwargs["bymonth"] = rule.month or rule.start_date.month
    if rule.count:
        kwargs["count"] = min(rule.count, MAX_OCCURRENCES)
    elif rule.end_date:
        kwargs["until"] = datetime.combine(rule.end_date, time.max)
    else:
        kwargs["count"] = MAX_OCCURRENCES
    return rr.rrule(freq, cache=True, **kwargs)


def _local_starts(rule: Rule, first_start: datetime, zone: ZoneInfo) -> rr.rrule:
    return _rrule(rule, first_start.astimezone(zone).time().replace(tzinfo=None))


def _occurrence(index: int, wall: datetime, duration: timedelta, zone: ZoneInfo) -> Occurrence:
    start = wall.replace(tzinfo=zone).astimezone(UTC)
    return Occurrence(index, start, start + duration)


def expand(
    rule: Rule,
    first_start: datetime,
    duration: timedelta,
    zone: ZoneInfo,
    window_start: datetime,
    window_end: datetime,
) -> list[Occurrence]:
    """Occurrences overlapping [window_start, window_end), each with its 1-based index."""
    out = []
    for index, wall in enumerate(_local_starts(rule, first_start, zone), start=1):
        occ = _occurrence(index, wall, duration, zone)
        if occ.start >= window_end:
            break
        if occ.end > window_start:
            out.append(occ)
    return out


def by_index(
    rule: Rule, first_start: datetime, duration: timedelta, zone: ZoneInfo, index: int
) -> Occurrence | None:
    starts = _local_starts(rule, first_start, zone)
    if index < 1:
        return None
    for i, wall in enumerate(starts, start=1):
        if i == index:
            return _occurrence(index, wall, duration, zone)
    return None


def first_and_last(
    rule: Rule, first_start: datetime, duration: timedelta, zone: ZoneInfo
) -> tuple[Occurrence | None, Occurrence | None]:
    """The series' first occurrence, and its last (None for a series without end)."""
    starts = _local_starts(rule, first_start, zone)
    first = next(iter(starts), None)
    if first is None:
        return None, None
    if not rule.count and not rule.end_date:
        return _occurrence(1, first, duration, zone), None
    all_starts = list(starts)
    return _occurrence(1, first, duration, zone), _occurrence(len(all_starts), all_starts[-1], duration, zone)
