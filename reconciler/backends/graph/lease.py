"""The apply lease over Graph: the same record as over EWS (`ews/lease.py`), changed only by compare-and-swap.

An event in the organizer's calendar carrying the named property `reconciler-lease` (`records.py`), found by
filtering on that property; a write is a PATCH with `If-Match` on the ETag read: a stale one is answered
412, which makes the write atomic. One lease serves both backends, so an EWS apply and a Graph apply exclude
each other.
"""

from __future__ import annotations

from typing import Any

from reconciler.backends import marker
from reconciler.backends.base import LeaseConflict, LeaseItem
from reconciler.backends.graph import records
from reconciler.backends.graph.http import GraphClient, GraphFailure
from reconciler.backends.graph.write import carrying, expanding


def _value(item: dict[str, Any]) -> str:
    props = item.get("singleValueExtendedProperties") or []
    return next((p.get("value") or "" for p in props if marker.graph_name(p.get("id")) == marker.LEASE), "")


def _item(event: dict[str, Any]) -> LeaseItem:
    return LeaseItem(
        event["id"], event.get("changeKey") or "", _value(event), event.get("createdDateTime") or ""
    )


def lease_items(client: GraphClient, user: str) -> list[LeaseItem]:
    call = records.found(user, carrying(marker.LEASE), expanding(marker.LEASE))
    found = records.values(client.call(call), "the apply lease")
    if not found:
        records.create(client, user, marker.LEASE_SUBJECT, marker.LEASE_BODY, {marker.LEASE: ""})
        found = records.values(client.call(call), "the apply lease")
    return [_item(e) for e in found]


def write_lease(client: GraphClient, user: str, item: LeaseItem, holder: str) -> LeaseItem:
    reply = records.swap(client, user, item.item_id, item.version, {marker.LEASE: holder})
    if reply.status in (404, 412) or reply.code == "ErrorIrresolvableConflict":
        raise LeaseConflict(reply.message or f"HTTP {reply.status}")
    if not reply.ok:
        raise GraphFailure(reply, "the apply lease")
    return LeaseItem(item.item_id, reply.body.get("changeKey") or "", holder, item.created)


def remove_legacy(client: GraphClient, user: str) -> None:
    """Delete the free lease messages an older version kept, where the app's permissions allow."""
    reply = client.call(records.legacy(user, carrying(marker.LEASE), expanding(marker.LEASE)))
    if reply.ok:
        free = [m["id"] for m in reply.body.get("value") or [] if not _value(m)]
        records.remove_legacy(client, user, free)
