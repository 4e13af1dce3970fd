"""FindItem `m:SortOrder`: field orders applied in sequence; items without the property sort first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lxml import etree

from reconciler.sandbox.ews.fieldkeys import field_key


def sort_items(
    items: Sequence[Mapping[str, Any]], sort_order: etree._Element | None
) -> list[Mapping[str, Any]]:
    out = list(items)
    if sort_order is None:
        return out
    for order in reversed(list(sort_order)):  # stable sorts, last key first
        key = field_key(order[0])
        descending = order.get("Order", "Ascending") == "Descending"

        def sort_key(item: Mapping[str, Any], key: str = key) -> tuple[int, Any]:
            value = item.get(key)
            if isinstance(value, dict):
                value = value.get("text", value.get("email", ""))
            if isinstance(value, list):
                value = value[0] if value else None
            return (0, "") if value is None else (1, value)

        out.sort(key=sort_key, reverse=descending)
    return out
