"""`reconciler pull`: an organizer's edits in Outlook come back into the meeting's file, line for line, over
EWS and over Graph; nothing is sent, and the next plan is empty."""

from __future__ import annotations

import yaml
from exchangelib import EWSDateTime
from exchangelib.items import SEND_TO_NONE
from exchangelib.properties import Attendee, Mailbox

from tests.calendars import meetings_of
from tests.e2e.conftest import REVIEW

COMMENTED = "# The weekly design review: keep it short.\n" + REVIEW.replace(
    "organizer: lead@example.com\n", "organizer: lead@example.com   # the team lead runs it\n"
).replace("location: Oak room", 'location: "Oak room"')  # a quoted value stays quoted


def test_an_outlook_move_and_a_new_attendee_come_back_as_exactly_those_lines(either) -> None:
    p = either
    p.write("review.yaml", COMMENTED)
    assert p.cli("apply", "--auto-approve").exit_code == 0
    lead = p.account("lead@example.com")
    [item] = [i for i in meetings_of(lead) if i.subject == "Design review"]
    item.start = EWSDateTime.from_string("2027-01-06T15:00:00Z")  # 16:00 in Amsterdam
    item.end = EWSDateTime.from_string("2027-01-06T16:00:00Z")
    item.required_attendees = [
        *item.required_attendees,
        Attendee(mailbox=Mailbox(email_address="dave@example.com"), response_type="Unknown"),
    ]
    item.save(send_meeting_invitations=SEND_TO_NONE)  # the organizer's own edit, sent to nobody
    drift = p.plan_json()
    assert [c["action"] for c in drift["changes"]] == ["drift"]
    inboxes = {who: p.inbox(who) for who in ("carol@example.com", "dave@example.com")}

    pulled = p.cli("pull")
    assert pulled.exit_code == 0, pulled.output
    assert "review.yaml: review: " in pulled.output and "nothing was sent" in pulled.output
    assert "as in the calendar (changed there 20" in pulled.output  # when, as the server says
    # who, where the server says: EWS's LastModifiedName (the owner's edit); Graph's event does not say
    over_ews = yaml.safe_load(p.config.read_text())["target"]["kind"] == "ews"
    assert (" UTC by Lead)" in pulled.output) == over_ews, pulled.output
    after = (p.root / "meetings" / "review.yaml").read_text()
    changed = [
        (old, new) for old, new in zip(COMMENTED.splitlines(), after.splitlines(), strict=True) if old != new
    ]
    assert changed == [
        ("  required: [carol@example.com]", "  required: [carol@example.com, dave@example.com]"),
        ("start: 2027-01-06T14:00", "start: 2027-01-06T16:00"),
    ]
    assert p.cli("plan", "--detailed-exitcode").exit_code == 0
    assert {who: p.inbox(who) for who in inboxes} == inboxes  # pull sent nobody anything
    assert "Nothing drifted" in p.cli("pull").output


def test_a_later_edit_after_a_pull_is_still_drift(either) -> None:
    """The files now say what the calendar holds under the marker's older hash: in step, and a later
    Outlook edit is drift again, which pull brings back too."""
    p = either
    assert p.cli("apply", "--auto-approve").exit_code == 0
    lead = p.account("lead@example.com")
    [item] = [i for i in meetings_of(lead) if i.subject == "Design review"]
    item.location = "Elm room"
    item.save(send_meeting_invitations=SEND_TO_NONE)
    assert p.cli("pull").exit_code == 0
    assert 'location: "Elm room"' in (p.root / "meetings" / "review.yaml").read_text() or (
        "location: Elm room" in (p.root / "meetings" / "review.yaml").read_text()
    )
    assert p.cli("apply", "--auto-approve").exit_code == 0  # remembers the files as in step, writes no item
    [item] = [i for i in meetings_of(lead) if i.subject == "Design review"]
    item.location = "Ash room"
    item.save(send_meeting_invitations=SEND_TO_NONE)
    assert [c["action"] for c in p.plan_json()["changes"]] == ["drift"]
    assert p.cli("pull").exit_code == 0
    assert "Ash room" in (p.root / "meetings" / "review.yaml").read_text()
    assert p.cli("plan", "--detailed-exitcode").exit_code == 0
