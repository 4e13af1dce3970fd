"""EWS as Microsoft's own clients use it, rule by rule with the reference each follows: the zone a Managed API
client gives only in its header, calendar views that stop early, and how meeting messages are addressed."""

from __future__ import annotations

from exchangelib import Attendee, Mailbox
from exchangelib.items import MeetingRequest
from lxml import etree

from tests.sandbox.conftest import dt, meeting
from tests.sandbox.test_fidelity import M, T, soap

AMSTERDAM = '<t:TimeZoneContext><t:TimeZoneDefinition Id="W. Europe Standard Time"/></t:TimeZoneContext>'


def _create(sandbox, item_xml: str, header: str = "") -> str:
    answer = soap(
        sandbox,
        '<m:CreateItem SendMeetingInvitations="SendToNone"><m:SavedItemFolderId>'
        '<t:DistinguishedFolderId Id="calendar"/></m:SavedItemFolderId>'
        f"<m:Items>{item_xml}</m:Items></m:CreateItem>",
        header=header,
    )
    found = answer.find(f".//{{{T}}}ItemId")
    assert found is not None, etree.tostring(answer, encoding="unicode")
    return found.get("Id")


def _view(sandbox, start: str, end: str, limit: int | None = None):
    most = f' MaxEntriesReturned="{limit}"' if limit else ""
    answer = soap(
        sandbox,
        '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape>'
        '<t:AdditionalProperties><t:FieldURI FieldURI="item:Subject"/><t:FieldURI FieldURI="calendar:Start"/>'
        "</t:AdditionalProperties></m:ItemShape>"
        f'<m:CalendarView{most} StartDate="{start}" EndDate="{end}"/>'
        '<m:ParentFolderIds><t:DistinguishedFolderId Id="calendar"/></m:ParentFolderIds></m:FindItem>',
    )
    root = answer.find(f".//{{{M}}}RootFolder")
    assert root is not None, etree.tostring(answer, encoding="unicode")
    return root, [
        (i.findtext(f"{{{T}}}Subject"), i.findtext(f"{{{T}}}Start"))
        for i in root.iter(f"{{{T}}}CalendarItem")
    ]


def test_a_series_created_with_the_zone_only_in_the_header_keeps_its_wall_clock_across_dst(sandbox) -> None:
    """ "Time zones and EWS": a calendar item without StartTimeZone takes the TimeZoneContext's zone (the
    EWS Managed API sends the zone only there by default), so 09:00 stays 09:00 after the change to summer
    time: 08:00Z in March's last winter week, 07:00Z after."""
    _create(
        sandbox,
        "<t:CalendarItem><t:Subject>Stand-up</t:Subject>"
        "<t:Start>2027-03-22T08:00:00Z</t:Start><t:End>2027-03-22T08:15:00Z</t:End>"
        "<t:Recurrence><t:WeeklyRecurrence><t:Interval>1</t:Interval><t:DaysOfWeek>Monday</t:DaysOfWeek>"
        "</t:WeeklyRecurrence><t:NumberedRecurrence><t:StartDate>2027-03-22</t:StartDate>"
        "<t:NumberOfOccurrences>2</t:NumberOfOccurrences></t:NumberedRecurrence></t:Recurrence>"
        "</t:CalendarItem>",
        header=AMSTERDAM,
    )
    _, rows = _view(sandbox, "2027-03-20T00:00:00Z", "2027-04-05T00:00:00Z")
    assert rows == [("Stand-up", "2027-03-22T08:00:00Z"), ("Stand-up", "2027-03-29T07:00:00Z")]


def test_a_view_that_stops_early_says_so_and_counts_the_whole_range(sandbox) -> None:
    """ "CalendarView": MaxEntriesReturned keeps the first N; TotalItemsInView counts what the range holds
    and IncludesLastItemInRange is false, so a client knows it did not see everything."""
    for day in (4, 5, 6):
        _create(
            sandbox,
            f"<t:CalendarItem><t:Subject>Day {day}</t:Subject><t:Start>2027-01-0{day}T09:00:00Z</t:Start>"
            f"<t:End>2027-01-0{day}T10:00:00Z</t:End></t:CalendarItem>",
        )
    root, rows = _view(sandbox, "2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z", limit=2)
    assert [s for s, _ in rows] == ["Day 4", "Day 5"]
    assert (root.get("TotalItemsInView"), root.get("IncludesLastItemInRange")) == ("3", "false")
    root, rows = _view(sandbox, "2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z", limit=3)
    assert (len(rows), root.get("TotalItemsInView"), root.get("IncludesLastItemInRange")) == (3, "3", "true")


def test_an_item_ending_exactly_at_the_view_start_is_in_the_view(sandbox) -> None:
    """ "CalendarView": items that end *before* StartDate are left out; one ending at it is returned. One
    starting exactly at EndDate is not."""
    _create(
        sandbox,
        "<t:CalendarItem><t:Subject>Ends at start</t:Subject><t:Start>2027-01-04T08:00:00Z</t:Start>"
        "<t:End>2027-01-04T09:00:00Z</t:End></t:CalendarItem>",
    )
    _create(
        sandbox,
        "<t:CalendarItem><t:Subject>Starts at end</t:Subject><t:Start>2027-01-04T10:00:00Z</t:Start>"
        "<t:End>2027-01-04T11:00:00Z</t:End></t:CalendarItem>",
    )
    _, rows = _view(sandbox, "2027-01-04T09:00:00Z", "2027-01-04T10:00:00Z")
    assert [s for s, _ in rows] == ["Ends at start"]


def test_meeting_messages_address_required_in_to_optional_in_cc_and_rooms_in_neither(account) -> None:
    """MS-OXOCAL recipient types: required attendees are primary (To), optional ones Cc, resources Bcc."""
    lead, alice, bob = (account(f"{n}@example.com") for n in ("lead", "alice", "bob"))
    meeting(
        lead,
        "Review",
        dt(2027, 1, 5, 14),
        attendees=("alice@example.com",),
        optional_attendees=[Attendee(mailbox=Mailbox(email_address="bob@example.com"))],
        resources=[Attendee(mailbox=Mailbox(email_address="room-oak@example.com"))],
    ).save(send_meeting_invitations="SendToAllAndSaveCopy")
    for acct in (alice, bob):
        [request] = [m for m in acct.inbox.all() if isinstance(m, MeetingRequest)]
        assert [r.email_address for r in request.to_recipients or []] == ["alice@example.com"]
        assert [r.email_address for r in request.cc_recipients or []] == ["bob@example.com"]
    [sent] = list(lead.sent.all())
    everyone = [r.email_address for r in (sent.to_recipients or []) + (sent.cc_recipients or [])]
    assert "room-oak@example.com" not in everyone


def test_resolve_names_answers_from_the_directory(account, sandbox) -> None:
    """ "ResolveNames operation": one match Success, several a Warning with all of them, none an Error. Asked
    as a signed-in user (a protocol-level call carries no impersonation)."""
    from exchangelib import BASIC, Build, Configuration, Credentials, Version
    from exchangelib.errors import ErrorNameResolutionNoResults
    from exchangelib.protocol import Protocol

    for name in ("alice.jansen", "alex.berg", "bob"):
        account(f"{name}@example.com").inbox.all().count()  # the mailboxes are in use
    config = Configuration(
        service_endpoint=sandbox.endpoint,
        auth_type=BASIC,
        credentials=Credentials("lead@example.com", "any"),
        version=Version(Build(15, 1)),
    )
    protocol = Protocol(config=config)
    [(mailbox, contact)] = protocol.resolve_names(["Jansen"], return_full_contact_data=True)
    assert (mailbox.email_address, mailbox.name, mailbox.mailbox_type) == (
        "alice.jansen@example.com",
        "Alice Jansen",
        "Mailbox",
    )
    assert contact.display_name == "Alice Jansen" and contact.contact_source == "ActiveDirectory"
    several = protocol.resolve_names(["al"])
    assert sorted(m.email_address for m in several) == ["alex.berg@example.com", "alice.jansen@example.com"]
    [none] = protocol.resolve_names(["zed"])
    assert isinstance(none, ErrorNameResolutionNoResults)
    [typed] = protocol.resolve_names(["SMTP:carol@example.com"])
    assert typed.email_address == "carol@example.com"


def _weekly(lead, subject: str = "Weekly"):
    from exchangelib.recurrence import NumberedPattern, Recurrence, WeeklyPattern

    item = meeting(
        lead,
        subject,
        dt(2027, 1, 4, 10),
        attendees=("alice@example.com",),
        recurrence=Recurrence(
            pattern=WeeklyPattern(interval=1, weekdays=[1]),
            boundary=NumberedPattern(start=dt(2027, 1, 4, 0).date(), number=4),
        ),
    )
    item.save(send_meeting_invitations="SendToAllAndSaveCopy")
    return item


def _starts(acct) -> list[int]:
    """The January days of the account's occurrences."""
    return [o.start.day for o in acct.calendar.view(start=dt(2027, 1, 1, 0), end=dt(2027, 2, 1, 0))]


def _messages(sandbox, mailbox: str, folder: str) -> list[tuple[str, int]]:
    """(subject, January day) of the meeting messages in a folder (exchangelib reads no Start on them)."""
    return sorted(
        (i.get("item:Subject"), i.get("calendar:Start").day)
        for i in sandbox.store.items(mailbox, folder)
        if i.get("item:ItemClass", "").startswith("IPM.Schedule.Meeting")
    )


def test_cancelling_one_occurrence_leaves_the_series(account, sandbox) -> None:
    """ "Delete appointments in a recurring series by using EWS": CancelCalendarItem whose ReferenceItemId is
    an occurrence cancels that occurrence; attendees get a cancellation for it alone."""
    lead, alice = account("lead@example.com"), account("alice@example.com")
    series = _weekly(lead)
    second = [o for o in lead.calendar.view(start=dt(2027, 1, 1, 0), end=dt(2027, 2, 1, 0))][1]
    second.cancel()
    assert lead.calendar.get(id=series.id).subject == "Weekly"
    assert _starts(lead) == [4, 18, 25] and _starts(alice) == [4, 18, 25]
    assert _messages(sandbox, "alice@example.com", "inbox") == [("Canceled: Weekly", 11), ("Weekly", 4)]
    assert ("Canceled: Weekly", 11) in _messages(sandbox, "lead@example.com", "sentitems")


def test_an_attendee_declines_one_occurrence_and_accepts_the_series(account, sandbox) -> None:
    """ "Accept or decline meeting requests by using EWS": an answer whose ReferenceItemId is an occurrence
    is about that occurrence. Accepting answers with the items it made, as "Propose a new meeting time by
    using EWS" shows Exchange 2013+ answering: the attendee's calendar item, then the request, moved to
    Deleted Items under a new id."""
    lead, alice = account("lead@example.com"), account("alice@example.com")
    series = _weekly(lead)
    [request] = [m for m in alice.inbox.all() if isinstance(m, MeetingRequest)]
    made, moved = request.accept()
    copy = alice.calendar.get(id=made.id)
    assert moved.id != request.id and isinstance(alice.trash.get(id=moved.id), MeetingRequest)
    assert copy.subject == "Weekly" and copy.my_response_type == "Accept"
    third = [o for o in alice.calendar.view(start=dt(2027, 1, 1, 0), end=dt(2027, 2, 1, 0))][2]
    third.decline(body="Away that week")
    assert _starts(alice) == [4, 11, 25] and _starts(lead) == [4, 11, 18, 25]
    assert _messages(sandbox, "lead@example.com", "inbox") == [
        ("Accepted: Weekly", 4),
        ("Declined: Weekly", 18),
    ]
    tracked = lead.calendar.get(id=series.id)
    assert [a.response_type for a in tracked.required_attendees] == ["Accept"]  # the series answer stands
    assert alice.calendar.get(id=copy.id).my_response_type == "Accept"


def test_empty_attendee_lists_are_left_out(sandbox) -> None:
    """types.xsd NonEmptyArrayOfAttendeesType: RequiredAttendees/OptionalAttendees/Resources hold at least
    one attendee, so an item without optional attendees or rooms has no such element at all."""
    item_id = _create(
        sandbox,
        "<t:CalendarItem><t:Subject>One guest</t:Subject><t:Start>2027-01-04T08:00:00Z</t:Start>"
        "<t:End>2027-01-04T09:00:00Z</t:End><t:RequiredAttendees><t:Attendee><t:Mailbox>"
        "<t:EmailAddress>alice@example.com</t:EmailAddress></t:Mailbox></t:Attendee></t:RequiredAttendees>"
        "</t:CalendarItem>",
    )
    answer = soap(
        sandbox,
        "<m:GetItem><m:ItemShape><t:BaseShape>AllProperties</t:BaseShape></m:ItemShape>"
        f'<m:ItemIds><t:ItemId Id="{item_id}"/></m:ItemIds></m:GetItem>',
    )
    item = answer.find(f".//{{{T}}}CalendarItem")
    present = {etree.QName(child).localname for child in item}
    assert "RequiredAttendees" in present
    assert not present & {"OptionalAttendees", "Resources"}


def test_a_zone_comes_back_with_its_definition(sandbox) -> None:
    """TimeZoneDefinitionType as Exchange answers it: Periods (Bias is the negated offset), the yearly rule
    in a TransitionsGroup, and the Transition to that group. The Managed API has no zone without them."""
    item_id = _create(
        sandbox,
        "<t:CalendarItem><t:Subject>Zoned</t:Subject><t:Start>2027-01-04T08:00:00Z</t:Start>"
        "<t:End>2027-01-04T09:00:00Z</t:End></t:CalendarItem>",
        header=AMSTERDAM,
    )
    answer = soap(
        sandbox,
        "<m:GetItem><m:ItemShape><t:BaseShape>AllProperties</t:BaseShape></m:ItemShape>"
        f'<m:ItemIds><t:ItemId Id="{item_id}"/></m:ItemIds></m:GetItem>',
    )
    zone = answer.find(f".//{{{T}}}StartTimeZone")
    assert zone.get("Id") == "W. Europe Standard Time"
    periods = {p.get("Name"): p.get("Bias") for p in zone.iter(f"{{{T}}}Period")}
    assert periods == {"Standard": "-PT1H", "Daylight": "-PT2H"}
    rules = [
        (
            r.findtext(f"{{{T}}}Month"),
            r.findtext(f"{{{T}}}DayOfWeek"),
            r.findtext(f"{{{T}}}Occurrence"),
            r.findtext(f"{{{T}}}TimeOffset"),
            r.findtext(f"{{{T}}}To").rsplit("-", 1)[-1],
        )
        for r in zone.iter(f"{{{T}}}RecurringDayTransition")
    ]
    assert rules == [("3", "Sunday", "-1", "PT2H", "Daylight"), ("10", "Sunday", "-1", "PT3H", "Standard")]
    [to_group] = zone.find(f"{{{T}}}Transitions")
    assert to_group.find(f"{{{T}}}To").get("Kind") == "Group"


def test_all_properties_include_what_exchange_computes(account) -> None:
    """ "GetItem operation (calendar item)": an AllProperties answer carries the computed properties, and
    GetItem counts the meetings that conflict with the item and those that touch it."""
    lead = account("lead@example.com")
    review = meeting(
        lead,
        "Review",
        dt(2027, 1, 5, 14),
        60,
        attendees=("alice.jansen@example.com",),
        optional_attendees=[Attendee(mailbox=Mailbox(email_address="bob@example.com"))],
    )
    review.save(send_meeting_invitations="SendToAllAndSaveCopy")
    meeting(lead, "Overlaps", dt(2027, 1, 5, 14, 30)).save(send_meeting_invitations="SendToNone")
    meeting(lead, "Right after", dt(2027, 1, 5, 15)).save(send_meeting_invitations="SendToNone")
    got = lead.calendar.get(id=review.id)
    assert (got.conflicting_meeting_count, got.adjacent_meeting_count) == (1, 1)
    assert got.duration == "PT1H" and got.appointment_state == ("Meeting",)  # exchangelib reads the bits
    assert got.display_to == "Alice Jansen" and got.display_cc == "Bob"
    assert got.reminder_due_by == got.start and got.culture == "en-US"
    assert got.size > 0 and got.has_attachments is False and got.is_draft is False
    assert got.parent_folder_id.id == lead.calendar.id
    assert got.datetime_received == got.datetime_created


def test_occurrence_ids_are_opaque_like_exchanges(account) -> None:
    """Occurrence and exception ids are base64 like any item id (not the master's id with a suffix), and
    name their occurrence through GetItem, UpdateItem and DeleteItem."""
    import base64

    lead = account("lead@example.com")
    series = _weekly(lead)
    occurrences = list(lead.calendar.view(start=dt(2027, 1, 1, 0), end=dt(2027, 2, 1, 0)))
    for occurrence in occurrences:
        assert not occurrence.id.startswith(series.id) and "." not in occurrence.id
        assert len(base64.b64decode(occurrence.id[4:])) > 100
    second = lead.calendar.get(id=occurrences[1].id)
    assert second.start.day == 11 and second.type == "Occurrence"
    second.subject = "Moved"
    second.save(update_fields=["subject"], send_meeting_invitations="SendToNone")
    assert lead.calendar.get(id=occurrences[1].id).subject == "Moved"
    lead.calendar.get(id=occurrences[2].id).delete(send_meeting_cancellations="SendToNone")
    assert [o.start.day for o in lead.calendar.view(start=dt(2027, 1, 1, 0), end=dt(2027, 2, 1, 0))] == [
        4,
        11,
        25,
    ]


def test_extended_properties_come_before_culture_and_last_modified_time(sandbox) -> None:
    """types.xsd ItemType: ... HasAttachments, ExtendedProperty, Culture, EffectiveRights, LastModifiedName,
    LastModifiedTime, ...: an ExtendedProperty after LastModifiedTime is invalid."""
    uri = (
        '<t:ExtendedFieldURI DistinguishedPropertySetId="PublicStrings" PropertyName="k" '
        'PropertyType="String"/>'
    )
    item_id = _create(
        sandbox,
        f"<t:CalendarItem><t:Subject>Keyed</t:Subject><t:ExtendedProperty>{uri}<t:Value>v</t:Value>"
        "</t:ExtendedProperty><t:Start>2027-01-04T08:00:00Z</t:Start><t:End>2027-01-04T09:00:00Z</t:End>"
        "</t:CalendarItem>",
    )
    answer = soap(
        sandbox,
        "<m:GetItem><m:ItemShape><t:BaseShape>AllProperties</t:BaseShape>"
        f"<t:AdditionalProperties>{uri}</t:AdditionalProperties></m:ItemShape>"
        f'<m:ItemIds><t:ItemId Id="{item_id}"/></m:ItemIds></m:GetItem>',
    )
    order = [etree.QName(child).localname for child in answer.find(f".//{{{T}}}CalendarItem")]
    assert order.index("HasAttachments") < order.index("ExtendedProperty") < order.index("Culture")
    assert order.index("Culture") < order.index("LastModifiedTime") < order.index("UID")


def test_a_request_invalid_against_the_schema_is_refused_whole(sandbox) -> None:
    """Exchange validates a request against messages.xsd/types.xsd before doing anything: elements inside
    `t:Body` (text only) are ErrorSchemaValidation, and nothing of the request is kept."""
    from reconciler.sandbox.ews.soap import S

    answer = soap(
        sandbox,
        '<m:CreateItem SendMeetingInvitations="SendToNone"><m:Items>'
        "<t:CalendarItem><t:Subject>Fine</t:Subject><t:Start>2027-01-04T08:00:00Z</t:Start>"
        "<t:End>2027-01-04T09:00:00Z</t:End></t:CalendarItem>"
        '<t:CalendarItem><t:Subject>Broken</t:Subject><t:Body BodyType="HTML"><p>hi</p></t:Body>'
        "<t:Start>2027-01-04T10:00:00Z</t:Start><t:End>2027-01-04T11:00:00Z</t:End></t:CalendarItem>"
        "</m:Items></m:CreateItem>",
    )
    fault = answer.find(f".//{{{S}}}Fault")
    assert fault is not None and "ErrorSchemaValidation" in fault.findtext("faultcode")
    assert "'Body'" in fault.findtext("faultstring") and "text only" in fault.findtext("faultstring")
    assert sandbox.store.items("lead@example.com", "calendar") == []


def test_meeting_messages_list_their_elements_type_by_type(account, sandbox) -> None:
    """types.xsd: MeetingRequestMessageType extends MeetingMessageType extends MessageType extends ItemType,
    and a derived type's elements follow its base's; a MeetingCancellation has only Start, End, Location,
    Recurrence and CalendarItemType of a calendar item's elements."""
    lead = account("lead@example.com")
    item = meeting(lead, "Typed", dt(2027, 1, 5, 9), attendees=("alice@example.com",))
    item.save(send_meeting_invitations="SendToAllAndSaveCopy")
    item.cancel()
    alice = account("alice@example.com")
    ids = "".join(f'<t:ItemId Id="{m.id}"/>' for m in alice.inbox.all())
    answer = soap(
        sandbox,
        f"<m:GetItem><m:ItemShape><t:BaseShape>AllProperties</t:BaseShape></m:ItemShape><m:ItemIds>{ids}"
        "</m:ItemIds></m:GetItem>",
        mailbox="alice@example.com",
    )
    request = answer.find(f".//{{{T}}}MeetingRequest")
    order = [etree.QName(c).localname for c in request]
    expected = [
        *("Culture", "Sender", "IsRead", "IsResponseRequested"),  # ItemType, then MessageType
        *("AssociatedCalendarItemId", "ResponseType", "UID"),  # MeetingMessageType
        *("MeetingRequestType", "Start", "Organizer"),  # MeetingRequestMessageType
    ]
    positions = [order.index(name) for name in expected]
    assert positions == sorted(positions), order
    cancellation = answer.find(f".//{{{T}}}MeetingCancellation")
    present = {etree.QName(c).localname for c in cancellation}
    assert {"Start", "End", "UID"} <= present
    assert not present & {"Organizer", "RequiredAttendees", "IsAllDayEvent", "StartTimeZone", "IsMeeting"}
