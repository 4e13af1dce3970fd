"""A Graph `patternedRecurrence` ⇄ the EWS `t:Recurrence` XML the store keeps (the sandbox's one pattern).

Graph has a yearly interval, EWS has not: "every n years" is kept as every 12·n months, as Exchange does.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from reconciler.sandbox import recurrence
from reconciler.sandbox.graph.errors import invalid
from reconciler.sandbox.types_xml import T as NS_T

_PATTERNS = {
    "daily": "DailyRecurrence",
    "weekly": "WeeklyRecurrence",
    "absoluteMonthly": "AbsoluteMonthlyRecurrence",
    "relativeMonthly": "RelativeMonthlyRecurrence",
    "absoluteYearly": "AbsoluteYearlyRecurrence",
    "relativeYearly": "RelativeYearlyRecurrence",
}


def recurrence_xml(value: dict[str, Any]) -> str:
    """A Graph `patternedRecurrence` as EWS `t:Recurrence` XML (yearly every n years: every 12·n months)."""
    pattern, rng = value.get("pattern") or {}, value.get("range") or {}
    kind = pattern.get("type")
    interval = int(pattern.get("interval") or 1)
    if kind not in _PATTERNS:
        raise invalid(f"recurrence.pattern.type {kind!r} is not one of {', '.join(_PATTERNS)}.")
    if kind.endswith("Yearly") and interval > 1:
        kind, interval = kind.replace("Yearly", "Monthly"), 12 * interval
    days = " ".join(d.capitalize() for d in pattern.get("daysOfWeek") or [])
    parts = []
    if not kind.endswith("Yearly"):
        parts.append(f"<t:Interval>{interval}</t:Interval>")
    if kind in ("weekly", "relativeMonthly", "relativeYearly") and days:
        parts.append(f"<t:DaysOfWeek>{days}</t:DaysOfWeek>")
    if kind.startswith("relative"):
        parts.append(f"<t:DayOfWeekIndex>{(pattern.get('index') or 'first').capitalize()}</t:DayOfWeekIndex>")
    if kind.startswith("absolute"):
        parts.append(f"<t:DayOfMonth>{int(pattern.get('dayOfMonth') or 1)}</t:DayOfMonth>")
    if kind.endswith("Yearly"):
        parts.append(f"<t:Month>{recurrence.MONTH_NAMES[int(pattern.get('month') or 1) - 1]}</t:Month>")
    if kind == "weekly":
        parts.append(
            f"<t:FirstDayOfWeek>{(pattern.get('firstDayOfWeek') or 'sunday').capitalize()}</t:FirstDayOfWeek>"
        )
    start = rng.get("startDate")
    if not start:
        raise invalid("recurrence.range.startDate is required.")
    range_kind = rng.get("type") or "noEnd"
    if range_kind == "endDate":
        boundary = (
            f"<t:EndDateRecurrence><t:StartDate>{start}</t:StartDate>"
            f"<t:EndDate>{rng.get('endDate')}</t:EndDate></t:EndDateRecurrence>"
        )
    elif range_kind == "numbered":
        boundary = (
            f"<t:NumberedRecurrence><t:StartDate>{start}</t:StartDate><t:NumberOfOccurrences>"
            f"{int(rng.get('numberOfOccurrences') or 1)}</t:NumberOfOccurrences></t:NumberedRecurrence>"
        )
    else:
        boundary = f"<t:NoEndRecurrence><t:StartDate>{start}</t:StartDate></t:NoEndRecurrence>"
    xml = (
        f'<t:Recurrence xmlns:t="{NS_T}"><t:{_PATTERNS[kind]}>{"".join(parts)}</t:{_PATTERNS[kind]}>'
        f"{boundary}</t:Recurrence>"
    )
    try:
        recurrence.parse(xml)
    except (recurrence.RecurrenceError, ValueError) as exc:
        raise invalid(f"The recurrence is not valid: {exc}.") from None
    return xml


def patterned(xml: str, zone_id: str) -> dict[str, Any]:
    """The stored pattern as Graph answers it; `zone_id`: the Windows id of the series' start zone."""
    rule = recurrence.parse(xml)
    kind = next(k for k, v in _PATTERNS.items() if v == rule.pattern)
    pattern: dict[str, Any] = {
        "type": kind,
        "interval": rule.interval if not kind.endswith("Yearly") else 1,
        "month": rule.month or 0,
        "dayOfMonth": rule.day_of_month or 0,
        "firstDayOfWeek": rule.first_day_of_week.lower(),
        "index": (rule.index or "first").lower(),
    }
    if rule.days:
        pattern["daysOfWeek"] = [d.lower() for d in rule.days]
    rng: dict[str, Any] = {
        "type": "endDate" if rule.end_date else "numbered" if rule.count else "noEnd",
        "startDate": rule.start_date.isoformat(),
        "endDate": (rule.end_date or date(1, 1, 1)).isoformat(),
        "recurrenceTimeZone": zone_id,
        "numberOfOccurrences": rule.count or 0,
    }
    return {"pattern": pattern, "range": rng}
