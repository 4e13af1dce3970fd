"""What marks a calendar item as managed: named properties in the PublicStrings set, and its UID.

`reconciler-namespace`, `reconciler-key`, `reconciler-spec-hash` (the last-applied desired spec) and
`reconciler-timezone` (the IANA zone applied; EWS keeps only a Windows zone). The iCalendar UID is derived
from namespace and key (`backends.marker.uid_for`), so a meeting re-created after an accidental deletion
re-attaches to the attendees' existing copies instead of orphaning them.
"""

from __future__ import annotations

from typing import Any

from exchangelib import CalendarItem
from exchangelib.extended_properties import ExtendedFieldURI, ExtendedProperty

from reconciler.backends import marker

PUBLIC_STRINGS = ExtendedProperty.DISTINGUISHED_SET_NAME_TO_ID_MAP["PublicStrings"]
URI_TAG = ExtendedFieldURI.response_tag()


class PublicString(ExtendedProperty):
    """A named String property in the PublicStrings set (the same MAPI property over EWS and Graph)."""

    distinguished_property_set_id = "PublicStrings"
    property_type = "String"

    @classmethod
    def is_property_instance(cls, elem: Any) -> bool:
        """Whether an answer's ExtendedProperty element is this property (see `public_string_name`)."""
        return public_string_name(elem) == cls.property_name


def public_string_name(elem: Any) -> str | None:
    """The name of an answer's ExtendedProperty element when it is a PublicStrings String property.

    exchangelib's own check builds and normalises two ExtendedFieldURI objects for every property of every
    item it reads: half of the client's time in reading a calendar. This reads the same attributes (the set
    named or given by its GUID, the name, the type) directly.
    """
    uri = elem.find(URI_TAG)
    if uri is None or uri.get("PropertyType") != "String":
        return None
    named = uri.get("DistinguishedPropertySetId")
    in_set = named == "PublicStrings" if named else (uri.get("PropertySetId") or "").lower() == PUBLIC_STRINGS
    return uri.get("PropertyName") if in_set else None


def string_property(name: str) -> type[ExtendedProperty]:
    return type(name, (PublicString,), {"property_name": name})


PROPERTIES = {name.replace("-", "_"): string_property(name) for name in marker.MEETING_NAMES}
"""exchangelib field name (`reconciler_key`) → the property class."""
FIELDS = tuple(PROPERTIES)


def register() -> None:
    """Make the marker fields known to exchangelib's CalendarItem (safe to call again)."""
    for name, prop in PROPERTIES.items():
        try:
            CalendarItem.get_field_by_fieldname(name)
        except (ValueError, KeyError, AttributeError):
            CalendarItem.register(name, prop)
