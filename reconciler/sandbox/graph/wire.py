"""A Graph `event` as JSON ⇄ the store's field mapping (the one the EWS front-end reads and writes).

Both front-ends keep one representation: the field keys of `sandbox/items.py`, recurrence as EWS XML and
time zones as Windows ids, as Exchange keeps them. This module is the only place that knows Graph's names
for them. Times go out in the zone the client asks for with `Prefer: outlook.timezone` (UTC otherwise),
as `{"dateTime": "2027-01-04T09:00:00.0000000", "timeZone": ...}`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from exchangelib.winzone import IANA_TO_MS_TIMEZONE_MAP, MS_TIMEZONE_TO_IANA_MAP

from reconciler.sandbox import recurrence, rewrites
from reconciler.sandbox.graph.errors import GraphError, invalid
from reconciler.sandbox.graph.properties import property_id, property_key
from reconciler.sandbox.graph.recurrence_json import patterned, recurrence_xml
from reconciler.sandbox.rewrites import ONLINE
from reconciler.sandbox.types_xml import zone_element

TEAMS = "teamsForBusiness"

SHOW_AS = {
    "Free": "free",
    "Tentative": "tentative",
    "Busy": "busy",
    "OOF": "oof",
    "WorkingElsewhere": "workingElsewhere",
    "NoData": "unknown",
}
RESPONSE = {
    "Unknown": "none",
    "Organizer": "organizer",
    "Tentative": "tentativelyAccepted",
    "Accept": "accepted",
    "Decline": "declined",
    "NoResponseReceived": "notResponded",
}
TYPE = {
    "Single": "singleInstance",
    "Occurrence": "occurrence",
    "Exception": "exception",
    "RecurringMaster": "seriesMaster",
}
ATTENDEE_TYPES = {
    "required": "calendar:RequiredAttendees",
    "optional": "calendar:OptionalAttendees",
    "resource": "calendar:Resources",
}
# -- ids ----------------------------------------------------------------------------------------------------


def rest_id(ews_id: str) -> str:
    """The Graph (REST) form of an item id: the EWS id in URL-safe base64, as `translateExchangeIds` maps."""
    return ews_id.replace("/", "-").replace("+", "_")


def ews_id(graph_id: str) -> str:
    return graph_id.replace("-", "/").replace("_", "+")


# -- time zones and times -----------------------------------------------------------------------------------


def zone(name: str | None) -> ZoneInfo:
    """A Graph `timeZone` (IANA or Windows name) as a zone; 400 when neither."""
    if not name:
        return ZoneInfo("UTC")
    iana = MS_TIMEZONE_TO_IANA_MAP.get(name, name)
    try:
        return ZoneInfo(iana)
    except (KeyError, ValueError, OSError):
        raise GraphError(
            400,
            "TimeZoneNotSupportedException",
            f"A valid TimeZone value must be specified. "
            f"The following TimeZone value is not supported: '{name}'.",
        ) from None


def windows_id(tz: ZoneInfo) -> str:
    found = IANA_TO_MS_TIMEZONE_MAP.get(tz.key)
    return found[0] if found else tz.key


def zone_xml(element: str, tz: ZoneInfo) -> str:
    return zone_element(element, windows_id(tz))


def parse_time(value: Any, field: str) -> tuple[datetime, ZoneInfo]:
    """A `dateTimeTimeZone` as aware UTC, and its zone."""
    if not isinstance(value, dict) or not value.get("dateTime"):
        raise invalid(f"{field} needs dateTime and timeZone.")
    tz = zone(value.get("timeZone"))
    text = str(value["dateTime"]).rstrip("Z")
    if "." in text:
        text = text[: text.index(".")]
    try:
        wall = datetime.fromisoformat(text)
    except ValueError:
        raise invalid(f"{field}.dateTime is not a date-time: {value['dateTime']!r}.") from None
    return wall.replace(tzinfo=tz).astimezone(UTC), tz


def format_time(moment: datetime, tz: ZoneInfo, tz_name: str) -> dict[str, str]:
    return {"dateTime": moment.astimezone(tz).strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": tz_name}


def format_instant(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_timestamp(moment: datetime) -> str:
    """A creation or modification time as Graph writes it: seven fractional digits (.NET's ticks)."""
    moment = moment.astimezone(UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond:06d}0Z"


def location_json(name: str) -> dict[str, Any]:
    """A location given by its name alone, as Exchange keeps it: a private one, its name as its id."""
    if not name:
        return {"displayName": "", "locationType": "default", "uniqueIdType": "unknown", "address": {}}
    return {
        "displayName": name,
        "locationType": "default",
        "uniqueId": name,
        "uniqueIdType": "private",
        "address": {},
    }


# -- event JSON → fields ------------------------------------------------------------------------------------


def _people(values: list[Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {key: [] for key in ATTENDEE_TYPES.values()}
    for value in values:
        box = (value or {}).get("emailAddress") or {}
        address = str(box.get("address") or "").strip().lower()
        if not address:
            raise invalid("Every attendee needs emailAddress.address.")
        key = ATTENDEE_TYPES.get(value.get("type") or "required")
        if key is None:
            raise invalid(f"Attendee type {value.get('type')!r} is not required, optional or resource.")
        out[key].append(
            {"name": box.get("name") or "", "email": address, "response": "Unknown", "last_response": None}
        )
    return out


def to_fields(event: dict[str, Any]) -> dict[str, Any]:
    """The store fields an event body sets (only the properties it carries)."""
    out: dict[str, Any] = {}
    simple = {
        "subject": ("item:Subject", str),
        "isAllDay": ("calendar:IsAllDayEvent", bool),
        "categories": ("item:Categories", list),
        "isReminderOn": ("item:ReminderIsSet", bool),
        "reminderMinutesBeforeStart": ("item:ReminderMinutesBeforeStart", int),
        "responseRequested": ("calendar:IsResponseRequested", bool),
        "allowNewTimeProposals": ("calendar:AllowNewTimeProposal", bool),
    }
    for name, (key, kind) in simple.items():
        if name in event:
            out[key] = kind(event[name]) if event[name] is not None else None
    if "body" in event:
        body = event["body"] or {}
        kind = "HTML" if str(body.get("contentType", "text")).lower() == "html" else "Text"
        out["item:Body"] = {"type": kind, "text": body.get("content") or ""}
    if "location" in event:
        out["calendar:Location"] = (event["location"] or {}).get("displayName") or None
    for name, key, values in (
        ("showAs", "calendar:LegacyFreeBusyStatus", SHOW_AS),
        ("sensitivity", "item:Sensitivity", None),
        ("importance", "item:Importance", None),
    ):
        if name in event:
            text = str(event[name])
            found = next((k for k, v in values.items() if v == text), None) if values else text.capitalize()
            if not found:
                raise invalid(f"{name} {text!r} is not one of {', '.join(values or ())}.")
            out[key] = found
    for name, element in (("start", "StartTimeZone"), ("end", "EndTimeZone")):
        if name in event:
            moment, tz = parse_time(event[name], name)
            out[f"calendar:{name.capitalize()}"] = moment
            out[f"calendar:{element}"] = zone_xml(element, tz)
    if "attendees" in event:
        out.update(_people(event["attendees"] or []))
    if "recurrence" in event:
        out["calendar:Recurrence"] = recurrence_xml(event["recurrence"]) if event["recurrence"] else None
    for prop in event.get("singleValueExtendedProperties") or []:
        out[property_key(str(prop.get("id", "")))] = prop.get("value")
    if "isOnlineMeeting" in event or "onlineMeetingProvider" in event:
        provider = event.get("onlineMeetingProvider") or TEAMS
        if provider != TEAMS:
            raise invalid(f"onlineMeetingProvider {provider!r}: the sandbox makes {TEAMS} meetings only.")
        out[ONLINE] = {"provider": TEAMS} if event.get("isOnlineMeeting", True) else None
    return out


def with_join_url(fields: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    """An online meeting keeps its join link; a new one gets a link of the shape Teams gives."""
    online = fields.get(ONLINE)
    if not online or online.get("joinUrl"):
        return fields
    kept = (before.get(ONLINE) or {}).get("joinUrl")
    thread = uuid.uuid4().hex
    context = '{"Tid":"%s","Oid":"%s"}' % (uuid.uuid4(), uuid.uuid4())  # noqa: UP031
    url = kept or (
        f"https://teams.microsoft.com/l/meetup-join/19%3ameeting_{thread}%40thread.v2/0?context={quote(context)}"
    )
    return {**fields, ONLINE: {**online, "joinUrl": url}}


# -- fields → event JSON ------------------------------------------------------------------------------------


def _attendees(fields: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for kind, key in ATTENDEE_TYPES.items():
        for a in fields.get(key) or []:
            when = a.get("last_response")
            out.append(
                {
                    "type": kind,
                    "status": {
                        "response": RESPONSE.get(a.get("response") or "Unknown", "none"),
                        "time": format_instant(when) if when else "0001-01-01T00:00:00Z",
                    },
                    "emailAddress": {"name": a.get("name") or a["email"], "address": a["email"]},
                    **(
                        {
                            "proposedNewTime": {
                                "start": format_time(a["proposed"][0], UTC, "UTC"),
                                "end": format_time(a["proposed"][1], UTC, "UTC"),
                            }
                        }
                        if a.get("proposed")
                        else {}
                    ),
                }
            )
    return out


def to_event(
    item_id: str,
    change_key: str,
    fields: dict[str, Any],
    tz_name: str = "UTC",
    series_master: str | None = None,
    body_as: str | None = None,
) -> dict[str, Any]:
    """Every property of the event; `select` in `odata` picks from it. `body_as`: "html" or "text" (the
    body converted as Exchange converts it), None: as stored."""
    out_zone = zone(tz_name)
    start_zone = recurrence.zone_from_xml(fields.get("calendar:StartTimeZone"))
    organizer = fields.get("calendar:Organizer") or {}
    my_response = fields.get("calendar:MyResponseType") or "Unknown"
    kind = fields.get("calendar:CalendarItemType") or "Single"
    created = fields.get("item:DateTimeCreated")
    modified = fields.get("item:LastModifiedTime") or created
    event: dict[str, Any] = {
        "@odata.etag": f'W/"{change_key}"',
        "id": rest_id(item_id),
        "createdDateTime": format_timestamp(created) if created else None,
        "lastModifiedDateTime": format_timestamp(modified) if modified else None,
        "changeKey": change_key,
        "categories": list(fields.get("item:Categories") or []),
        "transactionId": fields.get("$transactionId"),
        "originalStartTimeZone": windows_id(start_zone),
        "originalEndTimeZone": windows_id(recurrence.zone_from_xml(fields.get("calendar:EndTimeZone"))),
        "iCalUId": fields.get("calendar:UID"),
        "reminderMinutesBeforeStart": int(fields.get("item:ReminderMinutesBeforeStart") or 0),
        "isReminderOn": bool(fields.get("item:ReminderIsSet")),
        "subject": fields.get("item:Subject") or "",
        "bodyPreview": rewrites.preview(fields.get("item:Body")),
        "importance": (fields.get("item:Importance") or "Normal").lower(),
        "sensitivity": (fields.get("item:Sensitivity") or "Normal").lower(),
        "isAllDay": bool(fields.get("calendar:IsAllDayEvent")),
        "isCancelled": bool(fields.get("calendar:IsCancelled")),
        "isOrganizer": my_response == "Organizer",
        "responseRequested": fields.get("calendar:IsResponseRequested") is not False,
        "allowNewTimeProposals": fields.get("calendar:AllowNewTimeProposal") is not False,
        "isDraft": bool(fields.get("calendar:IsMeeting"))
        and my_response == "Organizer"
        and not fields.get("calendar:MeetingRequestWasSent"),
        "seriesMasterId": rest_id(series_master) if series_master else None,
        "showAs": SHOW_AS.get(fields.get("calendar:LegacyFreeBusyStatus") or "Busy", "unknown"),
        "type": TYPE.get(kind, "singleInstance"),
        "responseStatus": {"response": RESPONSE.get(my_response, "none"), "time": "0001-01-01T00:00:00Z"},
        "body": body_json(fields, body_as),
        "start": format_time(fields["calendar:Start"], out_zone, tz_name),
        "end": format_time(fields["calendar:End"], out_zone, tz_name),
        "location": location_json(fields.get("calendar:Location") or ""),
        "locations": [location_json(fields["calendar:Location"])] if fields.get("calendar:Location") else [],
        "recurrence": patterned(fields["calendar:Recurrence"], windows_id(start_zone))
        if kind == "RecurringMaster" and fields.get("calendar:Recurrence")
        else None,
        "attendees": _attendees(fields),
        "organizer": {
            "emailAddress": {
                "name": organizer.get("name") or organizer.get("email", ""),
                "address": organizer.get("email", ""),
            }
        },
        "hasAttachments": False,
        "hideAttendees": False,
        "webLink": web_link(item_id),
        "onlineMeetingUrl": None,
        "isOnlineMeeting": bool(fields.get(ONLINE)),
        "onlineMeetingProvider": (fields.get(ONLINE) or {}).get("provider", "unknown"),
        "onlineMeeting": {"joinUrl": fields[ONLINE]["joinUrl"]} if fields.get(ONLINE) else None,
    }
    if kind in ("Occurrence", "Exception"):
        event["originalStart"] = format_instant(fields["calendar:OriginalStart"])
    event["singleValueExtendedProperties"] = extended_properties(fields)
    return event


def web_link(item_id: str) -> str:
    """Where Outlook on the web opens the item (the form Exchange Online answers)."""
    item = quote(item_id, safe="")
    return f"https://outlook.office365.com/owa/?itemid={item}&exvsurl=1&path=/calendar/item"


def extended_properties(fields: dict[str, Any]) -> list[dict[str, Any]]:
    """The item's single-valued extended properties as `singleValueExtendedProperties` (unset ones and
    multi-valued ones left out; values as strings, as Graph answers them)."""
    return [
        {"id": pid, "value": _property_text(value)}
        for key, value in fields.items()
        if (pid := property_id(key)) is not None and value is not None and not isinstance(value, list)
    ]


def _property_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_instant(value)
    return str(value)


def body_json(fields: dict[str, Any], body_as: str | None = None) -> dict[str, Any]:
    """The item's body as Graph's `itemBody`: as stored, or converted to `body_as` ("html" | "text")."""
    body = fields.get("item:Body") or {"type": "Text", "text": ""}
    kind, text = ("html" if body.get("type") == "HTML" else "text"), body.get("text") or ""
    if body_as == "html" and kind == "text":
        kind, text = "html", rewrites.text_to_html(text) if text else ""
    elif body_as == "text" and kind == "html":
        kind, text = "text", rewrites.html_to_text(text)
    return {"contentType": kind, "content": text}
