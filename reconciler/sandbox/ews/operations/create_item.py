"""CreateItem: calendar items and messages, cancellations (`CancelCalendarItem`) and meeting responses.

As on Exchange, a calendar item needs `SendMeetingInvitations`; the organizer's item gets IsMeeting,
MyResponseType Organizer, a UID (kept when supplied, so a re-created meeting re-attaches to attendees'
copies) and sequence number 0, and invitations go out through the meeting lifecycle. A calendar item given
no `StartTimeZone` takes the zone of the request's `TimeZoneContext` header (what the EWS Managed API sends
by default), so its series expands in that zone ("Time zones and EWS"); with neither, UTC.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from lxml import etree

from reconciler.sandbox import calendar_items, meetings, recurrence
from reconciler.sandbox.context import ItemError
from reconciler.sandbox.ews import mime_content, soap
from reconciler.sandbox.ews.context import EwsContext
from reconciler.sandbox.ews.items import id_only, parse_datetime, parse_item
from reconciler.sandbox.ews.soap import local, m, t
from reconciler.sandbox.ews.targets import resolve
from reconciler.sandbox.recurrence import zone_from_xml
from reconciler.sandbox.rights import CREATE, EDIT
from reconciler.sandbox.types_xml import zone_element

CALENDAR_OPTIONS = {"SendToNone", "SendOnlyToAll", "SendToAllAndSaveCopy"}
CANCEL_OPTIONS = {"SendAndSaveCopy": "SendToAllAndSaveCopy", "SendOnly": "SendOnlyToAll"}
"""A cancellation's MessageDisposition as the meeting option it stands for (SaveOnly: nobody is told)."""


def _calendar_item(ctx: EwsContext, el: etree._Element, folder: str, option: str | None) -> str:
    if option not in CALENDAR_OPTIONS:
        raise ItemError(
            "ErrorSendMeetingInvitationsRequired",
            "The SendMeetingInvitations attribute is required for calendar items.",
        )
    ctx.require(folder, CREATE)
    invited = any(el.find(t(k)) is not None for k in ("RequiredAttendees", "OptionalAttendees", "Resources"))
    if option != "SendToNone" and invited:
        ctx.require_send()
    zone_el = el.find(t("StartTimeZone"))
    zone = zone_from_xml(etree.tostring(zone_el, encoding="unicode")) if zone_el is not None else ctx.zone
    fields = {**_from_mime(el), **parse_item(el, zone)}  # elements in the request win over the MIME
    fields.pop("item:MimeContent", None)  # read, not kept: GetItem renders it from the fields
    header_zone = ctx.request.time_zone
    if header_zone and "calendar:StartTimeZone" not in fields:  # Exchange keeps the request's zone
        fields["calendar:StartTimeZone"] = zone_element("StartTimeZone", header_zone)
        fields.setdefault("calendar:EndTimeZone", zone_element("EndTimeZone", header_zone))
    item = calendar_items.create(ctx, folder, fields, option or "SendToNone")
    return f'<t:CalendarItem><t:ItemId Id="{item.id}" ChangeKey="{item.change_key}"/></t:CalendarItem>'


def _from_mime(el: etree._Element) -> dict[str, Any]:
    """A calendar item given as iCalendar in `t:MimeContent` (DavMail creates events this way)."""
    mime = el.find(t("MimeContent"))
    if mime is None or not (mime.text or "").strip():
        return {}
    try:
        return mime_content.fields_from_ical(base64.b64decode(mime.text))
    except (ValueError, KeyError, recurrence.RecurrenceError) as exc:
        raise ItemError(
            "ErrorMimeContentConversionFailed", f"The MIME content could not be read: {exc}"
        ) from None


def _message(ctx: EwsContext, el: etree._Element, folder: str | None, disposition: str) -> str:
    ctx.require(folder or ("drafts" if disposition == "SaveOnly" else "sentitems"), CREATE)
    if disposition != "SaveOnly":
        ctx.require_send()
    fields = parse_item(el, ctx.zone)
    me = {"name": ctx.mailbox, "email": ctx.mailbox}
    fields = {
        "item:ItemClass": "IPM.Note",
        "item:DateTimeCreated": ctx.now,
        "message:From": me,
        "message:Sender": me,
        "message:IsRead": True,
        **fields,
    }
    if disposition == "SaveOnly":
        item = ctx.store.add(ctx.mailbox, folder or "drafts", fields)
        return f'<t:Message><t:ItemId Id="{item.id}" ChangeKey="{item.change_key}"/></t:Message>'
    for box in fields.get("message:ToRecipients") or []:
        ctx.store.add(
            box["email"], "inbox", {**fields, "message:IsRead": False, "item:DateTimeReceived": ctx.now}
        )
    ctx.messages_sent.append(ctx.mailbox)
    if disposition == "SendAndSaveCopy":
        ctx.store.add(ctx.mailbox, folder or "sentitems", fields)
    return ""


def _reply(ctx: EwsContext, el: etree._Element, disposition: str) -> str:
    """A response object: the organizer's CancelCalendarItem or an attendee's answer, of a whole series or
    (its ReferenceItemId an occurrence) of that occurrence alone ("Delete appointments in a recurring series
    by using EWS"). An answer is answered with the items it made, as Exchange 2013+ does and the Managed
    API's CalendarActionResults reads them: the attendee's calendar item and the request it moved to Deleted
    Items ("Propose a new meeting time by using EWS"); a cancellation with the message kept in Sent Items
    (none with SaveOnly or SendOnly)."""
    ref = el.find(t("ReferenceItemId"))
    if ref is None:
        raise ItemError("ErrorInvalidRequest", "A response item needs a ReferenceItemId.")
    target = resolve(ctx, ref)
    ctx.require(target.item.folder, EDIT)
    if disposition != "SaveOnly":
        ctx.require_send()
    body = el.findtext(t("NewBodyContent")) or el.findtext(t("Body"))
    kind = local(el.tag)
    if kind == "CancelCalendarItem":
        option = CANCEL_OPTIONS.get(disposition, "SendToNone")
        meetings.require_organizer(target.item)
        if target.index is None:
            made = [meetings.cancel(ctx, target.item, option, body)]
        else:
            made = [calendar_items.remove_occurrence(ctx, target.item, target.index, option, body)]
    else:
        made = meetings.respond(ctx, kind, target.item, disposition, body, target.index, _proposed(el))
    return "".join(id_only(i.id, i.change_key, i.fields) for i in made if i is not None)


def _proposed(el: etree._Element) -> tuple[datetime, datetime] | None:
    """An answer's ProposedStart and ProposedEnd ("Propose a new meeting time by using EWS"): both or none."""
    start, end = el.findtext(t("ProposedStart")), el.findtext(t("ProposedEnd"))
    if start is None and end is None:
        return None
    if not start or not end:
        raise ItemError("ErrorInvalidRequest", "A proposal needs both ProposedStart and ProposedEnd.")
    return parse_datetime(start), parse_datetime(end)


def handle(ctx: EwsContext) -> list[str]:
    op = ctx.request.operation
    option = op.get("SendMeetingInvitations")
    disposition = op.get("MessageDisposition", "SaveOnly")
    saved = op.find(m("SavedItemFolderId"))
    folder = ctx.folder(saved[0])[1] if saved is not None and len(saved) else None
    out = []
    for el in op.find(m("Items")):
        try:
            kind = local(el.tag)
            if kind == "CalendarItem":
                xml = _calendar_item(ctx, el, folder or "calendar", option)
            elif kind == "Message":
                xml = _message(ctx, el, folder, disposition)
            elif kind in ("CancelCalendarItem", *meetings.RESPONSES):
                xml = _reply(ctx, el, disposition)
            else:
                raise ItemError(
                    "ErrorInvalidRequest", f"Creating {kind} items is not supported by the sandbox."
                )
            out.append(soap.success("CreateItem", f"<m:Items>{xml}</m:Items>"))
        except ItemError as exc:
            out.append(soap.error("CreateItem", exc.code, exc.text, "<m:Items/>"))
    return out
