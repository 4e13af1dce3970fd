"""The properties Exchange computes for an item rather than stores, as GetItem/FindItem answer them.

"GetItem operation (calendar item)" lists them in an AllProperties answer: ParentFolderId, DateTimeReceived,
Size, IsSubmitted, IsDraft, IsFromMe, IsResend, IsUnmodified, DateTimeSent, ReminderDueBy, DisplayTo,
DisplayCc, HasAttachments, Culture, and for calendar items Duration, AppointmentState and (GetItem only)
ConflictingMeetingCount / AdjacentMeetingCount, TimeZone and ResponseObjects. Decisions where the reference
is silent: Size is an estimate of the item's stored bytes; IsDraft is true for a saved message and for a
meeting saved without being sent; IsUnmodified and IsFromMe are false.

TimeZone is "a text description" of the start zone: the reference's sample answers the zone's standard
name ("Pacific Standard Time"), which for Windows zones is their id, so that is what the sandbox answers
(a server may give its localised display name instead; clients show it, none parses it).

ResponseObjects lists what the mailbox may do with the item. "Propose a new meeting time by using EWS"
shows a meeting request's (Accept, TentativelyAccept, Decline, ProposeNewTime when the organizer allows it,
Reply, ReplyAll, Forward) and "GetItem operation (calendar item)" an appointment's (Forward). Decided by
analogy: an attendee's calendar copy offers what its request does, the organizer's meeting adds
CancelCalendarItem, a cancellation (or a cancelled copy) offers RemoveItem, other messages Reply,
ReplyAll and Forward.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from reconciler.sandbox.calendar_view import in_range
from reconciler.sandbox.ews.time_zones import windows_id
from reconciler.sandbox.store import DISTINGUISHED, Item, Store

CULTURE = "en-US"
MEETING, RECEIVED, CANCELLED = 1, 2, 4
"""AppointmentState bits (MS-OXOCAL PidLidAppointmentStateFlags)."""


def duration(delta: timedelta) -> str:
    """An xs:duration: `PT30M`, `PT1H15M`, `P1D`, `P1DT2H`."""
    minutes = int(delta.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    clock = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    text = (f"{days}D" if days else "") + (f"T{clock}" if clock else "")
    return f"P{text or 'T0M'}"


def _names(people: list[dict[str, Any]] | None) -> str:
    return "; ".join(p.get("name") or p.get("email", "") for p in people or [])


NEIGHBOUR_KEYS = frozenset({"calendar:ConflictingMeetingCount", "calendar:AdjacentMeetingCount"})


def _parent(store: Store, item: Item) -> str:
    if item.folder in DISTINGUISHED:
        folder_id, change_key = store.folder_id(item.mailbox, item.folder)
        return f'<t:ParentFolderId Id="{folder_id}" ChangeKey="{change_key}"/>'
    return f'<t:ParentFolderId Id="{item.folder}"/>'


def _state(fields: dict[str, Any], mailbox: str) -> int:
    if not fields.get("calendar:IsMeeting"):
        return 0
    organizer = (fields.get("calendar:Organizer") or {}).get("email")
    state = MEETING | (RECEIVED if organizer and organizer != mailbox else 0)
    return state | (CANCELLED if fields.get("calendar:IsCancelled") else 0)


def _neighbours(store: Store, item: Item, fields: dict[str, Any]) -> dict[str, int]:
    """How many other busy items overlap this one, and how many touch it end to start."""
    start, end = fields["calendar:Start"], fields["calendar:End"]
    uid = fields.get("calendar:UID")
    near = in_range(store.items(item.mailbox, "calendar"), start, end + timedelta(microseconds=1), True)
    others = [
        f
        for _, _, f, _ in near
        if f.get("calendar:UID") != uid
        and f.get("calendar:LegacyFreeBusyStatus") != "Free"
        and not f.get("calendar:IsCancelled")
    ]
    adjacent = sum(1 for f in others if f["calendar:End"] == start or f["calendar:Start"] == end)
    return {
        "calendar:ConflictingMeetingCount": len(others) - adjacent,
        "calendar:AdjacentMeetingCount": adjacent,
    }


_REPLIES = ("ReplyToItem", "ReplyAllToItem", "ForwardItem")
_ANSWERS = ("AcceptItem", "TentativelyAcceptItem", "DeclineItem")


def _response_objects(fields: dict[str, Any], mailbox: str) -> str:
    """`t:ResponseObjects`: what `mailbox` may do with the item (see the module's docstring)."""
    item_class = fields.get("item:ItemClass") or ""
    organizer = (fields.get("calendar:Organizer") or {}).get("email")
    proposals = ("ProposeNewTime",) if fields.get("calendar:AllowNewTimeProposal", True) else ()
    if item_class == "IPM.Appointment" and not fields.get("calendar:IsMeeting"):
        offered: tuple[str, ...] = ("ForwardItem",)
    elif item_class == "IPM.Appointment" and organizer in (None, mailbox):
        offered = ("CancelCalendarItem", *_REPLIES)
    elif item_class.startswith("IPM.Schedule.Meeting.Canceled") or fields.get("calendar:IsCancelled"):
        offered = ("RemoveItem", *_REPLIES)
    elif item_class in ("IPM.Appointment", "IPM.Schedule.Meeting.Request"):
        offered = (*_ANSWERS, *proposals, *_REPLIES)
    else:
        offered = _REPLIES
    return f"<t:ResponseObjects>{''.join(f'<t:{name}/>' for name in offered)}</t:ResponseObjects>"


COMPUTED_KEYS = frozenset(
    {
        "item:ParentFolderId",
        "item:DateTimeReceived",
        "item:Size",
        "item:IsSubmitted",
        "item:IsDraft",
        "item:IsFromMe",
        "item:IsResend",
        "item:IsUnmodified",
        "item:DateTimeSent",
        "item:DisplayTo",
        "item:DisplayCc",
        "item:HasAttachments",
        "item:Culture",
        "item:ReminderDueBy",
        "item:ResponseObjects",
        "calendar:Duration",
        "calendar:TimeZone",
        "calendar:AppointmentState",
        *NEIGHBOUR_KEYS,
    }
)


def computed(
    store: Store,
    item: Item,
    fields: dict[str, Any],
    neighbours: bool = False,
    wanted: Collection[str] | None = None,
) -> dict[str, Any]:
    """The computed properties of `item` (or of an occurrence's `fields`) that it does not store.
    `neighbours`: also the conflicting and adjacent counts (GetItem only: they need a calendar scan).
    `wanted`: the fields the answer shows (None: all); none of them computed costs nothing."""
    if wanted is not None and COMPUTED_KEYS.isdisjoint(wanted):
        return {}
    created: datetime | None = fields.get("item:DateTimeCreated")
    item_class = fields.get("item:ItemClass") or ""
    calendar = item_class == "IPM.Appointment"
    unsent_meeting = (
        calendar
        and bool(fields.get("calendar:IsMeeting"))
        and not fields.get("calendar:MeetingRequestWasSent")
    )
    to_key, cc_key = (
        ("calendar:RequiredAttendees", "calendar:OptionalAttendees")
        if calendar
        else ("message:ToRecipients", "message:CcRecipients")
    )
    out: dict[str, Any] = {
        "item:ParentFolderId": _parent(store, item),
        "item:DateTimeReceived": created,
        "item:Size": len(json.dumps(fields, default=str).encode()),
        "item:IsSubmitted": False,
        "item:IsDraft": (item_class == "IPM.Note" and item.folder == "drafts") or unsent_meeting,
        "item:IsFromMe": False,
        "item:IsResend": False,
        "item:IsUnmodified": False,
        "item:DateTimeSent": created,
        "item:DisplayTo": _names(fields.get(to_key)),
        "item:DisplayCc": _names(fields.get(cc_key)),
        "item:HasAttachments": False,
        "item:Culture": CULTURE,
        "item:ResponseObjects": _response_objects(fields, item.mailbox),
    }
    if calendar or item_class == "IPM.Schedule.Meeting.Request":
        out["calendar:TimeZone"] = windows_id(fields.get("calendar:StartTimeZone"))
    if calendar and fields.get("calendar:Start") and fields.get("calendar:End"):
        out["item:ReminderDueBy"] = fields["calendar:Start"]
        out["calendar:Duration"] = duration(fields["calendar:End"] - fields["calendar:Start"])
        out["calendar:AppointmentState"] = _state(fields, item.mailbox)
        if neighbours:
            out.update(_neighbours(store, item, fields))
    return {k: v for k, v in out.items() if k not in fields and v is not None}
