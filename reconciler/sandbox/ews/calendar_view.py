"""FindItem with `m:CalendarView`: single items and expanded occurrences overlapping a range.

As in Exchange ("CalendarView"): items that end before StartDate or start on or after EndDate are left out
(one ending exactly at StartDate is in), deleted occurrences left out, modified ones as `Exception`, a range
of at most two years. `MaxEntriesReturned` keeps the first N: `TotalItemsInView` still counts the whole
range and `IncludesLastItemInRange` is false, which is how a client knows to narrow the range.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from lxml import etree

from reconciler.sandbox.calendar_view import in_range
from reconciler.sandbox.context import ItemError
from reconciler.sandbox.ews.context import EwsContext
from reconciler.sandbox.ews.items import parse_datetime, render_item

MAX_RANGE = timedelta(days=2 * 366)


def render_view(
    ctx: EwsContext, mailbox: str, folder: str, view: etree._Element, base: str, extra: Iterable[str]
) -> tuple[str, int, bool]:
    """(items XML, how many the range holds, whether all of them are in the XML)."""
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
    found = in_range(ctx.store.items(mailbox, folder), start, end, ending_at_start=True)
    limit = int(view.get("MaxEntriesReturned") or 0)
    shown = found[:limit] if limit else found
    xml = "".join(
        render_item(item_id, change_key, fields, base, extra) for item_id, change_key, fields, _ in shown
    )
    return xml, len(found), len(shown) == len(found)
