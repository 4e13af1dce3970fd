"""The real CLI with `kind: graph` against `reconciler sandbox serve --tls`, through the real token flow.

Every outcome is checked in the attendees' mailboxes: who received what, exactly once.
"""

from __future__ import annotations

import json
import subprocess

import pytest
from exchangelib.items import SEND_TO_NONE

from tests.e2e.conftest import CLI, REVIEW, SYNC

REQUEST, CANCELLED = "IPM.Schedule.Meeting.Request", "IPM.Schedule.Meeting.Canceled"


def ok(project, *args: str) -> str:
    result = project.cli(*args)
    assert result.exit_code == 0, result.output
    return result.output


def test_first_apply_invites_every_attendee_once_and_converges(graph_project) -> None:
    plan = ok(graph_project, "plan")
    assert f"→ graph {graph_project.origin}/v1.0" in plan
    ok(graph_project, "apply", "--auto-approve")
    for person in ("alice@example.com", "bob@example.com"):
        assert graph_project.inbox(person) == [(REQUEST, "NewMeetingRequest")]
    assert graph_project.inbox("carol@example.com") == [(REQUEST, "NewMeetingRequest")]
    # The room's booking attendant took its request and answered: the organizer holds the acceptance.
    assert graph_project.inbox("room-oak@example.com") == []
    answers = graph_project.inbox("lead@example.com")
    assert ("IPM.Schedule.Meeting.Resp.Pos", "Accepted: Design review") in answers
    assert graph_project.cli("plan", "--detailed-exitcode").exit_code == 0


def test_edits_skips_moves_renames_and_removals_reach_exactly_the_right_people(graph_project) -> None:
    p = graph_project
    ok(p, "apply", "--auto-approve")
    start = {a: len(p.inbox(a)) for a in ("alice@example.com", "bob@example.com", "carol@example.com")}

    def new(address: str) -> list[tuple[str, str]]:
        seen = p.inbox(address)[start[address] :]
        start[address] += len(seen)
        return seen

    p.write("review.yaml", REVIEW.replace("Design review", "Design crit"))
    ok(p, "apply", "--auto-approve")
    assert new("carol@example.com") == [(REQUEST, "InformationalUpdate")]
    assert new("alice@example.com") == []

    p.write("sync.yaml", SYNC + "skip: [2027-01-11]\n")
    ok(p, "apply", "--auto-approve")
    assert new("alice@example.com") == [(CANCELLED, "Canceled: Team sync")]
    assert new("bob@example.com") == [(CANCELLED, "Canceled: Team sync")]
    assert new("carol@example.com") == []

    p.write("sync.yaml", SYNC + "skip: [2027-01-11]\nmoves: [{date: 2027-01-18, start: 2027-01-19T11:00}]\n")
    ok(p, "apply", "--auto-approve")
    assert new("alice@example.com") == [(REQUEST, "FullUpdate")]
    assert new("bob@example.com") == [(REQUEST, "FullUpdate")]

    p.remove("sync.yaml")
    renamed = SYNC.replace("key: sync", "key: weekly-sync\nprevious_keys: [sync]")
    p.write(
        "weekly.yaml", renamed + "skip: [2027-01-11]\nmoves: [{date: 2027-01-18, start: 2027-01-19T11:00}]\n"
    )
    plan = p.plan_json()
    assert [(c["action"], c["key"], c["messages"]) for c in plan["changes"]] == [("rename", "weekly-sync", 0)]
    ok(p, "apply", "--auto-approve")
    assert new("alice@example.com") == [] and new("bob@example.com") == []

    p.remove("review.yaml")
    ok(p, "apply", "--auto-approve")
    assert new("carol@example.com") == [(CANCELLED, "Canceled: Design crit")]
    assert p.inbox("room-oak@example.com")[-1] == (CANCELLED, "Canceled: Design crit")
    assert new("alice@example.com") == []
    assert p.cli("plan", "--detailed-exitcode").exit_code == 0


def test_drift_made_over_ews_is_detected_over_graph_and_restored(graph_project) -> None:
    ok(graph_project, "apply", "--auto-approve")
    lead = graph_project.account("lead@example.com")
    item = lead.calendar.get(subject="Design review")
    item.location = "Broom cupboard"
    item.save(update_fields=["location"], send_meeting_invitations=SEND_TO_NONE)
    plan = graph_project.plan_json()
    assert [(c["action"], c["key"]) for c in plan["changes"]] == [("drift", "review")]
    ok(graph_project, "apply", "--auto-approve")
    assert lead.calendar.get(subject="Design review").location == "Oak room"
    assert graph_project.cli("plan", "--detailed-exitcode").exit_code == 0


def test_switching_between_ews_and_graph_plans_nothing(graph_project) -> None:
    p = graph_project
    p.use("ews")
    ok(p, "apply", "--auto-approve")
    p.use("graph")
    result = p.cli("plan", "--detailed-exitcode")
    assert result.exit_code == 0, result.output
    p.write("sync.yaml", SYNC + "skip: [2027-01-11]\nmoves: [{date: 2027-01-18, start: 2027-01-19T11:00}]\n")
    ok(p, "apply", "--auto-approve")
    p.use("ews")
    result = p.cli("plan", "--detailed-exitcode")
    assert result.exit_code == 0, result.output


def test_show_over_graph(graph_project) -> None:
    ok(graph_project, "apply", "--auto-approve")
    shown = ok(graph_project, "show", "review", "--raw")
    assert "Design review" in shown and "Oak room" in shown
    assert "the calendar item as the target returns it:" in shown and "reconciler-key" in shown


def test_saved_plan_and_cancellation_threshold(graph_project) -> None:
    p = graph_project
    saved = p.root / "plan.json"
    ok(p, "plan", "--out", str(saved))
    assert "applied 2 of 2 changes" in ok(p, "apply", str(saved))
    p.configure(max_cancellations=1)
    p.remove("sync.yaml")
    p.remove("review.yaml")
    p.write("other.yaml", REVIEW.replace("key: review", "key: other"))
    refused = p.cli("apply", "--auto-approve")
    assert refused.exit_code == 1 and "--force" in refused.output
    assert p.inbox("alice@example.com") == [(REQUEST, "NewMeetingRequest")]  # nothing was cancelled


def test_notify_none_is_refused_for_a_graph_target(graph_project) -> None:
    p = graph_project
    p.configure(notify={"create": "none", "update": "all", "cancel": "all"})
    result = p.cli("plan")
    assert result.exit_code == 1
    assert "reconciler.yaml" in result.output and "cannot create silently" in result.output
    p.configure(notify={"create": "all", "update": "all", "cancel": "all"})
    p.write("sync.yaml", SYNC + "notify: none\n")
    result = p.cli("plan")
    assert (
        result.exit_code == 1 and "sync: `notify: none` cannot be honoured on a graph target" in result.output
    )


def test_import_and_adopt_over_graph_send_nothing(graph_project) -> None:
    from tests.e2e.test_import import PEOPLE, existing

    p = graph_project
    existing(p)
    ok(p, "apply", "--auto-approve")
    before = {a: len(p.inbox(a)) for a in PEOPLE}
    ok(p, "import", "--organizer", "lead@example.com")
    plan = p.plan_json()
    assert sorted((c["action"], c["key"], c["messages"]) for c in plan["changes"]) == [
        ("adopt", "budget-review", 0),
        ("adopt", "ops-hand-off", 0),
        ("adopt", "ops-hand-off-2", 0),
    ]
    ok(p, "apply", "--auto-approve")
    assert {a: len(p.inbox(a)) for a in PEOPLE} == before  # nobody received anything
    assert p.cli("plan", "--detailed-exitcode").exit_code == 0


def test_a_wrong_secret_is_named_and_fails_at_once(graph_project, monkeypatch) -> None:
    monkeypatch.setenv("GRAPH_CLIENT_SECRET", "not-the-secret")
    result = graph_project.cli("plan")
    assert result.exit_code == 1
    assert "AADSTS7000215" in result.output and "$GRAPH_CLIENT_SECRET" in result.output
    assert "not-the-secret" not in result.output


@pytest.mark.serve_args(
    "--busy-rate",
    "0.2",
    "--unavailable-rate",
    "0.1",
    "--reset-rate",
    "0.1",
    "--seed",
    "11",
    "--fault-phase",
    "after",
    "--busy-backoff-ms",
    "10",
)
def test_faults_converge_without_a_duplicate(graph_project) -> None:
    """429 with Retry-After, 503 and dropped connections, each after the server did the work."""
    p = graph_project
    for n in range(4):
        p.write(f"extra-{n}.yaml", REVIEW.replace("key: review", f"key: review-{n}"))
    for _ in range(5):
        if p.cli("apply", "--auto-approve").exit_code == 0:
            break
    assert p.cli("plan", "--detailed-exitcode").exit_code == 0
    assert p.inbox("carol@example.com") == [(REQUEST, "NewMeetingRequest")] * 5
    assert p.inbox("alice@example.com") == [(REQUEST, "NewMeetingRequest")]


def test_the_cli_as_a_process(graph_project) -> None:
    """The installed entry point, in its own process, with the secrets only in its environment."""
    import os

    env = {**os.environ}
    result = subprocess.run(
        [*CLI, "apply", "--auto-approve", "--config", str(graph_project.config)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    plan = subprocess.run(
        [*CLI, "plan", "--format", "json", "--config", str(graph_project.config)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert json.loads(plan.stdout)["changes"] == []


def test_sends_over_graph_are_paced_to_the_message_rate(tmp_path, monkeypatch) -> None:
    """The sandbox in-process (to read its rate window), spoken to over Graph with the real token flow."""

    from reconciler import run
    from reconciler.apply import Pacer
    from reconciler.backends.factory import open_backend
    from reconciler.sandbox import FaultOptions, Sandbox
    from tests.e2e.conftest import _config, sandbox_target
    from tests.fakes import FakeClock

    with Sandbox(tls=True) as sb:
        _config(tmp_path, sandbox_target(sb, monkeypatch))
        config = tmp_path / "reconciler.yaml"
        for i in range(40):
            path = tmp_path / "meetings" / f"m{i}.yaml"
            path.parent.mkdir(exist_ok=True)
            path.write_text(REVIEW.replace("key: review", f"key: m{i}"))
        clock = FakeClock()
        sb.faults.clock = clock
        sb.set_faults(FaultOptions(message_rate_per_minute=30))
        settings = run.settings_for(config)
        with open_backend(settings) as backend:
            planned = run.make_plan(settings, backend, run.load_desired(settings))
            assert planned.plan.messages == 40
            pacer = Pacer(30, clock=clock, sleep=clock.sleep)
            assert run.run_apply(settings, backend, planned, lambda line: None, pacers=lambda m: pacer) == 0
        assert sb.rate_violations() == []
        assert pacer.waited >= 60  # 40 messages at 30 a minute take more than a minute
        assert len(sb.store.items("carol@example.com", "inbox")) == 40


def test_online_meeting_teams_over_graph(graph_project) -> None:
    p = graph_project
    p.write("review.yaml", REVIEW + "online_meeting: teams\n")
    ok(p, "apply", "--auto-approve")
    assert p.cli("plan", "--detailed-exitcode").exit_code == 0  # the calendar holds what the file says
    shown = json.loads(ok(p, "show", "review", "--format", "json"))
    assert shown["join_url"].startswith("https://teams.microsoft.com/l/meetup-join/19%3ameeting_")
    assert f"join online: {shown['join_url']}" in ok(p, "show", "review")
    p.write("review.yaml", REVIEW)
    plan = p.plan_json()
    assert [(c["action"], c["summary"]) for c in plan["changes"]] == [
        ("update", 'online meeting "teams" → none')
    ]
    ok(p, "apply", "--auto-approve")
    assert json.loads(ok(p, "show", "review", "--format", "json"))["join_url"] is None


def test_online_meeting_is_refused_on_an_ews_target(graph_project) -> None:
    from reconciler.cli import app

    p = graph_project
    p.use("ews")
    p.write("review.yaml", REVIEW + "online_meeting: teams\n")
    planned = p.cli("plan")
    assert planned.exit_code == 1
    assert (
        "review: `online_meeting: teams` needs a graph target: EWS cannot create Teams meetings"
        in planned.output
    )
    checked = p.runner.invoke(app, ["validate", str(p.root / "meetings"), "--config", str(p.config)])
    assert (
        checked.exit_code == 1
        and "meetings/review.yaml:1:1: review: `online_meeting: teams`" in checked.output
    )


def test_a_team_moving_to_graph_reads_in_full_once_then_only_what_changed(graph_project) -> None:
    """The snapshot EWS kept is EWS's mapping: the first plans over Graph read in full (and send nothing);
    an apply keeps Graph's own, and from then on a plan is one `$batch` (the marked events and the record)."""
    p = graph_project

    def requests(*args: str) -> int:
        return json.loads(ok(p, "plan", "--format", "json", *args))["observe_requests"]

    p.use("ews")
    ok(p, "apply", "--auto-approve")
    assert requests() == 3  # the record (FindItem, GetItem) and one SyncFolderItems
    p.use("graph")
    full = requests()
    assert full > 1 and requests("--full-read") == full
    assert "nothing to send" in ok(p, "apply", "--auto-approve")
    assert requests() == 1
    assert graph_project.cli("plan", "--detailed-exitcode").exit_code == 0
