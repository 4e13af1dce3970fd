"""A meeting's whole life across four mailboxes, checked in each mailbox after each step."""

from __future__ import annotations

from exchangelib import Attendee, Mailbox
from exchangelib.items import MeetingCancellation, MeetingRequest, MeetingResponse
from exchangelib.recurrence import NumberedPattern, Recurrence, WeeklyPattern

from tests.sandbox.conftest import TZ, dt, meeting

SEND = "SendToAllAndSaveCopy"


def inbox(acct) -> list:
    return sorted(acct.inbox.all(), key=lambda i: i.datetime_received)


def kinds(acct) -> list[tuple[str, str]]:
    """(type, request type / subject) of each inbox message, oldest first."""
    out = []
    for m in inbox(acct):
        detail = m.meeting_request_type if isinstance(m, MeetingRequest) else m.subject
        out.append((type(m).__name__, detail))
    return out


def attendee_responses(item) -> dict[str, str]:
    people = (item.required_attendees or []) + (item.optional_attendees or [])
    return {a.mailbox.email_address: a.response_type for a in people}


def test_full_lifecycle(account) -> None:
    lead, alice, bob, carol, dan = (
        account(f"{n}@example.com") for n in ("lead", "alice", "bob", "carol", "dan")
    )
    item = meeting(
        lead,
        "Sync",
        dt(2027, 1, 4, 10),
        30,
        attendees=("alice@example.com", "bob@example.com"),
        optional_attendees=[Attendee(mailbox=Mailbox(email_address="carol@example.com"))],
        recurrence=Recurrence(
            pattern=WeeklyPattern(interval=1, weekdays=[1]),
            boundary=NumberedPattern(start=dt(2027, 1, 4, 0).date(), number=6),
        ),
    )

    # 1. invite
    item.save(send_meeting_invitations=SEND)
    for acct in (alice, bob, carol):
        assert kinds(acct) == [("MeetingRequest", "NewMeetingRequest")]
        [copy] = list(acct.calendar.all())
        assert copy.uid == lead.calendar.get(id=item.id).uid and copy.my_response_type == "NoResponseReceived"
    assert [type(m).__name__ for m in lead.sent.all()] == ["MeetingRequest"]
    assert dan.inbox.all().count() == 0

    # 2. alice accepts, bob declines
    inbox(alice)[0].accept()
    inbox(bob)[0].decline()
    responses = inbox(lead)
    assert [(type(r).__name__, r.subject) for r in responses] == [
        ("MeetingResponse", "Accepted: Sync"),
        ("MeetingResponse", "Declined: Sync"),
    ]
    assert all(isinstance(r, MeetingResponse) for r in responses)
    master = lead.calendar.get(id=item.id)
    assert attendee_responses(master) == {
        "alice@example.com": "Accept",
        "bob@example.com": "Decline",
        "carol@example.com": "Unknown",
    }
    assert [c.my_response_type for c in alice.calendar.all()] == ["Accept"]
    assert bob.calendar.all().count() == 0

    # 3. update the time: everyone gets a full update, older requests go out of date
    master.start, master.end = dt(2027, 1, 4, 11), dt(2027, 1, 4, 11, 30)
    master.save(update_fields=["start", "end"], send_meeting_invitations=SEND)
    master = lead.calendar.get(id=item.id)
    assert master.appointment_sequence_number == 1
    assert kinds(carol) == [("MeetingRequest", "NewMeetingRequest"), ("MeetingRequest", "FullUpdate")]
    assert [m.is_out_of_date for m in inbox(carol)] == [True, False]
    assert [c.start.astimezone(TZ).hour for c in alice.calendar.all()] == [11]
    assert [c.start.astimezone(TZ).hour for c in bob.calendar.all()] == [
        11
    ]  # a declined attendee is re-invited

    # 4. add dan, remove carol
    master.required_attendees = [
        *master.required_attendees,
        Attendee(mailbox=Mailbox(email_address="dan@example.com")),
    ]
    master.optional_attendees = None
    master.save(update_fields=["required_attendees", "optional_attendees"], send_meeting_invitations=SEND)
    assert kinds(dan) == [("MeetingRequest", "NewMeetingRequest")]
    assert kinds(carol)[-1] == ("MeetingCancellation", "Canceled: Sync")
    assert [c.is_cancelled for c in carol.calendar.all()] == [True]

    # 5. cancel one occurrence
    lead.calendar.get(id=item.id).occurrence(index=2).delete(send_meeting_cancellations=SEND)
    master = lead.calendar.get(id=item.id)
    assert [d.start for d in master.deleted_occurrences] == [dt(2027, 1, 11, 11)]
    assert kinds(dan)[-1] == ("MeetingCancellation", "Canceled: Sync")
    assert isinstance(inbox(alice)[-1], MeetingCancellation)
    view = [o.start for o in alice.calendar.view(start=dt(2027, 1, 1), end=dt(2027, 2, 28))]
    assert view == [dt(2027, 1, d, 11) for d in (4, 18, 25)] + [dt(2027, 2, d, 11) for d in (1, 8)]

    # 6. move one occurrence
    occurrence = lead.calendar.get(id=item.id).occurrence(index=3)
    occurrence.start, occurrence.end = dt(2027, 1, 18, 15), dt(2027, 1, 18, 15, 30)
    occurrence.save(update_fields=["start", "end"], send_meeting_invitations=SEND)
    master = lead.calendar.get(id=item.id)
    assert [(o.original_start, o.start) for o in master.modified_occurrences] == [
        (dt(2027, 1, 18, 11), dt(2027, 1, 18, 15))
    ]
    last = inbox(dan)[-1]
    assert isinstance(last, MeetingRequest) and last.start == dt(2027, 1, 18, 15)
    view = {o.start: o.type for o in dan.calendar.view(start=dt(2027, 1, 17), end=dt(2027, 1, 19))}
    assert view == {dt(2027, 1, 18, 15): "Exception"}

    # 7. cancel the series
    lead.calendar.get(id=item.id).cancel(body="No longer needed")
    assert lead.calendar.all().count() == 0
    for acct in (alice, bob, dan):
        assert kinds(acct)[-1] == ("MeetingCancellation", "Canceled: Sync")
        assert [(c.is_cancelled, c.subject) for c in acct.calendar.all()] == [(True, "Canceled: Sync")]
    assert inbox(alice)[-1].body == "No longer needed"


def test_a_proposed_new_time_reaches_the_organizer_where_the_protocol_allows_one(account) -> None:
    """EWS ProposedStart/ProposedEnd on an answer ("Propose a new meeting time by using EWS"): kept on the
    organizer's attendee entry and in the response it receives; refused for a whole series and where the
    organizer allows no proposals (MS-OXOCAL 3.1.4.8.4.1)."""
    from datetime import timedelta

    from exchangelib.errors import ErrorInvalidRequest

    lead, alice = account("lead@example.com"), account("alice@example.com")
    single = meeting(lead, "Review", dt(2027, 1, 6, 14), attendees=("alice@example.com",))
    single.save(send_meeting_invitations=SEND)
    closed = meeting(lead, "Fixed", dt(2027, 1, 7, 14), attendees=("alice@example.com",))
    closed.allow_new_time_proposal = False
    closed.save(send_meeting_invitations=SEND)
    series = meeting(lead, "Weekly", dt(2027, 1, 4, 9), attendees=("alice@example.com",))
    series.recurrence = Recurrence(
        pattern=WeeklyPattern(interval=1, weekdays=["Monday"]),
        boundary=NumberedPattern(start=dt(2027, 1, 4, 0).date(), number=3),
    )
    series.save(send_meeting_invitations=SEND)
    copies = {c.subject: c for c in alice.calendar.all()}
    start = dt(2027, 1, 6, 15)
    end = start + timedelta(hours=1)
    copies["Review"].tentatively_accept(proposed_start=start, proposed_end=end)
    [answer] = [m for m in inbox(lead) if isinstance(m, MeetingResponse)]
    assert answer.subject == "New Time Proposed: Review"
    assert (answer.proposed_start, answer.proposed_end) == (start, end)
    for refused in ("Fixed", "Weekly"):
        try:
            copies[refused].tentatively_accept(proposed_start=start, proposed_end=end)
        except ErrorInvalidRequest:
            continue
        raise AssertionError(f"a proposal for {refused} was taken")
