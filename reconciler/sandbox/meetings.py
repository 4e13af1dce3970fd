"""The meeting lifecycle across mailboxes, as Exchange runs it.

Invitations land as `MeetingRequest`s in each attendee's inbox with a tentative copy (same UID) in their
calendar; `...AndSaveCopy` keeps a copy in the organizer's Sent Items; updates bump the sequence number,
deliver a new request and mark older ones out of date; removed attendees get cancellations; responses go back
to the organizer and update that attendee's response on the organizer's item. Every delivered message is
recorded in `ctx.messages_sent` for the message-rate limit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from reconciler.sandbox.context import Context, ItemError
from reconciler.sandbox.occurrences import occurrence_fields, original
from reconciler.sandbox.store import Item

ATTENDEE_KEYS = ("calendar:RequiredAttendees", "calendar:OptionalAttendees", "calendar:Resources")
TIME_KEYS = {
    "calendar:Start",
    "calendar:End",
    "calendar:Recurrence",
    "calendar:StartTimeZone",
    "calendar:EndTimeZone",
    "calendar:IsAllDayEvent",
}
SEQUENCE_KEYS = TIME_KEYS | {"calendar:Location"}
COPIED = (
    "item:Subject",
    "item:Body",
    "item:Importance",
    "item:Sensitivity",
    "item:Categories",
    "calendar:UID",
    "calendar:Start",
    "calendar:End",
    "calendar:IsAllDayEvent",
    "calendar:Location",
    "calendar:Organizer",
    *ATTENDEE_KEYS,
    "calendar:Recurrence",
    "calendar:StartTimeZone",
    "calendar:EndTimeZone",
    "calendar:CalendarItemType",
    "calendar:AppointmentSequenceNumber",
    "calendar:IsResponseRequested",
    "calendar:AllowNewTimeProposal",
    "$deleted",
    "$modified",
)
RESPONSES = {
    "AcceptItem": ("Accept", "Pos", "Accepted"),
    "TentativelyAcceptItem": ("Tentative", "Tent", "Tentative"),
    "DeclineItem": ("Decline", "Neg", "Declined"),
}


def attendees(fields: dict[str, Any]) -> list[str]:
    return [a["email"] for key in ATTENDEE_KEYS for a in fields.get(key) or [] if a.get("email")]


def sends(option: str | None) -> bool:
    return bool(option) and option != "SendToNone"


def saves_copy(option: str | None) -> bool:
    return bool(option) and option.endswith("AndSaveCopy")


def _message(
    ctx: Context, organizer: Item, item_class: str, subject: str, recipients: list[str], extra: dict[str, Any]
) -> dict[str, Any]:
    fields = {k: organizer.fields[k] for k in COPIED if k in organizer.fields and not k.startswith("$")}
    fields.update(
        {
            "item:ItemClass": item_class,
            "item:Subject": subject,
            "item:DateTimeReceived": ctx.now,
            "item:DateTimeSent": ctx.now,
            "item:DateTimeCreated": ctx.now,
            "message:IsRead": False,
            "message:From": organizer.get("calendar:Organizer"),
            "message:Sender": organizer.get("calendar:Organizer"),
            **addressed(organizer.fields, recipients),
            "meeting:IsOutOfDate": False,
        }
    )
    fields.update(extra)
    return fields


def addressed(fields: dict[str, Any], recipients: list[str]) -> dict[str, list[dict[str, str]]]:
    """A meeting message's address lines as Exchange fills them (MS-OXOCAL recipient types): optional
    attendees in Cc, rooms and other resources in neither (they are Bcc recipients), everyone else in To
    (required attendees, and removed ones, who get their cancellation)."""
    names = {a.get("email"): a.get("name") for key in ATTENDEE_KEYS for a in fields.get(key) or []}
    optional = {a.get("email") for a in fields.get("calendar:OptionalAttendees") or []}
    resources = {a.get("email") for a in fields.get("calendar:Resources") or []}
    out: dict[str, list[dict[str, str]]] = {"message:ToRecipients": [], "message:CcRecipients": []}
    for address in recipients:
        if address in resources:
            continue
        line = "message:CcRecipients" if address in optional else "message:ToRecipients"
        out[line].append({"name": names.get(address) or address, "email": address})
    return {k: v for k, v in out.items() if v}


def _mark_out_of_date(ctx: Context, mailbox: str, uid: str) -> None:
    for old in ctx.store.by_uid(mailbox, uid):
        if (
            old.folder == "inbox"
            and old.get("item:ItemClass", "").startswith("IPM.Schedule.Meeting.Request")
            and not old.get("meeting:IsOutOfDate")
        ):
            old.fields["meeting:IsOutOfDate"] = True
            ctx.store.save(old)


def _copy(ctx: Context, mailbox: str, uid: str) -> Item | None:
    for item in ctx.store.by_uid(mailbox, uid):
        if item.folder == "calendar":
            return item
    return None


def deliver_request(
    ctx: Context,
    organizer: Item,
    recipients: list[str],
    kind: str,
    option: str,
    index: int | None = None,
    same_message: bool = False,
) -> None:
    """Send a meeting request (NewMeetingRequest | FullUpdate | InformationalUpdate) to `recipients`.

    `same_message`: these recipients are on the message just sent (an update to everyone, where added
    attendees see a new request), so it is not counted or copied to Sent Items a second time.
    """
    if not recipients:
        return
    uid = organizer.get("calendar:UID")
    occurrence = _occurrence(organizer, index)
    rooms = {a.get("email") for a in organizer.get("calendar:Resources") or []}
    for address in recipients:
        copy = _copy(ctx, address, uid)
        fields = {k: organizer.fields[k] for k in COPIED if k in organizer.fields}
        fields.update(
            {
                "item:ItemClass": "IPM.Appointment",
                "calendar:IsMeeting": True,
                "calendar:LegacyFreeBusyStatus": "Tentative",
                "calendar:IsCancelled": False,
                "item:DateTimeCreated": ctx.now,
            }
        )
        if copy is None:
            copy = ctx.store.add(
                address, "calendar", {**fields, "calendar:MyResponseType": "NoResponseReceived"}
            )
        else:
            keep = (
                copy.get("calendar:MyResponseType") if kind == "InformationalUpdate" else "NoResponseReceived"
            )
            copy.fields = {**fields, "calendar:MyResponseType": keep or "NoResponseReceived"}
            ctx.store.save(copy)
        _mark_out_of_date(ctx, address, uid)
        extra = {
            "meetingRequest:MeetingRequestType": kind,
            "meetingRequest:IntendedFreeBusyStatus": organizer.get("calendar:LegacyFreeBusyStatus", "Busy"),
            "meeting:ResponseType": "NoResponseReceived",
            "meeting:AssociatedCalendarItemId": {"id": copy.id, "change_key": copy.change_key},
            "calendar:MyResponseType": "NoResponseReceived",
            **occurrence,
        }
        request = ctx.store.add(
            address,
            "inbox",
            _message(
                ctx,
                organizer,
                "IPM.Schedule.Meeting.Request",
                organizer.get("item:Subject", ""),
                recipients,
                extra,
            ),
        )
        if address in rooms:  # its booking attendant answers once the organizer's side is done
            ctx.rooms_to_answer.append((organizer.id, address, request.id))
    if same_message:
        return
    _sent(
        ctx,
        organizer,
        "IPM.Schedule.Meeting.Request",
        organizer.get("item:Subject", ""),
        recipients,
        option,
        {"meetingRequest:MeetingRequestType": kind, **occurrence},
    )


def deliver_cancellation(
    ctx: Context,
    organizer: Item,
    recipients: list[str],
    option: str,
    index: int | None = None,
    text: str | None = None,
) -> Item | None:
    """Send a cancellation of the meeting (or of occurrence `index`) to `recipients`; the copy kept in Sent
    Items, if any."""
    if not recipients:
        return None
    uid = organizer.get("calendar:UID")
    subject = f"Canceled: {organizer.get('item:Subject', '')}"
    occurrence = _occurrence(organizer, index)
    extra: dict[str, Any] = {**occurrence}
    if text:
        extra["item:Body"] = {"type": "Text", "text": text}
    for address in recipients:
        copy = _copy(ctx, address, uid)
        if copy is not None:
            if index is None:
                copy.fields.update(
                    {
                        "calendar:IsCancelled": True,
                        "item:Subject": subject,
                        "calendar:LegacyFreeBusyStatus": "Free",
                    }
                )
            else:
                copy.fields["$deleted"] = sorted({*copy.get("$deleted", []), index})
                copy.fields["$modified"] = {
                    k: v for k, v in copy.get("$modified", {}).items() if k != str(index)
                }
            ctx.store.save(copy)
        _mark_out_of_date(ctx, address, uid)
        ctx.store.add(
            address,
            "inbox",
            _message(ctx, organizer, "IPM.Schedule.Meeting.Canceled", subject, recipients, extra),
        )
    return _sent(ctx, organizer, "IPM.Schedule.Meeting.Canceled", subject, recipients, option, extra)


def _occurrence(organizer: Item, index: int | None) -> dict[str, Any]:
    """Fields that make a message about one occurrence rather than the series."""
    if index is None:
        return {}
    fields = occurrence_fields(organizer, index)
    return {
        k: fields[k]
        for k in ("calendar:Start", "calendar:End", "calendar:Location", "calendar:RecurrenceId")
        if k in fields
    } | {"calendar:CalendarItemType": "Exception", "calendar:Recurrence": None}


def _sent(
    ctx: Context,
    organizer: Item,
    item_class: str,
    subject: str,
    recipients: list[str],
    option: str,
    extra: dict[str, Any],
) -> Item | None:
    """The organizer's side of a sent message: counted, and kept in Sent Items (returned) when asked."""
    ctx.messages_sent.append(organizer.mailbox)
    if not saves_copy(option):
        return None
    fields = _message(ctx, organizer, item_class, subject, recipients, extra)
    return ctx.store.add(organizer.mailbox, "sentitems", {k: v for k, v in fields.items() if v is not None})


# -- hooks called by the operations -------------------------------------------------------------------------


def after_create(ctx: Context, item: Item, option: str) -> None:
    people = attendees(item.fields)
    if people and sends(option):
        item.fields["calendar:MeetingRequestWasSent"] = True
        ctx.store.save(item)
        deliver_request(ctx, item, people, "NewMeetingRequest", option)


def after_update(
    ctx: Context, before: dict[str, Any], item: Item, option: str | None, index: int | None
) -> None:
    changed = {k for k in set(before) | set(item.fields) if before.get(k) != item.fields.get(k)}
    if index is None and changed & SEQUENCE_KEYS:
        item.fields["calendar:AppointmentSequenceNumber"] = (
            item.get("calendar:AppointmentSequenceNumber", 0) + 1
        )
        ctx.store.save(item)
    if not sends(option) or not item.get("calendar:IsMeeting", bool(attendees(item.fields))):
        return
    old, new = attendees(before), attendees(item.fields)
    added = [a for a in new if a not in old]
    removed = [a for a in old if a not in new]
    kind = "FullUpdate" if changed & TIME_KEYS or index is not None else "InformationalUpdate"
    if not before.get("calendar:MeetingRequestWasSent") and index is None:
        # A meeting saved without sending is sent now: everyone gets a new request, as when Outlook sends it.
        deliver_request(ctx, item, new, "NewMeetingRequest", option)
    elif "Changed" in (option or ""):
        deliver_request(ctx, item, added, "NewMeetingRequest", option, index)
    else:
        kept = [a for a in new if a in old]
        deliver_request(ctx, item, kept, kind, option, index)
        deliver_request(ctx, item, added, "NewMeetingRequest", option, index, same_message=bool(kept))
    if before.get("calendar:MeetingRequestWasSent"):
        deliver_cancellation(ctx, item, removed, option)
    if new:
        item.fields["calendar:MeetingRequestWasSent"] = True
        ctx.store.save(item)


def before_delete(
    ctx: Context, item: Item, option: str | None, index: int | None, text: str | None = None
) -> Item | None:
    """Cancellations for a meeting (or one occurrence) its organizer deletes or cancels; the copy kept in
    Sent Items, if any."""
    organizer = (item.get("calendar:Organizer") or {}).get("email")
    if organizer == item.mailbox and sends(option):
        return deliver_cancellation(ctx, item, attendees(item.fields), option, index, text)
    return None


def require_organizer(item: Item) -> None:
    """Only the organizer's own calendar item can be cancelled (the series, or one occurrence of it)."""
    organizer = (item.get("calendar:Organizer") or {}).get("email")
    if organizer != item.mailbox or item.folder != "calendar":
        raise ItemError("ErrorCalendarIsNotOrganizer", "Only the organizer can cancel the meeting.")


def cancel(ctx: Context, item: Item, option: str, text: str | None) -> Item | None:
    """`CancelCalendarItem`: organizer only; attendees get cancellations; the item goes to Deleted Items.
    Returns the cancellation kept in Sent Items, if any."""
    require_organizer(item)
    sent = before_delete(ctx, item, option, None, text)
    item.fields["calendar:IsCancelled"] = True
    ctx.move(item, "deleteditems")
    return sent


def _answer_copy(ctx: Context, copy: Item, response: str, index: int | None) -> Item | None:
    """The attendee's calendar copy after their answer (None when a decline took it away): the whole
    series, or one occurrence of it (declined: deleted from the copy; else an exception carrying it)."""
    busy = {"Accept": "Busy", "Tentative": "Tentative"}.get(response, "Free")
    if index is not None:
        modified = dict(copy.get("$modified", {}))
        if response == "Decline":
            copy.fields["$deleted"] = sorted({*copy.get("$deleted", []), index})
            modified.pop(str(index), None)
        else:
            occ = original(copy, index)
            entry = modified.get(str(index)) or {"start": occ.start, "end": occ.end, "fields": {}}
            fields = {**entry.get("fields", {}), "calendar:MyResponseType": response}
            modified[str(index)] = {**entry, "fields": {**fields, "calendar:LegacyFreeBusyStatus": busy}}
        copy.fields["$modified"] = modified
        return ctx.store.save(copy)
    copy.fields["calendar:MyResponseType"] = response
    copy.fields["calendar:LegacyFreeBusyStatus"] = busy
    if response == "Decline":
        ctx.move(copy, "deleteditems")
        return None
    return ctx.store.save(copy)


def respond(
    ctx: Context,
    kind: str,
    reference: Item,
    option: str,
    text: str | None = None,
    index: int | None = None,
    proposed: tuple[datetime, datetime] | None = None,
) -> list[Item]:
    """An attendee's Accept / Tentative / Decline of a request or calendar copy, or (`index`) of one
    occurrence of a series. Returns the items Exchange answers with ("Propose a new meeting time by using
    EWS"): the attendee's calendar item as answered, and the request, moved to Deleted Items (the response
    kept in Sent Items is not among them).

    An answer to one occurrence reaches the organizer as a response about that occurrence; it leaves the
    organizer's series-level tracking as it was (that records answers to the whole series).

    `proposed`: a new time the attendee proposes with the answer (MS-OXOCAL 3.1.4.8.4.1: not for a
    whole series, only where the organizer allows proposals), kept on the organizer's attendee entry and in
    the response it receives."""
    response, suffix, verb = RESPONSES[kind]
    uid = reference.get("calendar:UID")
    organizer_address = (reference.get("calendar:Organizer") or {}).get("email")
    if not uid or not organizer_address or organizer_address == ctx.mailbox:
        raise ItemError("ErrorInvalidOperation", "Only an attendee can respond to this item.")
    if proposed is not None:
        _may_propose(reference, index, proposed)
    made: list[Item] = []
    copy = _copy(ctx, ctx.mailbox, uid)
    if copy is not None:
        answered = _answer_copy(ctx, copy, response, index)
        made += [answered] if answered is not None else []
    if (
        index is None
        and reference.folder == "inbox"
        and reference.get("item:ItemClass", "").startswith("IPM.Schedule.Meeting.Request")
    ):
        reference.fields["meeting:ResponseType"] = response
        made.append(ctx.move(reference, "deleteditems"))
    if not option or option == "SaveOnly":
        return made
    for item in ctx.store.by_uid(organizer_address, uid) if index is None else []:
        if item.folder != "calendar":
            continue
        answer = {"response": response, "last_response": ctx.now, "proposed": proposed}
        for key in (k for k in ATTENDEE_KEYS if item.fields.get(k)):
            item.fields[key] = [
                {**a, **answer} if a.get("email") == ctx.mailbox else a for a in item.fields.get(key) or []
            ]
        ctx.store.save(item)
    me = {"name": ctx.mailbox, "email": ctx.mailbox}
    about = reference.fields if index is None else occurrence_fields(reference, index)
    fields = {
        k: about[k]
        for k in (
            "calendar:UID",
            "calendar:Start",
            "calendar:End",
            "calendar:Location",
            "calendar:RecurrenceId",
        )
        if k in about
    }
    fields.update(
        {
            "item:ItemClass": f"IPM.Schedule.Meeting.Resp.{suffix}",
            "item:Subject": f"{verb}: {reference.get('item:Subject', '').removeprefix('Canceled: ')}",
            "message:From": me,
            "message:Sender": me,
            "message:IsRead": False,
            "message:ToRecipients": [{"name": organizer_address, "email": organizer_address}],
            "meeting:ResponseType": response,
            "item:DateTimeReceived": ctx.now,
            "item:DateTimeSent": ctx.now,
        }
    )
    if text:
        fields["item:Body"] = {"type": "Text", "text": text}
    if proposed is not None:
        fields["meeting:ProposedStart"], fields["meeting:ProposedEnd"] = proposed
        fields["item:Subject"] = f"New Time Proposed: {reference.get('item:Subject', '')}"
    ctx.store.add(organizer_address, "inbox", fields)
    ctx.messages_sent.append(ctx.mailbox)
    if saves_copy(option):
        ctx.store.add(ctx.mailbox, "sentitems", dict(fields))
    return made


def _may_propose(reference: Item, index: int | None, proposed: tuple[datetime, datetime]) -> None:
    """Refuse a proposal the protocol does not allow (MS-OXOCAL 3.1.4.8.4.1): for a whole series, or when
    the organizer does not allow new times (AllowNewTimeProposal false); a time that ends before it starts."""
    if reference.get("calendar:AllowNewTimeProposal") is False:
        raise ItemError(
            "ErrorInvalidRequest", "The organizer does not allow new time proposals for this meeting."
        )
    if index is None and reference.get("calendar:Recurrence"):
        raise ItemError(
            "ErrorInvalidRequest",
            "A new time can be proposed for one occurrence of a series, not for the series.",
        )
    if proposed[1] <= proposed[0]:
        raise ItemError("ErrorInvalidRequest", "The proposed end must be later than the proposed start.")
