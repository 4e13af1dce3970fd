"""Drift, unmanaged items, stale saved plans, safety thresholds and the organizer allow-list."""

from __future__ import annotations

from datetime import timedelta

from exchangelib import CalendarItem, EWSDateTime, EWSTimeZone
from exchangelib.items import SEND_TO_NONE

from reconciler.cli import app
from tests.calendars import meetings_of
from tests.e2e.conftest import REVIEW, SYNC

AMS = EWSTimeZone("Europe/Amsterdam")


def applied(project):
    assert project.cli("apply", "--auto-approve").exit_code == 0
    return project


def test_drift_is_reported_and_restored(project) -> None:
    applied(project)
    lead = project.account("lead@example.com")
    item = lead.calendar.get(subject="Design review")
    item.location = "Broom cupboard"
    item.save(update_fields=["location"], send_meeting_invitations=SEND_TO_NONE)
    plan = project.cli("plan")
    assert "! drift" in plan.output and 'location "Broom cupboard" → "Oak room"' in plan.output
    assert "edited in the calendar" in plan.output
    assert project.cli("apply", "--auto-approve").exit_code == 0
    assert lead.calendar.get(subject="Design review").location == "Oak room"
    assert project.cli("plan", "--detailed-exitcode").exit_code == 0


def test_unmanaged_meeting_is_never_touched(project) -> None:
    lead = project.account("lead@example.com")
    start = EWSDateTime(2027, 1, 4, 10, tzinfo=AMS)
    own = CalendarItem(
        account=lead,
        folder=lead.calendar,
        subject="Team sync",
        start=start,
        end=start + timedelta(minutes=30),
    )
    own.save(send_meeting_invitations=SEND_TO_NONE)
    applied(project)
    project.remove("sync.yaml")
    project.remove("review.yaml")
    project.write("other.yaml", REVIEW.replace("key: review", "key: other").replace("Design review", "Other"))
    assert project.cli("apply", "--auto-approve", "--force").exit_code == 0
    mine = lead.calendar.get(id=own.id)
    assert (mine.subject, mine.changekey) == ("Team sync", own.changekey)
    assert sorted(i.subject for i in meetings_of(lead)) == ["Other", "Team sync"]


def test_other_namespace_is_left_alone(project) -> None:
    applied(project)
    other = project.root / "other.yaml"
    other.write_text(project.config.read_text().replace("namespace: e2e", "namespace: elsewhere"))
    result = project.runner.invoke(app, ["plan", "--config", str(other)])
    assert "2 create" in result.output and "left alone: meetings of other namespaces: e2e" in result.output


def test_saved_plan_refused_after_calendar_changed(project) -> None:
    applied(project)
    project.write("sync.yaml", SYNC.replace("10:00", "11:00"))
    saved = project.root / "plan.json"
    assert project.cli("plan", "--out", str(saved)).exit_code == 0
    lead = project.account("lead@example.com")
    item = lead.calendar.get(subject="Team sync")
    item.location = "Roof"
    item.save(update_fields=["location"], send_meeting_invitations=SEND_TO_NONE)
    result = project.cli("apply", str(saved))
    assert result.exit_code == 1 and "calendar changed since this plan was made" in result.output
    assert lead.calendar.get(subject="Team sync").start.astimezone(AMS).hour == 10


def test_saved_plan_refused_after_files_changed(project) -> None:
    applied(project)
    project.write("sync.yaml", SYNC.replace("10:00", "11:00"))
    saved = project.root / "plan.json"
    assert project.cli("plan", "--out", str(saved)).exit_code == 0
    project.write("sync.yaml", SYNC.replace("10:00", "12:00"))
    result = project.cli("apply", str(saved))
    assert result.exit_code == 1 and "meeting files changed since this plan was made" in result.output
    assert "(planned otherwise now: sync (start))" in result.output  # which meeting moved, and where


def test_saved_plan_applies_exactly(project) -> None:
    saved = project.root / "plan.json"
    assert project.cli("plan", "--out", str(saved)).exit_code == 0
    result = project.cli("apply", str(saved))
    assert result.exit_code == 0, result.output
    assert "applied 2 of 2 changes" in result.output


def test_tampered_plan_file_is_refused(project) -> None:
    saved = project.root / "plan.json"
    project.cli("plan", "--out", str(saved))
    saved.write_text(saved.read_text().replace("Team sync", "Team party"))
    result = project.cli("apply", str(saved))
    assert result.exit_code == 1 and "checksum mismatch" in result.output


def test_cancellation_threshold_needs_force(project) -> None:
    applied(project)
    project.configure(max_cancellations=1)
    project.write("keep.yaml", REVIEW.replace("key: review", "key: keep"))
    project.remove("sync.yaml")
    project.remove("review.yaml")
    refused = project.cli("apply", "--auto-approve")
    assert refused.exit_code == 1 and "2 cancellations exceed policy.max_cancellations (1)" in refused.output
    assert meetings_of(project.account("lead@example.com")).count() == 2
    forced = project.cli("apply", "--auto-approve", "--force")
    assert forced.exit_code == 0, forced.output
    assert [i.subject for i in meetings_of(project.account("lead@example.com"))] == ["Design review"]


def test_change_percent_threshold(project) -> None:
    for i in range(10):
        project.write(f"m{i}.yaml", REVIEW.replace("key: review", f"key: m{i}"))
    applied(project)
    project.configure(max_change_percent=30)
    for i in range(5):
        project.write(
            f"m{i}.yaml", REVIEW.replace("key: review", f"key: m{i}").replace("Oak room", "Elm room")
        )
    refused = project.cli("apply", "--auto-approve")
    assert refused.exit_code == 1 and "(42%), above policy.max_change_percent (30%)" in refused.output
    assert project.cli("apply", "--auto-approve", "--force").exit_code == 0


def test_empty_desired_set_never_cancels_everything(project) -> None:
    applied(project)
    project.remove("sync.yaml")
    project.remove("review.yaml")
    result = project.cli("apply", "--auto-approve", "--force")
    assert result.exit_code == 1 and "never cancels everything" in result.output
    assert meetings_of(project.account("lead@example.com")).count() == 2


def test_organizer_outside_allow_list_is_refused_at_plan_time(project) -> None:
    project.configure(organizers=["lead@example.com", "ceo@other.org"])
    project.write(
        "x.yaml", REVIEW.replace("key: review", "key: x").replace("lead@example.com", "ceo@other.org")
    )
    result = project.cli("plan")
    assert result.exit_code == 1  # found in the configuration, at its line, before any calendar is read
    assert "organizers[1]: ceo@other.org is not allowed by policy.allowed_organizers" in result.output


def test_recipient_budget(project) -> None:
    project.configure(recipients_per_day=2)
    refused = project.cli("apply", "--auto-approve")
    assert (
        refused.exit_code == 1
        and "sends to 4 recipients, above policy.recipients_per_day (2)" in refused.output
    )


def test_unlisted_organizer_is_a_validation_problem_at_its_position(project) -> None:
    project.write("x.yaml", REVIEW.replace("key: review", "key: x").replace("lead@", "kim@"))
    for args in (("plan",), ("validate", str(project.root / "meetings"))):
        result = project.cli(*args)
        assert result.exit_code == 1
        assert "x.yaml:3:12: organizer: kim@example.com is not listed under `organizers:`" in result.output


def test_deleting_all_of_an_organizers_files_plans_their_cancellation_on_a_fresh_clone(project) -> None:
    """Nothing is remembered on the machine: the listed organizers are read on every plan."""
    project.configure(organizers=["lead@example.com", "kim@example.com"])
    project.write("kim.yaml", REVIEW.replace("key: review", "key: kim-review").replace("lead@", "kim@"))
    assert project.cli("apply", "--auto-approve").exit_code == 0
    assert not (project.root / ".reconciler").exists()
    project.remove("kim.yaml")
    result = project.cli("plan", "--detailed-exitcode")
    assert result.exit_code == 2, result.output
    assert "- cancel    kim-review" in result.output
