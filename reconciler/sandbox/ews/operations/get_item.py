"""GetItem: items by `ItemId`, `OccurrenceItemId` or `RecurringMasterItemId`, in the requested shape.

`IncludeMimeContent` adds a calendar item's iCalendar as `t:MimeContent` (see `mime_content.py`).
"""

from __future__ import annotations

from reconciler.sandbox.context import ItemError
from reconciler.sandbox.ews import mime_content, soap, targets
from reconciler.sandbox.ews.computed import NEIGHBOUR_KEYS
from reconciler.sandbox.ews.context import EwsContext
from reconciler.sandbox.ews.items import requested_fields, wants_mime
from reconciler.sandbox.ews.soap import m


def handle(ctx: EwsContext) -> list[str]:
    op = ctx.request.operation
    shape = op.find(m("ItemShape"))
    base, extra = requested_fields(shape)
    mime = wants_mime(shape) or "item:MimeContent" in extra  # exchangelib asks for it as a field
    # The conflicting/adjacent counts need a scan of the calendar per item: only when the shape asks for them.
    scan = base == "AllProperties" or bool(NEIGHBOUR_KEYS & set(extra))
    out = []
    for ref in op.find(m("ItemIds")):
        try:
            target = targets.resolve(ctx, ref)
            calendar = target.item.get("item:ItemClass") == "IPM.Appointment" and target.index is None
            content = mime_content.to_ical(target.item) if mime and calendar else None
            xml = targets.render_target(target, base, extra, content, ctx.store, neighbours=scan)
            out.append(soap.success("GetItem", f"<m:Items>{xml}</m:Items>"))
        except ItemError as exc:
            out.append(soap.error("GetItem", exc.code, exc.text, "<m:Items/>"))
    return out
