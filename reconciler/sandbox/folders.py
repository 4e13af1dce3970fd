"""A mailbox's folder tree: the distinguished folders every mailbox has, and the folders clients create.

A folder is addressed by its key: the distinguished name (`calendar`) or, for a created folder, its id.
Items name their folder by that key.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.sandbox.store import DISTINGUISHED, Store, new_change_key, new_id


@dataclass(frozen=True)
class Folder:
    key: str
    id: str
    change_key: str
    name: str
    folder_class: str | None
    parent: str | None
    """The parent's key; None for the root."""


def get(store: Store, mailbox: str, key: str) -> Folder | None:
    if key in DISTINGUISHED:
        folder_id, change_key = store.folder_id(mailbox, key)
        name, folder_class, parent = DISTINGUISHED[key]
        return Folder(key, folder_id, change_key, name, folder_class, parent)
    row = store.conn.execute(
        "SELECT id, change_key, name, folder_class, parent FROM user_folders WHERE id = ? AND mailbox = ?",
        (key, mailbox.lower()),
    ).fetchone()
    return Folder(row[0], row[0], row[1], row[2], row[3], row[4]) if row else None


def children(store: Store, mailbox: str, parent: str) -> list[Folder]:
    made = store.conn.execute(
        "SELECT id FROM user_folders WHERE mailbox = ? AND parent = ? ORDER BY name",
        (mailbox.lower(), parent),
    ).fetchall()
    keys = [k for k, (_, _, up) in DISTINGUISHED.items() if up == parent] + [r[0] for r in made]
    return [f for f in (get(store, mailbox, k) for k in keys) if f is not None]


def create(store: Store, mailbox: str, parent: str, name: str, folder_class: str | None) -> Folder:
    folder_id = new_id("AQMk")
    store.conn.execute(
        "INSERT INTO user_folders VALUES (?, ?, ?, ?, ?, ?)",
        (folder_id, mailbox.lower(), parent, name, folder_class, new_change_key()),
    )
    created = get(store, mailbox, folder_id)
    assert created is not None
    return created


def delete(store: Store, mailbox: str, key: str) -> None:
    """Remove a created folder with its items and subfolders."""
    for child in children(store, mailbox, key):
        delete(store, mailbox, child.key)
    for item in store.items(mailbox, key):
        store.delete(item.id)
    store.conn.execute("DELETE FROM user_folders WHERE id = ? AND mailbox = ?", (key, mailbox.lower()))
