"""Existing meetings are imported, validate, are adopted without a message, then plan empty."""

from __future__ import annotations

from datetime import timedelta

from exchangelib import Attendee, CalendarItem, EWSDateTime, EWSTimeZone, Mailbox
from exchangelib.items import SEND_TO_ALL_AND_SAVE_COPY, SEND_TO_NONE
from exchangelib.recurrence import NumberedPattern, Recurrence, RelativeMonthlyPattern, WeeklyPattern

AMS = EWSTimeZone("Europe/Amsterdam")
PEOPLE = ("alice@example.com", "bob@example.com")


def existing(project) -> None:
    """Three meetings made directly over EWS, as an organizer's Outlook would have."""
    lead = project.account("lead@example.com")
    people = [Attendee(mailbox=Mailbox(email_address=a)) for a in PEOPLE]

    def make(subject: str, start: EWSDateTime, **fields: object) -> CalendarItem:
        item = CalendarItem(
            account=lead,
            folder=lead.calendar,
            subject=subject,
            start=start,
            end=start + timedelta(minutes=45),
            required_attendees=people,
            **fields,
        )
        item.save(send_meeting_invitations=SEND_TO_ALL_AND_SAVE_COPY)
        return item

    make("Budget review", EWSDateTime(2027, 2, 3, 15, tzinfo=AMS), location="Board room")
    weekly = make(
        "Ops hand-off",
        EWSDateTime(2027, 1, 4, 9, tzinfo=AMS),
        recurrence=Recurrence(
            pattern=WeeklyPattern(interval=1, weekdays=[1]),
            boundary=NumberedPattern(start=EWSDateTime(2027, 1, 4, tzinfo=AMS).date(), number=10),
        ),
    )
    make(
        "Ops hand-off",
        EWSDateTime(2027, 1, 29, 16, tzinfo=AMS),
        recurrence=Recurrence(
            pattern=RelativeMonthlyPattern(interval=1, weekday=5, week_number=5),
            boundary=NumberedPattern(start=EWSDateTime(2027, 1, 29, tzinfo=AMS).date(), number=6),
        ),
    )
    master = lead.calendar.get(id=weekly.id)
    master.occurrence(index=2).delete(send_meeting_cancellations=SEND_TO_NONE)
    moved = master.occurrence(index=3)
    moved.start, moved.end = (
        EWSDateTime(2027, 1, 18, 11, tzinfo=AMS),
        EWSDateTime(2027, 1, 18, 11, 45, tzinfo=AMS),
    )
    moved.location = "Cafe"
    moved.save(update_fields=["start", "end", "location"], send_meeting_invitations=SEND_TO_NONE)


def test_import_adopt_round_trip(project) -> None:
    existing(project)
    assert project.cli("apply", "--auto-approve").exit_code == 0  # the project's own two meetings
    before = {a: len(project.inbox(a)) for a in PEOPLE}
    imported = project.cli("import", "--organizer", "lead@example.com")
    assert imported.exit_code == 0, imported.output
    files = sorted(p.name for p in (project.root / "meetings" / "imported").glob("*.yaml"))
    assert files == ["budget-review.yaml", "ops-hand-off-2.yaml", "ops-hand-off.yaml"]
    weekly = (project.root / "meetings" / "imported" / "ops-hand-off.yaml").read_text()
    assert "skip:\n- '2027-01-11'" in weekly and "location: Cafe" in weekly and "uid:" in weekly
    from reconciler.cli import app

    assert project.runner.invoke(app, ["validate", str(project.root / "meetings")]).exit_code == 0

    plan = project.plan_json()
    assert sorted((c["action"], c["key"], c["messages"]) for c in plan["changes"]) == [
        ("adopt", "budget-review", 0),
        ("adopt", "ops-hand-off", 0),
        ("adopt", "ops-hand-off-2", 0),
    ]
    assert project.cli("apply", "--auto-approve").exit_code == 0
    assert {a: len(project.inbox(a)) for a in PEOPLE} == before  # nobody received anything
    assert project.cli("plan", "--detailed-exitcode").exit_code == 0

    again = project.cli("import", "--organizer", "lead@example.com")
    assert again.exit_code == 0 and "0 meetings imported" in again.output

    path = project.root / "meetings" / "imported" / "budget-review.yaml"
    path.write_text(path.read_text().replace("Board room", "Oak room"))
    plan = project.plan_json()
    assert [(c["action"], c["key"], c["summary"]) for c in plan["changes"]] == [
        ("update", "budget-review", 'location "Board room" → "Oak room"')
    ]
