"""The store's listings (FindItem's matching ids, kept per store version) never outlive a change: one this
store makes, one it rolls back, or one another process commits to the same file."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.sandbox.store import Store


def test_a_listing_is_worked_out_again_after_any_change(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite3")
    other = Store(tmp_path / "s.sqlite3")  # as `reconciler sandbox respond` beside a running server
    calls = []

    def listing() -> list[str]:
        calls.append(1)
        return [i.id for i in store.items("a@example.com", "calendar")]

    with store.transaction():
        first = store.add("a@example.com", "calendar", {"item:Subject": "one"})
    assert store.listing("k", listing) == [first.id] and store.listing("k", listing) == [first.id]
    assert len(calls) == 1  # asked twice, worked out once
    with store.transaction():
        second = store.add("a@example.com", "calendar", {"item:Subject": "two"})
    assert store.listing("k", listing) == [first.id, second.id] and len(calls) == 2
    with store.transaction():
        store.save(store.get(first.id))
    store.listing("k", listing)
    assert len(calls) == 3
    with other.transaction():
        other.delete(second.id)
    assert store.listing("k", listing) == [first.id] and len(calls) == 4
    with pytest.raises(RuntimeError), store.transaction():
        store.add("a@example.com", "calendar", {"item:Subject": "rolled back"})
        raise RuntimeError
    assert store.listing("k", listing) == [first.id] and len(calls) == 5
    assert [i.id for i in store.by_ids([second.id, first.id])] == [first.id]
    other.close()
    store.close()
