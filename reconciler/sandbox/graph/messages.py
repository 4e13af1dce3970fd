"""`/users/{id}/mailFolders/{folder}/messages`, `/users/{id}/messages` (every mail folder's) and
`/users/{id}/messages/{id}`: saved messages, and the meeting messages a folder holds.

Enough of the message resource for what a client keeps in a mailbox without sending it (the apply lease and
the baseline record): list with `$filter` on an extended property or the subject, create (a draft-like saved
item, never sent), read, and PATCH under `If-Match` (a stale ETag is 412, which makes it a compare-and-swap).
Meeting requests, cancellations and responses are listed as `eventMessage`s (read-only here).
"""

from __future__ import annotations

from typing import Any

from reconciler.sandbox.context import Context
from reconciler.sandbox.graph import wire
from reconciler.sandbox.graph.errors import GraphError, not_found, not_supported
from reconciler.sandbox.graph.events import check_version
from reconciler.sandbox.graph.request import Answer, GraphRequest, page
from reconciler.sandbox.store import DISTINGUISHED, Item

MEETING_MESSAGES = {
    "IPM.Schedule.Meeting.Request": "meetingRequest",
    "IPM.Schedule.Meeting.Canceled": "meetingCancelled",
    "IPM.Schedule.Meeting.Resp.Pos": "meetingAccepted",
    "IPM.Schedule.Meeting.Resp.Tent": "meetingTenativelyAccepted",
    "IPM.Schedule.Meeting.Resp.Neg": "meetingDeclined",
}
"""Meeting messages listed as Graph's `eventMessage` (`meetingMessageType`, Graph's own spelling)."""


def message_json(item: Item) -> dict[str, Any]:
    created = item.get("item:DateTimeCreated")
    sender = item.get("message:From") or {}
    out = {
        "@odata.etag": f'W/"{item.change_key}"',
        "id": wire.rest_id(item.id),
        "changeKey": item.change_key,
        "createdDateTime": wire.format_timestamp(created) if created else None,
        "subject": item.get("item:Subject") or "",
        "body": wire.body_json(item.fields),
        "isDraft": item.get("item:ItemClass") == "IPM.Note",
        "singleValueExtendedProperties": wire.extended_properties(item.fields),
    }
    if sender:
        out["from"] = {"emailAddress": {"name": sender.get("name") or "", "address": sender.get("email", "")}}
    kind = MEETING_MESSAGES.get(item.get("item:ItemClass") or "")
    if kind:
        out["@odata.type"] = "#microsoft.graph.eventMessage"
        out["meetingMessageType"] = kind
    return out


def _fields(body: dict[str, Any]) -> dict[str, Any]:
    out = {
        k: v
        for k, v in wire.to_fields(body).items()
        if k.startswith("ext:") or k in ("item:Subject", "item:Body")
    }
    return out


def _listed(ctx: Context, folders: list[str]) -> list[dict[str, Any]]:
    """The messages of the folders: saved ones and meeting messages."""
    return [
        message_json(i)
        for folder in folders
        for i in ctx.store.items(ctx.mailbox, folder)
        if i.get("item:ItemClass") == "IPM.Note" or i.get("item:ItemClass") in MEETING_MESSAGES
    ]


def _message(ctx: Context, message_id: str, method: str) -> Item:
    """A saved message, or (to read) a meeting message."""
    item = ctx.item(wire.ews_id(message_id))
    kind = item.get("item:ItemClass")
    if kind != "IPM.Note" and not (method == "GET" and kind in MEETING_MESSAGES):
        raise not_found()
    return item


def handle(ctx: Context, request: GraphRequest, parts: list[str]) -> Answer:
    method = request.method
    if len(parts) == 3 and parts[0] == "mailFolders" and parts[2] == "messages":
        folder = parts[1].lower()
        if folder not in DISTINGUISHED:
            raise GraphError(
                404, "ErrorFolderNotFound", f"The folder {parts[1]!r} is not a well-known folder."
            )
        if method == "GET":
            rows = _listed(ctx, [folder])
            return page(request, rows, f"users('{ctx.mailbox}')/mailFolders('{folder}')/messages")
        if method == "POST":
            fields = {
                "item:ItemClass": "IPM.Note",
                "item:DateTimeCreated": ctx.now,
                "message:IsRead": True,
                **_fields(request.json_body()),
            }
            return Answer(201, message_json(ctx.store.add(ctx.mailbox, folder, fields)))
    if parts == ["messages"] and method == "GET":
        mail = [name for name, (_, kind, _) in DISTINGUISHED.items() if kind == "IPF.Note"]
        return page(request, _listed(ctx, mail), f"users('{ctx.mailbox}')/messages")
    if len(parts) == 2 and parts[0] == "messages":
        item = _message(ctx, parts[1], method)
        if method == "GET":
            return Answer(200, request.query().shape(message_json(item)))
        if method == "PATCH":
            check_version(request, item)
            item.fields.update(_fields(request.json_body()))
            ctx.store.save(item)
            return Answer(200, message_json(item))
    raise not_supported(method, request.path)
