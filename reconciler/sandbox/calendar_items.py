"""What an organizer does to its own calendar items, whichever protocol asks: protocol-neutral.

Both front-ends turn a request into store fields and call these: create an item (defaults as Exchange fills
them, invitations through the lifecycle), change the series or one occurrence (an occurrence becomes an
exception kept on the master; changing the master's start or pattern drops its exceptions, as Exchange
does), and remove one occurrence.
"""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime
from typing import Any

from reconciler.sandbox import meetings, normalise, recurrence, rewrites, rooms
from reconciler.sandbox.context import Context, ItemError
from reconciler.sandbox.occurrences import Target, occurrence_fields, rule_of
from reconciler.sandbox.store import Item

RESETS_EXCEPTIONS = {"calendar:Start", "calendar:Recurrence"}


def create(ctx: Context, folder: str, fields: dict[str, Any], option: str, extra: dict | None = None) -> Item:
    """A new item in `ctx.mailbox`'s `folder`, organized by that mailbox; invitations per `option`."""
    fields = normalise.range_dates(normalise.all_day(fields))
    if "calendar:Start" not in fields or "calendar:End" not in fields:
        raise ItemError("ErrorMissingInformation", "A calendar item needs Start and End.")
    if fields["calendar:End"] < fields["calendar:Start"]:
        raise ItemError("ErrorCalendarEndDateIsEarlierThanStartDate", "EndDate is earlier than StartDate.")
    people = meetings.attendees(fields)
    defaults: dict[str, Any] = {
        "item:ItemClass": "IPM.Appointment",
        "item:DateTimeCreated": ctx.now,
        "item:LastModifiedTime": ctx.now,
        "item:LastModifiedName": ctx.actor_name,
        "item:Importance": "Normal",
        "item:Sensitivity": "Normal",
        "calendar:IsAllDayEvent": False,
        "calendar:LegacyFreeBusyStatus": "Busy",
        "calendar:IsCancelled": False,
        "calendar:IsMeeting": bool(people),
        "calendar:MeetingRequestWasSent": False,
        "calendar:MyResponseType": "Organizer",
        "calendar:AppointmentSequenceNumber": 0,
        "calendar:IsResponseRequested": True,
        "calendar:AllowNewTimeProposal": True,
        "calendar:UID": global_object_id(ctx.now),
        "calendar:CalendarItemType": "RecurringMaster" if fields.get("calendar:Recurrence") else "Single",
        "calendar:IsRecurring": False,
        "calendar:Organizer": {"name": ctx.mailbox, "email": ctx.mailbox},
    }
    for key in meetings.ATTENDEE_KEYS:
        fields[key] = [{**a, "response": "Unknown"} for a in fields.get(key) or []]
    given = {**defaults, **{k: v for k, v in fields.items() if v is not None}}
    item = ctx.store.add(ctx.mailbox, folder, {**stored(ctx, given), **(extra or {})})
    meetings.after_create(ctx, item, option)
    rooms.answer_all(ctx)
    return ctx.store.get(item.id) or item


GOID_CLASS = "040000008200E00074C5B7101A82E008"
"""The byte-array id that opens every PidLidGlobalObjectId (MS-OXOCAL 2.2.1.27)."""


def global_object_id(created: datetime) -> str:
    """A new meeting's UID in Exchange's form, as EWS `UID` and Graph `iCalUId` show it: the hex of
    PidLidGlobalObjectId (class id, no instance date, creation time as FILETIME, 8 zero bytes, the size of
    the data and 16 bytes of it)."""
    ticks = int((created - datetime(1601, 1, 1, tzinfo=UTC)).total_seconds() * 10_000_000)
    return (
        GOID_CLASS
        + "00000000"
        + ticks.to_bytes(8, "little").hex().upper()
        + "0" * 16
        + (16).to_bytes(4, "little").hex().upper()
        + uuid.uuid4().hex.upper()
    )


def stored(ctx: Context, fields: dict[str, Any], touched: set[str] | None = None) -> dict[str, Any]:
    """`fields` as the server keeps them: the request's fields (`touched`; all on a create) rewritten as
    Exchange rewrites them (`rewrites.py`)."""
    return rewrites.stored(fields, ctx.rewrites, ctx.directory.display_name, touched)


def update(
    ctx: Context,
    target: Target,
    changed: dict[str, Any],
    touched: set[str],
    option: str | None,
    rewritten: bool = False,
) -> Item:
    """Apply `changed` (the item's fields after the change: all of them for the series, the occurrence's own
    for one occurrence) and send what `option` says. `touched`: the keys the request set, changed or not
    (setting the start or the pattern, even to the same value, drops the exceptions). `rewritten`: the
    caller already made `changed` what the server keeps (`stored`)."""
    if not rewritten:
        changed = stored(ctx, changed, touched)
    item = target.item
    before = copy.deepcopy(item.fields)
    is_calendar = item.get("item:ItemClass") == "IPM.Appointment"
    if target.index is not None:
        _update_occurrence(target, changed)
    else:
        item.fields = normalise.range_dates(normalise.all_day(changed))
        if touched & RESETS_EXCEPTIONS:  # Exchange drops exceptions then
            item.fields.pop("$deleted", None)
            item.fields.pop("$modified", None)
        if is_calendar:
            item.fields["calendar:CalendarItemType"] = (
                "RecurringMaster" if item.fields.get("calendar:Recurrence") else "Single"
            )
    item.fields["item:LastModifiedTime"] = ctx.now
    item.fields["item:LastModifiedName"] = ctx.actor_name
    ctx.store.save(item)
    if is_calendar:
        meetings.after_update(ctx, before, item, option, target.index)
        rooms.answer_all(ctx)
        item = ctx.store.get(item.id) or item
    return item


def _update_occurrence(target: Target, changed: dict[str, Any]) -> None:
    item, index = target.item, target.index
    assert index is not None
    current = occurrence_fields(item, index)
    start, end = changed["calendar:Start"], changed["calendar:End"]
    rule, zone = rule_of(item)
    span = item.get("calendar:End") - item.get("calendar:Start")
    local_day = start.astimezone(zone).date()
    before = (
        recurrence.by_index(rule, item.get("calendar:Start"), span, zone, index - 1) if index > 1 else None
    )
    after = recurrence.by_index(rule, item.get("calendar:Start"), span, zone, index + 1)
    if (before and local_day <= before.start.astimezone(zone).date()) or (
        after and local_day >= after.start.astimezone(zone).date()
    ):
        raise ItemError(
            "ErrorOccurrenceCrossingBoundary",
            "An occurrence cannot be moved to or past the date of an adjacent occurrence.",
        )
    others = {
        k: v
        for k, v in changed.items()
        if k not in ("calendar:Start", "calendar:End") and current.get(k) != v
    }
    modified = dict(item.get("$modified", {}))
    previous = modified.get(str(index), {}).get("fields", {})
    modified[str(index)] = {"start": start, "end": end, "fields": {**previous, **others}}
    item.fields["$modified"] = modified


def remove_occurrence(
    ctx: Context, item: Item, index: int, option: str | None, text: str | None = None
) -> Item | None:
    """Delete occurrence `index` of a series (cancellations for it per `option`); the cancellation kept in
    Sent Items, if any."""
    sent = meetings.before_delete(ctx, item, option, index, text)
    item.fields["$deleted"] = sorted({*item.get("$deleted", []), index})
    item.fields["$modified"] = {k: v for k, v in item.get("$modified", {}).items() if k != str(index)}
    ctx.store.save(item)
    return sent
