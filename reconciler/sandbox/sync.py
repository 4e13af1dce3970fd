"""What changed in a folder since a client last looked: the core of EWS SyncFolderItems (and of deltas).

A synchronisation state stands for what the client has seen: each item's id and change key, kept in the store
under an opaque token (so it survives a restart, as Exchange's does). A page compares the folder now with
that snapshot, in the folder's order: items it lacks are created, items whose change key differs are
updated, ids gone are deleted; at most `limit` changes, and a new state that has seen exactly those. The
client repeats until `complete` ("SyncFolderItems operation": IncludesLastItemInRange). Occurrences are not
items: a change to one is an update of its master, as on Exchange. An unknown state, or one of another
folder, is `ErrorInvalidSyncStateData`; the client starts again without one.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from reconciler.sandbox.context import ItemError
from reconciler.sandbox.store import Item, Store

PREFIX = "rsync1."
"""Tokens of this sandbox's states (the rest is random: opaque to clients, as Exchange's base64 is)."""


@dataclass(frozen=True)
class Page:
    created: tuple[Item, ...]
    updated: tuple[Item, ...]
    deleted: tuple[tuple[str, str], ...]
    """(item id, change key it had) of items gone."""
    state: str
    complete: bool


def page(store: Store, mailbox: str, folder: str, state: str | None, limit: int, ignore: set[str]) -> Page:
    """The next page of changes since `state` (None: since nothing, every item a creation)."""
    seen: dict[str, str] = {}
    if state:
        found = store.sync_state(state) if state.startswith(PREFIX) else None
        if found is None or found[:2] != (mailbox.lower(), folder):
            said = "Synchronization state data is corrupt or otherwise invalid."
            raise ItemError("ErrorInvalidSyncStateData", said)
        seen = found[2]
    now = store.versions(mailbox, folder)
    changed = [i for i, change_key in now.items() if seen.get(i) != change_key]
    changes = [(i, "create" if i not in seen else "update") for i in changed if i not in ignore]
    changes += [(item_id, "delete") for item_id in seen if item_id not in now]
    taken, complete = changes[:limit], len(changes) <= limit
    after = {**seen, **{i: now[i] for i in changed if i in ignore}}  # what Ignore names counts as seen
    for item_id, kind in taken:
        if kind == "delete":
            after.pop(item_id, None)
        else:
            after[item_id] = now[item_id]
    token = PREFIX + secrets.token_urlsafe(24)
    store.save_sync_state(token, mailbox, folder, after)
    items = {i.id: i for i in store.by_ids([i for i, kind in taken if kind != "delete"])}
    return Page(
        tuple(items[i] for i, kind in taken if kind == "create"),
        tuple(items[i] for i, kind in taken if kind == "update"),
        tuple((i, seen[i]) for i, kind in taken if kind == "delete"),
        token,
        complete,
    )
