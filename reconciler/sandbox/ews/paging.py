"""Paged answers of FindItem and FindFolder (`IndexedPageItemView`, `IndexedPageFolderView`).

The `m:RootFolder` attributes say where the page ended, how many match and whether this page holds the last
one, as exchangelib's pager and DavMail expect; `BasePoint="End"` counts the offset from the end. One call
returns at most 1,000 entries, like Exchange (EWSFindCountLimit).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from lxml import etree

MAX_PAGE = 1000
T = TypeVar("T")


def page(found: Sequence[T], view: etree._Element | None) -> tuple[list[T], str]:
    """The entries the view asks for, and the `m:RootFolder` attributes describing that page."""
    total = len(found)
    offset, size = 0, MAX_PAGE
    if view is not None:
        offset = int(view.get("Offset", "0"))
        size = min(int(view.get("MaxEntriesReturned", str(MAX_PAGE))), MAX_PAGE)
        if view.get("BasePoint") == "End":
            offset = max(total - offset - size, 0)
    chosen = list(found[offset : offset + size])
    end = offset + len(chosen)
    last = "true" if end >= total else "false"
    return chosen, f'IndexedPagingOffset="{end}" TotalItemsInView="{total}" IncludesLastItemInRange="{last}"'
