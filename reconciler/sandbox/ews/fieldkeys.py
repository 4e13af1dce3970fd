"""One string key per EWS property path, shared by the store, the item codec and restriction evaluation.

- `t:FieldURI FieldURI="item:Subject"` → `item:Subject`
- `t:IndexedFieldURI FieldURI="contacts:EmailAddress" FieldIndex="EmailAddress1"`
  → `contacts:EmailAddress:EmailAddress1`
- `t:ExtendedFieldURI DistinguishedPropertySetId="PublicStrings" PropertyName="k" PropertyType="String"`
  → `ext:PublicStrings:k:String` (a `PropertySetId` GUID is lower-cased; a `PropertyTag` is normalised to
  `0x` + four lower-case hex digits; a `PropertyId` is kept as given)
"""

from __future__ import annotations

from lxml import etree

from reconciler.sandbox.store import extended_key
from reconciler.sandbox.types_xml import local as _local


def field_key(path: etree._Element) -> str:
    """The key of a FieldURI / IndexedFieldURI / ExtendedFieldURI element."""
    kind = _local(path.tag)
    if kind == "FieldURI":
        return path.get("FieldURI", "")
    if kind == "IndexedFieldURI":
        return f"{path.get('FieldURI', '')}:{path.get('FieldIndex', '')}"
    if kind == "ExtendedFieldURI":
        set_id = path.get("DistinguishedPropertySetId") or (path.get("PropertySetId") or "").lower()
        if path.get("PropertyTag") is not None:
            tag = path.get("PropertyTag", "")
            name = f"0x{int(tag, 16 if tag.lower().startswith('0x') else 10):04x}"
        elif path.get("PropertyName") is not None:
            name = path.get("PropertyName", "")
        else:
            name = f"id:{path.get('PropertyId', '')}"
        return extended_key(set_id, name, path.get("PropertyType", ""))
    raise ValueError(f"not a property path element: {kind}")


def is_extended(key: str) -> bool:
    return key.startswith("ext:")
