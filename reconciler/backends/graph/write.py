"""A `Write` as the Graph request that carries it out. Pure: no requests.

Create: `POST /users/{organizer}/events` with the marker and a `transactionId` derived from namespace,
key and spec hash (a create retried after a lost answer returns the first event). Update, restore, adopt,
invite: `PATCH` of the properties carrying the changed model fields plus the marker, with `If-Match` on the
version the plan saw. Skip: `DELETE` of the occurrence; move: `PATCH` of its start, end and location (the
occurrence's id comes from an `instances` lookup, `occurrence_lookup`). Cancel: `POST .../cancel` with the
configured message, or `DELETE` where the plan sends nothing.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from reconciler.backends import marker
from reconciler.backends.base import Write
from reconciler.backends.graph.http import Call
from reconciler.backends.graph.mapping import event_json, local_time
from reconciler.desired.model import Meeting
from reconciler.desired.recurrence import occurrence_start

TRANSACTION_NAMESPACE = uuid.UUID("0b6f8a52-3f0e-4f7e-9a4f-6d1c2b7e5a31")
"""Fixed forever: transaction ids of creates derive from it."""
INVITE_FIELDS = ("subject", "start", "attendees", "recurrence", "location", "body")
"""What an invitation of a meeting saved unsent PATCHes: its meeting fields, which make Exchange send it."""


SAFE = "$,()'@:/"
"""Characters left as they are in query strings (OData reads them; Graph accepts them unescaped)."""


def query_string(params: dict[str, str]) -> str:
    return urlencode(params, quote_via=quote, safe=SAFE)


def carrying(name: str, value: str | None = None) -> str:
    """`$filter` for items carrying the marker property `name` (with `value`, or whatever its value)."""
    test = f"ep/id eq '{marker.graph_id(name)}'"
    if value is not None:
        test += " and ep/value eq '" + value.replace("'", "''") + "'"
    return f"singleValueExtendedProperties/any(ep: {test})"


def expanding(*names: str) -> str:
    """`$expand` of the marker properties `names`."""
    ids = " or ".join(f"id eq '{marker.graph_id(n)}'" for n in names)
    return f"singleValueExtendedProperties($filter={ids})"


def schedule_call(organizer: str, rooms: list[str], start: datetime, end: datetime) -> Call:
    """calendar/getSchedule for `rooms` between `start` and `end` (UTC)."""
    window = {
        "schedules": rooms,
        "startTime": {"dateTime": iso(start).rstrip("Z"), "timeZone": "UTC"},
        "endTime": {"dateTime": iso(end).rstrip("Z"), "timeZone": "UTC"},
        "availabilityViewInterval": 30,
    }
    return Call("POST", f"{user_path(organizer)}/calendar/getSchedule", window)


def user_path(mailbox: str) -> str:
    return f"/users/{quote(mailbox, safe='@')}"


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def transaction_id(write: Write) -> str:
    name = f"{write.marker.namespace}/{write.key}/{write.marker.spec_hash}"
    return str(uuid.uuid5(TRANSACTION_NAMESPACE, name))


def marker_properties(write: Write) -> list[dict[str, str]]:
    meeting = write.meeting
    values = {
        marker.NAMESPACE: write.marker.namespace,
        marker.KEY: write.marker.key,
        marker.SPEC_HASH: write.marker.spec_hash,
        marker.TIMEZONE: meeting.timezone if meeting else None,
    }
    return [{"id": marker.graph_id(k), "value": v} for k, v in values.items() if v is not None]


def moved(meeting: Meeting, day: date) -> dict[str, Any]:
    """The occurrence of `day` as the files want it (its override, or back where the pattern puts it)."""
    override = next((m for m in meeting.moves if m.date == day), None)
    start = (override.start if override else None) or occurrence_start(meeting, day)
    assert start is not None
    duration = (override.duration if override else None) or meeting.duration
    location = override.location if override and override.location is not None else meeting.location
    return {
        "start": local_time(start, meeting.timezone),
        "end": local_time(start + duration, meeting.timezone),
        "location": {"displayName": location or ""},
    }


def instances_call(organizer: str, item_id: str, start: datetime, end: datetime, **options: str) -> Call:
    """`GET .../events/{id}/instances` of a series in [start, end); `options`: `$select`, `$top`."""
    window = {
        "startDateTime": iso(start),
        "endDateTime": iso(end),
        **{f"${k}": v for k, v in options.items()},
    }
    return Call(
        "GET", f"{user_path(organizer)}/events/{quote(item_id, safe='')}/instances?{query_string(window)}"
    )


def occurrence_lookup(organizer: str, item_id: str, day: date, tz: str) -> Call:
    """The instances of a series around `day` (the occurrence's id is the one whose original date it is)."""
    zone = ZoneInfo(tz)
    start = datetime.combine(day - timedelta(days=1), time(), zone)
    end = datetime.combine(day + timedelta(days=2), time(), zone)
    return instances_call(organizer, item_id, start, end, select="originalStart,start")


def request_for(organizer: str, write: Write, occurrences: dict[tuple[str, date], str]) -> Call:
    """The request for `write`; ValueError when it addresses an occurrence the calendar does not have."""
    events = f"{user_path(organizer)}/events"
    if write.kind == "create":
        assert write.meeting is not None
        body = {
            **event_json(write.meeting),
            "singleValueExtendedProperties": marker_properties(write),
            "transactionId": transaction_id(write),
        }
        return Call("POST", events, body)
    item = f"{events}/{quote(write.item_id or '', safe='')}"
    if write.kind == "cancel":
        if write.send == "none":
            return Call("DELETE", item)
        return Call("POST", f"{item}/cancel", {"Comment": write.message or ""})
    if write.kind == "release":
        # Graph can create and read an extended property but not remove one (the resource documents only
        # Post and Get): the marker's values are emptied instead, and an empty key marks nothing.
        released = [{"id": marker.graph_id(name), "value": ""} for name in marker.MEETING_NAMES]
        version = {"If-Match": f'W/"{write.change_key}"'} if write.change_key else {}
        return Call("PATCH", item, {"singleValueExtendedProperties": released}, version)
    assert write.meeting is not None
    if write.kind in ("skip", "move"):
        assert write.occurrence is not None
        occurrence = occurrences.get((write.item_id or "", write.occurrence))
        if occurrence is None:
            raise ValueError(f"{write.occurrence} is not an occurrence of {write.key} in the calendar")
        target = f"{events}/{quote(occurrence, safe='')}"
        if write.kind == "skip":
            return Call("DELETE", target)
        return Call("PATCH", target, moved(write.meeting, write.occurrence))
    fields: tuple[str, ...] = write.fields
    if write.kind == "restore" and "recurrence" not in fields:
        fields += ("recurrence",)  # re-setting the pattern drops every exception
    if write.kind == "invite":
        fields = INVITE_FIELDS
    body = {**event_json(write.meeting, fields), "singleValueExtendedProperties": marker_properties(write)}
    version = {"If-Match": f'W/"{write.change_key}"'} if write.change_key else {}
    return Call("PATCH", item, body, version)
