"""GetUserConfiguration: the OWA user options (the user's time zone), which DavMail reads at login.

Shape as in MS docs ("GetUserConfiguration operation"): `m:UserConfiguration` with the name, an ItemId
and a `t:Dictionary` of typed key/value entries. Every sandbox mailbox has one configuration,
`OWA.UserOptions` on the root folder, whose `timezone` is UTC; any other name is ErrorItemNotFound, as
Exchange answers for a configuration that does not exist.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from reconciler.sandbox.context import ItemError
from reconciler.sandbox.ews import soap
from reconciler.sandbox.ews.context import EwsContext
from reconciler.sandbox.ews.soap import m

OPTIONS = {"OWA.UserOptions": {"timezone": "UTC"}}


def _entry(key: str, value: str) -> str:
    return (
        "<t:DictionaryEntry>"
        f"<t:DictionaryKey><t:Type>String</t:Type><t:Value>{escape(key)}</t:Value></t:DictionaryKey>"
        f"<t:DictionaryValue><t:Type>String</t:Type><t:Value>{escape(value)}</t:Value></t:DictionaryValue>"
        "</t:DictionaryEntry>"
    )


def handle(ctx: EwsContext) -> list[str]:
    op = ctx.request.operation
    name_el = op.find(m("UserConfigurationName"))
    try:
        if name_el is None or len(name_el) != 1:
            raise ItemError("ErrorInvalidRequest", "UserConfigurationName needs a name and a folder.")
        name = name_el.get("Name", "")
        mailbox, folder = ctx.folder(name_el[0])
        entries = OPTIONS.get(name) if folder == "root" else None
        if entries is None:
            raise ItemError("ErrorItemNotFound", "The specified object was not found in the store.")
        folder_id, _ = ctx.store.folder_id(mailbox, folder)
        dictionary = "".join(_entry(k, v) for k, v in entries.items())
        return [
            soap.success(
                "GetUserConfiguration",
                f"<m:UserConfiguration><t:UserConfigurationName Name={quoteattr(name)}>"
                f'<t:FolderId Id="{folder_id}"/></t:UserConfigurationName>'
                f'<t:ItemId Id="{folder_id}.{escape(name)}" ChangeKey="{folder_id[:16]}"/>'
                f"<t:Dictionary>{dictionary}</t:Dictionary></m:UserConfiguration>",
            )
        ]
    except ItemError as exc:
        return [soap.error("GetUserConfiguration", exc.code, exc.text)]
