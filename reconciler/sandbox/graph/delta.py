"""`/users/{id}/calendarView/delta`: the events of a window, then only those that changed since a token.

As "event: delta" (v1.0) documents it: the first round needs `startDateTime` and `endDateTime` and answers
single instances, occurrences and exceptions of series (each with `seriesMasterId`), a page at a time
(`Prefer: odata.maxpagesize`) with `@odata.nextLink` carrying a `$skiptoken`, and on its last page an
`@odata.deltaLink` carrying a `$deltatoken`; a later round with that token answers what changed, and what is
gone as `{"id", "@removed": {"reason": "deleted"}}`. The window comes with the token. A change to a series
changes every instance of it. Tokens are `sandbox/sync.py`'s states over the window's instances.

Decided where the reference was not confirmed here: `$select` and `$expand` are refused (400; the page says
they are not supported with delta, so no extended property comes with a change), a token this server did not
give is 410 Gone with `SyncStateNotFound`, and a page holds 100 events unless the client prefers fewer.

Tokens expire as "Use delta query to track changes" says of Outlook entities: no fixed lifetime, a cache of
bounded size from which the oldest tokens are deleted once it is full. The sandbox keeps the newest `CACHE`
tokens of each mailbox's window (delta and skip tokens alike); an older one is 410 like an unknown one, and
the client synchronises again from the start.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import quote

from reconciler.sandbox import sync
from reconciler.sandbox.calendar_view import in_range
from reconciler.sandbox.context import Context
from reconciler.sandbox.graph import wire
from reconciler.sandbox.graph.errors import GraphError
from reconciler.sandbox.graph.request import Answer, GraphRequest
from reconciler.sandbox.store import Item

PAGE = 100
CACHE = 50
"""Tokens kept per mailbox and window (Microsoft's figure is not fixed: it depends on the cache's size)."""
_MAXPAGESIZE = re.compile(r"odata\.maxpagesize\s*=\s*(\d+)", re.I)


def handle(ctx: Context, request: GraphRequest, calendar: list[Item], window: Any) -> Answer:
    """`calendar`: the mailbox's calendar items; `window`: reads startDateTime/endDateTime (first round)."""
    params = {k.lower(): v for k, v in (request.query().params or {}).items()}
    if "$select" in params or "$expand" in params:
        raise GraphError(400, "ErrorInvalidUrlQuery", "$select and $expand are not supported with delta.")
    token = params.get("$deltatoken") or params.get("$skiptoken")
    try:
        if token:  # the window comes with the token
            scope = sync.scope_of(ctx.store, token)[0]
            mine, start_text, end_text = scope.split("|")
            if mine != f"calendarView:{ctx.mailbox}":
                raise sync.Unknown(token)
            start, end = datetime.fromisoformat(start_text), datetime.fromisoformat(end_text)
        else:
            start, end = window(request)
            scope = f"calendarView:{ctx.mailbox}|{start.isoformat()}|{end.isoformat()}"
        return _page(ctx, request, calendar, scope, start, end, token)
    except sync.Unknown:
        raise GraphError(410, "SyncStateNotFound", "The sync state generation is not found.") from None


def _page(
    ctx: Context,
    request: GraphRequest,
    calendar: list[Item],
    scope: str,
    start: datetime,
    end: datetime,
    token: str | None,
) -> Answer:
    rows = {
        item_id: (change_key, fields, master)
        for item_id, change_key, fields, master in in_range(calendar, start, end)
    }
    now = {item_id: change_key for item_id, (change_key, _, _) in rows.items()}
    preferred = _MAXPAGESIZE.search(request.headers.get("prefer", ""))
    limit = max(1, min(int(preferred.group(1)), 1000)) if preferred else PAGE
    changes = sync.page(ctx.store, scope, now, token, limit, keep=CACHE)
    value: list[dict[str, Any]] = [
        wire.to_event(i, rows[i][0], rows[i][1], request.zone(), rows[i][2], request.body_type())
        for i in (*changes.created, *changes.updated)
    ]
    value += [
        {"@odata.type": "#microsoft.graph.event", "id": wire.rest_id(i), "@removed": {"reason": "deleted"}}
        for i, _ in changes.deleted
    ]
    link = "@odata.deltaLink" if changes.complete else "@odata.nextLink"
    name = "$deltatoken" if changes.complete else "$skiptoken"
    body = {
        "@odata.context": f"{request.base}/$metadata#Collection(event)",
        "value": value,
        link: f"{request.base}/users/{ctx.mailbox}/calendarView/delta?{name}={quote(changes.state)}",
    }
    return Answer(200, body, request.preference_applied())
