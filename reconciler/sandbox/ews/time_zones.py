"""A stored time zone answered with its definition, as Exchange answers `StartTimeZone` / `EndTimeZone`.

The store keeps a zone by its Windows id. Exchange answers the whole TimeZoneDefinitionType: `Periods`
(Standard and Daylight with their Bias, the negated UTC offset), `TransitionsGroups` (the yearly rule:
"last Sunday of March at 02:00 → Daylight") and `Transitions` (which group applies). The EWS Managed API
reads a zone from that definition and has none without it. The rule is derived from the IANA zone's
transitions in one reference year, so it is the rule in force now (older rules are not listed).
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime, timedelta
from functools import cache
from xml.sax.saxutils import quoteattr
from zoneinfo import ZoneInfo

from reconciler.sandbox.recurrence import zone_from_xml
from reconciler.sandbox.types_xml import T

REFERENCE_YEAR = 2027
_ID = re.compile(r'\bId="([^"]*)"')


def _duration(delta: timedelta, negate: bool = False) -> str:
    """An xs:duration: `PT2H`, `-PT5H30M`, `PT0M`."""
    minutes = int(delta.total_seconds() // 60) * (-1 if negate else 1)
    sign, minutes = ("-" if minutes < 0 else ""), abs(minutes)
    hours, rest = divmod(minutes, 60)
    text = (f"{hours}H" if hours else "") + (f"{rest}M" if rest or not hours else "")
    return f"{sign}PT{text}"


def _transitions(zone: ZoneInfo) -> list[tuple[datetime, timedelta, timedelta]]:
    """(local wall time just before, offset before, offset after) of each change in the reference year."""
    found = []
    moment = datetime(REFERENCE_YEAR, 1, 1, tzinfo=UTC)
    before = moment.astimezone(zone).utcoffset()
    while moment.year == REFERENCE_YEAR:
        step = moment + timedelta(hours=1)
        after = step.astimezone(zone).utcoffset()
        if after != before:
            for minute in range(0, 61, 15):  # the change's quarter hour
                exact = moment + timedelta(minutes=minute)
                if exact.astimezone(zone).utcoffset() == after:
                    found.append(((exact + before).replace(tzinfo=None), before, after))
                    break
            before = after
        moment = step
    return found


def _recurring(to: str, wall: datetime) -> str:
    last = wall.day + 7 > calendar.monthrange(wall.year, wall.month)[1]
    occurrence = -1 if last else (wall.day - 1) // 7 + 1
    offset = _duration(timedelta(hours=wall.hour, minutes=wall.minute))
    return (
        f'<t:RecurringDayTransition><t:To Kind="Period">{to}</t:To><t:TimeOffset>{offset}</t:TimeOffset>'
        f"<t:Month>{wall.month}</t:Month><t:DayOfWeek>{calendar.day_name[wall.weekday()]}</t:DayOfWeek>"
        f"<t:Occurrence>{occurrence}</t:Occurrence></t:RecurringDayTransition>"
    )


@cache
def _definition_body(windows_id: str) -> str:
    zone = zone_from_xml(f"<x Id={quoteattr(windows_id)}/>")
    rule = f"trule:Microsoft/Registry/{windows_id}/{REFERENCE_YEAR}"
    changes = _transitions(zone)
    standard = min((c[1] for c in changes), default=datetime(REFERENCE_YEAR, 1, 1, tzinfo=zone).utcoffset())
    periods = [f'<t:Period Bias="{_duration(standard, True)}" Name="Standard" Id="{rule}-Standard"/>']
    if len(changes) == 2:
        daylight = max(c[2] for c in changes)
        periods.append(f'<t:Period Bias="{_duration(daylight, True)}" Name="Daylight" Id="{rule}-Daylight"/>')
        group = "".join(
            _recurring(f"{rule}-{'Daylight' if after > before else 'Standard'}", wall)
            for wall, before, after in changes
        )
    else:
        group = f'<t:Transition><t:To Kind="Period">{rule}-Standard</t:To></t:Transition>'
    return (
        f"<t:Periods>{''.join(periods)}</t:Periods>"
        f'<t:TransitionsGroups><t:TransitionsGroup Id="0">{group}</t:TransitionsGroup></t:TransitionsGroups>'
        '<t:Transitions><t:Transition><t:To Kind="Group">0</t:To></t:Transition></t:Transitions>'
    )


def windows_id(stored: str | None) -> str:
    """The Windows id of a stored zone element (`<t:StartTimeZone Id="...">`); UTC when there is none."""
    found = _ID.search(stored or "")
    return found.group(1) if found else "UTC"


def with_definition(element: str, stored: str) -> str:
    """`<t:StartTimeZone Id="...">` with its Periods, TransitionsGroups and Transitions (as given when the
    stored element already carries them)."""
    if "Periods" in stored:
        return stored
    zone = windows_id(stored)
    return f'<t:{element} xmlns:t="{T}" Id={quoteattr(zone)}>{_definition_body(zone)}</t:{element}>'
