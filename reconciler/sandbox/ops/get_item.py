"""GetItem: items by `ItemId`, `OccurrenceItemId` or `RecurringMasterItemId`, in the requested shape.

`IncludeMimeContent` adds a calendar item's iCalendar as `t:MimeContent` (see `ical`).
"""

from __future__ import annotations

from reconciler.sandbox import ical, occurrences, soap
from reconciler.sandbox.context import Context, ItemError
from reconciler.sandbox.items import requested_fields, wants_mime
from reconciler.sandbox.soap import m


def handle(ctx: Context) -> list[str]:
    op = ctx.request.operation
    shape = op.find(m("ItemShape"))
    base, extra = requested_fields(shape)
    mime = wants_mime(shape) or "item:MimeContent" in extra  # exchangelib asks for it as a field
    out = []
    for ref in op.find(m("ItemIds")):
        try:
            target = occurrences.resolve(ctx, ref)
            calendar = target.item.get("item:ItemClass") == "IPM.Appointment" and target.index is None
            content = ical.to_ical(target.item) if mime and calendar else None
            xml = occurrences.render_target(target, base, extra, content)
            out.append(soap.success("GetItem", f"<m:Items>{xml}</m:Items>"))
        except ItemError as exc:
            out.append(soap.error("GetItem", exc.code, exc.text, "<m:Items/>"))
    return out
