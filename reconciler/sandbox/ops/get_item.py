"""GetItem: items by `ItemId`, `OccurrenceItemId` or `RecurringMasterItemId`, in the requested shape."""

from __future__ import annotations

from reconciler.sandbox import occurrences, soap
from reconciler.sandbox.context import Context, ItemError
from reconciler.sandbox.items import requested_fields
from reconciler.sandbox.soap import m


def handle(ctx: Context) -> list[str]:
    op = ctx.request.operation
    base, extra = requested_fields(op.find(m("ItemShape")))
    out = []
    for ref in op.find(m("ItemIds")):
        try:
            xml = occurrences.resolve_and_render(ctx, ref, base, extra)
            out.append(soap.success("GetItem", f"<m:Items>{xml}</m:Items>"))
        except ItemError as exc:
            out.append(soap.error("GetItem", exc.code, exc.text, "<m:Items/>"))
    return out
