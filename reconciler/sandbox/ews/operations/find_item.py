"""FindItem: a folder's items with restriction, sort order and paging, or a calendar view.

Paging: see `paging` (at most 1,000 items per call, like Exchange).
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from reconciler.sandbox.context import ItemError
from reconciler.sandbox.ews import calendar_view, mapi, paging, restrictions, soap, sorting
from reconciler.sandbox.ews.context import EwsContext
from reconciler.sandbox.ews.items import requested_fields
from reconciler.sandbox.ews.soap import m
from reconciler.sandbox.ews.targets import render_target
from reconciler.sandbox.occurrences import Target
from reconciler.sandbox.store import Item


def handle(ctx: EwsContext) -> list[str]:
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
                xml, total, whole = calendar_view.render_view(ctx, mailbox, folder, view, base, extra)
                out.append(
                    soap.success(
                        "FindItem",
                        f'<m:RootFolder TotalItemsInView="{total}" '
                        f'IncludesLastItemInRange="{str(whole).lower()}"><t:Items>{xml}</t:Items>'
                        "</m:RootFolder>",
                    )
                )
                continue
            sort = op.find(m("SortOrder"))

            def listing(mailbox: str = mailbox, folder: str = folder, sort: Any = sort) -> list[str]:
                return [i.id for i in _matching(ctx.store.items(mailbox, folder), restriction, sort)]

            # A client pages through a folder with the same question: the matching ids are worked out once
            # per store version, each page reads only its own items.
            key = ("FindItem", mailbox, folder, _xml(restriction), _xml(sort))
            chosen_ids, paged = paging.page(
                ctx.store.listing(key, listing), op.find(m("IndexedPageItemView"))
            )
            chosen = ctx.store.by_ids(chosen_ids)
            xml = "".join(render_target(Target(i), base, extra, store=ctx.store) for i in chosen)
            out.append(
                soap.success("FindItem", f"<m:RootFolder {paged}><t:Items>{xml}</t:Items></m:RootFolder>")
            )
        except ItemError as exc:
            out.append(soap.error("FindItem", exc.code, exc.text))
    return out


def _matching(items: list[Item], restriction: Any, sort: Any) -> list[Item]:
    """The folder's items a restriction keeps, in the sort order asked (the store's order otherwise)."""
    test = restrictions.from_request(restriction)
    if test is None and sort is None:
        return items
    # Restrictions and sort orders see the fields with the MAPI properties derived from them.
    views = [(mapi.view(i), i) for i in items]
    if test is not None:
        views = [(v, i) for v, i in views if test(v)]
    if sort is not None:
        by_identity = {id(v): (v, i) for v, i in views}
        views = [by_identity[id(v)] for v in sorting.sort_items([v for v, _ in views], sort)]
    return [i for _, i in views]


def _xml(element: Any) -> bytes:
    return b"" if element is None else etree.tostring(element)
