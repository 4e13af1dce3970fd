"""A calendar item as iCalendar, for GetItem's `MimeContent` (`IncludeMimeContent`), as Exchange gives it.

For a calendar item Exchange's MimeContent is the item as a VCALENDAR (DavMail parses it directly as one).
Written with the `icalendar` library, never by hand: the master VEVENT with its RRULE and EXDATEs, one
VEVENT per modified occurrence (RECURRENCE-ID), attendees with role and participation status, and the
VTIMEZONE of every zone used.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import icalendar

from reconciler.sandbox import recurrence
from reconciler.sandbox.ews import soap
from reconciler.sandbox.occurrences import duration, occurrence_fields, rule_of
from reconciler.sandbox.store import Item
from reconciler.sandbox.types_xml import zone_element

_FREQ = {
    "DailyRecurrence": "DAILY",
    "WeeklyRecurrence": "WEEKLY",
    "AbsoluteMonthlyRecurrence": "MONTHLY",
    "RelativeMonthlyRecurrence": "MONTHLY",
    "AbsoluteYearlyRecurrence": "YEARLY",
    "RelativeYearlyRecurrence": "YEARLY",
}
_DAY = {
    "Monday": "MO",
    "Tuesday": "TU",
    "Wednesday": "WE",
    "Thursday": "TH",
    "Friday": "FR",
    "Saturday": "SA",
    "Sunday": "SU",
}
_GROUP = {
    "Day": list(_DAY.values()),
    "Weekday": ["MO", "TU", "WE", "TH", "FR"],
    "WeekendDay": ["SA", "SU"],
}
_POS = {"First": 1, "Second": 2, "Third": 3, "Fourth": 4, "Last": -1}
_PARTSTAT = {
    "Accept": "ACCEPTED",
    "Tentative": "TENTATIVE",
    "Decline": "DECLINED",
    "Organizer": "ACCEPTED",
}
_ROLE = {
    "calendar:RequiredAttendees": "REQ-PARTICIPANT",
    "calendar:OptionalAttendees": "OPT-PARTICIPANT",
    "calendar:Resources": "NON-PARTICIPANT",
}
_CLASS = {"Normal": "PUBLIC", "Personal": "PRIVATE", "Private": "PRIVATE", "Confidential": "CONFIDENTIAL"}


def rrule(rule: recurrence.Rule, zone: Any, all_day: bool) -> dict[str, Any]:
    """The RRULE of an EWS recurrence (types.xsd patterns and ranges).

    UNTIL takes DTSTART's value type (RFC 5545): a date for all-day series, else the end of that local day
    in UTC.
    """
    out: dict[str, Any] = {"FREQ": _FREQ[rule.pattern], "INTERVAL": rule.interval}
    if rule.pattern == "WeeklyRecurrence":
        out["BYDAY"] = [_DAY[d] for d in rule.days if d in _DAY]
        out["WKST"] = _DAY.get(rule.first_day_of_week, "SU")
    elif rule.pattern.startswith("Absolute"):
        out["BYMONTHDAY"] = rule.day_of_month
    else:
        day = rule.days[0] if rule.days else "Day"
        out["BYDAY"] = _GROUP.get(day) or [_DAY[day]]
        out["BYSETPOS"] = _POS.get(rule.index or "First", 1)
    if rule.pattern.endswith("YearlyRecurrence"):
        out["BYMONTH"] = rule.month or rule.start_date.month
        out["INTERVAL"] = 1
    if rule.count:
        out["COUNT"] = rule.count
    elif rule.end_date:
        end = datetime.combine(rule.end_date, time(23, 59, 59), zone).astimezone(UTC)
        out["UNTIL"] = rule.end_date if all_day else end
    return {k: v for k, v in out.items() if v not in (None, [])}


def _when(value: datetime, zone: Any, all_day: bool) -> Any:
    local = value.astimezone(zone)
    return local.date() if all_day else local


def _people(event: icalendar.Event, fields: dict[str, Any]) -> None:
    organizer = fields.get("calendar:Organizer")
    if isinstance(organizer, dict) and organizer.get("email"):
        event.add(
            "organizer", f"mailto:{organizer['email']}", {"CN": organizer.get("name") or organizer["email"]}
        )
    for key, role in _ROLE.items():
        for person in fields.get(key) or []:
            params = {
                "ROLE": role,
                "PARTSTAT": _PARTSTAT.get(person.get("response") or "", "NEEDS-ACTION"),
                "RSVP": "TRUE",
            }
            if person.get("name"):
                params["CN"] = person["name"]
            event.add("attendee", f"mailto:{person['email']}", params)


def _event(item: Item, fields: dict[str, Any], zone: Any) -> icalendar.Event:
    all_day = bool(fields.get("calendar:IsAllDayEvent"))
    event = icalendar.Event()
    event.add("uid", fields.get("calendar:UID") or item.id)
    event.add("summary", fields.get("item:Subject") or "")
    event.add("dtstart", _when(fields["calendar:Start"], zone, all_day))
    event.add("dtend", _when(fields["calendar:End"], zone, all_day))
    event.add("dtstamp", datetime.now(UTC))
    modified = fields.get("item:LastModifiedTime") or fields.get("item:DateTimeCreated")
    if modified:
        event.add("last-modified", modified)
    event.add("sequence", int(fields.get("calendar:AppointmentSequenceNumber") or 0))
    if fields.get("calendar:Location"):
        event.add("location", fields["calendar:Location"])
    body = fields.get("item:Body")
    if isinstance(body, dict) and body.get("text"):
        event.add("description", body["text"])
    event.add("class", _CLASS.get(fields.get("item:Sensitivity") or "Normal", "PUBLIC"))
    busy = fields.get("calendar:LegacyFreeBusyStatus") or "Busy"
    event.add("transp", "TRANSPARENT" if busy == "Free" else "OPAQUE")
    event.add("x-microsoft-cdo-busystatus", busy.upper())
    for category in fields.get("item:Categories") or []:
        event.add("categories", category)
    _people(event, fields)
    return event


def to_ical(item: Item) -> bytes:
    """The item as a VCALENDAR (UTF-8)."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//reconciler//EWS sandbox//EN")
    calendar.add("version", "2.0")
    zone = recurrence.zone_from_xml(item.get("calendar:StartTimeZone"))
    master = _event(item, item.fields, zone)
    all_day = bool(item.get("calendar:IsAllDayEvent"))
    exceptions = []
    if item.get("calendar:CalendarItemType") == "RecurringMaster" and item.get("calendar:Recurrence"):
        rule, zone = rule_of(item)
        master.add("rrule", rrule(rule, zone, all_day))
        span: timedelta = duration(item)
        for index in sorted(item.get("$deleted", [])):
            occ = recurrence.by_index(rule, item.get("calendar:Start"), span, zone, index)
            if occ is not None:
                master.add("exdate", _when(occ.start, zone, all_day))
        for index in sorted(int(i) for i in item.get("$modified", {})):
            fields = occurrence_fields(item, index)
            occurrence = _event(item, fields, zone)
            occurrence.add("recurrence-id", _when(fields["calendar:OriginalStart"], zone, all_day))
            exceptions.append(occurrence)
    calendar.add_component(master)
    for occurrence in exceptions:
        calendar.add_component(occurrence)
    calendar.add_missing_timezones()
    if not calendar.walk("VTIMEZONE"):  # UTC times are written with Z; Exchange still names the zone
        calendar.add_component(icalendar.Timezone.from_tzid(getattr(zone, "key", "UTC")))
    return calendar.to_ical()


# -- iCalendar in: CreateItem with MimeContent ---------------------------------------------------------------

_WEEKDAY = {v: k for k, v in _DAY.items()}
_INDEX_NAME = {v: k for k, v in _POS.items()}
_PEOPLE = {
    "REQ-PARTICIPANT": "calendar:RequiredAttendees",
    "OPT-PARTICIPANT": "calendar:OptionalAttendees",
    "NON-PARTICIPANT": "calendar:Resources",
    "CHAIR": "calendar:RequiredAttendees",
}


def windows_zone(name: str) -> str:
    """The Windows time zone id Exchange stores for an iCalendar TZID (a Windows or an IANA name)."""
    from exchangelib.winzone import IANA_TO_MS_TIMEZONE_MAP, MS_TIMEZONE_TO_IANA_MAP

    if name in MS_TIMEZONE_TO_IANA_MAP:
        return name
    return IANA_TO_MS_TIMEZONE_MAP.get(name, ("UTC",))[0]


def _recurrence_xml(rule: icalendar.vRecur, start: datetime) -> str:
    def one(key: str) -> Any:
        values = rule.get(key)
        return values[0] if values else None

    freq, interval = one("FREQ"), int(one("INTERVAL") or 1)
    days = [str(d) for d in rule.get("BYDAY", [])]
    plain = [d[-2:] for d in days]
    ordinal = next((int(d[:-2]) for d in days if d[:-2] not in ("", "+")), None)
    position = one("BYSETPOS") or ordinal
    day_names = " ".join(_WEEKDAY[d] for d in plain) or list(_DAY)[start.weekday()]
    month = recurrence.MONTH_NAMES[int(one("BYMONTH") or start.month) - 1]
    if freq == "DAILY":
        pattern = f"<t:DailyRecurrence><t:Interval>{interval}</t:Interval></t:DailyRecurrence>"
    elif freq == "WEEKLY":
        first = _WEEKDAY.get(str(one("WKST") or "MO"), "Monday")
        pattern = (
            f"<t:WeeklyRecurrence><t:Interval>{interval}</t:Interval><t:DaysOfWeek>{day_names}</t:DaysOfWeek>"
            f"<t:FirstDayOfWeek>{first}</t:FirstDayOfWeek></t:WeeklyRecurrence>"
        )
    elif freq == "MONTHLY" and days:
        pattern = (
            f"<t:RelativeMonthlyRecurrence><t:Interval>{interval}</t:Interval><t:DaysOfWeek>{day_names}"
            f"</t:DaysOfWeek><t:DayOfWeekIndex>{_INDEX_NAME.get(position or 1, 'First')}</t:DayOfWeekIndex>"
            "</t:RelativeMonthlyRecurrence>"
        )
    elif freq == "MONTHLY":
        pattern = (
            f"<t:AbsoluteMonthlyRecurrence><t:Interval>{interval}</t:Interval><t:DayOfMonth>"
            f"{int(one('BYMONTHDAY') or start.day)}</t:DayOfMonth></t:AbsoluteMonthlyRecurrence>"
        )
    elif freq == "YEARLY" and days:
        pattern = (
            f"<t:RelativeYearlyRecurrence><t:DaysOfWeek>{day_names}</t:DaysOfWeek><t:DayOfWeekIndex>"
            f"{_INDEX_NAME.get(position or 1, 'First')}</t:DayOfWeekIndex><t:Month>{month}</t:Month>"
            "</t:RelativeYearlyRecurrence>"
        )
    elif freq == "YEARLY":
        pattern = (
            f"<t:AbsoluteYearlyRecurrence><t:DayOfMonth>{int(one('BYMONTHDAY') or start.day)}</t:DayOfMonth>"
            f"<t:Month>{month}</t:Month></t:AbsoluteYearlyRecurrence>"
        )
    else:
        raise recurrence.RecurrenceError(f"unsupported RRULE frequency {freq}")
    first_day = start.date().isoformat()
    if one("COUNT"):
        span = (
            f"<t:NumberedRecurrence><t:StartDate>{first_day}</t:StartDate><t:NumberOfOccurrences>"
            f"{int(one('COUNT'))}</t:NumberOfOccurrences></t:NumberedRecurrence>"
        )
    elif one("UNTIL"):
        until = one("UNTIL")
        end = until.astimezone(start.tzinfo).date() if isinstance(until, datetime) else until
        span = (
            f"<t:EndDateRecurrence><t:StartDate>{first_day}</t:StartDate><t:EndDate>{end.isoformat()}"
            "</t:EndDate></t:EndDateRecurrence>"
        )
    else:
        span = f"<t:NoEndRecurrence><t:StartDate>{first_day}</t:StartDate></t:NoEndRecurrence>"
    return f'<t:Recurrence xmlns:t="{soap.T}">{pattern}{span}</t:Recurrence>'


def fields_from_ical(data: bytes) -> dict[str, Any]:
    """The EWS fields an iCalendar VEVENT (the series' master, or the only event) stands for."""
    calendar = icalendar.Calendar.from_ical(data)
    events = [e for e in calendar.walk("VEVENT") if "RECURRENCE-ID" not in e] or calendar.walk("VEVENT")
    if not events:
        raise ValueError("no VEVENT in the MIME content")
    event = events[0]
    start, end = event.decoded("DTSTART"), event.decoded("DTEND", None)
    all_day = not isinstance(start, datetime)
    tzid = event["DTSTART"].params.get("TZID") or getattr(getattr(start, "tzinfo", None), "key", "UTC")
    zone_xml = zone_element("StartTimeZone", windows_zone(str(tzid)))
    if all_day:
        local = recurrence.zone_from_xml(zone_xml)
        start = datetime.combine(start, time(), local)
        end = datetime.combine(end, time(), local) if end is not None else start + timedelta(days=1)
    elif start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    if end is None:
        end = start + (event.decoded("DURATION", None) or timedelta(0))
    elif not all_day and end.tzinfo is None:
        end = end.replace(tzinfo=UTC)
    fields: dict[str, Any] = {
        "item:Subject": str(event.get("SUMMARY", "")),
        "calendar:UID": str(event.get("UID")) if event.get("UID") else None,
        "calendar:Start": start.astimezone(UTC),
        "calendar:End": end.astimezone(UTC),
        "calendar:IsAllDayEvent": all_day,
        "calendar:StartTimeZone": zone_xml,
        "calendar:EndTimeZone": zone_element("EndTimeZone", windows_zone(str(tzid))),
    }
    if event.get("LOCATION"):
        fields["calendar:Location"] = str(event["LOCATION"])
    if event.get("DESCRIPTION"):
        fields["item:Body"] = {"type": "Text", "text": str(event["DESCRIPTION"])}
    if event.get("RRULE"):
        fields["calendar:Recurrence"] = _recurrence_xml(event["RRULE"], start)
    attendees = event.get("ATTENDEE", [])
    for attendee in attendees if isinstance(attendees, list) else [attendees]:
        key = _PEOPLE.get(str(attendee.params.get("ROLE", "REQ-PARTICIPANT")), "calendar:RequiredAttendees")
        person = {
            "name": str(attendee.params.get("CN", "")),
            "email": str(attendee)[7:].lower(),
            "response": "Unknown",
            "last_response": None,
        }
        fields.setdefault(key, []).append(person)
    return {k: v for k, v in fields.items() if v is not None}
