"""Calendar items read straight from GetItem answers: the fields the model compares, as plain data.

exchangelib turns each answer element into a CalendarItem through its generic field machinery (a metaclass
attribute lookup per field access, an object per attendee and mailbox, a time zone built per value): about
2.5 ms of CPU per item, 25 s for 10,000 meetings, the bulk of a large plan. The request is still
exchangelib's (GetItem, IdOnly shape plus the fields asked for, its retries and error handling); only the
answer's CalendarItem elements are read here, with lxml, into `ReadItem`. Recurrence is the one part left
to exchangelib (one small element per series, and the patterns are what `mapping.py` maps).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from exchangelib import Account
from exchangelib.errors import ErrorItemNotFound
from exchangelib.ewsdatetime import EWSTimeZone
from exchangelib.items import ID_ONLY
from exchangelib.recurrence import Recurrence
from exchangelib.services import GetItem
from exchangelib.services.common import shape_element
from exchangelib.util import create_element

from reconciler.backends.ews.marker import public_string_name

T = "{http://schemas.microsoft.com/exchange/services/2006/types}"
PAGE = 100


@dataclass(frozen=True)
class Person:
    address: str
    name: str | None
    response: str | None = None
    last_response: datetime | None = None
    proposed: tuple[datetime, datetime] | None = None


@dataclass(frozen=True)
class Occurrence:
    """A modified occurrence as its master lists it (location needs its own read)."""

    item_id: str
    start: datetime
    end: datetime
    original_start: datetime


@dataclass(frozen=True)
class ReadItem:
    """One calendar item as the server answered; fields not asked for stay at their defaults."""

    id: str
    changekey: str
    subject: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    start_zone: EWSTimeZone | None = None
    is_all_day: bool = False
    location: str | None = None
    body: str | None = None
    body_is_html: bool = False
    categories: tuple[str, ...] = ()
    reminder_is_set: bool = False
    reminder_minutes: int = 0
    free_busy: str | None = None
    sensitivity: str | None = None
    importance: str | None = None
    response_requested: bool | None = None
    allow_new_time_proposal: bool | None = None
    required: tuple[Person, ...] = ()
    optional: tuple[Person, ...] = ()
    resources: tuple[Person, ...] = ()
    recurrence: Recurrence | None = None
    deleted: tuple[datetime, ...] = ()
    modified: tuple[Occurrence, ...] = ()
    original_start: datetime | None = None
    uid: str | None = None
    item_type: str | None = None
    my_response_type: str | None = None
    request_was_sent: bool = False
    is_cancelled: bool = False
    last_modified: datetime | None = None
    last_modified_by: str | None = None
    created: datetime | None = None
    properties: dict[str, str] = field(default_factory=dict)
    """Named PublicStrings String properties (the marker), by name."""


def _text(elem: Any, tag: str) -> str | None:
    """An element's text; empty or missing is None (as exchangelib reads text fields)."""
    return elem.findtext(tag) or None


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _bool(text: str | None) -> bool | None:
    return None if text is None else text == "true"


@lru_cache(maxsize=256)
def zone_from_ms_id(ms_id: str) -> EWSTimeZone | None:
    try:
        return EWSTimeZone.from_ms_id(ms_id)
    except Exception:  # a Windows zone this tzdata cannot name: the applied zone is used instead
        return None


def _strings(elem: Any) -> tuple[str, ...]:
    return () if elem is None else tuple(s.text or "" for s in elem.iterfind(f"{T}String"))


_MAILBOX, _EMAIL, _NAME = f"{T}Mailbox", f"{T}EmailAddress", f"{T}Name"
_RESPONSE, _RESPONDED = f"{T}ResponseType", f"{T}LastResponseTime"
_PROPOSED_START, _PROPOSED_END = f"{T}ProposedStart", f"{T}ProposedEnd"


def _people(elem: Any) -> tuple[Person, ...]:
    """Attendees, each element visited once (a path search per field cost more than the rest of the item)."""
    if elem is None:
        return ()
    out = []
    for attendee in elem:
        address = name = response = when = start = end = None
        for part in attendee:
            tag = part.tag
            if tag == _MAILBOX:
                for field in part:
                    if field.tag == _EMAIL:
                        address = field.text
                    elif field.tag == _NAME:
                        name = field.text
            elif tag == _RESPONSE:
                response = part.text
            elif tag == _RESPONDED:
                when = part.text
            elif tag == _PROPOSED_START:
                start = part.text
            elif tag == _PROPOSED_END:
                end = part.text
        if address:
            responded = _time(when)
            proposed = (_time(start), _time(end)) if start and end else None
            out.append(Person(address, name, response, responded, proposed))  # type: ignore[arg-type]
    return tuple(out)


def _modified(elem: Any) -> tuple[Occurrence, ...]:
    if elem is None:
        return ()
    return tuple(
        Occurrence(
            o.find(f"{T}ItemId").get("Id"),
            datetime.fromisoformat(o.findtext(f"{T}Start")),
            datetime.fromisoformat(o.findtext(f"{T}End")),
            datetime.fromisoformat(o.findtext(f"{T}OriginalStart")),
        )
        for o in elem.iterfind(f"{T}Occurrence")
    )


def _deleted(elem: Any) -> tuple[datetime, ...]:
    if elem is None:
        return ()
    return tuple(
        datetime.fromisoformat(d.findtext(f"{T}Start")) for d in elem.iterfind(f"{T}DeletedOccurrence")
    )


def properties(elem: Any) -> dict[str, str]:
    """An item element's named PublicStrings String properties (the marker), by name."""
    out = {}
    for prop in elem.iterfind(f"{T}ExtendedProperty"):
        name = public_string_name(prop)
        if name:
            out[name] = prop.findtext(f"{T}Value") or ""
    return out


def read_item(elem: Any) -> ReadItem:
    """A CalendarItem element of a GetItem answer, as plain data."""
    item_id = elem.find(f"{T}ItemId")
    body = elem.find(f"{T}Body")
    zone = elem.find(f"{T}StartTimeZone")
    recurrence = elem.find(f"{T}Recurrence")
    return ReadItem(
        id=item_id.get("Id"),
        changekey=item_id.get("ChangeKey"),
        subject=_text(elem, f"{T}Subject"),
        start=_time(elem.findtext(f"{T}Start")),
        end=_time(elem.findtext(f"{T}End")),
        start_zone=zone_from_ms_id(zone.get("Id")) if zone is not None and zone.get("Id") else None,
        is_all_day=elem.findtext(f"{T}IsAllDayEvent") == "true",
        location=_text(elem, f"{T}Location"),
        body=(body.text or None) if body is not None else None,
        body_is_html=body is not None and body.get("BodyType") == "HTML",
        categories=_strings(elem.find(f"{T}Categories")),
        reminder_is_set=elem.findtext(f"{T}ReminderIsSet") == "true",
        reminder_minutes=int(elem.findtext(f"{T}ReminderMinutesBeforeStart") or 0),
        free_busy=_text(elem, f"{T}LegacyFreeBusyStatus"),
        sensitivity=_text(elem, f"{T}Sensitivity"),
        importance=_text(elem, f"{T}Importance"),
        response_requested=_bool(elem.findtext(f"{T}IsResponseRequested")),
        allow_new_time_proposal=_bool(elem.findtext(f"{T}AllowNewTimeProposal")),
        required=_people(elem.find(f"{T}RequiredAttendees")),
        optional=_people(elem.find(f"{T}OptionalAttendees")),
        resources=_people(elem.find(f"{T}Resources")),
        recurrence=Recurrence.from_xml(recurrence, account=None) if recurrence is not None else None,
        deleted=_deleted(elem.find(f"{T}DeletedOccurrences")),
        modified=_modified(elem.find(f"{T}ModifiedOccurrences")),
        original_start=_time(elem.findtext(f"{T}OriginalStart")),
        uid=_text(elem, f"{T}UID"),
        item_type=_text(elem, f"{T}CalendarItemType"),
        my_response_type=_text(elem, f"{T}MyResponseType"),
        request_was_sent=elem.findtext(f"{T}MeetingRequestWasSent") == "true",
        is_cancelled=elem.findtext(f"{T}IsCancelled") == "true",
        last_modified=_time(elem.findtext(f"{T}LastModifiedTime")),
        last_modified_by=_text(elem, f"{T}LastModifiedName"),
        created=_time(elem.findtext(f"{T}DateTimeCreated")),
        properties=properties(elem),
    )


class GetCalendarItems(GetItem):
    """exchangelib's GetItem, answering `ReadItem`s instead of CalendarItems, its request's ItemIds written
    as plain elements (exchangelib makes an ItemId object per id and serialises it through its field
    machinery: a second and a half of a 10,000-meeting plan) and its ItemShape made once."""

    def _elem_to_obj(self, elem: Any) -> ReadItem:
        return read_item(elem)

    def get_payload(self, items: Iterable[Any], additional_fields: Any, shape: str) -> Any:
        if getattr(self, "_shape", None) is None:
            self._shape = shape_element(
                tag="m:ItemShape",
                shape=shape,
                additional_fields=additional_fields,
                version=self.account.version,
            )
        payload = create_element(f"m:{self.SERVICE_NAME}")
        payload.append(copy.deepcopy(self._shape))
        ids = create_element("m:ItemIds")
        for item in items:
            item_id, change_key = item if isinstance(item, tuple | list) else (item.id, item.changekey)
            ids.append(
                create_element(
                    "t:ItemId", {"Id": item_id, **({"ChangeKey": change_key} if change_key else {})}
                )
            )
        payload.append(ids)
        return payload


def read_items(account: Account, ids: Iterable[Any], fields: Iterable[str]) -> Iterator[ReadItem]:
    """The items with these ids ((id, changekey) pairs or objects with them), `fields` read, PAGE a request.

    Items that vanished between finding and reading are left out, as exchangelib's own queries do.
    """
    for answer in answers(account, ids, fields):
        if isinstance(answer, ErrorItemNotFound):
            continue
        if isinstance(answer, Exception):
            raise answer
        yield answer


def answers(account: Account, ids: Iterable[Any], fields: Iterable[str]) -> Iterator[ReadItem | Exception]:
    """One answer per id, in order: the item, or the error the server gave for it."""
    ids = list(ids)
    if not ids:
        return
    folder = account.calendar
    wanted = {f for f in folder.normalize_fields(fields=list(fields)) if not f.field.is_attribute}
    yield from GetCalendarItems(account=account, chunk_size=PAGE).call(
        items=ids, additional_fields=wanted, shape=ID_ONLY
    )
