"""Where the sandbox answers as Exchange does, rule by rule, each with the Microsoft reference it follows.

Every test drives the sandbox through a client this project did not write (exchangelib) or with the raw
SOAP a client sends, so a rule is checked on the wire, not inside the sandbox.
"""

from __future__ import annotations

import requests
from lxml import etree

M = "http://schemas.microsoft.com/exchange/services/2006/messages"
T = "http://schemas.microsoft.com/exchange/services/2006/types"
XSI = "http://www.w3.org/2001/XMLSchema-instance"


def soap(sandbox, body: str, mailbox: str = "lead@example.com", header: str = "") -> etree._Element:
    """A raw EWS request as a client writes it from Microsoft's reference; the parsed answer."""
    envelope = (
        f'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="{M}" xmlns:t="{T}">'
        "<s:Header><t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>"
        f"{mailbox}</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>{header}</s:Header>"
        f"<s:Body>{body}</s:Body></s:Envelope>"
    )
    answer = requests.post(sandbox.endpoint, data=envelope, headers={"Content-Type": "text/xml"}, timeout=10)
    return etree.fromstring(answer.content)


def test_convert_id_answers_the_owning_mailbox(account, sandbox) -> None:
    """MS docs, "ConvertId operation": the answer is `m:AlternateId xsi:type="t:AlternateIdType"` with the
    Mailbox that owns the id, whatever mailbox the request named (DavMail sends a placeholder)."""
    root = account("lead@example.com").root.id
    found = soap(
        sandbox,
        f'<m:ConvertId DestinationFormat="EwsId"><m:SourceIds><t:AlternateId Format="EwsId" Id="{root}" '
        'Mailbox="blah@blah.com"/></m:SourceIds></m:ConvertId>',
    )
    answer = found.find(f".//{{{M}}}AlternateId")
    assert answer is not None and answer.get("Mailbox") == "lead@example.com" and answer.get("Id") == root
    assert answer.get(f"{{{XSI}}}type") == "t:AlternateIdType"


def test_every_distinguished_folder_exists_with_its_class(account) -> None:
    """types.xsd DistinguishedFolderIdNameType; folder element types by class (CalendarFolder,
    ContactsFolder, TasksFolder, plain Folder). A new mailbox has them all, empty."""
    lead = account("lead@example.com")
    expected = {
        lead.contacts: ("Contacts", "IPF.Contact"),
        lead.tasks: ("Tasks", "IPF.Task"),
        lead.junk: ("Junk Email", "IPF.Note"),
        lead.calendar: ("Calendar", "IPF.Appointment"),
        lead.conflicts: ("Conflicts", "IPF.Note"),
    }
    for folder, (name, folder_class) in expected.items():
        assert (folder.name, folder.folder_class, folder.total_count) == (name, folder_class, 0)
    assert type(lead.contacts).__name__ == "Contacts" and type(lead.tasks).__name__ == "Tasks"


def test_request_log_has_one_line_per_request() -> None:
    """`sandbox serve --log-requests`: time, mailbox, operation, response messages, status, code, ms."""
    import io
    import re

    import exchangelib
    from exchangelib import IMPERSONATION, Account, Build, Configuration, Version
    from exchangelib.transport import NOAUTH

    from reconciler.sandbox import Sandbox
    from reconciler.sandbox.requestlog import RequestLog

    lines, bodies = io.StringIO(), io.StringIO()
    with Sandbox(request_log=RequestLog(lines, bodies)) as sb:
        config = Configuration(service_endpoint=sb.endpoint, auth_type=NOAUTH, version=Version(Build(15, 1)))
        lead = Account("lead@example.com", config=config, autodiscover=False, access_type=IMPERSONATION)
        assert lead.calendar.name == "Calendar"
        exchangelib.close_connections()
    logged = lines.getvalue().splitlines()
    assert len(logged) == sb.requests == 2
    assert re.fullmatch(r"\S+Z lead@example\.com GetFolder items=1 200 NoError \d+ms", logged[0])
    assert "<m:GetFolder>" in bodies.getvalue() and "GetFolderResponse" in bodies.getvalue()


def test_folders_can_be_created_found_and_deleted(account) -> None:
    """MS docs, CreateFolder / FindFolder / DeleteFolder operations: a created folder is found by name
    (Shallow under its parent), a second one of the same name is ErrorFolderExists, and a distinguished
    folder cannot be deleted (ErrorDeleteDistinguishedFolder)."""
    from exchangelib.errors import ErrorDeleteDistinguishedFolder, ErrorFolderExists
    from exchangelib.folders import Folder

    lead = account("lead@example.com")
    made = Folder(parent=lead.msg_folder_root, name="davmailtemp")
    made.save()
    found = list(lead.msg_folder_root.children)
    assert "davmailtemp" in [f.name for f in found]
    again = Folder(parent=lead.msg_folder_root, name="DavmailTemp")
    try:
        again.save()
        raise AssertionError("a second folder of the same name was created")
    except ErrorFolderExists:
        pass
    made.delete()
    lead.msg_folder_root.refresh()
    assert "davmailtemp" not in [f.name for f in lead.msg_folder_root.children]
    try:
        lead.calendar.delete()
        raise AssertionError("a distinguished folder was deleted")
    except ErrorDeleteDistinguishedFolder:
        pass


def test_mime_content_of_a_calendar_item_is_its_icalendar(account) -> None:
    """GetItem with IncludeMimeContent: a calendar item's MimeContent is the item as iCalendar; the
    series carries its RRULE and deleted occurrences as EXDATE, and the zone's VTIMEZONE."""
    import icalendar
    from exchangelib import EWSDateTime, EWSTimeZone
    from exchangelib.recurrence import NumberedPattern, Recurrence, WeeklyPattern

    from tests.sandbox.conftest import meeting

    lead = account("lead@example.com")
    zone = EWSTimeZone("Europe/Amsterdam")
    item = meeting(lead, "Weekly", EWSDateTime(2027, 1, 4, 9, 30, tzinfo=zone), attendees=("a@example.com",))
    item.recurrence = Recurrence(
        pattern=WeeklyPattern(interval=1, weekdays=[1], first_day_of_week=1),
        boundary=NumberedPattern(start=EWSDateTime(2027, 1, 4).date(), number=5),
    )
    item.save(send_meeting_invitations="SendToNone")
    second = next(
        o
        for i, o in enumerate(
            lead.calendar.view(
                start=EWSDateTime(2027, 1, 1, tzinfo=zone), end=EWSDateTime(2027, 2, 28, tzinfo=zone)
            )
        )
        if i == 1
    )
    second.delete(send_meeting_cancellations="SendToNone")
    [read] = lead.fetch(ids=[item], only_fields=["mime_content", "uid"])
    calendar = icalendar.Calendar.from_ical(read.mime_content)
    [event] = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == "Weekly" and str(event["UID"]) == read.uid
    assert event.decoded("DTSTART").replace(tzinfo=None).isoformat() == "2027-01-04T09:30:00"
    assert dict(event["RRULE"]) == {
        "FREQ": ["WEEKLY"],
        "INTERVAL": [1],
        "BYDAY": ["MO"],
        "WKST": ["MO"],
        "COUNT": [5],
    }
    assert [d.dt.date().isoformat() for d in event["EXDATE"].dts] == ["2027-01-11"]
    assert calendar.walk("VTIMEZONE")


def test_create_item_from_mime_content(account, sandbox) -> None:
    """CreateItem with only `t:MimeContent` (iCalendar, as DavMail sends a CalDAV PUT) creates the calendar
    item it describes: time in its zone, recurrence, attendees by role."""
    import base64

    ics = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:mime-1\r\n"
        "DTSTAMP:20261124T120000Z\r\nDTSTART;TZID=Europe/Amsterdam:20270301T100000\r\n"
        "DTEND;TZID=Europe/Amsterdam:20270301T110000\r\nSUMMARY:From MIME\r\nLOCATION:Oak\r\n"
        "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=3\r\n"
        "ATTENDEE;ROLE=OPT-PARTICIPANT;CN=Bea:mailto:bea@example.com\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    answer = soap(
        sandbox,
        '<m:CreateItem MessageDisposition="SaveOnly" SendMeetingInvitations="SendToNone">'
        '<m:SavedItemFolderId><t:DistinguishedFolderId Id="calendar"/></m:SavedItemFolderId>'
        "<m:Items><t:CalendarItem>"
        f"<t:MimeContent>{base64.b64encode(ics.encode()).decode()}</t:MimeContent>"
        "</t:CalendarItem></m:Items></m:CreateItem>",
    )
    assert answer.find(f".//{{{M}}}ResponseCode").text == "NoError"
    lead = account("lead@example.com")
    [read] = lead.calendar.all()
    assert (read.subject, read.uid, read.location) == ("From MIME", "mime-1", "Oak")
    assert read.start.isoformat() == "2027-03-01T09:00:00+00:00"
    assert read.recurrence.boundary.number == 3 and read.type == "RecurringMaster"
    assert [a.mailbox.email_address for a in read.optional_attendees] == ["bea@example.com"]


def test_get_user_configuration_gives_owa_time_zone(sandbox) -> None:
    """MS docs, GetUserConfiguration: a Dictionary of typed entries; OWA.UserOptions holds `timezone`;
    an unknown configuration is ErrorItemNotFound."""

    def ask(name: str) -> etree._Element:
        return soap(
            sandbox,
            f'<m:GetUserConfiguration><m:UserConfigurationName Name="{name}"><t:DistinguishedFolderId '
            'Id="root"/></m:UserConfigurationName><m:UserConfigurationProperties>All'
            "</m:UserConfigurationProperties></m:GetUserConfiguration>",
        )

    values = [v.text for v in ask("OWA.UserOptions").iter(f"{{{T}}}Value")]
    assert values == ["timezone", "UTC"]
    assert ask("OWA.Nothing").find(f".//{{{M}}}ResponseCode").text == "ErrorItemNotFound"


def test_an_all_day_item_is_stored_from_midnight_to_midnight(account, sandbox) -> None:
    """MS docs, IsAllDayEvent: an all-day event spans whole days; Exchange stores its start and end at
    local midnights of its start time zone, whatever times the client sent (also on update)."""
    from exchangelib import EWSDateTime, EWSTimeZone

    from tests.sandbox.conftest import meeting

    lead = account("lead@example.com")
    zone = EWSTimeZone("Europe/Amsterdam")
    item = meeting(lead, "Offsite", EWSDateTime(2027, 3, 11, 10, 15, tzinfo=zone), minutes=120)
    item.save(send_meeting_invitations="SendToNone")

    def stored() -> tuple[str, str]:
        answer = soap(
            sandbox,
            "<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>"
            '<t:FieldURI FieldURI="calendar:Start"/><t:FieldURI FieldURI="calendar:End"/>'
            f'</t:AdditionalProperties></m:ItemShape><m:ItemIds><t:ItemId Id="{item.id}"/></m:ItemIds>'
            "</m:GetItem>",
        )
        return answer.find(f".//{{{T}}}Start").text, answer.find(f".//{{{T}}}End").text

    assert stored() == ("2027-03-11T09:15:00Z", "2027-03-11T11:15:00Z")  # not all-day: kept as sent
    item.is_all_day = True
    item.save(update_fields=["is_all_day"], send_meeting_invitations="SendToNone")
    assert stored() == ("2027-03-10T23:00:00Z", "2027-03-11T23:00:00Z")  # Amsterdam midnights


def test_malformed_and_unknown_ids_get_different_errors(account, sandbox) -> None:
    """MS docs, "EWS property-related errors": an id of the wrong form is ErrorInvalidIdMalformed; a
    well-formed id that names nothing is ErrorItemNotFound. Exchange ids are 152 characters of base64
    (DavMail tells ids from names by a length of 140 or more)."""
    from reconciler.sandbox.store import new_id

    lead = account("lead@example.com")
    assert len(lead.calendar.id) == 152 and len(new_id()) == 152

    def code(item_id: str) -> str:
        answer = soap(
            sandbox,
            "<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:ItemIds>"
            f'<t:ItemId Id="{item_id}"/></m:ItemIds></m:GetItem>',
        )
        return answer.find(f".//{{{M}}}ResponseCode").text

    assert code("not-an-id") == "ErrorInvalidIdMalformed"
    assert code(new_id()) == "ErrorItemNotFound"


def test_recurrence_range_dates_carry_their_zone(account, sandbox) -> None:
    """types.xsd: a recurrence range's StartDate and EndDate are xs:date, which Exchange returns with the
    zone offset of the item's start zone (2027-01-04+01:00); exchangelib reads them as plain dates."""
    from datetime import date

    from exchangelib import EWSDateTime, EWSTimeZone
    from exchangelib.recurrence import EndDatePattern, Recurrence, WeeklyPattern

    from tests.sandbox.conftest import meeting

    lead = account("lead@example.com")
    item = meeting(lead, "Weekly", EWSDateTime(2027, 1, 4, 9, 0, tzinfo=EWSTimeZone("Europe/Amsterdam")))
    item.recurrence = Recurrence(
        pattern=WeeklyPattern(interval=1, weekdays=[1]),
        boundary=EndDatePattern(start=date(2027, 1, 4), end=date(2027, 7, 5)),
    )
    item.save(send_meeting_invitations="SendToNone")
    answer = soap(
        sandbox,
        "<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>"
        '<t:FieldURI FieldURI="calendar:Recurrence"/></t:AdditionalProperties></m:ItemShape>'
        f'<m:ItemIds><t:ItemId Id="{item.id}"/></m:ItemIds></m:GetItem>',
    )
    assert answer.find(f".//{{{T}}}StartDate").text == "2027-01-04+01:00"
    assert answer.find(f".//{{{T}}}EndDate").text == "2027-07-05+02:00"  # summer time by then
    [read] = lead.fetch(ids=[item])
    assert (read.recurrence.boundary.start, read.recurrence.boundary.end) == (
        date(2027, 1, 4),
        date(2027, 7, 5),
    )
