"""The calendar's marked items by SyncFolderItems: from a remembered state only what changed since, else all.

"SyncFolderItems operation": without a `SyncState` every item in the folder is reported as created; with
one, the creations, updates and deletions since, up to `MaxChangesReturned` (at most 512) a page until
`IncludesLastItemInRange`. Occurrences and exceptions are not items: a change to one is an update of its
master, and an attendee's answer rewrites the organizer's item, so each shows as a new ChangeKey. The shape
asks for the ids, change keys and the marker's namespace and key only; what is managed is then read by
`read.py`. A state the server no longer knows (`ErrorInvalidSyncStateData`) means starting again without one.
"""

from __future__ import annotations

from exchangelib import Account
from exchangelib.errors import ErrorInvalidSyncStateData
from exchangelib.items import ID_ONLY
from exchangelib.services import SyncFolderItems

from reconciler.backends.snapshot import Listed, Snapshot

PAGE = 512
FIELDS = ("reconciler_namespace", "reconciler_key")


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
    service = SyncFolderItems(account=account)
    requests = 0
    reported: set[str] = set()
    while True:
        requests += 1
        for kind, item in service.call(
            folder=folder,
            shape=ID_ONLY,
            additional_fields=wanted,
            sync_state=state,
            ignore=None,
            max_changes_returned=PAGE,
            sync_scope=None,
        ):
            reported.add(item.id)
            if kind == SyncFolderItems.DELETE:
                found.pop(item.id, None)
            elif kind in (SyncFolderItems.CREATE, SyncFolderItems.UPDATE):
                key = getattr(item, "reconciler_key", None)
                if not key:  # not marked (any longer, or released over Graph): not the reconciler's
                    found.pop(item.id, None)
                else:
                    found[item.id] = Listed(item.changekey or "", item.reconciler_namespace or "", key)
        done = service.includes_last_item_in_range or service.sync_state == state
        state = service.sync_state
        if done:
            return found, state or "", requests, reported
