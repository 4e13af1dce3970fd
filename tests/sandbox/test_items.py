"""CreateItem / GetItem / FindItem / UpdateItem / DeleteItem through exchangelib."""

from __future__ import annotations

import pytest
import requests
from exchangelib import CalendarItem, HTMLBody
from exchangelib.errors import ErrorIrresolvableConflict, ErrorItemNotFound
from exchangelib.items import SEND_ONLY_TO_ALL, SEND_TO_ALL_AND_SAVE_COPY, SEND_TO_NONE

from tests.sandbox.conftest import dt, meeting


@pytest.mark.parametrize(
    "option,invited,sent_copy",
    [(SEND_TO_NONE, 0, 0), (SEND_ONLY_TO_ALL, 1, 0), (SEND_TO_ALL_AND_SAVE_COPY, 1, 1)],
)
def test_create_with_each_send_option(account, option: str, invited: int, sent_copy: int) -> None:
    lead, bob = account("lead@example.com"), account("bob@example.com")
    item = meeting(lead, "Planning", dt(2026, 12, 8, 10), attendees=("bob@example.com",))
    item.save(send_meeting_invitations=option)
    assert item.id and item.changekey
    got = lead.calendar.get(id=item.id)
    assert got.subject == "Planning" and got.is_meeting and got.my_response_type == "Organizer"
    assert got.appointment_sequence_number == 0 and got.uid
    assert got.meeting_request_was_sent == bool(invited)
    assert bob.inbox.all().count() == invited
    assert bob.calendar.all().count() == invited
    assert lead.sent.all().count() == sent_copy


@pytest.mark.echo  # field for field as written (what Exchange rewrites: tests/sandbox/test_rewrites.py)
def test_fields_round_trip(account) -> None:
    lead = account("lead@example.com")
    item = meeting(
        lead,
        "Review",
        dt(2026, 12, 9, 14),
        60,
        attendees=("A@Example.com",),
        location="Oak room",
        body=HTMLBody("<p>agenda</p>"),
        categories=["ritual", "team"],
        reminder_minutes_before_start=10,
        legacy_free_busy_status="Tentative",
        sensitivity="Private",
        uid="my-uid-1",
    )
    item.save(send_meeting_invitations=SEND_TO_NONE)
    got = lead.calendar.get(id=item.id)
    assert (got.location, got.body, got.categories) == ("Oak room", "<p>agenda</p>", ["ritual", "team"])
    assert isinstance(got.body, HTMLBody) and got.reminder_minutes_before_start == 10
    assert (
        got.legacy_free_busy_status == "Tentative" and got.sensitivity == "Private" and got.uid == "my-uid-1"
    )
    assert got.start == dt(2026, 12, 9, 14) and got.end == dt(2026, 12, 9, 15)
    assert [a.mailbox.email_address for a in got.required_attendees] == ["a@example.com"]
    assert got._start_timezone.ms_id == "W. Europe Standard Time"  # Windows zones are what EWS keeps


def test_bulk_create_and_get(account) -> None:
    lead = account("lead@example.com")
    items = [meeting(lead, f"M{i}", dt(2027, 1, 4, 9)) for i in range(150)]
    results = lead.bulk_create(folder=lead.calendar, items=items, send_meeting_invitations=SEND_TO_NONE)
    assert len(results) == 150 and all(not isinstance(r, Exception) for r in results)
    fetched = list(lead.fetch(ids=[(r.id, r.changekey) for r in results], only_fields=["subject"]))
    assert [f.subject for f in fetched] == [f"M{i}" for i in range(150)]


def test_extended_property_filters(account, key_property) -> None:
    lead = account("lead@example.com")
    for i, key in enumerate(["alpha", "beta", "alpine"]):
        meeting(lead, f"S{i}", dt(2027, 1, 5, 9), test_key=key).save(send_meeting_invitations=SEND_TO_NONE)
    meeting(lead, "unmarked", dt(2027, 1, 5, 9)).save(send_meeting_invitations=SEND_TO_NONE)
    assert lead.calendar.filter(test_key="beta").count() == 1
    assert sorted(i.subject for i in lead.calendar.filter(test_key__startswith="alp")) == ["S0", "S2"]
    assert lead.calendar.filter(test_key__exists=True).count() == 3
    assert [i.subject for i in lead.calendar.exclude(test_key__exists=True)] == ["unmarked"]
    assert lead.calendar.filter(test_key__in=["alpha", "beta"]).count() == 2
    got = lead.calendar.get(test_key="alpine")
    assert got.test_key == "alpine"


def test_restrictions_on_item_fields(account) -> None:
    lead = account("lead@example.com")
    for day in (4, 5, 6):
        meeting(lead, f"Day {day}", dt(2027, 1, day, 9), location="Oak" if day != 5 else "Elm").save(
            send_meeting_invitations=SEND_TO_NONE
        )
    q = lead.calendar
    assert q.filter(start__gte=dt(2027, 1, 5, 0)).count() == 2
    assert q.filter(start__lt=dt(2027, 1, 5, 0)).count() == 1
    assert q.filter(subject__icontains="day 5").count() == 1
    assert q.filter(location="Oak", subject__contains="6").count() == 1
    assert [i.subject for i in q.all().order_by("-start")] == ["Day 6", "Day 5", "Day 4"]
    from exchangelib import Q

    assert q.filter(Q(location="Elm") | Q(subject="Day 4")).count() == 2
    assert q.filter(~Q(location="Oak")).count() == 1


def test_update_fields_and_stale_change_key(account) -> None:
    lead = account("lead@example.com")
    item = meeting(lead, "Retro", dt(2027, 1, 7, 15))
    item.save(send_meeting_invitations=SEND_TO_NONE)
    stale = lead.calendar.get(id=item.id)
    item.location = "Cafe"
    item.save(update_fields=["location"], send_meeting_invitations=SEND_TO_NONE)
    assert item.changekey != stale.changekey
    assert lead.calendar.get(id=item.id).location == "Cafe"
    stale.location = "Roof"
    with pytest.raises(ErrorIrresolvableConflict):
        stale.save(
            update_fields=["location"],
            conflict_resolution="NeverOverwrite",
            send_meeting_invitations=SEND_TO_NONE,
        )
    assert lead.calendar.get(id=item.id).location == "Cafe"
    stale.save(
        update_fields=["location"],
        conflict_resolution="AlwaysOverwrite",
        send_meeting_invitations=SEND_TO_NONE,
    )
    assert lead.calendar.get(id=item.id).location == "Roof"


def test_delete_types(account) -> None:
    lead = account("lead@example.com")
    soft = meeting(lead, "soft", dt(2027, 1, 8, 9))
    hard = meeting(lead, "hard", dt(2027, 1, 8, 10))
    for item in (soft, hard):
        item.save(send_meeting_invitations=SEND_TO_NONE)
    hard_id = hard.id
    soft.move_to_trash(send_meeting_cancellations=SEND_TO_NONE)
    hard.delete(send_meeting_cancellations=SEND_TO_NONE)
    assert lead.calendar.all().count() == 0
    assert [i.subject for i in lead.trash.all()] == ["soft"]
    with pytest.raises(ErrorItemNotFound):
        lead.calendar.get(id=hard_id)


def test_item_of_another_mailbox_is_not_found(account) -> None:
    lead, bob = account("lead@example.com"), account("bob@example.com")
    item = meeting(lead, "private", dt(2027, 1, 8, 9))
    item.save(send_meeting_invitations=SEND_TO_NONE)
    with pytest.raises(ErrorItemNotFound):
        bob.calendar.get(id=item.id)


RAW = (
    '<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
    'xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" '
    'xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><s:Header>'
    "<t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>lead@example.com</t:PrimarySmtpAddress>"
    "</t:ConnectingSID></t:ExchangeImpersonation></s:Header><s:Body>{}</s:Body></s:Envelope>"
)


def test_create_calendar_item_without_send_option_is_refused(sandbox) -> None:
    body = RAW.format(
        "<m:CreateItem><m:Items><t:CalendarItem><t:Subject>x</t:Subject>"
        "<t:Start>2027-01-04T09:00:00Z</t:Start><t:End>2027-01-04T10:00:00Z</t:End>"
        "</t:CalendarItem></m:Items></m:CreateItem>"
    )
    r = requests.post(sandbox.endpoint, data=body, timeout=5)
    assert r.status_code == 200
    assert 'ResponseClass="Error"' in r.text and "ErrorSendMeetingInvitationsRequired" in r.text


def test_calendar_item_class(account) -> None:
    lead = account("lead@example.com")
    meeting(lead, "x", dt(2027, 1, 4, 9)).save(send_meeting_invitations=SEND_TO_NONE)
    assert all(isinstance(i, CalendarItem) for i in lead.calendar.all())


def test_get_folder_by_id_and_soft_delete(account) -> None:
    lead = account("lead@example.com")
    calendar = lead.calendar
    calendar.refresh()  # GetFolder by FolderId
    assert calendar.name == "Calendar" and calendar.total_count == 0
    item = meeting(lead, "soft", dt(2027, 1, 8, 9))
    item.save(send_meeting_invitations=SEND_TO_NONE)
    item.soft_delete(send_meeting_cancellations=SEND_TO_NONE)
    assert lead.calendar.all().count() == 0 and lead.trash.all().count() == 0
    assert [i.subject for i in lead.recoverable_items_deletions.all()] == ["soft"]


def test_delete_item_field_and_append_to_item_field(sandbox, account) -> None:
    lead = account("lead@example.com")
    item = meeting(lead, "Append", dt(2027, 1, 8, 9), location="Oak", categories=["a"])
    item.save(send_meeting_invitations=SEND_TO_NONE)
    item.location = None
    item.save(update_fields=["location"], send_meeting_invitations=SEND_TO_NONE)  # DeleteItemField
    assert lead.calendar.get(id=item.id).location is None
    fresh = lead.calendar.get(id=item.id)
    body = RAW.format(
        '<m:UpdateItem ConflictResolution="NeverOverwrite" '
        'SendMeetingInvitationsOrCancellations="SendToNone">'
        f'<m:ItemChanges><t:ItemChange><t:ItemId Id="{fresh.id}" ChangeKey="{fresh.changekey}"/><t:Updates>'
        '<t:AppendToItemField><t:FieldURI FieldURI="item:Categories"/><t:CalendarItem><t:Categories>'
        "<t:String>b</t:String></t:Categories></t:CalendarItem></t:AppendToItemField>"
        "</t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>"
    )
    r = requests.post(sandbox.endpoint, data=body, timeout=5)
    assert 'ResponseClass="Success"' in r.text, r.text
    assert lead.calendar.get(id=item.id).categories == ["a", "b"]


def test_convert_id_answers_known_ids_and_rejects_others(sandbox, account) -> None:
    lead = account("lead@example.com")
    item = meeting(lead, "x", dt(2027, 1, 8, 9))
    item.save(send_meeting_invitations=SEND_TO_NONE)
    body = RAW.format(
        '<m:ConvertId DestinationFormat="EwsId"><m:SourceIds>'
        f'<t:AlternateId Format="EwsId" Id="{item.id}" Mailbox="lead@example.com"/>'
        '<t:AlternateId Format="EwsId" Id="DUMMY" Mailbox="DUMMY"/></m:SourceIds></m:ConvertId>'
    )
    r = requests.post(sandbox.endpoint, data=body, timeout=5)
    assert r.text.count('ResponseClass="Success"') == 1 and "ErrorInvalidIdMalformed" in r.text
