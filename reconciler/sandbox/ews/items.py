"""Items on the wire: EWS item XML ⇄ the field mapping the store keeps, and rendering by shape.

The field mapping (the contract between all sandbox modules) maps field keys (`fieldkeys.field_key`:
`item:Subject`, `calendar:Start`, `ext:PublicStrings:name:String`) to values:

- text: str; bool; int; date-times: aware `datetime` in UTC; `item:Categories`: list[str];
- `item:Body`: {"type": "Text" | "HTML", "text": str};
- mailboxes (`calendar:Organizer`, `message:From`, `message:Sender`): {"name": str, "email": str};
- recipient lists (`message:ToRecipients`): list of mailboxes;
- attendee lists (`calendar:RequiredAttendees`, `...OptionalAttendees`, `...Resources`): list of
  {"name", "email", "response": ResponseType, "last_response": datetime | None};
- item ids (`meeting:AssociatedCalendarItemId`): {"id": str, "change_key": str};
- extended properties: str, or list[str] for array types;
- anything else (`calendar:Recurrence`, `calendar:StartTimeZone`, ...): the element's XML as a string.

Which kind a field is, and its element name, comes from exchangelib's own item models: the sandbox speaks
exactly the vocabulary of the client it must satisfy. Fields beginning with `$` are sandbox bookkeeping and
never rendered.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from functools import cache
from typing import Any
from xml.sax.saxutils import escape as _escape
from xml.sax.saxutils import quoteattr

from exchangelib import items as ex_items
from lxml import etree

from reconciler.sandbox.ews import item_types
from reconciler.sandbox.ews.fieldkeys import field_key, is_extended
from reconciler.sandbox.ews.soap import local, t
from reconciler.sandbox.ews.time_zones import with_definition
from reconciler.sandbox.types_xml import T as T_NS


def escape(text: str) -> str:
    """XML text as Exchange writes it: a carriage return as `&#xD;`, so that a client's XML parser keeps it
    (a literal CR would be read as a line end and dropped)."""
    return _escape(text).replace("\r", "&#xD;")


_KIND_BY_FIELD_CLASS = {
    "DateTimeField": "datetime",
    "DateOrDateTimeField": "datetime",
    "BooleanField": "bool",
    "IntegerField": "int",
    "CharListField": "strings",
    "BodyField": "body",
    "MailboxField": "mailbox",
    "MailboxListField": "recipients",
    "AttendeesField": "attendees",
    "AssociatedCalendarItemIdField": "itemid",
    "TextField": "text",
    "CharField": "text",
    "ChoiceField": "text",
    "URIField": "text",
    "EmailAddressField": "text",
    "MessageHeaderField": "xml",
    "EnumAsIntField": "text",
    "FreeBusyStatusField": "text",
    "CultureField": "text",
    "AppointmentStateField": "int",
}
ZONE_KEYS = {"calendar:StartTimeZone", "calendar:EndTimeZone"}
"""Stored by Windows id; answered with their definitions (`time_zones.py`)."""
ELEMENT_BY_CLASS = {
    "IPM.Appointment": "CalendarItem",
    "IPM.Schedule.Meeting.Request": "MeetingRequest",
    "IPM.Schedule.Meeting.Canceled": "MeetingCancellation",
    "IPM.Note": "Message",
}
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def element_name(fields: dict[str, Any]) -> str:
    """The types.xsd element an item is answered as, by its class."""
    item_class = str(fields.get("item:ItemClass", ""))
    if item_class.startswith("IPM.Schedule.Meeting.Resp"):
        return "MeetingResponse"
    return ELEMENT_BY_CLASS.get(item_class, "CalendarItem")


def id_only(item_id: str, change_key: str, fields: dict[str, Any]) -> str:
    """An item as an operation that made it answers it: its element with the id alone."""
    name = element_name(fields)
    return f'<t:{name}><t:ItemId Id="{item_id}" ChangeKey="{change_key}"/></t:{name}>'


@cache
def schema() -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """(field key → (element name, kind), element name → field key), from exchangelib's models (where an
    element stands in an item is `item_types.py`'s, from types.xsd)."""
    by_key: dict[str, tuple[str, str]] = {}
    by_element: dict[str, str] = {}
    models = (
        ex_items.CalendarItem,
        ex_items.MeetingRequest,
        ex_items.MeetingCancellation,
        ex_items.MeetingResponse,
        ex_items.Message,
    )
    for model in models:
        for f in model.FIELDS:
            uri = getattr(f, "field_uri", None)
            if not uri or ":" not in uri or uri in by_key:
                continue
            element = uri.split(":", 1)[1]
            kind = _KIND_BY_FIELD_CLASS.get(type(f).__name__, "xml")
            by_key[uri] = (element, kind)
            by_element.setdefault(element, uri)
    by_element["IsResponseRequested"] = "calendar:IsResponseRequested"
    by_key["calendar:TimeZone"] = ("TimeZone", "text")  # computed; exchangelib has no field
    return by_key, by_element


# -- parsing ------------------------------------------------------------------------------------------------


def parse_datetime(text: str, zone: Any = None) -> datetime:
    """An EWS date-time (`Z`, an offset, or a bare date meaning local midnight in `zone`) as aware UTC."""
    text = text.strip()
    if len(text) == 10 or (len(text) > 10 and text[10] in "+-Z"):  # a date, possibly with an offset
        day = date.fromisoformat(text[:10])
        value = datetime.combine(day, time.min, zone or UTC)
    else:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if value.tzinfo is None:
            value = value.replace(tzinfo=zone or UTC)
    return value.astimezone(UTC)


def format_datetime(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _mailbox(el: etree._Element) -> dict[str, str]:
    box = el if local(el.tag) == "Mailbox" else el.find(t("Mailbox"))
    if box is None:
        return {"name": "", "email": ""}
    return {"name": box.findtext(t("Name")) or "", "email": (box.findtext(t("EmailAddress")) or "").lower()}


def parse_value(key: str, el: etree._Element, zone: Any = None) -> Any:
    """The stored value of one field element."""
    kind = schema()[0].get(key, ("", "xml"))[1]
    text = el.text or ""
    if kind == "datetime":
        return parse_datetime(text, zone)
    if kind == "bool":
        return text.strip().lower() in ("true", "1")  # xs:boolean; exchangelib sends 1/0
    if kind == "int":
        return int(text.strip() or 0)
    if kind == "strings":
        return [s.text or "" for s in el]
    if kind == "body":
        return {"type": el.get("BodyType", "Text"), "text": text}
    if kind == "mailbox":
        return _mailbox(el)
    if kind == "recipients":
        return [_mailbox(box) for box in el]
    if kind == "attendees":
        return [
            {**_mailbox(a), "response": a.findtext(t("ResponseType")) or "Unknown", "last_response": None}
            for a in el
        ]
    if kind == "itemid":
        return {"id": el.get("Id", ""), "change_key": el.get("ChangeKey", "")}
    if kind == "text":
        return text
    return compact_xml(el)


def compact_xml(el: etree._Element) -> str:
    """The element as a string carrying only the namespace declarations it uses (stored XML stays small)."""
    copy = etree.fromstring(etree.tostring(el))
    etree.cleanup_namespaces(copy)
    return etree.tostring(copy, encoding="unicode")


def parse_extended(el: etree._Element) -> tuple[str, Any]:
    uri = el.find(t("ExtendedFieldURI"))
    key = field_key(uri)
    values = el.find(t("Values"))
    if values is not None:
        return key, [v.text or "" for v in values]
    return key, el.findtext(t("Value")) or ""


TEXT_ONLY = {"datetime", "bool", "int", "body", "text"}
"""Field kinds whose element holds text alone in types.xsd (simple content)."""
ITEM_ELEMENTS = {"CalendarItem", "Message", "Item"}


def schema_violation(operation: etree._Element) -> str | None:
    """What makes a request's items invalid against types.xsd, as Exchange words it, or None: an element
    whose content model is text only (Subject, Body, Start, ...) given child elements. Exchange refuses
    the whole request (ErrorSchemaValidation) rather than keep part of it."""
    by_element = schema()[1]
    by_key = schema()[0]
    for el in operation.iter(f"{{{T_NS}}}*"):
        parent = el.getparent()
        if parent is None or local(parent.tag) not in ITEM_ELEMENTS or not len(el):
            continue
        key = by_element.get(local(el.tag))
        if key is not None and by_key[key][1] in TEXT_ONLY:
            return (
                f"The request failed schema validation: The element '{local(el.tag)}' in namespace '{T_NS}' "
                f"cannot contain child element '{local(el[0].tag)}' because the parent element's content "
                "model is text only."
            )
    return None


def parse_item(el: etree._Element, zone: Any = None) -> dict[str, Any]:
    """The field mapping of an item element as sent in CreateItem."""
    by_element = schema()[1]
    fields: dict[str, Any] = {}
    for child in el:
        name = local(child.tag)
        if name == "ExtendedProperty":
            key, value = parse_extended(child)
            fields[key] = value
        elif name in by_element:
            key = by_element[name]
            fields[key] = parse_value(key, child, zone)
    return fields


# -- rendering ----------------------------------------------------------------------------------------------


def _mailbox_xml(box: dict[str, Any]) -> str:
    return (
        f"<t:Mailbox><t:Name>{escape(box.get('name') or box.get('email', ''))}</t:Name>"
        f"<t:EmailAddress>{escape(box.get('email', ''))}</t:EmailAddress><t:RoutingType>SMTP</t:RoutingType>"
        "<t:MailboxType>Mailbox</t:MailboxType></t:Mailbox>"
    )


def render_value(key: str, value: Any) -> str:
    element, kind = schema()[0].get(key, (key.split(":", 1)[-1], "xml"))
    if value is None or (kind in ("recipients", "attendees") and not value):
        return ""  # types.xsd: recipient and attendee arrays are non-empty; an empty one is left out
    if kind == "xml":
        if not (isinstance(value, str) and value.startswith("<")):
            return ""
        return with_definition(element, value) if key in ZONE_KEYS else value
    if kind == "datetime":
        inner = format_datetime(value)
    elif kind == "bool":
        inner = "true" if value else "false"
    elif kind == "int":
        inner = str(int(value))
    elif kind == "strings":
        inner = "".join(f"<t:String>{escape(s)}</t:String>" for s in value)
    elif kind == "body":
        return f'<t:Body BodyType="{value["type"]}">{escape(value["text"])}</t:Body>'
    elif kind == "mailbox":
        inner = _mailbox_xml(value)
    elif kind == "recipients":
        inner = "".join(_mailbox_xml(box) for box in value)
    elif kind == "attendees":
        inner = "".join(
            f"<t:Attendee>{_mailbox_xml(a)}<t:ResponseType>{a.get('response', 'Unknown')}</t:ResponseType>"
            + (
                f"<t:LastResponseTime>{format_datetime(a['last_response'])}</t:LastResponseTime>"
                if a.get("last_response")
                else ""
            )
            + (
                f"<t:ProposedStart>{format_datetime(a['proposed'][0])}</t:ProposedStart>"
                f"<t:ProposedEnd>{format_datetime(a['proposed'][1])}</t:ProposedEnd>"
                if a.get("proposed")
                else ""
            )
            + "</t:Attendee>"
            for a in value
        )
    elif kind == "itemid":
        return f'<t:{element} Id="{value["id"]}" ChangeKey="{value["change_key"]}"/>'
    else:
        inner = escape(str(value))
    return f"<t:{element}>{inner}</t:{element}>"


def ext_uri_xml(key: str) -> str:
    """The `t:ExtendedFieldURI` element for an extended-property key."""
    _, set_id, rest = key.split(":", 2)
    name, prop_type = rest.rsplit(":", 1)
    attrs = []
    if set_id:
        attrs.append(
            f'PropertySetId="{set_id}"' if _GUID.match(set_id) else f'DistinguishedPropertySetId="{set_id}"'
        )
    if name.startswith("id:"):
        attrs.append(f'PropertyId="{name[3:]}"')
    elif not set_id and name.startswith("0x"):
        attrs.append(f'PropertyTag="{hex(int(name, 16))}"')  # as Exchange writes it: 0x37, not 0x0037
    else:
        attrs.append(f"PropertyName={quoteattr(name)}")
    attrs.append(f'PropertyType="{prop_type}"')
    return f"<t:ExtendedFieldURI {' '.join(attrs)}/>"


def _ext_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_datetime(value)
    return escape(str(value))


def render_extended(key: str, value: Any) -> str:
    if isinstance(value, list):
        inner = "<t:Values>" + "".join(f"<t:Value>{_ext_text(v)}</t:Value>" for v in value) + "</t:Values>"
    else:
        inner = f"<t:Value>{_ext_text(value)}</t:Value>"
    return f"<t:ExtendedProperty>{ext_uri_xml(key)}{inner}</t:ExtendedProperty>"


DEFAULT_FIELDS = (
    "item:ItemClass",
    "item:Subject",
    "item:Sensitivity",
    "item:DateTimeReceived",
    "item:Importance",
    "item:DateTimeCreated",
    "item:HasAttachments",
    "calendar:UID",
    "calendar:Start",
    "calendar:End",
    "calendar:IsAllDayEvent",
    "calendar:LegacyFreeBusyStatus",
    "calendar:Location",
    "calendar:IsMeeting",
    "calendar:IsCancelled",
    "calendar:IsRecurring",
    "calendar:CalendarItemType",
    "calendar:MyResponseType",
    "calendar:Organizer",
    "message:From",
    "message:IsRead",
    "meeting:IsOutOfDate",
)


def child_element(key: str) -> str:
    """The element a field key is answered as (`calendar:Start` → `Start`)."""
    return schema()[0].get(key, (key.split(":", 1)[-1], ""))[0]


def wants_mime(shape: etree._Element | None) -> bool:
    """Whether an `m:ItemShape` asks for `IncludeMimeContent`."""
    return shape is not None and (shape.findtext(t("IncludeMimeContent")) or "").strip() == "true"


def requested_fields(shape: etree._Element | None) -> tuple[str, list[str]]:
    """(base shape, additional property keys) of an `m:ItemShape`."""
    if shape is None:
        return "Default", []
    base = (shape.findtext(t("BaseShape")) or "Default").strip()
    extra = shape.find(t("AdditionalProperties"))
    return base, [field_key(p) for p in extra] if extra is not None else []


def render_item(
    item_id: str,
    change_key: str,
    fields: dict[str, Any],
    base: str,
    extra: Iterable[str],
    computed: dict[str, Any] | None = None,
    element: str | None = None,
    mime: bytes | None = None,
) -> str:
    """An item element with its id and the requested fields its type has, in its type's order
    (`item_types.py`; `mime`: MimeContent)."""
    values = {**fields, **(computed or {})}
    if base == "IdOnly":
        keys = list(dict.fromkeys(extra))
    elif base == "AllProperties":
        keys = [k for k in values if not is_extended(k)] + list(extra)
    else:
        keys = [*DEFAULT_FIELDS, *extra]
    name = element or element_name(fields)
    order = item_types.positions(name)
    placed: dict[str, str] = {}  # key → its element; one key per element (the first), every extended one
    for key in dict.fromkeys(keys):
        if key.startswith("$") or key not in values:
            continue
        child = "ExtendedProperty" if is_extended(key) else child_element(key)
        if child in order and (child == "ExtendedProperty" or child not in placed.values()):
            placed[key] = child
    body = (
        [f'<t:MimeContent CharacterSet="UTF-8">{base64.b64encode(mime).decode()}</t:MimeContent>']
        if mime
        else []
    )
    body.append(f'<t:ItemId Id="{item_id}" ChangeKey="{change_key}"/>')
    for key in sorted(placed, key=lambda k: order[placed[k]]):  # stable: extended ones as asked
        value = values[key]
        body.append(render_extended(key, value) if is_extended(key) else render_value(key, value))
    return f"<t:{name}>{''.join(body)}</t:{name}>"
