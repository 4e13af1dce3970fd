"""What changed since a client last looked: the core of EWS SyncFolderItems and Graph's delta queries.

A synchronisation state stands for what the client has seen of a scope (a folder's items; a calendar
window's instances): each one's id and version (its change key), kept in the store under an opaque token,
so it survives a restart as Exchange's does. A page compares the scope now with that snapshot, in the
scope's order: ids it lacks are created, ids whose version differs are updated, ids gone are deleted; at
most `limit` changes, and a new state that has seen exactly those. The client repeats until `complete`
("SyncFolderItems operation": IncludesLastItemInRange; Graph: a deltaLink instead of a nextLink). An
unknown state, or one of another scope, is refused (`Unknown`): the client starts again without one.
A front-end whose server forgets old states says how many of a scope it keeps (`keep`): Graph's delta tokens
live in a cache of bounded size; EWS's SyncState goes back to the client, and "Handling synchronization-
related errors" names no lifetime for one (only an invalid or another folder's state is refused): kept.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from reconciler.sandbox.store import Store

PREFIX = "rsync1."
"""Tokens of this sandbox's states (the rest is random: opaque to clients, as Exchange's base64 is)."""


class Unknown(Exception):
    """A state this server did not give for this scope."""


@dataclass(frozen=True)
class Page:
    created: tuple[str, ...]
    updated: tuple[str, ...]
    deleted: tuple[tuple[str, str], ...]
    """(id, the version it had) of what is gone."""
    state: str
    complete: bool


def scope_of(store: Store, state: str) -> tuple[str, dict[str, str]]:
    """(what a state synchronises, what it has seen); `Unknown` for a state this server did not give."""
    found = store.sync_state(state) if state.startswith(PREFIX) else None
    if found is None:
        raise Unknown(state)
    return found


def page(
    store: Store,
    scope: str,
    now: dict[str, str],
    state: str | None,
    limit: int,
    ignore: frozenset[str] = frozenset(),
    keep: int | None = None,
) -> Page:
    """The next page of changes of `scope` (`now`: id → version, in order) since `state` (None: since nothing,
    everything a creation). What `ignore` names is not reported, and counts as seen. With `keep`, only the
    newest `keep` states of the scope stay known."""
    seen: dict[str, str] = {}
    if state:
        given, seen = scope_of(store, state)
        if given != scope:
            raise Unknown(state)
    changed = [i for i, version in now.items() if seen.get(i) != version]
    changes = [(i, "create" if i not in seen else "update") for i in changed if i not in ignore]
    changes += [(i, "delete") for i in seen if i not in now]
    taken, complete = changes[:limit], len(changes) <= limit
    after = {**seen, **{i: now[i] for i in changed if i in ignore}}
    for i, kind in taken:
        if kind == "delete":
            after.pop(i, None)
        else:
            after[i] = now[i]
    token = PREFIX + secrets.token_urlsafe(24)
    store.save_sync_state(token, scope, after, keep)
    return Page(
        tuple(i for i, kind in taken if kind == "create"),
        tuple(i for i, kind in taken if kind == "update"),
        tuple((i, seen[i]) for i, kind in taken if kind == "delete"),
        token,
        complete,
    )
