"""Occurrences of recurring masters: addressing them by index, their fields, and expanding a series.

A master keeps its deleted occurrences (`$deleted`: indexes) and modified ones (`$modified`: index → new
start, end and changed fields). Occurrences have ids of their own (`<master id>.<index>`), as opaque to the
client as Exchange's. How each protocol names and renders them is its own (`ews/targets.py`, Graph's
`events.py`).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reconciler.sandbox import recurrence
from reconciler.sandbox.context import Context, ItemError
from reconciler.sandbox.store import ID_BYTES, Item

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


OCCURRENCE_TAG = b"\x07"
"""Opens the binary form of an occurrence id (then the master's id bytes and the index)."""


def occurrence_id(master_id: str, index: int) -> str:
    """An occurrence's id: opaque like Exchange's, the same length class as an item id, and naming its
    master and its index (so it survives a round trip through any client)."""
    raw = base64.b64decode(master_id[4:])
    return master_id[:4] + base64.b64encode(OCCURRENCE_TAG + raw + index.to_bytes(4, "big")).decode()


def parse_occurrence_id(item_id: str) -> tuple[str, int] | None:
    """(master id, index) of an occurrence id; None for any other id."""
    try:
        raw = base64.b64decode(item_id[4:], validate=True)
    except (ValueError, binascii.Error):
        return None
    if len(raw) != ID_BYTES + len(OCCURRENCE_TAG) + 4 or not raw.startswith(OCCURRENCE_TAG):
        return None  # an item id has ID_BYTES bytes, whatever its first byte
    master = item_id[:4] + base64.b64encode(raw[1:-4]).decode()
    return master, int.from_bytes(raw[-4:], "big")


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


def by_id(ctx: Context, item_id: str, change_key: str | None = None) -> Target:
    """The item, or the occurrence of a series, an id names."""
    occurrence = parse_occurrence_id(item_id)
    if occurrence is not None:
        master = ctx.item(occurrence[0])
        original(master, occurrence[1])
        return Target(master, occurrence[1])
    return Target(ctx.item(item_id))


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
