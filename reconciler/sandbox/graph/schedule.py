"""`/users/{id}/calendar/getSchedule`: free/busy of users and rooms, as Microsoft Graph answers it.

Shape as in Graph's reference ("calendar: getSchedule"): `{"value": [scheduleInformation]}`, one per
address asked for, in order, each with its `scheduleItems` (status busy, tentative, oof or
workingElsewhere; free time and cancelled meetings left out) and an `availabilityView` of one digit per
`availabilityViewInterval` minutes (0 free, 1 tentative, 2 busy, 3 oof, 4 working elsewhere). Times come in
the zone `Prefer: outlook.timezone` names, UTC otherwise. Item details (subject, location) are left out, as
for a room whose details the caller may not see. At most 100 schedules and 62 days (not confirmed in
Graph's reference: the sandbox's choice, above what a plan asks).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from reconciler.sandbox.calendar_view import in_range
from reconciler.sandbox.context import Context
from reconciler.sandbox.graph import wire
from reconciler.sandbox.graph.errors import GraphError, invalid
from reconciler.sandbox.graph.request import Answer, GraphRequest

STATUS = {"Tentative": "tentative", "Busy": "busy", "OOF": "oof", "WorkingElsewhere": "workingElsewhere"}
DIGIT = {"tentative": "1", "busy": "2", "oof": "3", "workingElsewhere": "4"}
MAX_SCHEDULES = 100
MAX_WINDOW = timedelta(days=62)


def get_schedule(ctx: Context, request: GraphRequest) -> Answer:
    body = request.json_body()
    schedules = [str(s).strip().lower() for s in body.get("schedules") or []]
    if not schedules:
        raise invalid("schedules needs at least one address.")
    if len(schedules) > MAX_SCHEDULES:
        raise invalid(f"At most {MAX_SCHEDULES} schedules per request.")
    start, _ = wire.parse_time(body.get("startTime"), "startTime")
    end, _ = wire.parse_time(body.get("endTime"), "endTime")
    if end <= start or end - start > MAX_WINDOW:
        raise GraphError(
            400, "ErrorInvalidTimeInterval", "The time window must be positive and at most 62 days."
        )
    step = timedelta(minutes=int(body.get("availabilityViewInterval") or 30))
    tz_name = request.zone()
    zone = wire.zone(tz_name)
    value = []
    for address in schedules:
        items = [
            i
            for i in ctx.store.items(address, "calendar")
            if not i.get("calendar:IsCancelled") and i.get("item:ItemClass") == "IPM.Appointment"
        ]
        spans = [
            (fields["calendar:Start"], fields["calendar:End"], status, fields.get("item:Sensitivity"))
            for _, _, fields, _ in in_range(items, start, end)
            if (status := STATUS.get(fields.get("calendar:LegacyFreeBusyStatus") or "Busy"))
        ]
        found: list[dict[str, Any]] = [
            {
                "isPrivate": sensitivity == "Private",
                "status": status,
                "start": wire.format_time(begin, zone, tz_name),
                "end": wire.format_time(finish, zone, tz_name),
            }
            for begin, finish, status, sensitivity in spans
        ]
        view = []
        slot = start
        while slot < end:
            digits = [
                DIGIT[status] for begin, finish, status, _ in spans if begin < slot + step and slot < finish
            ]
            view.append(max(digits, default="0"))
            slot += step
        value.append({"scheduleId": address, "availabilityView": "".join(view), "scheduleItems": found})
    context = f"{request.base}/$metadata#Collection(microsoft.graph.scheduleInformation)"
    return Answer(200, {"@odata.context": context, "value": value}, request.preference_applied())
