"""What an EWS operation handler receives: the core context plus the parsed SOAP request."""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from reconciler.sandbox.context import Context, ItemError
from reconciler.sandbox.ews.soap import Request, local, t
from reconciler.sandbox.rights import READ
from reconciler.sandbox.store import DISTINGUISHED


@dataclass
class EwsContext(Context):
    """One EWS request being served."""

    request: Request | None = field(default=None, kw_only=True)

    def folder(self, el: etree._Element, action: str = READ) -> tuple[str, str]:
        """(mailbox, distinguished name) of a `t:DistinguishedFolderId` or `t:FolderId` element, which the
        caller's rights must allow `action` in."""
        kind = local(el.tag)
        if kind == "DistinguishedFolderId":
            name = el.get("Id", "")
            if name not in DISTINGUISHED:
                raise ItemError("ErrorFolderNotFound", f"The distinguished folder {name!r} is not supported.")
            address = el.findtext(f"{t('Mailbox')}/{t('EmailAddress')}")
            mailbox = (address or self.mailbox).strip().lower()
            self.check_access(mailbox)
            self.require(name, action)
            return mailbox, name
        if kind == "FolderId":
            found = self.store.folder_by_id(el.get("Id", ""))
            if found is None:
                raise ItemError(
                    "ErrorFolderNotFound", "The specified folder could not be found in the store."
                )
            self.check_access(found[0])
            self.require(found[1], action)
            return found
        raise ItemError("ErrorInvalidRequest", f"Unexpected folder id element {kind}.")
