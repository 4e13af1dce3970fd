"""CreateFolder: folders under any folder of the mailbox; a second folder of the same name under the same
parent is ErrorFolderExists, as on Exchange."""

from __future__ import annotations

from reconciler.sandbox import folders
from reconciler.sandbox.context import ItemError
from reconciler.sandbox.ews import soap
from reconciler.sandbox.ews.context import EwsContext
from reconciler.sandbox.ews.soap import local, m, t
from reconciler.sandbox.store import FOLDER_ELEMENTS

_CLASS_OF = {element: folder_class for folder_class, element in FOLDER_ELEMENTS.items()}
"""A new folder's class when the request gives none: the one its element type stands for."""


def handle(ctx: EwsContext) -> list[str]:
    op = ctx.request.operation
    parent_el = op.find(m("ParentFolderId"))
    out = []
    for new in op.find(m("Folders")):
        element = local(new.tag)
        try:
            if parent_el is None or not len(parent_el):
                raise ItemError("ErrorInvalidRequest", "CreateFolder needs a ParentFolderId.")
            mailbox, parent = ctx.folder(parent_el[0])
            name = (new.findtext(t("DisplayName")) or "").strip()
            if not name:
                raise ItemError("ErrorInvalidRequest", "A folder needs a DisplayName.")
            if any(f.name.lower() == name.lower() for f in folders.children(ctx.store, mailbox, parent)):
                raise ItemError("ErrorFolderExists", "A folder with the specified name already exists.")
            folder_class = new.findtext(t("FolderClass")) or _CLASS_OF.get(element, "IPF.Note")
            made = folders.create(ctx.store, mailbox, parent, name, folder_class)
            out.append(
                soap.success(
                    "CreateFolder",
                    f'<m:Folders><t:{element}><t:FolderId Id="{made.id}" ChangeKey="{made.change_key}"/>'
                    f"</t:{element}></m:Folders>",
                )
            )
        except ItemError as exc:
            out.append(soap.error("CreateFolder", exc.code, exc.text))
    return out
