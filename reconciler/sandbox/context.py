"""What every request handler receives, whichever protocol: the store, who is acting, and when."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from reconciler.sandbox import normalise
from reconciler.sandbox.directory import Directory
from reconciler.sandbox.rewrites import Rewrites
from reconciler.sandbox.rights import DENIED, FULL, READ, Rights
from reconciler.sandbox.store import Item, Store


class ItemError(Exception):
    """A per-item failure with Exchange's response code (EWS answers it inside the item's response message,
    Graph as an error body)."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(text)
        self.code = code
        self.text = text


@dataclass
class Context:
    """One request being served."""

    store: Store
    mailbox: str
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    messages_sent: list[str] = field(default_factory=list)
    """Sender addresses of every message this request sent (for the message-rate limit)."""
    rooms_to_answer: list[tuple[str, str, str]] = field(default_factory=list)
    """(organizer's item id, room, request id) of requests rooms received in this request, answered once
    the organizer's item is saved (`rooms.answer_all`)."""
    directory: Directory = field(default_factory=Directory)
    rewrites: Rewrites = field(default_factory=Rewrites)
    """What the server does to what it is given (all of Exchange's rules unless a test switched some off)."""
    rights: Rights = FULL
    """What the caller may do in `mailbox` (a delegate's folder permissions; `rights.py`)."""
    actor: str = ""
    """Who acts, when not the mailbox's owner: a delegate's account (an impersonating account acts as the
    owner). Exchange writes the actor's display name into an item it saves (LastModifiedName)."""

    @property
    def actor_name(self) -> str:
        """The display name of whoever is saving an item: the delegate's, else the mailbox owner's."""
        return self.directory.display_name(self.actor or self.mailbox)

    def check_access(self, mailbox: str) -> None:
        if mailbox != self.mailbox:
            raise ItemError(
                "ErrorAccessDenied", f"The account does not have permission to act for {mailbox}."
            )

    def require(self, folder: str, action: str) -> None:
        """ErrorAccessDenied unless the caller's rights allow `action` in `folder` of this mailbox."""
        if not self.rights.allows(folder, action):
            raise ItemError("ErrorAccessDenied", DENIED)

    def require_send(self) -> None:
        """ErrorSendAsDenied unless meeting messages may go out in this mailbox's name (a delegate needs
        send-on-behalf rights as well as its folder permission)."""
        if not self.rights.send:
            raise ItemError(
                "ErrorSendAsDenied",
                "The user account which was used to submit this request does not have the right to send mail "
                "on behalf of the specified sending account.",
            )

    def move(self, item: Item, folder: str) -> Item:
        """Move `item` (saving its fields): under a new id unless the `move-ids` rule is off."""
        return self.store.move(item, folder, self.rewrites.on("move-ids"))

    def item(self, item_id: str) -> Item:
        if not normalise.well_formed_id(item_id):
            raise ItemError("ErrorInvalidIdMalformed", "Id is malformed.")
        item = self.store.get(item_id)
        if item is None or item.mailbox != self.mailbox:
            raise ItemError("ErrorItemNotFound", "The specified object was not found in the store.")
        self.require(item.folder, READ)
        return item
