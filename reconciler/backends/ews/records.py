"""The reconciler's own records over EWS (the apply lease, the baseline): appointments in the calendar.

`marker.RECORD_START` says why the calendar and what they look like. Each is created with
`SendMeetingInvitations="SendToNone"` (nobody is invited anyway) and changed only by an UpdateItem under
`ConflictResolution="NeverOverwrite"` with the ChangeKey read: Exchange refuses a stale one with
ErrorIrresolvableConflict, which makes the write an atomic compare-and-swap. Where older versions kept them
(messages in `msgfolderroot`) is read and cleared here too.
"""

from __future__ import annotations

from typing import Any

from exchangelib import Account, CalendarItem, EWSDateTime, Message
from exchangelib.errors import ErrorAccessDenied, ErrorItemNotFound
from exchangelib.items import SEND_TO_NONE

from reconciler.backends import marker
from reconciler.backends.ews.marker import string_property

START = EWSDateTime.from_string(marker.RECORD_START)
END = EWSDateTime.from_string(marker.RECORD_END)


def register(field: str, name: str) -> None:
    """The named property `name` as `field` on appointments (the records) and messages (older records)."""
    for model in (CalendarItem, Message):
        try:
            model.get_field_by_fieldname(field)
        except (ValueError, KeyError, AttributeError):
            model.register(field, string_property(name))


def create(account: Account, subject: str, body: str, **props: str) -> CalendarItem:
    item = CalendarItem(
        account=account,
        folder=account.calendar,
        subject=subject,
        body=body,
        start=START,
        end=END,
        legacy_free_busy_status="Free",
        sensitivity="Private",
        reminder_is_set=False,
        **props,
    )
    item.save(send_meeting_invitations=SEND_TO_NONE)
    return item


def swap(account: Account, item_id: str, version: str, **props: str) -> CalendarItem:
    """Set `props` on the record if its ChangeKey is still `version` (ErrorIrresolvableConflict if not)."""
    item = CalendarItem(account=account, folder=account.calendar, id=item_id, changekey=version, **props)
    item.save(
        update_fields=list(props),
        conflict_resolution="NeverOverwrite",
        send_meeting_invitations=SEND_TO_NONE,
    )
    return item


def legacy(account: Account, fields: tuple[str, ...], **query: Any) -> list[Message] | None:
    """The older records `query` finds in `msgfolderroot` (with `fields`), or None when the rights do not
    reach there (a delegate with calendar rights alone)."""
    try:
        return list(account.msg_folder_root.filter(**query).only(*fields, "changekey"))
    except ErrorAccessDenied:
        return None


def remove_legacy(account: Account, ids: list[str]) -> bool:
    """Delete older records (they are ours: found by their marker); False when the rights do not allow."""
    try:
        for item_id in ids:
            try:
                Message(account=account, folder=account.msg_folder_root, id=item_id).delete()  # hard
            except ErrorItemNotFound:
                continue
    except ErrorAccessDenied:
        return False
    return True
