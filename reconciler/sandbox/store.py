"""SQLite persistence for the sandbox: mailboxes, their folders, and items as field mappings.

An item is stored as JSON of its field mapping (see `items.py`), with a few columns pulled out for lookups.
One lock serialises the server's threads (each request is one transaction); a second process, such as
`reconciler sandbox mailbox`, reads the same file safely thanks to WAL mode.
"""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

DISTINGUISHED = {
    # id: (display name, folder class, parent)
    "root": ("Root", None, None),
    "msgfolderroot": ("Top of Information Store", None, "root"),
    "calendar": ("Calendar", "IPF.Appointment", "msgfolderroot"),
    "inbox": ("Inbox", "IPF.Note", "msgfolderroot"),
    "sentitems": ("Sent Items", "IPF.Note", "msgfolderroot"),
    "deleteditems": ("Deleted Items", "IPF.Note", "msgfolderroot"),
    "drafts": ("Drafts", "IPF.Note", "msgfolderroot"),
    "outbox": ("Outbox", "IPF.Note", "msgfolderroot"),
    "contacts": ("Contacts", "IPF.Contact", "msgfolderroot"),
    "tasks": ("Tasks", "IPF.Task", "msgfolderroot"),
    "notes": ("Notes", "IPF.StickyNote", "msgfolderroot"),
    "journal": ("Journal", "IPF.Journal", "msgfolderroot"),
    "junkemail": ("Junk Email", "IPF.Note", "msgfolderroot"),
    "conversationhistory": ("Conversation History", "IPF.Note", "msgfolderroot"),
    "syncissues": ("Sync Issues", "IPF.Note", "msgfolderroot"),
    "conflicts": ("Conflicts", "IPF.Note", "syncissues"),
    "localfailures": ("Local Failures", "IPF.Note", "syncissues"),
    "serverfailures": ("Server Failures", "IPF.Note", "syncissues"),
    "searchfolders": ("Finder", None, "root"),
    "recipientcache": ("Recipient Cache", "IPF.Contact", "contacts"),
    "recoverableitemsroot": ("Recoverable Items", None, "root"),
    "recoverableitemsdeletions": ("Deletions", None, "recoverableitemsroot"),
    "recoverableitemsversions": ("Versions", None, "recoverableitemsroot"),
    "recoverableitemspurges": ("Purges", None, "recoverableitemsroot"),
}
"""Exchange's distinguished folders (types.xsd DistinguishedFolderIdNameType) a mailbox is created with;
empty until something is put in them."""

FOLDER_ELEMENTS = {
    "IPF.Appointment": "CalendarFolder",
    "IPF.Contact": "ContactsFolder",
    "IPF.Task": "TasksFolder",
}
"""The folder element type by folder class (types.xsd); anything else is a plain t:Folder."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS folders (
    id TEXT PRIMARY KEY, mailbox TEXT NOT NULL, distinguished TEXT NOT NULL, change_key TEXT NOT NULL,
    UNIQUE (mailbox, distinguished));
CREATE TABLE IF NOT EXISTS items (
    id TEXT PRIMARY KEY, mailbox TEXT NOT NULL, folder TEXT NOT NULL, change_key TEXT NOT NULL,
    uid TEXT, seq INTEGER NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS items_by_folder ON items (mailbox, folder, seq);
CREATE INDEX IF NOT EXISTS items_by_uid ON items (mailbox, uid);
CREATE TABLE IF NOT EXISTS user_folders (
    id TEXT PRIMARY KEY, mailbox TEXT NOT NULL, parent TEXT NOT NULL, name TEXT NOT NULL,
    folder_class TEXT, change_key TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sync_states (
    token TEXT PRIMARY KEY, scope TEXT NOT NULL, snapshot TEXT NOT NULL, created REAL NOT NULL);
CREATE INDEX IF NOT EXISTS sync_states_by_scope ON sync_states (scope);
"""


def extended_key(set_id: str, name: str, prop_type: str) -> str:
    """The field key of an extended property, the one form both doors map their ids to:
    `ext:{property set}:{name | id:N | 0xTAG}:{MAPI type}`."""
    return f"ext:{set_id}:{name}:{prop_type}"


ID_BYTES = 111
"""The binary length of an item or folder id (152 characters with its prefix, as Exchange's)."""


def new_id(prefix: str = "AAMk") -> str:
    """An opaque identifier in the form of Exchange's: base64 of a binary id, 152 characters.

    Clients tell ids from names by that form: DavMail takes anything of 140 characters or more as an
    item id, and names a server-created item by it.
    """
    return prefix + base64.b64encode(uuid.uuid4().bytes + os.urandom(ID_BYTES - 16)).decode()


def new_change_key() -> str:
    return "DwAAABYA" + base64.b64encode(os.urandom(12)).decode()


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$dt": value.astimezone(UTC).isoformat()}
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) == 1 and "$dt" in value:
            return datetime.fromisoformat(value["$dt"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


@dataclass
class Item:
    """One stored item: where it lives, its version, and its fields keyed as in `fieldkeys`."""

    id: str
    mailbox: str
    folder: str  # distinguished folder name, or the id of a folder a client created
    change_key: str
    fields: dict[str, Any]
    seq: int = 0

    def get(self, key: str, default: Any = None) -> Any:
        return self.fields.get(key, default)


MAX_LISTINGS = 256
"""Listings a store keeps (`Store.listing`); past that it starts again."""


class Store:
    """All mailboxes of one sandbox. Mailboxes and their folders exist on first use of an address."""

    def __init__(self, db: str | Path = ":memory:") -> None:
        self.path = str(db)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        self.conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        if self.path != ":memory:":
            self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.executescript(_SCHEMA)
        self._known: set[str] = set()
        self._decoded: dict[str, tuple[str, dict[str, Any]]] = {}
        # id → (change key, decoded fields): FindItem pages re-read whole folders, so each version is decoded
        # once. Readers get a shallow copy; code that changes nested values replaces them instead of editing.
        self._seq = self.conn.execute("SELECT COALESCE(MAX(seq), 0) FROM items").fetchone()[0]
        self._writes = 0
        self._listings: dict[Hashable, tuple[tuple[int, int], list[str]]] = {}

    def close(self) -> None:
        with self.lock:
            self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """Hold the store for one request: all its writes commit together, or none do."""
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self
            except BaseException:
                self.conn.execute("ROLLBACK")
                self._known.clear()
                self._decoded.clear()
                self._writes += 1
                raise
            self.conn.execute("COMMIT")

    # -- mailboxes and folders ------------------------------------------------------------------------------

    def ensure_mailbox(self, mailbox: str) -> None:
        mailbox = mailbox.lower()
        if mailbox in self._known:
            return
        rows = [(new_id("AQMk"), mailbox, name, new_change_key()) for name in DISTINGUISHED]
        self.conn.executemany("INSERT OR IGNORE INTO folders VALUES (?, ?, ?, ?)", rows)
        self._known.add(mailbox)

    def folder_id(self, mailbox: str, distinguished: str) -> tuple[str, str]:
        self.ensure_mailbox(mailbox)
        row = self.conn.execute(
            "SELECT id, change_key FROM folders WHERE mailbox = ? AND distinguished = ?",
            (mailbox.lower(), distinguished),
        ).fetchone()
        return row[0], row[1]

    def folder_by_id(self, folder_id: str) -> tuple[str, str] | None:
        """(mailbox, folder key) of a folder id: the distinguished name, or the id of a created folder."""
        row = self.conn.execute(
            "SELECT mailbox, distinguished FROM folders WHERE id = ? "
            "UNION ALL SELECT mailbox, id FROM user_folders WHERE id = ?",
            (folder_id, folder_id),
        ).fetchone()
        return (row[0], row[1]) if row else None

    def count(self, mailbox: str, folder: str) -> int:
        return self.conn.execute(
            "SELECT COUNT(*) FROM items WHERE mailbox = ? AND folder = ?", (mailbox.lower(), folder)
        ).fetchone()[0]

    # -- items ----------------------------------------------------------------------------------------------

    def version(self) -> tuple[int, int]:
        """Changes whenever an item changes: this store's writes, and SQLite's count of commits made by other
        connections (`reconciler sandbox respond` writes to the same file while a server runs)."""
        return self._writes, self.conn.execute("PRAGMA data_version").fetchone()[0]

    def listing(self, key: Hashable, compute: Callable[[], list[str]]) -> list[str]:
        """Item ids a door derived from a folder (filtered, sorted), kept until any item changes: a client
        paging through 10,000 items asks for the same listing once per page."""
        version = self.version()
        found = self._listings.get(key)
        if found is not None and found[0] == version:
            return found[1]
        ids = compute()
        if len(self._listings) >= MAX_LISTINGS:
            self._listings.clear()
        self._listings[key] = (version, ids)
        return ids

    def add(self, mailbox: str, folder: str, fields: dict[str, Any]) -> Item:
        self.ensure_mailbox(mailbox)
        self._writes += 1
        self._seq += 1
        item = Item(new_id(), mailbox.lower(), folder, new_change_key(), fields, self._seq)
        self.conn.execute(
            "INSERT INTO items VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                item.id,
                item.mailbox,
                folder,
                item.change_key,
                fields.get("calendar:UID"),
                item.seq,
                json.dumps(_encode(fields)),
            ),
        )
        return item

    def save(self, item: Item) -> Item:
        """Write an item's fields back; every write gives it a new ChangeKey."""
        self._writes += 1
        item.change_key = new_change_key()
        self.conn.execute(
            "UPDATE items SET folder = ?, change_key = ?, uid = ?, data = ? WHERE id = ?",
            (
                item.folder,
                item.change_key,
                item.fields.get("calendar:UID"),
                json.dumps(_encode(item.fields)),
                item.id,
            ),
        )
        return item

    def move(self, item: Item, folder: str, renumber: bool) -> Item:
        """Put an item (its fields saved) in another folder; `renumber`: under a new id, as Exchange moves."""
        self._writes += 1
        old = item.id
        if renumber:
            item.id = new_id()
            self._decoded.pop(old, None)
        item.folder = folder
        item.change_key = new_change_key()
        self.conn.execute(
            "UPDATE items SET id = ?, folder = ?, change_key = ?, uid = ?, data = ? WHERE id = ?",
            (
                item.id,
                folder,
                item.change_key,
                item.fields.get("calendar:UID"),
                json.dumps(_encode(item.fields)),
                old,
            ),
        )
        return item

    def delete(self, item_id: str) -> None:
        self._writes += 1
        self.conn.execute("DELETE FROM items WHERE id = ?", (item_id,))

    def _select(self, where: str, params: tuple) -> list[Item]:
        rows = self.conn.execute(
            f"SELECT id, mailbox, folder, change_key, data, seq FROM items WHERE {where} ORDER BY seq", params
        )
        return [self._item(row) for row in rows]

    def get(self, item_id: str) -> Item | None:
        found = self._select("id = ?", (item_id,))
        return found[0] if found else None

    def by_ids(self, item_ids: Sequence[str]) -> list[Item]:
        """The items with these ids, in that order (ids of items gone since are left out)."""
        found: dict[str, Item] = {}
        for start in range(0, len(item_ids), 500):
            chunk = item_ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            found.update((i.id, i) for i in self._select(f"id IN ({marks})", tuple(chunk)))
        return [found[i] for i in item_ids if i in found]

    def versions(self, mailbox: str, folder: str) -> dict[str, str]:
        """Item id → change key of every item in a folder (what a synchronisation compares), in order."""
        rows = self.conn.execute(
            "SELECT id, change_key FROM items WHERE mailbox = ? AND folder = ? ORDER BY seq",
            (mailbox.lower(), folder),
        )
        return dict(rows.fetchall())

    def save_sync_state(
        self, token: str, scope: str, snapshot: dict[str, str], keep: int | None = None
    ) -> None:
        """Keep a state; with `keep`, only the newest `keep` of its scope stay (older ones are forgotten)."""
        self.conn.execute(
            "INSERT INTO sync_states (token, scope, snapshot, created) VALUES (?, ?, ?, ?)",
            (token, scope, json.dumps(snapshot), time.time()),
        )
        if keep is not None:
            self.conn.execute(
                "DELETE FROM sync_states WHERE scope = ? AND rowid NOT IN "
                "(SELECT rowid FROM sync_states WHERE scope = ? ORDER BY rowid DESC LIMIT ?)",
                (scope, scope, keep),
            )

    def sync_state(self, token: str) -> tuple[str, dict[str, str]] | None:
        """(what was synchronised, id → version seen) a synchronisation state stands for, None if unknown."""
        row = self.conn.execute(
            "SELECT scope, snapshot FROM sync_states WHERE token = ?", (token,)
        ).fetchone()
        return (row[0], json.loads(row[1])) if row else None

    def items(self, mailbox: str, folder: str) -> list[Item]:
        return self._select("mailbox = ? AND folder = ?", (mailbox.lower(), folder))

    def by_uid(self, mailbox: str, uid: str) -> list[Item]:
        return self._select("mailbox = ? AND uid = ?", (mailbox.lower(), uid))

    def _item(self, row: tuple) -> Item:
        item_id, change_key = row[0], row[3]
        cached = self._decoded.get(item_id)
        if cached is None or cached[0] != change_key:
            cached = (change_key, _decode(json.loads(row[4])))
            self._decoded[item_id] = cached
        return Item(item_id, row[1], row[2], change_key, dict(cached[1]), row[5])

    def mailboxes(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT DISTINCT mailbox FROM folders ORDER BY mailbox")]
