"""What marks a calendar item as managed: named properties in the PublicStrings set, and its UID.

`reconciler-namespace`, `reconciler-key`, `reconciler-spec-hash` (the last-applied desired spec) and
`reconciler-timezone` (the IANA zone applied; EWS keeps only a Windows zone). The iCalendar UID is derived
from namespace and key, so a meeting re-created after an accidental deletion re-attaches to the attendees'
existing copies instead of orphaning them.
"""

from __future__ import annotations

import uuid

from exchangelib import CalendarItem
from exchangelib.extended_properties import ExtendedProperty

UID_NAMESPACE = uuid.UUID("5d3c1f0e-6a57-4c1e-9a55-0b7c2e8f4a10")
"""Fixed forever: changing it would orphan every meeting ever created."""


def string_property(name: str) -> type[ExtendedProperty]:
    """A named String property in the PublicStrings set (the same MAPI property over EWS and Graph)."""
    return type(
        name,
        (ExtendedProperty,),
        {"distinguished_property_set_id": "PublicStrings", "property_name": name, "property_type": "String"},
    )


PROPERTIES = {
    "reconciler_namespace": string_property("reconciler-namespace"),
    "reconciler_key": string_property("reconciler-key"),
    "reconciler_spec_hash": string_property("reconciler-spec-hash"),
    "reconciler_timezone": string_property("reconciler-timezone"),
}
FIELDS = tuple(PROPERTIES)


def register() -> None:
    """Make the marker fields known to exchangelib's CalendarItem (safe to call again)."""
    for name, prop in PROPERTIES.items():
        try:
            CalendarItem.get_field_by_fieldname(name)
        except (ValueError, KeyError, AttributeError):
            CalendarItem.register(name, prop)


def uid_for(namespace: str, key: str) -> str:
    return str(uuid.uuid5(UID_NAMESPACE, f"{namespace}/{key}")).upper()
