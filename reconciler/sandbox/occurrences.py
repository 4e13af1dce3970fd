"""Occurrences of recurring masters: addressing them by index, and the master's occurrence summaries.

A master keeps its deleted occurrences (`$deleted`: indexes) and modified ones (`$modified`: index → new
start, end and changed fields). Occurrences have ids of their own (`<master id>.<index>`), as opaque to the
client as Exchange's; GetItem, UpdateItem and DeleteItem accept them, `OccurrenceItemId` and
`RecurringMasterItemId` too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lxml import etree

from reconciler.sandbox import mapi, recurrence
from reconciler.sandbox.context import Context, ItemError
from reconciler.sandbox.items import format_datetime, render_item
from reconciler.sandbox.soap import local
from reconciler.sandbox.store import Item

_MASTER_ONLY = (
    "calendar:Recurrence",
    "calendar:FirstOccurrence",
    "calendar:LastOccurrence",
    "calendar:ModifiedOccurrences",
    "calendar:DeletedOccurrences",
)


@dataclass(frozen=True)
class Target:
    """What an item reference points at: an item, or one occurrence (`index`) of a recurring master."""

    item: Item
    index: int | None = None


def occurrence_id(master_id: str, index: int) -> str:
    return f"{master_id}.{index}"


def is_master(item: Item) -> bool:
    return item.get("calendar:CalendarItemType") == "RecurringMaster" and item.get("calendar:Recurrence")


def rule_of(item: Item) -> tuple[recurrence.Rule, Any]:
    rule = recurrence.parse(item.get("calendar:Recurrence"))
    return rule, recurrence.zone_from_xml(item.get("calendar:StartTimeZone"))


def duration(item: Item) -> Any:
    return item.get("calendar:End") - item.get("calendar:Start")


def original(item: Item, index: int) -> recurrence.Occurrence:
    """The pattern's occurrence number `index`; Exchange's errors when it does not exist or was deleted."""
    rule, zone = rule_of(item)
    occ = recurrence.by_index(rule, item.get("calendar:Start"), duration(item), zone, index)
    if occ is None:
        raise ItemError(
            "ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange",
            "Occurrence index is out of recurrence range.",
        )
    if index in item.get("$deleted", []):
        raise ItemError(
            "ErrorCalendarOccurrenceIsDeletedFromRecurrence",
            "Occurrence with this index was previously deleted from the recurrence.",
        )
    return occ


def occurrence_fields(item: Item, index: int) -> dict[str, Any]:
    """The fields of one occurrence as a client reads them: the master's, with its own times and changes."""
    occ = original(item, index)
    modified = item.get("$modified", {}).get(str(index))
    fields = {k: v for k, v in item.fields.items() if k not in _MASTER_ONLY and not k.startswith("$")}
    fields.update(
        {
            "calendar:Start": modified["start"] if modified else occ.start,
            "calendar:End": modified["end"] if modified else occ.end,
            "calendar:OriginalStart": occ.start,
            "calendar:RecurrenceId": occ.start,
            "calendar:CalendarItemType": "Exception" if modified else "Occurrence",
            "calendar:IsRecurring": True,
        }
    )
    if modified:
        fields.update(modified.get("fields", {}))
    return fields


def resolve(ctx: Context, ref: etree._Element) -> Target:
    """The item (and occurrence index) an `ItemId` / `OccurrenceItemId` / `RecurringMasterItemId` names."""
    kind = local(ref.tag)
    if kind in ("ItemId", "ReferenceItemId"):
        return by_id(ctx, ref.get("Id", ""), ref.get("ChangeKey"))
    if kind == "OccurrenceItemId":
        master = ctx.item(ref.get("RecurringMasterId", ""))
        if not is_master(master):
            raise ItemError("ErrorItemNotFound", "The item is not a recurring master.")
        index = int(ref.get("InstanceIndex", "0"))
        original(master, index)
        return Target(master, index)
    if kind == "RecurringMasterItemId":
        target = by_id(ctx, ref.get("OccurrenceId", ""), None)
        if target.index is None and not is_master(target.item):
            raise ItemError("ErrorItemNotFound", "The item is not part of a recurring series.")
        return Target(target.item)
    raise ItemError("ErrorInvalidRequest", f"Unexpected item id element {kind}.")


def by_id(ctx: Context, item_id: str, change_key: str | None = None) -> Target:
    """The item, or the occurrence of a series, an id names (occurrence ids: `<master id>.<index>`)."""
    base, _, index = item_id.rpartition(".")
    if base and index.isdigit():
        master = ctx.item(base)
        original(master, int(index))
        return Target(master, int(index))
    return Target(ctx.item(item_id))


def render_target(target: Target, base: str, extra: Iterable[str], mime: bytes | None = None) -> str:
    if target.index is None:
        return render_item(
            target.item.id,
            target.item.change_key,
            target.item.fields,
            base,
            extra,
            {
                **mapi.derived(target.item),
                **(master_fields(target.item) if is_master(target.item) else {}),
            },
            mime=mime,
        )
    fields = occurrence_fields(target.item, target.index)
    return render_item(
        occurrence_id(target.item.id, target.index),
        target.item.change_key,
        fields,
        base,
        extra,
        mapi.derived(target.item, fields),
    )


def _occurrence_xml(tag: str, item: Item, index: int, start: datetime, end: datetime, orig: datetime) -> str:
    return (
        f'<t:{tag}><t:ItemId Id="{occurrence_id(item.id, index)}" ChangeKey="{item.change_key}"/>'
        f"<t:Start>{format_datetime(start)}</t:Start><t:End>{format_datetime(end)}</t:End>"
        f"<t:OriginalStart>{format_datetime(orig)}</t:OriginalStart></t:{tag}>"
    )


def master_fields(item: Item) -> dict[str, Any]:
    """FirstOccurrence, LastOccurrence, ModifiedOccurrences and DeletedOccurrences of a master."""
    try:
        rule, zone = rule_of(item)
    except recurrence.RecurrenceError:
        return {}
    first, last = recurrence.first_and_last(rule, item.get("calendar:Start"), duration(item), zone)
    out: dict[str, Any] = {"calendar:IsRecurring": False}
    modified = item.get("$modified", {})

    def summary(tag: str, occ: recurrence.Occurrence) -> str:
        mod = modified.get(str(occ.index))
        return _occurrence_xml(
            tag,
            item,
            occ.index,
            mod["start"] if mod else occ.start,
            mod["end"] if mod else occ.end,
            occ.start,
        )

    if first:
        out["calendar:FirstOccurrence"] = summary("FirstOccurrence", first)
    if last:
        out["calendar:LastOccurrence"] = summary("LastOccurrence", last)
    if modified:
        parts = []
        for index in sorted(modified, key=int):
            occ = recurrence.by_index(rule, item.get("calendar:Start"), duration(item), zone, int(index))
            if occ:
                parts.append(summary("Occurrence", occ))
        out["calendar:ModifiedOccurrences"] = (
            f"<t:ModifiedOccurrences>{''.join(parts)}</t:ModifiedOccurrences>"
        )
    deleted = item.get("$deleted", [])
    if deleted:
        parts = []
        for index in sorted(deleted):
            occ = recurrence.by_index(rule, item.get("calendar:Start"), duration(item), zone, index)
            if occ:
                parts.append(
                    f"<t:DeletedOccurrence><t:Start>{format_datetime(occ.start)}</t:Start>"
                    "</t:DeletedOccurrence>"
                )
        out["calendar:DeletedOccurrences"] = f"<t:DeletedOccurrences>{''.join(parts)}</t:DeletedOccurrences>"
    return out


def expand(item: Item, window_start: datetime, window_end: datetime) -> list[tuple[int, dict[str, Any]]]:
    """(index, fields) of a master's occurrences overlapping the window, deleted ones left out."""
    rule, zone = rule_of(item)
    span = duration(item)
    deleted = set(item.get("$deleted", []))
    modified = item.get("$modified", {})
    found = recurrence.expand(rule, item.get("calendar:Start"), span, zone, window_start, window_end)
    indexes = {o.index for o in found} | {int(i) for i in modified}  # a moved occurrence may enter the window
    out = []
    for index in sorted(indexes - deleted):
        fields = occurrence_fields(item, index)
        if fields["calendar:Start"] < window_end and fields["calendar:End"] > window_start:
            out.append((index, fields))
    return out
