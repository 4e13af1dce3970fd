"""A calendar view over either protocol: single items and expanded occurrences overlapping a range.

As in Exchange: deleted occurrences left out, modified ones as exceptions at their new times, by start.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from reconciler.sandbox import occurrences
from reconciler.sandbox.recurrence import RecurrenceError
from reconciler.sandbox.store import Item


def in_range(
    items: Iterable[Item], start: datetime, end: datetime, ending_at_start: bool = False
) -> list[tuple[str, str, dict[str, Any], str | None]]:
    """(id, change key, fields, series master id) of single items and occurrences overlapping
    [start, end), by start: what a calendar view shows, over either protocol.

    `ending_at_start`: also those that end exactly at `start` (EWS's CalendarView leaves out only items
    that end before its StartDate). Times are kept to the microsecond, so that is "ends after start - 1 µs".
    """
    if ending_at_start:
        start -= timedelta(microseconds=1)
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
