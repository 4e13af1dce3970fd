"""Rendering a stored item for GetItem/FindItem, with the calendar fields Exchange computes on read."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from reconciler.sandbox import occurrences
from reconciler.sandbox.items import render_item
from reconciler.sandbox.store import Item


def computed_fields(item: Item) -> dict[str, Any]:
    """Fields that are derived, not stored: the recurring master's occurrence summaries."""
    if item.get("calendar:CalendarItemType") != "RecurringMaster":
        return {}
    return occurrences.master_fields(item)


def render(
    item: Item,
    base: str,
    extra: Iterable[str],
    item_id: str | None = None,
    fields: dict[str, Any] | None = None,
    change_key: str | None = None,
) -> str:
    return render_item(
        item_id or item.id,
        change_key or item.change_key,
        fields or item.fields,
        base,
        extra,
        computed_fields(item) if fields is None else None,
    )
