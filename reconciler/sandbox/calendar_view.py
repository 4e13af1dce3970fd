"""FindItem with `m:CalendarView`: single items and expanded occurrences overlapping a range.

As in Exchange: no paging (everything in range, `IncludesLastItemInRange` true), deleted occurrences left
out, modified ones as `Exception`, a range of at most two years.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from lxml import etree

from reconciler.sandbox import occurrences
from reconciler.sandbox.context import Context, ItemError
from reconciler.sandbox.items import parse_datetime, render_item
from reconciler.sandbox.recurrence import RecurrenceError
from reconciler.sandbox.store import Item

MAX_RANGE = timedelta(days=2 * 366)


def render_view(
    ctx: Context, mailbox: str, folder: str, view: etree._Element, base: str, extra: Iterable[str]
) -> tuple[str, int]:
    try:
        start = parse_datetime(view.get("StartDate", ""))
        end = parse_datetime(view.get("EndDate", ""))
    except ValueError:
        raise ItemError("ErrorInvalidRequest", "CalendarView needs StartDate and EndDate.") from None
    if end < start:
        raise ItemError("ErrorInvalidRequest", "The EndDate of the CalendarView is before its StartDate.")
    if end - start > MAX_RANGE:
        raise ItemError("ErrorCalendarViewRangeTooBig", "The calendar view range is larger than two years.")
    extra = list(extra)
    rows = [
        (fields["calendar:Start"], render_item(item_id, change_key, fields, base, extra))
        for item_id, change_key, fields, _ in in_range(ctx.store.items(mailbox, folder), start, end)
    ]
    limit = int(view.get("MaxEntriesReturned") or 0)
    if limit and len(rows) > limit:
        rows = rows[:limit]
    return "".join(xml for _, xml in rows), len(rows)


def in_range(
    items: Iterable[Item], start: datetime, end: datetime
) -> list[tuple[str, str, dict[str, Any], str | None]]:
    """(id, change key, fields, series master id) of single items and occurrences overlapping
    [start, end), by start: what a calendar view shows, over either protocol."""
    rows = []
    for item in items:
        if occurrences.is_master(item):
            try:
                expanded = occurrences.expand(item, start, end)
            except RecurrenceError:
                continue
            for index, fields in expanded:
                rows.append((occurrences.occurrence_id(item.id, index), item.change_key, fields, item.id))
        elif (
            item.get("calendar:Start")
            and item.get("calendar:Start") < end
            and item.get("calendar:End") > start
        ):
            rows.append((item.id, item.change_key, item.fields, None))
    rows.sort(key=lambda row: row[2]["calendar:Start"])
    return rows
