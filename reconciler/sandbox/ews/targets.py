"""EWS's names for items and occurrences: id elements resolved to targets, and a target rendered as EWS XML.

GetItem, UpdateItem and DeleteItem accept `ItemId`, `OccurrenceItemId` (master id + instance index) and
`RecurringMasterItemId`; a master renders with its FirstOccurrence, LastOccurrence, ModifiedOccurrences and
DeletedOccurrences summaries.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any

from lxml import etree

from reconciler.sandbox import recurrence
from reconciler.sandbox.context import Context, ItemError
from reconciler.sandbox.ews import mapi
from reconciler.sandbox.ews.computed import computed
from reconciler.sandbox.ews.items import DEFAULT_FIELDS, format_datetime, render_item
from reconciler.sandbox.occurrences import (
    Target,
    by_id,
    duration,
    is_master,
    occurrence_fields,
    occurrence_id,
    original,
    parse_occurrence_id,
    rule_of,
)
from reconciler.sandbox.store import Item, Store
from reconciler.sandbox.types_xml import T, local

_ID_ELEMENTS = {
    "ItemId": "Id",
    "FolderId": "Id",
    "OccurrenceItemId": "RecurringMasterId",
    "ReferenceItemId": "Id",
}


def owner(store: Store, operation: etree._Element) -> str | None:
    """The mailbox a request without impersonation acts on (a delegate's: "Delegate access and EWS"): the
    one a `DistinguishedFolderId` names, else the owner of the first item or folder id it names."""
    for el in operation.iter(f"{{{T}}}DistinguishedFolderId"):
        address = el.findtext(f"{{{T}}}Mailbox/{{{T}}}EmailAddress")
        if address:
            return address.strip().lower()
    for el in operation.iter(*(f"{{{T}}}{name}" for name in _ID_ELEMENTS)):
        named = el.get(_ID_ELEMENTS[local(el.tag)], "")
        occurrence = parse_occurrence_id(named)
        item = store.get(occurrence[0] if occurrence else named)
        if item is not None:
            return item.mailbox
        folder = store.folder_by_id(named)
        if folder is not None:
            return folder[0]
    return None


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


def render_target(
    target: Target,
    base: str,
    extra: Iterable[str],
    mime: bytes | None = None,
    store: Store | None = None,
    neighbours: bool = False,
) -> str:
    """The item (or occurrence) in the requested shape; with `store`, the properties Exchange computes too
    (`neighbours`: the conflicting and adjacent counts, which GetItem alone answers)."""
    item = target.item
    fields = item.fields if target.index is None else occurrence_fields(item, target.index)
    shown = {**mapi.derived(item, None if target.index is None else fields)}
    wanted = None if base == "AllProperties" else {*extra, *(DEFAULT_FIELDS if base == "Default" else ())}
    if store is not None:
        shown.update(computed(store, item, fields, neighbours, wanted))
    if target.index is None:
        if is_master(item):
            shown.update(master_fields(item, wanted))
        return render_item(item.id, item.change_key, fields, base, extra, shown, mime=mime)
    return render_item(occurrence_id(item.id, target.index), item.change_key, fields, base, extra, shown)


def _occurrence_xml(tag: str, item: Item, index: int, start: datetime, end: datetime, orig: datetime) -> str:
    return (
        f'<t:{tag}><t:ItemId Id="{occurrence_id(item.id, index)}" ChangeKey="{item.change_key}"/>'
        f"<t:Start>{format_datetime(start)}</t:Start><t:End>{format_datetime(end)}</t:End>"
        f"<t:OriginalStart>{format_datetime(orig)}</t:OriginalStart></t:{tag}>"
    )


FIRST_AND_LAST = frozenset({"calendar:FirstOccurrence", "calendar:LastOccurrence"})


def master_fields(item: Item, wanted: Collection[str] | None = None) -> dict[str, Any]:
    """FirstOccurrence, LastOccurrence, ModifiedOccurrences and DeletedOccurrences of a master (the first two,
    which walk the whole series, only when `wanted` shows them; None: all)."""
    try:
        rule, zone = rule_of(item)
    except recurrence.RecurrenceError:
        return {}
    first = last = None
    if wanted is None or not FIRST_AND_LAST.isdisjoint(wanted):
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
