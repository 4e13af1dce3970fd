"""Graph's extended-property ids ⇄ the store's keys (the ones EWS's ExtendedFieldURI maps to).

Graph names a property three ways ("Outlook extended properties overview"): `{type} {guid} Name {name}`,
`{type} {guid} Id {id}` and `{type} {tag}`. Property sets EWS knows by name (PublicStrings, Common,
Appointment, ...) are stored under that name, so a property set over either protocol is the same property;
any other set under its GUID in lower case. The type and the GUID are case-insensitive, the name is not.
"""

from __future__ import annotations

from exchangelib.extended_properties import ExtendedProperty

from reconciler.sandbox.graph.errors import invalid
from reconciler.sandbox.store import extended_key

_SETS = ExtendedProperty.DISTINGUISHED_SET_NAME_TO_ID_MAP
_SET_BY_GUID = {guid.lower(): name for name, guid in _SETS.items()}
_GUID_BY_SET = {name: guid.lower() for guid, name in _SET_BY_GUID.items()}
_TYPES = {t.lower(): t for t in ExtendedProperty.PROPERTY_TYPES}


def _type(text: str, graph_id: str) -> str:
    found = _TYPES.get(text.lower())
    if found is None:
        raise invalid(f"{text!r} in the extended property id {graph_id!r} is not a MAPI property type.")
    return found


def property_key(graph_id: str) -> str:
    """The store's key of a Graph extended-property id; 400 when it is not of Graph's three forms."""
    parts = graph_id.strip().split(" ", 3)
    try:
        if len(parts) == 2:  # {type} {tag}
            return extended_key("", f"0x{int(parts[1], 16):04x}", _type(parts[0], graph_id))
        if len(parts) == 4 and parts[1].startswith("{") and parts[1].endswith("}"):
            guid = parts[1][1:-1].lower()
            set_id = _SET_BY_GUID.get(guid, guid)
            if parts[2].lower() == "name":
                return extended_key(set_id, parts[3], _type(parts[0], graph_id))
            if parts[2].lower() == "id":
                return extended_key(set_id, f"id:{int(parts[3], 0)}", _type(parts[0], graph_id))
    except ValueError:
        pass
    raise invalid(
        f"The extended property id {graph_id!r} is not '{{type}} {{guid}} Name {{name}}', "
        "'{type} {guid} Id {id}' or '{type} {tag}'."
    )


def property_id(key: str) -> str | None:
    """The Graph id of a stored extended property (None for a key that is not one)."""
    if not key.startswith("ext:"):
        return None
    _, set_id, rest = key.split(":", 2)
    name, prop_type = rest.rsplit(":", 1)
    if not set_id:
        return f"{prop_type} 0x{int(name, 16):04x}" if name.startswith("0x") else None
    guid = _GUID_BY_SET.get(set_id, set_id)
    if name.startswith("id:"):
        return f"{prop_type} {{{guid}}} Id {hex(int(name[3:], 0))}"
    return f"{prop_type} {{{guid}}} Name {name}"


def same_property(one: str, other: str) -> bool:
    """Whether two Graph ids name the same property (type and GUID in any case, the name exactly)."""
    try:
        return property_key(one) == property_key(other)
    except Exception:  # an id that names nothing matches nothing
        return False
