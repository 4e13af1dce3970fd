"""The names of the XML the store keeps for complex values.

The store keeps a recurrence (`calendar:Recurrence`), a time zone (`calendar:StartTimeZone`) and occurrence
summaries as elements of Exchange's types namespace: the one form both front doors convert from and to
(EWS passes them through; Graph's `wire.py` translates JSON to and from them). These helpers name them.
"""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

T = "http://schemas.microsoft.com/exchange/services/2006/types"


def t(name: str) -> str:
    """The qualified tag of `name` in the types namespace."""
    return f"{{{T}}}{name}"


def local(tag: object) -> str:
    """A tag without its namespace."""
    return str(tag).rsplit("}", 1)[-1]


def zone_element(element: str, windows_id: str) -> str:
    """A stored time zone: `<t:StartTimeZone Id="W. Europe Standard Time"/>` (or `EndTimeZone`)."""
    return f'<t:{element} xmlns:t="{T}" Id={quoteattr(windows_id)}/>'
