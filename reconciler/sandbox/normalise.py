"""How Exchange shapes what a client sends before it stores it, and how it judges an id: the structural
rules, always on. The rewrites a test may switch off (display names, HTML documents, CRLF, ...) are in
`rewrites.py`.

Each rule here is one the fidelity tests check (tests/sandbox/test_fidelity.py, with its reference):
- An all-day item starts and ends at local midnights in its start time zone: the start moves back to the
  midnight that begins its day, the end forward to the next midnight unless it is one already, and an
  all-day item lasts at least one day.
- Date-only elements of a recurrence range (StartDate, EndDate) carry the time zone offset of the item's
  start zone on that date (`2027-01-04+01:00`, `Z` for UTC), as xs:date values Exchange returns do.
- An id that is not of Exchange's form (base64 of at least 100 characters; an occurrence's id too, see
  `occurrences.occurrence_id`) is ErrorInvalidIdMalformed; a well-formed id that names nothing is
  ErrorItemNotFound.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any

from reconciler.sandbox.recurrence import zone_from_xml

_ID = re.compile(r"^[A-Za-z0-9+/_-]{100,}={0,2}$")


def all_day(fields: dict[str, Any]) -> dict[str, Any]:
    """`fields` with an all-day item's Start and End moved to local midnights (a copy)."""
    if not fields.get("calendar:IsAllDayEvent") or "calendar:Start" not in fields:
        return fields
    zone = zone_from_xml(fields.get("calendar:StartTimeZone"))
    start: datetime = fields["calendar:Start"].astimezone(zone)
    end: datetime = fields.get("calendar:End", fields["calendar:Start"]).astimezone(zone)
    first = datetime.combine(start.date(), time(), zone)
    last = datetime.combine(end.date(), time(), zone)
    if end.time() != time() or last <= first:
        last = datetime.combine(max(end.date(), start.date()) + timedelta(days=1), time(), zone)
    return {
        **fields,
        "calendar:Start": first.astimezone(start.tzinfo),
        "calendar:End": last.astimezone(start.tzinfo),
    }


_RANGE_DATE = re.compile(
    r"(<(?:\w+:)?(?:StartDate|EndDate)>)(\d{4}-\d{2}-\d{2})[^<]*(</(?:\w+:)?(?:StartDate|EndDate)>)"
)


def range_dates(fields: dict[str, Any]) -> dict[str, Any]:
    """`fields` with the recurrence range's dates carrying their zone offset (a copy)."""
    xml = fields.get("calendar:Recurrence")
    if not isinstance(xml, str):
        return fields
    zone = zone_from_xml(fields.get("calendar:StartTimeZone"))

    def suffixed(match: re.Match[str]) -> str:
        noon = datetime.combine(date.fromisoformat(match.group(2)), time(12), zone).isoformat()
        suffix = "Z" if noon.endswith("+00:00") else noon[-6:]  # the zone's offset on that day
        return f"{match.group(1)}{match.group(2)}{suffix}{match.group(3)}"

    return {**fields, "calendar:Recurrence": _RANGE_DATE.sub(suffixed, xml)}


def well_formed_id(item_id: str) -> bool:
    """Whether `item_id` has the form of an Exchange id (else: ErrorInvalidIdMalformed)."""
    return bool(_ID.match(item_id))
