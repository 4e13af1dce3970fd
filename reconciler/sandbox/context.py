"""What every operation handler receives: the store, the parsed request, and who is acting."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from lxml import etree

from reconciler.sandbox import normalise
from reconciler.sandbox.soap import Request, local, t
from reconciler.sandbox.store import DISTINGUISHED, Item, Store


class ItemError(Exception):
    """A per-item failure, answered inside the item's response message (ResponseClass="Error")."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(text)
        self.code = code
        self.text = text


@dataclass
class Context:
    """One request being served."""

    store: Store
    request: Request | None
    mailbox: str
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    messages_sent: list[str] = field(default_factory=list)
    """Sender addresses of every message this request sent (for the message-rate limit)."""

    def folder(self, el: etree._Element) -> tuple[str, str]:
        """(mailbox, distinguished name) of a `t:DistinguishedFolderId` or `t:FolderId` element."""
        kind = local(el.tag)
        if kind == "DistinguishedFolderId":
            name = el.get("Id", "")
            if name not in DISTINGUISHED:
                raise ItemError("ErrorFolderNotFound", f"The distinguished folder {name!r} is not supported.")
            address = el.findtext(f"{t('Mailbox')}/{t('EmailAddress')}")
            mailbox = (address or self.mailbox).strip().lower()
            self.check_access(mailbox)
            return mailbox, name
        if kind == "FolderId":
            found = self.store.folder_by_id(el.get("Id", ""))
            if found is None:
                raise ItemError(
                    "ErrorFolderNotFound", "The specified folder could not be found in the store."
                )
            self.check_access(found[0])
            return found
        raise ItemError("ErrorInvalidRequest", f"Unexpected folder id element {kind}.")

    def check_access(self, mailbox: str) -> None:
        if mailbox != self.mailbox:
            raise ItemError(
                "ErrorAccessDenied", f"The account does not have permission to act for {mailbox}."
            )

    def item(self, item_id: str) -> Item:
        if not normalise.well_formed_id(item_id):
            raise ItemError("ErrorInvalidIdMalformed", "Id is malformed.")
        item = self.store.get(item_id)
        if item is None or item.mailbox != self.mailbox:
            raise ItemError("ErrorItemNotFound", "The specified object was not found in the store.")
        return item
