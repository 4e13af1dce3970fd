"""The marker every backend stamps and reads: named String properties in the PublicStrings set.

The same MAPI properties are visible over EWS (`ExtendedFieldURI` with `DistinguishedPropertySetId=
"PublicStrings"`) and over Graph (`singleValueExtendedProperties` id `String {GUID} Name x`), so an item
created by one backend is managed by the other. Names are case-sensitive and fixed forever.
"""

from __future__ import annotations

import uuid

PUBLIC_STRINGS_GUID = "00020329-0000-0000-C000-000000000046"
NAMESPACE = "reconciler-namespace"
KEY = "reconciler-key"
SPEC_HASH = "reconciler-spec-hash"
TIMEZONE = "reconciler-timezone"
"""The IANA zone applied (Exchange keeps a Windows zone, which names several IANA zones)."""
LEASE = "reconciler-lease"
"""On the apply lease record, not on meetings."""
LEASE_SUBJECT = "reconciler apply lease"
LEASE_BODY = (
    "This item lets one `reconciler apply` at a time change this mailbox's managed meetings. "
    "It is harmless; delete it only while no apply runs (`reconciler unlock` frees it instead)."
)
BASELINE = "reconciler-baseline"
BASELINE_NAMESPACE = "reconciler-baseline-namespace"
"""On the baseline record (one per namespace): what the server kept of each meeting."""
MEETING_NAMES = (NAMESPACE, KEY, SPEC_HASH, TIMEZONE)
RECORD_NAMES = (LEASE, BASELINE_NAMESPACE)
"""What marks the reconciler's own records, which are never meetings (nor meetings to import)."""

RECORD_START = "2000-01-01T00:00:00Z"
RECORD_END = "2000-01-01T00:01:00Z"
"""The records (the apply lease, the baseline) are appointments in the organizer's calendar, because
calendar rights reach them there (Calendars.ReadWrite, an Editor delegate) where a message in the mailbox
needs mail rights: free, private, no reminder, nobody invited (so nothing is ever sent), on the first minute
of 2000, far from any range the reconciler or a person looks at. Changed only by compare-and-swap on the
item's version, as a meeting is. Older versions kept them as messages in `msgfolderroot`: read once when
the calendar has none and the rights allow (`LEGACY_FOLDER`), then removed."""
LEGACY_FOLDER = "msgfolderroot"


def graph_id(name: str) -> str:
    """The Graph id of one marker property."""
    return f"String {{{PUBLIC_STRINGS_GUID}}} Name {name}"


def graph_name(property_id: str | None) -> str | None:
    """The name of a PublicStrings String property from its Graph id, None for any other property.

    Graph answers an id in its own spelling (a tenant writes the GUID in lower case, whatever case it was
    given in), so the type and the GUID are compared without case; the name keeps its case."""
    parts = (property_id or "").split(" ", 3)
    if len(parts) != 4 or parts[0].lower() != "string" or parts[2].lower() != "name":
        return None
    return parts[3] if parts[1].lower() == "{" + PUBLIC_STRINGS_GUID.lower() + "}" else None


UID_NAMESPACE = uuid.UUID("5d3c1f0e-6a57-4c1e-9a55-0b7c2e8f4a10")
"""Fixed forever: changing it would orphan every meeting ever created."""


def uid_for(namespace: str, key: str) -> str:
    """The iCalendar UID an item the reconciler creates over EWS carries (Graph chooses its own)."""
    return str(uuid.uuid5(UID_NAMESPACE, f"{namespace}/{key}")).upper()
