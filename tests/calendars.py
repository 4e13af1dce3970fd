"""What tests count in a calendar: meetings, not the reconciler's own records (the apply lease and the
baseline, appointments nobody is invited to: `backends/marker.py`)."""

from __future__ import annotations

from typing import Any

from reconciler.backends import marker
from reconciler.backends.ews import baseline, lease
from reconciler.sandbox.store import Item, Store, extended_key

RECORD_KEYS = tuple(extended_key("PublicStrings", name, "String") for name in marker.RECORD_NAMES)


def is_record(item: Item) -> bool:
    return any(item.get(key) is not None for key in RECORD_KEYS)


def meetings_in(store: Store, mailbox: str) -> list[Item]:
    """The calendar's items in the store, records left out."""
    return [i for i in store.items(mailbox, "calendar") if not is_record(i)]


def meetings_of(account: Any) -> Any:
    """An exchangelib account's calendar items, records left out (a query: `.count()`, iteration)."""
    lease.register()
    baseline.register()
    calendar = account.calendar.exclude(reconciler_lease__exists=True)
    return calendar.exclude(reconciler_baseline_namespace__exists=True)
