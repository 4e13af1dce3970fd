"""GetFolder: distinguished folders (root, calendar, inbox, ...) and folders by id."""

from __future__ import annotations

from xml.sax.saxutils import escape

from reconciler.sandbox import folders
from reconciler.sandbox.context import ItemError
from reconciler.sandbox.ews import soap
from reconciler.sandbox.ews.context import EwsContext
from reconciler.sandbox.ews.soap import m
from reconciler.sandbox.rights import CREATE, DELETE, EDIT, OWN, READ
from reconciler.sandbox.store import FOLDER_ELEMENTS


def folder_xml(ctx: EwsContext, mailbox: str, key: str) -> str:
    folder = folders.get(ctx.store, mailbox, key)
    if folder is None:
        raise ItemError("ErrorFolderNotFound", "The specified folder could not be found in the store.")
    fallback = "SearchFolder" if key == "searchfolders" else "Folder"
    element = FOLDER_ELEMENTS.get(folder.folder_class or "", fallback)
    parent_xml = ""
    if folder.parent:
        parent = folders.get(ctx.store, mailbox, folder.parent)
        if parent is not None:
            parent_xml = f'<t:ParentFolderId Id="{parent.id}" ChangeKey="{parent.change_key}"/>'
    class_xml = f"<t:FolderClass>{folder.folder_class}</t:FolderClass>" if folder.folder_class else ""
    unread = "" if element in ("CalendarFolder", "ContactsFolder") else "<t:UnreadCount>0</t:UnreadCount>"
    subfolders = len(folders.children(ctx.store, mailbox, key))
    return (
        f'<t:{element}><t:FolderId Id="{folder.id}" ChangeKey="{folder.change_key}"/>{parent_xml}{class_xml}'
        f"<t:DisplayName>{escape(folder.name)}</t:DisplayName>"
        f"<t:TotalCount>{ctx.store.count(mailbox, key)}</t:TotalCount>"
        f"<t:ChildFolderCount>{subfolders}</t:ChildFolderCount>{_effective_rights(ctx, key)}{unread}"
        f"</t:{element}>"
    )


_EFFECTIVE = (
    ("CreateAssociated", OWN),
    ("CreateContents", CREATE),
    ("CreateHierarchy", OWN),
    ("Delete", DELETE),
    ("Modify", EDIT),
    ("Read", READ),
    ("ViewPrivateItems", READ),
)
"""types.xsd EffectiveRightsType, in order, and the folder right each stands for."""


def _effective_rights(ctx: EwsContext, key: str) -> str:
    """What the caller may do in the folder ("EffectiveRights": a delegate sees its own rights)."""
    said = "".join(
        f"<t:{name}>{'true' if ctx.rights.allows(key, right) else 'false'}</t:{name}>"
        for name, right in _EFFECTIVE
    )
    return f"<t:EffectiveRights>{said}</t:EffectiveRights>"


def handle(ctx: EwsContext) -> list[str]:
    out = []
    for el in ctx.request.operation.find(m("FolderIds")):
        try:
            mailbox, name = ctx.folder(el)
            out.append(soap.success("GetFolder", f"<m:Folders>{folder_xml(ctx, mailbox, name)}</m:Folders>"))
        except ItemError as exc:
            out.append(soap.error("GetFolder", exc.code, exc.text))
    return out
