"""The reconciler's own records over Graph (the apply lease, the baseline): events in the calendar.

The same appointments as over EWS (`marker.RECORD_START` says why the calendar and what they look like):
created with `POST /users/{id}/events` (no attendees: nobody is invited) and changed only by a PATCH with
`If-Match` on the version read, which Graph answers 412 when it is stale: a compare-and-swap. Where older
versions kept them (messages in `mailFolders/msgfolderroot`, which need Mail.* permissions) is read and
cleared here too, where the app's permissions allow.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from reconciler.backends import marker
from reconciler.backends.graph.http import Call, GraphClient, GraphFailure, Reply
from reconciler.backends.graph.write import query_string

LEGACY = f"mailFolders/{marker.LEGACY_FOLDER}/messages"
DENIED = 403


def found(user: str, filter_: str, expand: str) -> Call:
    """The records a `$filter` finds in the calendar, with the properties `expand` names."""
    query = query_string({"$filter": filter_, "$select": "id,changeKey,createdDateTime", "$expand": expand})
    return Call("GET", f"{user}/events?{query}")


def legacy(user: str, filter_: str, expand: str) -> Call:
    """The same, where an older version kept them as messages."""
    query = query_string({"$filter": filter_, "$select": "id,changeKey", "$expand": expand})
    return Call("GET", f"{user}/{LEGACY}?{query}")


def values(reply: Reply, what: str) -> list[dict[str, Any]]:
    if not reply.ok:
        raise GraphFailure(reply, what)
    return list(reply.body.get("value") or [])


def create(client: GraphClient, user: str, subject: str, body: str, props: dict[str, str]) -> dict[str, Any]:
    event = {
        "subject": subject,
        "body": {"contentType": "text", "content": body},
        "start": {"dateTime": marker.RECORD_START.rstrip("Z"), "timeZone": "UTC"},
        "end": {"dateTime": marker.RECORD_END.rstrip("Z"), "timeZone": "UTC"},
        "showAs": "free",
        "sensitivity": "private",
        "isReminderOn": False,
        "singleValueExtendedProperties": [{"id": marker.graph_id(k), "value": v} for k, v in props.items()],
    }
    url = f"{user}/events"
    reply = client.call(Call("POST", url, event))
    if not reply.ok:
        raise GraphFailure(reply, url)
    return dict(reply.body)


def swap(client: GraphClient, user: str, item_id: str, version: str, props: dict[str, str]) -> Reply:
    """PATCH `props` on the record under `If-Match`; the reply (412 when `version` is stale)."""
    url = f"{user}/events/{quote(item_id, safe='')}"
    body = {
        "singleValueExtendedProperties": [{"id": marker.graph_id(k), "value": v} for k, v in props.items()]
    }
    return client.call(Call("PATCH", url, body, {"If-Match": f'W/"{version}"'}))


def remove_legacy(client: GraphClient, user: str, ids: list[str]) -> bool:
    """Delete older records (found by their marker); False when the app may not (no Mail.ReadWrite)."""
    for item_id in ids:
        reply = client.call(Call("DELETE", f"{user}/messages/{quote(item_id, safe='')}"))
        if reply.status == DENIED:
            return False
        if not reply.ok and reply.status != 404:
            raise GraphFailure(reply, "the older record")
    return True
