"""FindFolder: a folder's subfolders (Shallow) or its whole subtree (Deep), with restriction and paging."""

from __future__ import annotations

from reconciler.sandbox import folders
from reconciler.sandbox.context import ItemError
from reconciler.sandbox.ews import paging, restrictions, soap
from reconciler.sandbox.ews.context import EwsContext
from reconciler.sandbox.ews.operations.get_folder import folder_xml
from reconciler.sandbox.ews.soap import m


def _tree(ctx: EwsContext, mailbox: str, key: str, deep: bool) -> list[folders.Folder]:
    out = []
    for child in folders.children(ctx.store, mailbox, key):
        out.append(child)
        if deep:
            out += _tree(ctx, mailbox, child.key, deep)
    return out


def handle(ctx: EwsContext) -> list[str]:
    op = ctx.request.operation
    deep = op.get("Traversal", "Shallow") == "Deep"
    restriction = op.find(m("Restriction"))
    out = []
    for parent_el in op.find(m("ParentFolderIds")):
        try:
            mailbox, key = ctx.folder(parent_el)
            found = _tree(ctx, mailbox, key, deep)
            test = restrictions.from_request(restriction)
            if test is not None:
                found = [
                    f
                    for f in found
                    if test({"folder:DisplayName": f.name, "folder:FolderClass": f.folder_class})
                ]
            chosen, paged = paging.page(found, op.find(m("IndexedPageFolderView")))
            xml = "".join(folder_xml(ctx, mailbox, f.key) for f in chosen)
            out.append(
                soap.success(
                    "FindFolder", f"<m:RootFolder {paged}><t:Folders>{xml}</t:Folders></m:RootFolder>"
                )
            )
        except ItemError as exc:
            out.append(soap.error("FindFolder", exc.code, exc.text))
    return out
