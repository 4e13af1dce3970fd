"""Meeting text is inert wherever it is shown: no escape sequence reaches a terminal, no bidi override, and
no line a CI runner would read as a workflow command, in the CLI's text output and in the action's log."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

from reconciler.cli import app
from tests.e2e.conftest import Project

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / ".github" / "actions" / "reconcile" / "action.yml"
HOSTILE = """\
key: hostile
subject: "Sync \\e]0;pwned\\a \\u202Eevil\\u202C done\\n::error::boom"
organizer: lead@example.com
timezone: Europe/Amsterdam
attendees:
  required: [alice@example.com]
start: 2027-01-04T10:00
duration: 30m
location: "Room \\e[2J\\n::warning::cleared"
"""
RAW = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def _assert_inert(output: str) -> None:
    assert not RAW.search(output), repr(RAW.search(output))
    assert not [line for line in output.splitlines() if line.lstrip().startswith("::")], output


def test_the_cli_shows_hostile_meeting_text_escaped(project: Project) -> None:
    project.write("hostile.yaml", HOSTILE)
    for args in (["plan"], ["apply", "--auto-approve"], ["show", "hostile"], ["plan"]):
        result = project.cli(*args)
        assert result.exit_code == 0, result.output
        _assert_inert(result.output)
    shown = project.cli("show", "hostile").output
    assert "\\x1b]0;pwned\\x07" in shown or "\\x1b]0;pwned" in shown
    listed = project.runner.invoke(app, ["schedule", str(project.root / "meetings")])
    _assert_inert(listed.output)
    assert "\\u202e" in listed.output and "\\n::error::boom" in listed.output


def test_the_action_log_holds_no_workflow_command_from_meeting_text(project: Project, tmp_path: Path) -> None:
    """The composite action's own script, run as the runner runs it (bash, its environment)."""
    project.write("hostile.yaml", HOSTILE)
    steps = yaml.safe_load(ACTION.read_text())["runs"]["steps"]
    script = next(s for s in steps if s.get("id") == "run")["run"]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "reconciler").write_text(f'#!/bin/sh\nexec {sys.executable} -m reconciler "$@"\n')
    (bin_dir / "reconciler").chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "COMMAND": "plan",
        "CONFIG": str(project.config),
        "ARGS": "",
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_OUTPUT": str(tmp_path / "output"),
    }
    log = subprocess.run(
        ["bash", "-e", "-c", script], cwd=project.root, env=env, capture_output=True, text=True, timeout=120
    )
    assert log.returncode == 0, log.stdout + log.stderr
    assert '"Sync \\x1b]0;pwned\\x07 \\u202eevil\\u202c done\\n::error::boom"' in log.stdout
    _assert_inert(log.stdout + log.stderr)
