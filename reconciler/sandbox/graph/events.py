"""`/users/{id}/events`, `/events/{id}`, `/events/{id}/cancel`, `/instances` and the attendee's `accept`,
`tentativelyAccept` and `decline`.

Create always sends invitations when the event has attendees (Graph has no silent create). A PATCH sends
updates when meeting fields change (subject, body, times, location, attendees, recurrence): to everyone, or
only to added and removed attendees when attendees alone changed; a PATCH of other properties (extended
properties, categories, reminder) sends nothing. A meeting saved without being sent (created over EWS with
SendToNone: `isDraft`) is sent by a PATCH of its meeting fields. DELETE by the organizer cancels without a
comment; `cancel` carries one. `transactionId` makes a repeated create answer the event the first one
made. An `If-Match` that names an older version is refused with 412.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from reconciler.sandbox import calendar_items, meetings
from reconciler.sandbox.calendar_view import in_range
from reconciler.sandbox.context import Context, ItemError
from reconciler.sandbox.graph import delta, wire
from reconciler.sandbox.graph.errors import GraphError, invalid, not_supported
from reconciler.sandbox.graph.request import Answer, GraphRequest, page
from reconciler.sandbox.occurrences import Target, by_id, occurrence_fields, occurrence_id
from reconciler.sandbox.store import Item

SEND_ALL = "SendToAllAndSaveCopy"
RESPONSES = {"accept": "AcceptItem", "tentativelyAccept": "TentativelyAcceptItem", "decline": "DeclineItem"}
"""Graph's response actions and the EWS response each stands for."""
MEETING_KEYS = {
    "item:Subject",
    "item:Body",
    "calendar:Location",
    "calendar:Recurrence",
    *meetings.TIME_KEYS,
    *meetings.ATTENDEE_KEYS,
}


def event_json(request: GraphRequest, target: Target) -> dict[str, Any]:
    """One event as answered on its own (GET, POST, PATCH): with its `@odata.context`."""
    item, index = target.item, target.index
    context = {"@odata.context": f"{request.base}/$metadata#users('{item.mailbox}')/events/$entity"}
    event_id, fields, master = item.id, item.fields, None
    if index is not None:
        event_id, fields, master = occurrence_id(item.id, index), occurrence_fields(item, index), item.id
    event = wire.to_event(event_id, item.change_key, fields, request.zone(), master, request.body_type())
    return {**context, **event}


def _calendar(ctx: Context) -> list[Item]:
    return [
        i for i in ctx.store.items(ctx.mailbox, "calendar") if i.get("item:ItemClass") == "IPM.Appointment"
    ]


def _target(ctx: Context, event_id: str) -> Target:
    target = by_id(ctx, wire.ews_id(event_id))
    if target.item.get("item:ItemClass") != "IPM.Appointment":
        raise ItemError("ErrorItemNotFound", "The specified object was not found in the store.")
    return target


def list_events(ctx: Context, request: GraphRequest) -> Answer:
    rows = [
        wire.to_event(i.id, i.change_key, i.fields, request.zone(), None, request.body_type())
        for i in _calendar(ctx)
    ]
    return page(request, rows, f"users('{ctx.mailbox}')/events")


def create_event(ctx: Context, request: GraphRequest) -> Answer:
    body = request.json_body()
    transaction = body.get("transactionId")
    if transaction:
        for item in _calendar(ctx):
            if item.get("$transactionId") == transaction:  # a retried create: the event it made
                return Answer(201, event_json(request, Target(item)))
    fields = wire.with_join_url(wire.to_fields(body), {})
    if "calendar:Start" not in fields or "calendar:End" not in fields:
        raise invalid("An event needs start and end.")
    extra = {"$transactionId": transaction} if transaction else None
    item = calendar_items.create(ctx, "calendar", fields, SEND_ALL, extra)
    return Answer(201, event_json(request, Target(item)))


def check_version(request: GraphRequest, item: Item) -> None:
    wanted = request.headers.get("if-match")
    if wanted and wanted != "*" and wanted.strip().removeprefix("W/").strip('"') != item.change_key:
        raise GraphError(
            412,
            "ErrorIrresolvableConflict",
            "The send or update operation could not be performed because the change key passed in the "
            "request does not match the current change key for the item.",
        )


def update_event(ctx: Context, request: GraphRequest, target: Target) -> Answer:
    body = request.json_body()
    check_version(request, target.item)
    if target.index is not None and "recurrence" in body:
        raise invalid("The recurrence of an occurrence cannot be set; change the series master.")
    given = wire.with_join_url(wire.to_fields(body), target.item.fields)
    base = occurrence_fields(target.item, target.index) if target.index is not None else target.item.fields
    changed = {k: v for k, v in {**base, **given}.items() if v is not None}
    changed = calendar_items.stored(ctx, changed, set(given))  # what changes is what the server keeps
    given = {k: changed.get(k) for k in given}
    differs = {k for k in given if base.get(k) != changed.get(k)}
    resets = set(given) & calendar_items.RESETS_EXCEPTIONS
    if target.index is None and resets and (target.item.get("$deleted") or target.item.get("$modified")):
        differs |= resets  # the exceptions go: attendees hear of it
    meeting = differs & MEETING_KEYS
    draft = target.index is None and not target.item.get("calendar:MeetingRequestWasSent")
    if draft and set(given) & MEETING_KEYS and meetings.attendees(changed):
        meeting |= {"item:Subject"}  # a meeting saved unsent is sent when its meeting fields are PATCHed
    option = (
        "SendToNone"
        if not meeting
        else "SendToChangedAndSaveCopy"
        if meeting <= set(meetings.ATTENDEE_KEYS)
        else SEND_ALL
    )
    item = calendar_items.update(ctx, target, changed, set(given), option, rewritten=True)
    return Answer(200, event_json(request, Target(item, target.index)))


def delete_event(ctx: Context, request: GraphRequest, target: Target, comment: str | None = None) -> Answer:
    item = target.item
    if target.index is not None:
        calendar_items.remove_occurrence(ctx, item, target.index, SEND_ALL, comment)
    else:
        meetings.before_delete(ctx, item, SEND_ALL, None, comment)
        ctx.move(item, "deleteditems")
    return Answer(204)


def cancel_event(ctx: Context, request: GraphRequest, target: Target) -> Answer:
    body = request.body if isinstance(request.body, dict) else {}
    comment = body.get("Comment") or body.get("comment")
    organizer = (target.item.get("calendar:Organizer") or {}).get("email")
    if organizer != ctx.mailbox:
        raise GraphError(
            400,
            "ErrorAccessDenied",
            "Your request can't be completed. You need to be an organizer to cancel a meeting.",
        )
    if target.index is None:
        meetings.cancel(ctx, target.item, SEND_ALL, comment)
        return Answer(202)
    delete_event(ctx, request, target, comment)
    return Answer(202)


def respond(ctx: Context, request: GraphRequest, target: Target, kind: str) -> Answer:
    """`accept` / `tentativelyAccept` / `decline` of an event or one occurrence: the attendee's answer, sent
    to the organizer unless `sendResponse` is false; 202 with no body, as Graph answers."""
    body = request.body if isinstance(request.body, dict) else {}
    organizer = (target.item.get("calendar:Organizer") or {}).get("email")
    if organizer == ctx.mailbox:
        raise GraphError(
            400,
            "ErrorInvalidRequest",
            "Your request can't be completed. You can't respond to your own meeting.",
        )
    option = "SendAndSaveCopy" if body.get("sendResponse", True) is not False else "SaveOnly"
    proposed = None
    if body.get("proposedNewTime") is not None:  # "tentativelyAccept" and "decline" take one; "accept" not
        if kind == RESPONSES["accept"]:
            raise invalid("proposedNewTime is taken by tentativelyAccept and decline, not by accept.")
        slot = body["proposedNewTime"] if isinstance(body["proposedNewTime"], dict) else {}
        proposed = (
            wire.parse_time(slot.get("start"), "proposedNewTime.start")[0],
            wire.parse_time(slot.get("end"), "proposedNewTime.end")[0],
        )
    meetings.respond(ctx, kind, target.item, option, body.get("comment") or None, target.index, proposed)
    return Answer(202)


def window(request: GraphRequest) -> tuple[datetime, datetime]:
    params = {k.lower(): v for k, v in (request.query().params or {}).items()}
    try:
        start = _instant(params["startdatetime"])
        end = _instant(params["enddatetime"])
    except (KeyError, ValueError):
        raise GraphError(
            400,
            "ErrorInvalidParameter",
            "This request requires a time window specified by the query string parameters StartDateTime and "
            "EndDateTime.",
        ) from None
    if end <= start:
        raise GraphError(400, "ErrorInvalidParameter", "EndDateTime must be later than StartDateTime.")
    return start, end


def _instant(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def instances(ctx: Context, request: GraphRequest, target: Target) -> Answer:
    start, end = window(request)
    if target.index is not None:
        raise invalid("instances is answered for a series master, not for an occurrence.")
    rows = [
        wire.to_event(item_id, change_key, fields, request.zone(), master, request.body_type())
        for item_id, change_key, fields, master in in_range([target.item], start, end)
        if master is not None
    ]
    return page(request, rows, f"users('{ctx.mailbox}')/events('{wire.rest_id(target.item.id)}')/instances")


def calendar_view(ctx: Context, request: GraphRequest) -> Answer:
    start, end = window(request)
    rows = [
        wire.to_event(item_id, change_key, fields, request.zone(), master, request.body_type())
        for item_id, change_key, fields, master in in_range(_calendar(ctx), start, end)
    ]
    return page(request, rows, f"users('{ctx.mailbox}')/calendarView")


def handle(ctx: Context, request: GraphRequest, parts: list[str]) -> Answer:
    """`parts`: the path after `/users/{id}/`, beginning with `events` or `calendarView`."""
    method = request.method
    if parts == ["calendarView"] and method == "GET":
        return calendar_view(ctx, request)
    if parts == ["calendarView", "delta"] and method == "GET":
        return delta.handle(ctx, request, _calendar(ctx), window)
    if parts == ["events"]:
        if method == "GET":
            return list_events(ctx, request)
        if method == "POST":
            return create_event(ctx, request)
    elif len(parts) >= 2 and parts[0] == "events":
        target = _target(ctx, parts[1])
        rest = parts[2:]
        if not rest:
            if method == "GET":
                event = request.query().shape(event_json(request, target))
                return Answer(200, event, request.preference_applied())
            if method == "PATCH":
                return update_event(ctx, request, target)
            if method == "DELETE":
                return delete_event(ctx, request, target)
        elif rest == ["cancel"] and method == "POST":
            return cancel_event(ctx, request, target)
        elif rest == ["instances"] and method == "GET":
            return instances(ctx, request, target)
        elif len(rest) == 1 and rest[0] in RESPONSES and method == "POST":
            return respond(ctx, request, target, RESPONSES[rest[0]])
    raise not_supported(method, request.path)
