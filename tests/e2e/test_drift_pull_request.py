"""The drift workflow's pull-request step, run as a runner runs it (bash, the step's own environment, a git
remote) against a local stand-in for GitHub's REST API: one pull request opened, the same one updated on the
next run, none when nothing drifted."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml
from exchangelib import EWSDateTime
from exchangelib.items import SEND_TO_NONE

from reconciler.scaffold import LOCAL_ACTION, render_workflow
from tests.calendars import meetings_of
from tests.standins.github import TOKEN, github

STEP = 'open or update the pull request "Calendar edits since the last apply"'
REPOSITORY = "contoso/meetings"


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True)
    return done.stdout


def _step() -> dict:
    drift = yaml.safe_load(render_workflow("drift", LOCAL_ACTION, "ews"))
    [step] = [s for s in drift["jobs"]["drift"]["steps"] if s.get("name") == STEP]
    assert step["if"] == "steps.pull.outputs.exitcode == '0'"
    assert step["env"]["GH_TOKEN"] == "${{ github.token }}"
    return step


def _run_step(p, origin: str, remote: Path, plan_out: Path, pull_out: Path) -> subprocess.CompletedProcess:  # type: ignore[no-untyped-def]
    """The step's script with the environment the runner gives it (its `env:` evaluated)."""
    temp = p.root.parent / "runner-temp"
    temp.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "GITHUB_API_URL": origin,
        "GITHUB_SERVER_URL": f"file://{remote}",  # the remote's root, as https://github.com
        "GITHUB_REPOSITORY": REPOSITORY,
        "RUNNER_TEMP": str(temp),
        "GH_TOKEN": TOKEN,
        "BASE": "main",
        "PULL_OUT": str(pull_out),
        "PLAN_OUT": str(plan_out),
    }
    script = _step()["run"]
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=p.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _drift_job(p, origin: str, remote: Path) -> subprocess.CompletedProcess | None:  # type: ignore[no-untyped-def]
    """What the job does on a fresh checkout of main: plan, and on drift pull and the pull-request step."""
    _git(p.root, "checkout", "--quiet", "main")
    _git(p.root, "checkout", "--quiet", "--", ".")
    plan_out, pull_out = p.root.parent / "plan.out", p.root.parent / "pull.out"
    plan = p.cli("plan", "--detailed-exitcode")
    plan_out.write_text(plan.stdout)
    if plan.exit_code != 2:
        return None
    pulled = p.cli("pull")
    assert pulled.exit_code == 0, pulled.output
    pull_out.write_text(pulled.stdout)
    return _run_step(p, origin, remote, plan_out, pull_out)


def _edit(p, **values: object) -> None:  # type: ignore[no-untyped-def]
    lead = p.account("lead@example.com")
    [item] = [i for i in meetings_of(lead) if i.subject == "Design review"]
    for name, value in values.items():
        setattr(item, name, value)
    item.save(send_meeting_invitations=SEND_TO_NONE)


def test_one_pull_request_opened_then_updated_and_none_without_drift(project, tmp_path: Path) -> None:
    p = project
    remote = tmp_path / "remote"
    bare = remote / f"{REPOSITORY}.git"
    bare.mkdir(parents=True)
    _git(bare, "init", "--quiet", "--bare")
    _git(p.root, "init", "--quiet", "-b", "main")
    _git(p.root, "add", "meetings", "reconciler.yaml")
    _git(p.root, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "-m", "meetings")
    assert p.cli("apply", "--auto-approve").exit_code == 0
    with github(REPOSITORY) as api:
        assert _drift_job(p, api.origin, remote) is None  # nothing drifted: no pull, no pull request
        assert api.requests == []

        _edit(
            p,
            start=EWSDateTime.from_string("2027-01-06T15:00:00Z"),
            end=EWSDateTime.from_string("2027-01-06T16:00:00Z"),
        )
        first = _drift_job(p, api.origin, remote)
        assert first is not None and first.returncode == 0, first.stderr
        assert "pull request opened" in first.stdout
        [pull] = api.pulls
        assert (pull["title"], pull["head"]["ref"], pull["base"]["ref"]) == (
            "Calendar edits since the last apply",
            "reconciler/calendar-edits",
            "main",
        )
        assert "review.yaml: review: start" in pull["body"] and "reconciler pull" in pull["body"]
        assert "UTC by Lead)" in pull["body"]  # who made the edit, as Exchange says (LastModifiedName)
        assert [(m, path.split("?")[0]) for m, path, _ in api.requests] == [
            ("GET", f"/repos/{REPOSITORY}/pulls"),
            ("POST", f"/repos/{REPOSITORY}/pulls"),
        ]
        pushed = _git(bare, "show", "reconciler/calendar-edits:meetings/review.yaml")
        assert "start: 2027-01-06T16:00" in pushed

        _edit(p, location="Elm room")
        second = _drift_job(p, api.origin, remote)
        assert second is not None and second.returncode == 0, second.stderr
        assert "pull request updated" in second.stdout
        assert len(api.pulls) == 1 and "location" in api.pulls[0]["body"]
        assert [m for m, _, _ in api.requests[2:]] == ["GET", "PATCH"]
        pushed = _git(bare, "show", "reconciler/calendar-edits:meetings/review.yaml")
        assert "start: 2027-01-06T16:00" in pushed and "Elm room" in pushed


def test_a_refused_token_names_the_call_and_the_permission() -> None:
    from reconciler.forges import ForgeError, GitHub

    with github(REPOSITORY) as api:
        client = GitHub(api.origin, REPOSITORY, "wrong")
        try:
            client.open_or_update("reconciler/calendar-edits", "main", "t", "b")
        except ForgeError as exc:
            said = str(exc)
        else:
            raise AssertionError("a refused token must raise")
    assert "GET " in said and "HTTP 401" in said and "pull-requests: write" in said and "wrong" not in said
