"""The apply lease over Graph: the same hidden record as over EWS, changed only by compare-and-swap.

The record is a message saved (never sent) in `msgfolderroot`, carrying the named property
`reconciler-lease` (see `ews/lease.py`); over Graph it is `mailFolders/msgfolderroot/messages`, filtered on
that property, and a write is a PATCH with `If-Match` on the ETag read: a stale one is answered 412, which
makes the write atomic. One lease serves both backends, so an EWS apply and a Graph apply exclude each other.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from reconciler.backends import marker
from reconciler.backends.base import LeaseConflict, LeaseItem
from reconciler.backends.graph.http import Call, GraphClient, GraphFailure
from reconciler.backends.graph.write import carrying, expanding, query_string

PROPERTY = marker.graph_id(marker.LEASE)


def _item(message: dict[str, Any]) -> LeaseItem:
    value = next(
        (
            p.get("value") or ""
            for p in message.get("singleValueExtendedProperties") or []
            if marker.graph_name(p.get("id")) == marker.LEASE
        ),
        "",
    )
    return LeaseItem(
        message["id"], message.get("changeKey") or "", value, message.get("createdDateTime") or ""
    )


def lease_items(client: GraphClient, user: str) -> list[LeaseItem]:
    folder = f"{user}/mailFolders/msgfolderroot/messages"
    query = query_string(
        {
            "$filter": carrying(marker.LEASE),
            "$select": "id,changeKey,createdDateTime",
            "$expand": expanding(marker.LEASE),
        }
    )
    found = client.pages(f"{folder}?{query}")
    if not found:
        body = {
            "subject": marker.LEASE_SUBJECT,
            "body": {"contentType": "text", "content": marker.LEASE_BODY},
            "singleValueExtendedProperties": [{"id": PROPERTY, "value": ""}],
        }
        reply = client.call(Call("POST", folder, body))
        if not reply.ok:
            raise GraphFailure(reply, folder)
        found = client.pages(f"{folder}?{query}")
    return [_item(m) for m in found]


def write_lease(client: GraphClient, user: str, item: LeaseItem, holder: str) -> LeaseItem:
    url = f"{user}/messages/{quote(item.item_id, safe='')}"
    body = {"singleValueExtendedProperties": [{"id": PROPERTY, "value": holder}]}
    reply = client.call(Call("PATCH", url, body, {"If-Match": f'W/"{item.version}"'}))
    if reply.status in (404, 412) or reply.code == "ErrorIrresolvableConflict":
        raise LeaseConflict(reply.message or f"HTTP {reply.status}")
    if not reply.ok:
        raise GraphFailure(reply, url)
    return LeaseItem(item.item_id, reply.body.get("changeKey") or "", holder, item.created)
