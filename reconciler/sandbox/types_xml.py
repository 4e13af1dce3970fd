"""The names of the XML the store keeps for complex values.

The store keeps a recurrence (`calendar:Recurrence`), a time zone (`calendar:StartTimeZone`) and occurrence
summaries as elements of Exchange's types namespace: the one form both front doors convert from and to
(EWS passes them through; Graph's `wire.py` translates JSON to and from them). These helpers name them.
"""

from __future__ import annotations

T = "http://schemas.microsoft.com/exchange/services/2006/types"


def t(name: str) -> str:
    """The qualified tag of `name` in the types namespace."""
    return f"{{{T}}}{name}"


def local(tag: object) -> str:
    """A tag without its namespace."""
    return str(tag).rsplit("}", 1)[-1]
