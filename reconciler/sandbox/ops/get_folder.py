"""GetFolder: distinguished folders (root, calendar, inbox, ...) and folders by id."""

from __future__ import annotations

from reconciler.sandbox import soap
from reconciler.sandbox.context import Context, ItemError
from reconciler.sandbox.soap import m
from reconciler.sandbox.store import DISTINGUISHED, FOLDER_ELEMENTS


def folder_xml(ctx: Context, mailbox: str, name: str) -> str:
    folder_id, change_key = ctx.store.folder_id(mailbox, name)
    display, folder_class, parent = DISTINGUISHED[name]
    element = FOLDER_ELEMENTS.get(folder_class or "", "SearchFolder" if name == "searchfolders" else "Folder")
    parent_xml = ""
    if parent:
        parent_id, parent_key = ctx.store.folder_id(mailbox, parent)
        parent_xml = f'<t:ParentFolderId Id="{parent_id}" ChangeKey="{parent_key}"/>'
    class_xml = f"<t:FolderClass>{folder_class}</t:FolderClass>" if folder_class else ""
    unread = "" if element in ("CalendarFolder", "ContactsFolder") else "<t:UnreadCount>0</t:UnreadCount>"
    return (
        f'<t:{element}><t:FolderId Id="{folder_id}" ChangeKey="{change_key}"/>{parent_xml}{class_xml}'
        f"<t:DisplayName>{display}</t:DisplayName>"
        f"<t:TotalCount>{ctx.store.count(mailbox, name)}</t:TotalCount>"
        f"<t:ChildFolderCount>0</t:ChildFolderCount>{unread}</t:{element}>"
    )


def handle(ctx: Context) -> list[str]:
    out = []
    for el in ctx.request.operation.find(m("FolderIds")):
        try:
            mailbox, name = ctx.folder(el)
            out.append(soap.success("GetFolder", f"<m:Folders>{folder_xml(ctx, mailbox, name)}</m:Folders>"))
        except ItemError as exc:
            out.append(soap.error("GetFolder", exc.code, exc.text))
    return out
