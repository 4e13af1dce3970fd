"""The calendar's marked items by SyncFolderItems: from a remembered state only what changed since, else all.

"SyncFolderItems operation": without a `SyncState` every item in the folder is reported as created; with
one, the creations, updates and deletions since, up to `MaxChangesReturned` (at most 512) a page until
`IncludesLastItemInRange`. Occurrences and exceptions are not items: a change to one is an update of its
master, and an attendee's answer rewrites the organizer's item, so each shows as a new ChangeKey. The shape
asks for the ids, change keys and the marker's namespace and key only; what is managed is then read by
`read.py`. A state the server no longer knows (`ErrorInvalidSyncStateData`) means starting again without one.
"""

from __future__ import annotations

from typing import Any

from exchangelib import Account
from exchangelib.errors import ErrorInvalidSyncStateData
from exchangelib.items import ID_ONLY
from exchangelib.services import SyncFolderItems

from reconciler.backends import marker
from reconciler.backends.ews.read import T, properties
from reconciler.backends.snapshot import Listed, Snapshot

PAGE = 512
FIELDS = ("reconciler_namespace", "reconciler_key")


class SyncCalendarItems(SyncFolderItems):
    """exchangelib's SyncFolderItems, answering (change, item id, change key, the marker's names) for each
    change instead of a CalendarItem: exchangelib builds every item through its field machinery (about
    2.5 ms each, 2.5 s for a calendar of 1,000), where only the ids and two properties are asked for."""

    def _elem_to_obj(self, elem: Any) -> tuple[str, str, str, dict[str, str]]:
        kind = self.change_types_map[elem.tag]
        item = elem if kind in (self.DELETE, self.READ_FLAG_CHANGE) else elem[0]
        found = item.find(f"{T}ItemId")
        marked = properties(item) if kind in (self.CREATE, self.UPDATE) else {}
        return kind, found.get("Id"), found.get("ChangeKey") or "", marked


def listing(account: Account, remembered: Snapshot | None) -> tuple[dict[str, Listed], str, int]:
    """The marked items now (id → change key, namespace, key), the state to go on from, and the requests
    it took: the changes since `remembered`'s state applied to its listing, or, without a state or with one
    the server refuses, every item."""
    if remembered is not None and remembered.state:
        try:
            found, state, requests, reported = _changes(account, dict(remembered.listing), remembered.state)
        except ErrorInvalidSyncStateData:
            found, state, requests, _ = _changes(account, {}, None)
            return found, state, requests + 1
        for item_id in remembered.since - reported:  # created after the state, and gone again
            found.pop(item_id, None)
        return found, state, requests
    found, state, requests, _ = _changes(account, {}, None)
    return found, state, requests


def _changes(
    account: Account, found: dict[str, Listed], state: str | None
) -> tuple[dict[str, Listed], str, int, set[str]]:
    """`found` with the changes since `state` applied; the new state, the requests, the ids reported."""
    folder = account.calendar
    wanted = {f for f in folder.normalize_fields(fields=list(FIELDS)) if not f.field.is_attribute}
    service = SyncCalendarItems(account=account)
    requests = 0
    reported: set[str] = set()
    while True:
        requests += 1
        for kind, item_id, change_key, marked in service.call(
            folder=folder,
            shape=ID_ONLY,
            additional_fields=wanted,
            sync_state=state,
            ignore=None,
            max_changes_returned=PAGE,
            sync_scope=None,
        ):
            reported.add(item_id)
            if kind == SyncFolderItems.DELETE:
                found.pop(item_id, None)
            elif kind in (SyncFolderItems.CREATE, SyncFolderItems.UPDATE):
                key = marked.get(marker.KEY)
                if not key:  # not marked (any longer, or released over Graph): not the reconciler's
                    found.pop(item_id, None)
                else:
                    found[item_id] = Listed(change_key, marked.get(marker.NAMESPACE) or "", key)
        done = service.includes_last_item_in_range or service.sync_state == state
        state = service.sync_state
        if done:
            return found, state or "", requests, reported
