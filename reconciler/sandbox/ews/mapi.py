"""MAPI properties Exchange derives from an item's fields, readable and filterable as extended properties.

Clients that speak MAPI through EWS (DavMail among them) ask for these by property tag or by named property
instead of the EWS field: PR_SUBJECT (0x37), PR_DISPLAY_NAME (0x3001), PR_LAST_MODIFICATION_TIME (0x3008),
PR_INTERNET_ARTICLE_NUMBER (0xe23, the item's number in the store, which DavMail sorts by),
PidLidRecurring (Appointment set, id 0x8223) and the `urn:schemas:calendar:instancetype` named property
(0 single, 1 master, 2 occurrence, 3 exception). PR_URL_COMP_NAME (0x10f3) is not derived: Exchange has
none for items created over EWS, and DavMail then names the item by its id; a client may store one.
A value the client stored itself wins over the derived one.
"""

from __future__ import annotations

from typing import Any

from reconciler.sandbox.store import Item

SUBJECT = "ext::0x0037:String"
DISPLAY_NAME = "ext::0x3001:String"
LAST_MODIFIED = "ext::0x3008:SystemTime"
ARTICLE_NUMBER = "ext::0x0e23:Integer"
RECURRING = "ext:Appointment:id:33315:Boolean"
INSTANCE_TYPE = "ext:PublicStrings:urn:schemas:calendar:instancetype:Integer"

_INSTANCE = {"Single": 0, "RecurringMaster": 1, "Occurrence": 2, "Exception": 3}


def derived(item: Item, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    """The derived properties of `item` (or of an occurrence's `fields`), without the ones it stores."""
    f = fields if fields is not None else item.fields
    subject = f.get("item:Subject") or ""
    out: dict[str, Any] = {
        SUBJECT: subject,
        DISPLAY_NAME: subject,
        ARTICLE_NUMBER: item.seq,
    }
    if f.get("item:LastModifiedTime") or f.get("item:DateTimeCreated"):
        out[LAST_MODIFIED] = f.get("item:LastModifiedTime") or f.get("item:DateTimeCreated")
    kind = f.get("calendar:CalendarItemType")
    if kind in _INSTANCE:
        out[INSTANCE_TYPE] = _INSTANCE[kind]
        out[RECURRING] = kind != "Single"
    return {k: v for k, v in out.items() if k not in f}


def view(item: Item) -> dict[str, Any]:
    """The item's fields with the derived properties, as restrictions and sort orders see them."""
    return {**item.fields, **derived(item)}
