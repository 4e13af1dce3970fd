"""`/users/{id}/calendar` and `/users/{id}/calendars`: the mailbox's one calendar, and the paths through it.

Graph reaches the same events by several paths; popular clients use the calendar-scoped ones
(`/calendar/events`, `/calendar/calendarView`, `/calendars/{id}/events`). A mailbox here has one calendar,
the default one (its id is the Calendar folder's), so those paths name the same collection as `/events`:
`route` rewrites them to it, and answers the calendar resource itself.
"""

from __future__ import annotations

from typing import Any

from reconciler.sandbox.context import Context
from reconciler.sandbox.graph import wire
from reconciler.sandbox.graph.errors import GraphError, not_supported
from reconciler.sandbox.graph.request import Answer, GraphRequest, page
from reconciler.sandbox.rights import EDIT

SCOPED = ("events", "calendarView")
"""What may follow a calendar in a path: the collections `/events` and `/calendarView` already answer."""


def calendar_json(ctx: Context) -> dict[str, Any]:
    folder_id, change_key = ctx.store.folder_id(ctx.mailbox, "calendar")
    return {
        "id": wire.rest_id(folder_id),
        "name": "Calendar",
        "color": "auto",
        "hexColor": "",
        "isDefaultCalendar": True,
        "changeKey": change_key,
        "canShare": True,
        "canViewPrivateItems": True,
        "canEdit": ctx.rights.allows("calendar", EDIT),
        "isRemovable": False,
        "isTallyingResponses": True,
        "allowedOnlineMeetingProviders": ["teamsForBusiness"],
        "defaultOnlineMeetingProvider": "teamsForBusiness",
        "owner": {"name": ctx.mailbox, "address": ctx.mailbox},
    }


def route(ctx: Context, request: GraphRequest, parts: list[str]) -> Answer | list[str]:
    """The calendar resource (an Answer), or the path it stands for under `/users/{id}/` (a list)."""
    if parts[0] == "calendars":
        if len(parts) == 1 and request.method == "GET":
            return page(request, [calendar_json(ctx)], f"users('{ctx.mailbox}')/calendars")
        if len(parts) >= 2 and wire.ews_id(parts[1]) != ctx.store.folder_id(ctx.mailbox, "calendar")[0]:
            raise GraphError(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        parts = ["calendar", *parts[2:]]
    if len(parts) == 1:
        if request.method != "GET":
            raise not_supported(request.method, request.path)
        body = {"@odata.context": f"{request.base}/$metadata#users('{ctx.mailbox}')/calendar/$entity"}
        return Answer(200, {**body, **request.query().shape(calendar_json(ctx))})
    if parts[1] in SCOPED:
        return parts[1:]
    return parts
