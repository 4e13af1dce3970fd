"""The apply lease over EWS: one hidden message per mailbox, changed only by compare-and-swap.

The record is a message saved (never sent) in the mailbox's `msgfolderroot` ("Top of Information Store"),
which Outlook and OWA do not list as a folder of mail, carrying the named property `reconciler-lease`
(PublicStrings, like the meeting marker): the holder's JSON, or "" when free. Writes are UpdateItem with the
ChangeKey read and `ConflictResolution="NeverOverwrite"`: Exchange refuses a stale ChangeKey with
ErrorIrresolvableConflict, which makes the write an atomic compare-and-swap. The same item is reachable over
Microsoft Graph (`mailFolders/msgfolderroot/messages`, If-Match on its ETag), so one lease serves both
backends.
"""

from __future__ import annotations

from exchangelib import Account, Message
from exchangelib.errors import ErrorIrresolvableConflict, ErrorItemNotFound

from reconciler.backends import marker
from reconciler.backends.base import LeaseConflict, LeaseItem
from reconciler.backends.ews.marker import string_property

FIELD = "reconciler_lease"


def register() -> None:
    try:
        Message.get_field_by_fieldname(FIELD)
    except (ValueError, KeyError, AttributeError):
        Message.register(FIELD, string_property(marker.LEASE))


def _item(message: Message) -> LeaseItem:
    created = message.datetime_created.isoformat() if message.datetime_created else ""
    return LeaseItem(message.id, message.changekey, getattr(message, FIELD) or "", created)


def lease_items(account: Account) -> list[LeaseItem]:
    folder = account.msg_folder_root
    fields = (FIELD, "datetime_created", "changekey")
    found = list(folder.filter(**{f"{FIELD}__exists": True}).only(*fields))
    if not found:
        Message(
            account=account,
            folder=folder,
            subject=marker.LEASE_SUBJECT,
            body=marker.LEASE_BODY,
            **{FIELD: ""},
        ).save()
        found = list(folder.filter(**{f"{FIELD}__exists": True}).only(*fields))
    return [_item(m) for m in found]


def write_lease(account: Account, item: LeaseItem, holder: str) -> LeaseItem:
    message = Message(
        account=account,
        folder=account.msg_folder_root,
        id=item.item_id,
        changekey=item.version,
        **{FIELD: holder},
    )
    try:
        message.save(update_fields=[FIELD], conflict_resolution="NeverOverwrite")
    except (ErrorIrresolvableConflict, ErrorItemNotFound) as exc:
        raise LeaseConflict(str(exc)) from exc
    return LeaseItem(message.id, message.changekey, holder, item.created)
