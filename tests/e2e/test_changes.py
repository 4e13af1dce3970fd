"""Each edit to the files plans as exactly one change and delivers exactly the expected messages."""

from __future__ import annotations

import pytest
from exchangelib import EWSTimeZone

from tests.calendars import meetings_of
from tests.e2e.conftest import REVIEW, SYNC

AMS = EWSTimeZone("Europe/Amsterdam")
PEOPLE = (
    "alice@example.com",
    "bob@example.com",
    "carol@example.com",
    "dan@example.com",
    "room-oak@example.com",
)


@pytest.fixture
def applied(project):
    assert project.cli("apply", "--auto-approve").exit_code == 0
    project.before = {a: len(project.inbox(a)) for a in PEOPLE}
    return project


def new_messages(project) -> dict[str, list[tuple[str, str]]]:
    """What each person received since the first apply (only people who received something)."""
    out = {}
    for address in PEOPLE:
        got = project.inbox(address)[project.before[address] :]
        if got:
            out[address] = got
    return out


def one_change(project, action: str, key: str) -> dict:
    plan = project.plan_json()
    assert [(c["action"], c["key"]) for c in plan["changes"]] == [(action, key)], plan["changes"]
    return plan["changes"][0]


def apply(project) -> None:
    result = project.cli("apply", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert project.cli("plan", "--detailed-exitcode").exit_code == 0


def test_change_time(applied) -> None:
    applied.write("sync.yaml", SYNC.replace("10:00", "11:00"))
    change = one_change(applied, "update", "sync")
    assert change["summary"] == "start 10:00 → 11:00" and change["messages"] == 1
    assert change["recipients"] == ["alice@example.com", "bob@example.com"]
    apply(applied)
    assert new_messages(applied) == {
        "alice@example.com": [("MeetingRequest", "FullUpdate")],
        "bob@example.com": [("MeetingRequest", "FullUpdate")],
    }
    master = applied.account("lead@example.com").calendar.get(subject="Team sync")
    assert master.start.astimezone(AMS).hour == 11 and master.appointment_sequence_number == 1


def test_add_and_remove_attendee(applied) -> None:
    applied.write("sync.yaml", SYNC.replace("bob@example.com", "dan@example.com"))
    change = one_change(applied, "update", "sync")
    assert change["summary"] == "+ dan@example.com; − bob@example.com"
    assert change["messages"] == 2  # the update to everyone, and the cancellation to bob
    apply(applied)
    assert new_messages(applied) == {
        "alice@example.com": [("MeetingRequest", "InformationalUpdate")],
        "bob@example.com": [("MeetingCancellation", "Canceled: Team sync")],
        "dan@example.com": [("MeetingRequest", "NewMeetingRequest")],
    }


def test_add_attendee_with_notify_changed(applied) -> None:
    applied.configure(notify={"create": "all", "update": "changed", "cancel": "all"})
    applied.write("sync.yaml", SYNC.replace("bob@example.com]", "bob@example.com, dan@example.com]"))
    change = one_change(applied, "update", "sync")
    assert change["writes"][0]["send"] == "changed" and change["recipients"] == ["dan@example.com"]
    apply(applied)
    assert new_messages(applied) == {"dan@example.com": [("MeetingRequest", "NewMeetingRequest")]}


def test_skip_an_occurrence(applied) -> None:
    applied.write("sync.yaml", SYNC + "skip: [2027-01-18]\n")
    change = one_change(applied, "update", "sync")
    assert change["summary"] == "skip 2027-01-18" and change["messages"] == 1
    apply(applied)
    assert new_messages(applied) == {
        "alice@example.com": [("MeetingCancellation", "Canceled: Team sync")],
        "bob@example.com": [("MeetingCancellation", "Canceled: Team sync")],
    }
    master = applied.account("lead@example.com").calendar.get(subject="Team sync")
    assert [d.start.astimezone(AMS).date().isoformat() for d in master.deleted_occurrences] == ["2027-01-18"]


def test_move_an_occurrence(applied) -> None:
    applied.write(
        "sync.yaml", SYNC + "moves: [{date: 2027-01-11, start: 2027-01-11T15:00, location: Cafe}]\n"
    )
    change = one_change(applied, "update", "sync")
    assert change["summary"] == "move 2027-01-11 → 2027-01-11 15:00" and change["messages"] == 1
    apply(applied)
    assert new_messages(applied) == {
        "alice@example.com": [("MeetingRequest", "FullUpdate")],
        "bob@example.com": [("MeetingRequest", "FullUpdate")],
    }
    [moved] = applied.account("alice@example.com").calendar.view(
        start=_day(2027, 1, 11), end=_day(2027, 1, 12)
    )
    assert moved.start.astimezone(AMS).hour == 15 and moved.type == "Exception"


def test_remove_a_meeting(applied) -> None:
    applied.remove("review.yaml")
    change = one_change(applied, "cancel", "review")
    assert change["recipients"] == ["carol@example.com", "room-oak@example.com"]
    apply(applied)
    assert new_messages(applied) == {
        "carol@example.com": [("MeetingCancellation", "Canceled: Design review")],
        "room-oak@example.com": [("MeetingCancellation", "Canceled: Design review")],
    }
    assert [i.subject for i in meetings_of(applied.account("lead@example.com"))] == ["Team sync"]


def test_unskip_restores_the_series(applied) -> None:
    applied.write("sync.yaml", SYNC + "skip: [2027-01-18, 2027-01-25]\n")
    apply(applied)
    applied.write("sync.yaml", SYNC + "skip: [2027-01-25]\n")
    change = one_change(applied, "update", "sync")
    assert change["summary"] == "unskip 2027-01-18"
    apply(applied)
    master = applied.account("lead@example.com").calendar.get(subject="Team sync")
    assert [d.start.astimezone(AMS).date().isoformat() for d in master.deleted_occurrences] == ["2027-01-25"]


def test_rename_sends_nothing(applied) -> None:
    applied.write("review.yaml", REVIEW.replace("key: review", "key: design-review\nprevious_keys: [review]"))
    change = one_change(applied, "rename", "design-review")
    assert change["messages"] == 0 and change["reason"] == "renamed from review"
    apply(applied)
    assert new_messages(applied) == {}
    item = applied.account("lead@example.com").calendar.get(subject="Design review")
    assert item.reconciler_key == "design-review"


def _day(y: int, m: int, d: int):
    from exchangelib import EWSDateTime

    return EWSDateTime(y, m, d, tzinfo=AMS)


def test_markdown_plan_shows_next_occurrences_before_and_after(project) -> None:
    from tests.e2e.conftest import SYNC

    assert project.cli("apply", "--auto-approve").exit_code == 0
    project.write("sync.yaml", SYNC.replace("10:00", "11:00") + "skip: [2027-01-11]\n")
    markdown = project.cli("plan", "--format", "markdown").output
    before = next(line for line in markdown.splitlines() if "next occurrences before" in line)
    after = next(line for line in markdown.splitlines() if "next occurrences after" in line)
    before, after = (
        before.replace("\\", "").replace("&#58;", ":"),
        after.replace("\\", "").replace("&#58;", ":"),
    )
    assert "Mon 2027-01-04 10:00, Mon 2027-01-11 10:00" in before  # markdown-escaped in the output
    assert "Mon 2027-01-04 11:00, Mon 2027-01-18 11:00" in after and "2027-01-11" not in after
    data = project.plan_json()
    [change] = data["changes"]
    assert change["before"][0] == "Mon 2027-01-04 10:00" and change["after"][1] == "Mon 2027-01-18 11:00"


def test_holidays_reach_the_calendar_and_a_moved_holiday_keeps_its_move(project) -> None:
    import json

    project.remove("sync.yaml")
    project.write(
        "holiday.yaml",
        """\
        key: planning
        subject: Planning
        organizer: lead@example.com
        timezone: Europe/Amsterdam
        attendees:
          required: [alice@example.com]
        start: 2027-04-26T10:00
        duration: 30m
        repeat: {every: week, days: [mon, tue, thu], count: 9}
        skip_holidays: NL
        moves: [{date: 2027-04-27, start: 2027-04-27T15:00}]
        """,
    )
    plan = project.plan_json()
    create = next(c for c in plan["changes"] if c["key"] == "planning")
    assert "1 skipped (1 for holidays)" in create["summary"]
    assert project.cli("apply", "--auto-approve").exit_code == 0
    assert project.cli("plan", "--detailed-exitcode").exit_code == 0
    shown = json.loads(project.cli("show", "planning", "--format", "json").output)
    assert shown["calendar"]["skip"] == ["2027-05-06"]  # Ascension Day; King's Day was moved, so it stays
    assert [m["date"] for m in shown["calendar"]["moves"]] == ["2027-04-27"]
    assert project.inbox("alice@example.com") == [("MeetingRequest", "NewMeetingRequest")]  # one invitation


def test_an_update_and_a_duplicate_of_the_same_meeting_are_two_outcomes(applied) -> None:
    """A copy carrying the meeting's marker (a duplicate) and a change to the files plan as two changes
    with one key; apply reports each on its own and remembers the updated meeting, so the next plan is empty
    and reads nothing the apply wrote."""
    from exchangelib import CalendarItem

    lead = applied.account("lead@example.com")
    original = lead.calendar.get(subject="Design review")
    CalendarItem(
        account=lead,
        folder=lead.calendar,
        subject=original.subject,
        start=original.start,
        end=original.end,
        reconciler_namespace=original.reconciler_namespace,
        reconciler_key=original.reconciler_key,
        reconciler_spec_hash=original.reconciler_spec_hash,
    ).save(send_meeting_invitations="SendToNone")
    applied.write("review.yaml", REVIEW.replace("Oak room", "Oak room, first floor"))
    plan = applied.plan_json()
    assert sorted((c["action"], c["key"]) for c in plan["changes"]) == [
        ("duplicate", "review"),
        ("update", "review"),
    ]
    result = applied.cli("apply", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert "ok   update    review" in result.output and "ok   duplicate review" in result.output
    after = applied.plan_json()
    assert after["changes"] == [] and after["observe_requests"] == 3  # nothing the apply wrote is read again
