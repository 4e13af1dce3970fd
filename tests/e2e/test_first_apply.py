"""First apply creates every meeting and invites each attendee once; the next plan is empty."""

from __future__ import annotations

import exchangelib

from reconciler.sandbox import Sandbox
from tests.calendars import meetings_of


def test_first_apply_then_nothing_to_do(project) -> None:
    plan = project.cli("plan", "--detailed-exitcode")
    assert plan.exit_code == 2, plan.output
    assert "+ create" in plan.output and "2 create, 0 update, 0 cancel, 0 drift" in plan.output
    applied = project.cli("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    for address in ("alice@example.com", "bob@example.com"):
        assert project.inbox(address) == [("MeetingRequest", "NewMeetingRequest")]
    assert project.inbox("carol@example.com") == [("MeetingRequest", "NewMeetingRequest")]
    assert [i.subject for i in meetings_of(project.account("room-oak@example.com"))] == ["Design review"]
    assert sorted(i.subject for i in meetings_of(project.account("lead@example.com"))) == [
        "Design review",
        "Team sync",
    ]
    assert len(list(project.account("lead@example.com").sent.all())) == 2
    again = project.cli("plan", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "No changes" in again.output
    assert project.cli("apply", "--auto-approve").output.rstrip().endswith("Nothing to apply.")


def test_embedded_target(embedded) -> None:
    assert embedded.cli("apply", "--auto-approve").exit_code == 0
    assert embedded.cli("plan", "--detailed-exitcode").exit_code == 0
    db = embedded.root / ".reconciler" / "sandbox.sqlite3"
    with Sandbox(db=str(db)) as sb:
        embedded.sandbox = sb
        assert embedded.inbox("alice@example.com") == [("MeetingRequest", "NewMeetingRequest")]
        assert embedded.inbox("carol@example.com") == [("MeetingRequest", "NewMeetingRequest")]
    exchangelib.close_connections()


def test_apply_without_terminal_needs_auto_approve(project) -> None:
    result = project.cli("apply")
    assert result.exit_code == 1 and "--auto-approve" in result.output
    assert project.inbox("alice@example.com") == []
