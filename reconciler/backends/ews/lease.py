"""The apply lease over EWS: one record per mailbox, changed only by compare-and-swap.

The record is an appointment in the organizer's calendar nobody is invited to (`records.py`), carrying the
named property `reconciler-lease` (PublicStrings, like the meeting marker): the holder's JSON, or "" when
free. Taking, renewing and releasing it is a `records.swap` with the ChangeKey read. The same item is an
event over Microsoft Graph (If-Match on its ETag), so one lease serves both backends.
"""

from __future__ import annotations

from exchangelib import Account, CalendarItem
from exchangelib.errors import ErrorIrresolvableConflict, ErrorItemNotFound

from reconciler.backends import marker
from reconciler.backends.base import LeaseConflict, LeaseItem
from reconciler.backends.ews import records

FIELD = "reconciler_lease"


def register() -> None:
    records.register(FIELD, marker.LEASE)


def _item(item: CalendarItem) -> LeaseItem:
    created = item.datetime_created.isoformat() if item.datetime_created else ""
    return LeaseItem(item.id, item.changekey, getattr(item, FIELD) or "", created)


def lease_items(account: Account) -> list[LeaseItem]:
    fields = (FIELD, "datetime_created", "changekey")
    query = account.calendar.filter(**{f"{FIELD}__exists": True})
    found = list(query.only(*fields))
    if not found:
        records.create(account, marker.LEASE_SUBJECT, marker.LEASE_BODY, **{FIELD: ""})
        found = list(query.only(*fields))
    return [_item(i) for i in found]


def write_lease(account: Account, item: LeaseItem, holder: str) -> LeaseItem:
    try:
        written = records.swap(account, item.item_id, item.version, **{FIELD: holder})
    except (ErrorIrresolvableConflict, ErrorItemNotFound) as exc:
        raise LeaseConflict(str(exc)) from exc
    return LeaseItem(written.id, written.changekey, holder, item.created)


def remove_legacy(account: Account) -> None:
    """Delete the free lease messages an older version kept in `msgfolderroot`, where the rights allow."""
    found = records.legacy(account, (FIELD,), **{f"{FIELD}__exists": True}) or []
    records.remove_legacy(account, [m.id for m in found if not getattr(m, FIELD)])
