"""`backends/ews/read.py` reads GetItem answers as exchangelib does: every example meeting's answer, read
both ways."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from exchangelib import CalendarItem, HTMLBody
from exchangelib.extended_properties import ExtendedProperty
from exchangelib.items import ID_ONLY
from exchangelib.services import GetItem
from exchangelib.transport import NOAUTH
from lxml import etree

from reconciler.backends.ews import marker as ews_marker
from reconciler.backends.ews.backend import EwsBackend
from reconciler.backends.ews.mapping import READ_FIELDS
from reconciler.backends.ews.read import T, read_item
from reconciler.desired.load import load_meetings
from tests.sandbox.test_ews_backend import create

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = load_meetings(ROOT / "meetings").meetings


class RawGetItem(GetItem):
    def _elem_to_obj(self, elem):  # type: ignore[no-untyped-def]
        return elem


@pytest.fixture
def backend(sandbox):
    b = EwsBackend(sandbox.endpoint, auth_type=NOAUTH, pin_version=True, max_wait=10)
    yield b
    b.close()


def _raw_answers(account, ids, fields):  # type: ignore[no-untyped-def]
    wanted = {f for f in account.calendar.normalize_fields(fields=list(fields)) if not f.field.is_attribute}
    return list(RawGetItem(account=account).call(items=ids, additional_fields=wanted, shape=ID_ONLY))


def _people(attendees) -> list[tuple[str, str | None, str | None]]:  # type: ignore[no-untyped-def]
    return [(a.mailbox.email_address, a.mailbox.name, a.response_type) for a in attendees or []]


def test_every_example_reads_as_exchangelib_reads_it(backend) -> None:
    for meeting in EXAMPLES:
        create(backend, meeting)
    fields = [*READ_FIELDS, *ews_marker.FIELDS]
    checked = 0
    for organizer in sorted({m.organizer for m in EXAMPLES}):
        account = backend.account(organizer)
        ids = list(account.calendar.all().values_list("id", "changekey"))
        for elem in _raw_answers(account, ids, fields):
            theirs = CalendarItem.from_xml(copy.deepcopy(elem), account=account)
            ours = read_item(elem)
            assert (ours.id, ours.changekey, ours.uid) == (theirs.id, theirs.changekey, theirs.uid)
            assert (ours.subject, ours.location, ours.is_all_day) == (
                theirs.subject,
                theirs.location,
                theirs.is_all_day,
            )
            assert ours.body == (str(theirs.body) if theirs.body is not None else None)
            assert ours.body_is_html == isinstance(theirs.body, HTMLBody)
            assert list(ours.categories) == (theirs.categories or [])
            assert (ours.reminder_is_set, ours.reminder_minutes) == (
                theirs.reminder_is_set,
                theirs.reminder_minutes_before_start,
            )
            assert (ours.free_busy, ours.sensitivity, ours.importance) == (
                theirs.legacy_free_busy_status,
                theirs.sensitivity,
                theirs.importance,
            )
            assert (ours.response_requested, ours.allow_new_time_proposal) == (
                theirs.is_response_requested,
                theirs.allow_new_time_proposal,
            )
            for mine, exchangelibs in (
                (ours.required, theirs.required_attendees),
                (ours.optional, theirs.optional_attendees),
                (ours.resources, theirs.resources),
            ):
                assert [(p.address, p.name, p.response) for p in mine] == _people(exchangelibs)
            assert str(ours.recurrence) == str(theirs.recurrence)
            assert list(ours.deleted) == [d.start for d in theirs.deleted_occurrences or []]
            assert [(o.item_id, o.start, o.end, o.original_start) for o in ours.modified] == [
                (o.id, o.start, o.end, o.original_start) for o in theirs.modified_occurrences or []
            ]
            assert ours.start_zone is not None and ours.start_zone.ms_id == theirs._start_timezone.ms_id
            if not ours.is_all_day:  # exchangelib turns all-day bounds into dates; ours stay instants
                assert (ours.start, ours.end) == (theirs.start, theirs.end)
            assert (ours.item_type, ours.my_response_type) == (theirs.type, theirs.my_response_type)
            assert (ours.request_was_sent, ours.is_cancelled) == (
                theirs.meeting_request_was_sent,
                theirs.is_cancelled,
            )
            marker = {name: getattr(theirs, field) for field, name in _marker_names().items()}
            assert ours.properties == marker
            checked += 1
    assert checked == len(EXAMPLES)


def _marker_names() -> dict[str, str]:
    return {field: prop.property_name for field, prop in ews_marker.PROPERTIES.items()}


def _property(uri: dict[str, str], value: str = "v") -> etree._Element:
    prop = etree.Element(f"{T}ExtendedProperty")
    etree.SubElement(prop, f"{T}ExtendedFieldURI", uri)
    etree.SubElement(prop, f"{T}Value").text = value
    return prop


@pytest.mark.parametrize(
    ("uri", "matches"),
    [
        (
            {
                "DistinguishedPropertySetId": "PublicStrings",
                "PropertyName": "reconciler-key",
                "PropertyType": "String",
            },
            True,
        ),
        (
            {
                "PropertySetId": "00020329-0000-0000-c000-000000000046",
                "PropertyName": "reconciler-key",
                "PropertyType": "String",
            },
            True,
        ),
        (
            {
                "DistinguishedPropertySetId": "PublicStrings",
                "PropertyName": "reconciler-namespace",
                "PropertyType": "String",
            },
            False,
        ),
        (
            {
                "DistinguishedPropertySetId": "PublicStrings",
                "PropertyName": "reconciler-key",
                "PropertyType": "Integer",
            },
            False,
        ),
        (
            {
                "DistinguishedPropertySetId": "InternetHeaders",
                "PropertyName": "reconciler-key",
                "PropertyType": "String",
            },
            False,
        ),
        (
            {
                "PropertySetId": "00062002-0000-0000-c000-000000000046",
                "PropertyName": "reconciler-key",
                "PropertyType": "String",
            },
            False,
        ),
        ({"PropertyTag": "0x3001", "PropertyType": "String"}, False),
    ],
)
def test_marker_property_is_recognised_as_exchangelib_recognises_it(uri, matches) -> None:
    key = ews_marker.PROPERTIES["reconciler_key"]
    elem = _property(uri)
    assert key.is_property_instance(elem) is matches
    assert ExtendedProperty.is_property_instance.__func__(key, elem) is matches  # exchangelib's own check


def test_marker_property_set_guid_in_any_case() -> None:
    """GUIDs are case-insensitive; exchangelib's own check would miss an upper-case one."""
    uri = {
        "PropertySetId": "00020329-0000-0000-C000-000000000046",
        "PropertyName": "reconciler-key",
        "PropertyType": "String",
    }
    assert ews_marker.PROPERTIES["reconciler_key"].is_property_instance(_property(uri))


def test_answers_are_handed_to_the_parser_in_blocks(sandbox) -> None:
    """requests' iter_content() defaults to one-byte chunks; exchangelib parses answers through it."""
    import requests

    from reconciler.backends.ews.http import BLOCK, BlockReadingAdapter

    session = requests.Session()
    session.mount("http://", BlockReadingAdapter())
    answer = session.get(sandbox.endpoint.replace("/EWS/Exchange.asmx", "/") + "x" * 10)
    chunks = list(answer.iter_content())
    assert b"".join(chunks) == answer.content and len(answer.content) > 1
    assert len(chunks) == -(-len(answer.content) // BLOCK)
    assert len(list(answer.iter_content(1))) == len(answer.content)  # an explicit size still counts
