"""A team's first month on GitHub: the PR comment fits whatever the plan's size, and the composite action
behaves as the workflows `init` writes expect (its run step, run by bash as the runner runs it)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

from reconciler.plan.render import COMMENT_LIMIT
from tests.e2e.conftest import Project

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / ".github" / "actions" / "reconcile" / "action.yml"

MEETING = """\
key: m{n:03d}
subject: Meeting number {n} with a subject long enough to take room in a table
organizer: lead@example.com
timezone: Europe/Amsterdam
attendees:
  required: [a{n}@example.com, b{n}@example.com, c{n}@example.com, d{n}@example.com]
start: 2027-01-{day:02d}T{hour:02d}:00
duration: 45m
repeat: {{every: week, days: [{weekday}], count: 10}}
location: Room {n}
"""
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def test_markdown_plan_of_500_meetings_fits_a_comment_and_names_what_is_left_out(embedded: Project) -> None:
    embedded.remove("sync.yaml")
    embedded.remove("review.yaml")
    for n in range(500):
        day = 4 + n % 5  # 2027-01-04 is a Monday
        embedded.write(
            f"m{n:03d}.yaml", MEETING.format(n=n, day=day, hour=8 + n % 9, weekday=WEEKDAYS[n % 5])
        )
    full = embedded.root / "plan.md"
    result = embedded.cli("plan", "--format", "markdown", "--full-out", str(full))
    assert result.exit_code == 0, result.output
    comment = result.stdout
    assert len(comment) < COMMENT_LIMIT
    shown = re.findall(r"^\| \+ create \| `(m\d{3})`", comment, flags=re.M)
    left_out = int(re.search(r"… and (\d+) more changes, left out to fit a comment", comment)[1])
    assert len(shown) + left_out == 500 and 0 < len(shown) < 500
    assert "**500 create, 0 update, 0 cancel, 0 drift" in comment  # the totals are for the whole plan
    whole = full.read_text()
    assert len(re.findall(r"^\| \+ create \|", whole, flags=re.M)) == 500 and "left out" not in whole
    # the week chart GitHub draws: one section per changed meeting (at most CHART_MEETINGS), times only
    chart = comment[comment.index("```mermaid") : comment.index("```", comment.index("```mermaid") + 3)]
    assert "gantt" in chart and "section m" in chart and "Meeting number" not in chart
    assert re.search(r"after :active, 2027-01-04 \d\d:00, 2027-01-04 \d\d:45", chart)


def _run_action(
    root: Path, command: str, args: str, config: str = "reconciler.yaml"
) -> tuple[int, str, dict]:
    """The action's `run` step, executed by bash with the environment a runner gives it."""
    step = next(s for s in yaml.safe_load(ACTION.read_text())["runs"]["steps"] if s.get("id") == "run")
    outputs = root / "github_output"
    outputs.write_text("")
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "COMMAND": command,
        "CONFIG": config,
        "ARGS": args,
        "RUNNER_TEMP": str(root),
        "GITHUB_OUTPUT": str(outputs),
    }
    done = subprocess.run(
        ["bash", "-e", "-c", step["run"]], cwd=root, env=env, capture_output=True, text=True, timeout=120
    )
    found = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
    return done.returncode, done.stdout + done.stderr, found


def test_action_skips_the_sandbox_target_with_a_notice(embedded: Project) -> None:
    code, output, found = _run_action(embedded.root, "plan", "--detailed-exitcode")
    assert code == 0 and found["exitcode"] == "skipped"
    assert "::notice title=reconciler plan skipped::reconciler.yaml targets the embedded sandbox" in output
    assert not (embedded.root / ".reconciler").exists()  # nothing was planned against a throw-away sandbox


def test_action_hands_validate_its_config_and_keeps_errors_for_the_comment(embedded: Project) -> None:
    moved = embedded.root / "team.yaml"  # not the default name: only --config finds it
    data = yaml.safe_load(embedded.config.read_text())
    data["organizers"] = ["someone-else@example.com"]
    moved.write_text(yaml.safe_dump(data))
    embedded.config.unlink()
    code, output, found = _run_action(embedded.root, "validate", "meetings", config="team.yaml")
    assert code == 1 and found["exitcode"] == "1"
    assert "lead@example.com" in output and "organizers" in output  # the moved config's list was read
    data["target"] = {"kind": "ews", "endpoint": "http://127.0.0.1:9/EWS/Exchange.asmx", "auth": "none"}
    data["organizers"] = ["lead@example.com"]
    moved.write_text(yaml.safe_dump(data))
    code, output, found = _run_action(embedded.root, "plan", "--format markdown", config="team.yaml")
    assert code == 1 and found["exitcode"] == "1"
    assert "127.0.0.1:9" in Path(found["errors"]).read_text()  # what a failed plan's comment quotes


def test_show_suggests_the_key_meant(embedded: Project) -> None:
    result = embedded.cli("show", "snyc")
    assert result.exit_code == 1
    assert (
        "no meeting with key 'snyc' in the files or the calendars read; did you mean 'sync'?" in result.output
    )


def test_a_renamed_key_without_previous_keys_gets_the_hint(embedded: Project) -> None:
    assert embedded.cli("apply", "--auto-approve").exit_code == 0
    text = (embedded.root / "meetings" / "sync.yaml").read_text()
    embedded.remove("sync.yaml")
    embedded.write("weekly.yaml", text.replace("key: sync", "key: weekly"))
    result = embedded.cli("plan")
    assert "renamed from sync? add `previous_keys: [sync]` to keep it" in result.output
    assert "renamed to weekly? add `previous_keys: [sync]` there to keep it" in result.output
