"""FindItem: a folder's items with restriction, sort order and paging, or a calendar view.

Paging answers `TotalItemsInView`, `IncludesLastItemInRange` and `IndexedPagingOffset` as exchangelib's
pager expects; one call returns at most 1,000 items, like Exchange.
"""

from __future__ import annotations

from reconciler.sandbox import calendar_view, mapi, restrictions, soap, sorting
from reconciler.sandbox.context import Context, ItemError
from reconciler.sandbox.items import requested_fields
from reconciler.sandbox.occurrences import Target, render_target
from reconciler.sandbox.soap import m

MAX_PAGE = 1000


def handle(ctx: Context) -> list[str]:
    op = ctx.request.operation
    base, extra = requested_fields(op.find(m("ItemShape")))
    restriction = op.find(m("Restriction"))
    view = op.find(m("CalendarView"))
    out = []
    for folder_el in op.find(m("ParentFolderIds")):
        try:
            mailbox, folder = ctx.folder(folder_el)
            if view is not None:
                if restriction is not None:
                    raise ItemError(
                        "ErrorInvalidOperation",
                        "Restrictions and sort order may not be specified for a CalendarView.",
                    )
                xml, count = calendar_view.render_view(ctx, mailbox, folder, view, base, extra)
                out.append(
                    soap.success(
                        "FindItem",
                        f'<m:RootFolder TotalItemsInView="{count}" '
                        f'IncludesLastItemInRange="true"><t:Items>{xml}</t:Items>'
                        "</m:RootFolder>",
                    )
                )
                continue
            items = ctx.store.items(mailbox, folder)
            if restriction is not None and len(restriction):
                try:
                    test = restrictions.compile_restriction(restriction[0])
                except restrictions.RestrictionError as exc:
                    raise ItemError("ErrorInvalidRestriction", str(exc)) from None
                items = [i for i in items if test(mapi.view(i))]
            sort = op.find(m("SortOrder"))
            if sort is not None:
                views = [mapi.view(i) for i in items]
                order = sorting.sort_items(views, sort)
                by_identity = {id(v): i for v, i in zip(views, items, strict=True)}
                items = [by_identity[id(f)] for f in order]
            page = op.find(m("IndexedPageItemView"))
            total = len(items)
            offset, size = 0, MAX_PAGE
            if page is not None:
                offset = int(page.get("Offset", "0"))
                size = min(int(page.get("MaxEntriesReturned", str(MAX_PAGE))), MAX_PAGE)
                if page.get("BasePoint") == "End":
                    offset = max(total - offset - size, 0)
            chosen = items[offset : offset + size]
            end = offset + len(chosen)
            xml = "".join(render_target(Target(i), base, extra) for i in chosen)
            last = "true" if end >= total else "false"
            out.append(
                soap.success(
                    "FindItem",
                    f'<m:RootFolder IndexedPagingOffset="{end}" TotalItemsInView="{total}" '
                    f'IncludesLastItemInRange="{last}"><t:Items>{xml}</t:Items>'
                    "</m:RootFolder>",
                )
            )
        except ItemError as exc:
            out.append(soap.error("FindItem", exc.code, exc.text))
    return out
