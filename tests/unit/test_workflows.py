"""The GitHub workflows and the composite action: valid, least-privilege, pinned, wired as documented."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft7Validator
from typer.testing import CliRunner

from reconciler.cli import app

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
ACTION = ROOT / ".github" / "actions" / "reconcile" / "action.yml"
PINNED = re.compile(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}  # v\d+\.\d+\.\d+")
"""A third-party action pinned by commit, its version in a comment (what Dependabot reads and updates)."""


def vendored(name: str) -> dict:
    files = resources.files("check_jsonschema.builtin_schemas.vendor")
    return json.loads((files / f"{name}.json").read_text())


def load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text())
    if True in data:  # YAML 1.1 reads the `on:` key as true
        data["on"] = data.pop(True)
    return data


@pytest.mark.parametrize("name", ["ci", "validate", "plan", "apply", "drift"])
def test_workflow_validates_against_the_github_schema(name: str) -> None:
    path = WORKFLOWS / f"{name}.yml"
    errors = list(Draft7Validator(vendored("github-workflows")).iter_errors(load(path)))
    assert errors == [], [e.message for e in errors]


def test_action_validates_against_the_github_schema() -> None:
    errors = list(Draft7Validator(vendored("github-actions")).iter_errors(yaml.safe_load(ACTION.read_text())))
    assert errors == [], [e.message for e in errors]


def test_triggers_permissions_and_concurrency() -> None:
    ci, plan, apply, drift = (load(WORKFLOWS / f"{n}.yml") for n in ("ci", "plan", "apply", "drift"))
    assert set(ci["on"]) == {"pull_request", "push"} and ci["permissions"] == {"contents": "read"}
    assert plan["on"]["pull_request"]["paths"] == ["meetings/**", "reconciler.yaml"]
    assert plan["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert apply["on"]["push"]["branches"] == ["main"] and apply["permissions"] == {"contents": "read"}
    # applies queue in push order and are never cancelled; drift has its own group, so it cannot cancel one
    assert apply["concurrency"] == {"group": "reconciler-apply", "cancel-in-progress": False, "queue": "max"}
    assert drift["concurrency"] == {"group": "reconciler-drift", "cancel-in-progress": True}
    assert "schedule" in drift["on"] and drift["permissions"] == {
        "contents": "write",
        "pull-requests": "write",
    }


def test_plan_fails_on_errors_not_on_changes_and_updates_one_comment() -> None:
    plan = load(WORKFLOWS / "plan.yml")
    steps = {s.get("id") or s.get("name"): s for s in plan["jobs"]["plan"]["steps"]}
    assert steps["validate"]["with"] == {"command": "validate", "args": "meetings --format github"}
    args = steps["plan"]["with"]["args"]
    assert "--detailed-exitcode" in args and "--format markdown" in args and "--full-out plan.md" in args
    comment = steps["post the plan as one comment, updated in place (a failed plan says so)"]
    assert comment["run"].startswith("reconciler ci comment --system github --plan-exitcode")
    assert comment["env"]["GH_TOKEN"] == "${{ github.token }}"
    # the comment is rewritten when the plan fails or validation stops it, so a stale plan never stands
    assert comment["if"].startswith("always()")
    assert "steps.plan.outcome == 'failure' && '1'" in comment["env"]["PLAN_EXITCODE"]
    assert "head -c 1000000 plan.md" in steps["the whole plan in the job summary"]["run"]


def test_fork_pull_requests_get_validate_and_a_clear_note() -> None:
    job = load(WORKFLOWS / "plan.yml")["jobs"]["plan"]
    assert job["env"]["FORK"] == "${{ github.event.pull_request.head.repo.full_name != github.repository }}"
    steps = {s.get("id") or s.get("name"): s for s in job["steps"]}
    assert "if" not in steps["validate"]
    note = steps["no credentials in fork pull requests"]
    assert note["if"] == "env.FORK == 'true'" and "no credentials in fork pull requests" in note["run"]
    assert steps["plan"]["if"] == "env.FORK != 'true'"


def test_apply_keeps_plan_and_outcome() -> None:
    apply = load(WORKFLOWS / "apply.yml")
    steps = apply["jobs"]["apply"]["steps"]
    assert steps[2]["with"] == {"command": "apply", "args": "plan.json --auto-approve"}
    assert steps[2]["if"] == "steps.plan.outputs.exitcode != 'skipped'"
    assert "GITHUB_STEP_SUMMARY" in steps[3]["run"]
    assert steps[4]["uses"].startswith("actions/upload-artifact@") and "plan.json" in steps[4]["with"]["path"]


def test_actions_are_pinned_by_commit_and_secrets_never_echoed() -> None:
    for path in [*WORKFLOWS.glob("*.yml"), ACTION]:
        text = path.read_text()
        for uses in re.findall(r"uses:\s*(.+)", text):
            assert uses.startswith("./") or PINNED.fullmatch(uses), (path.name, uses)
        for line in text.splitlines():
            if "secrets." in line:
                passed = r"\s+EWS_[A-Z]+: \$\{\{ secrets\.EWS_(READ_)?[A-Z]+ \}\}$"
                assert re.match(passed, line), (path.name, line)


def test_dependabot_keeps_actions_and_pip_current() -> None:
    config = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text())
    assert list(Draft7Validator(vendored("dependabot")).iter_errors(config)) == []
    ecosystems = {u["package-ecosystem"]: u for u in config["updates"]}
    assert set(ecosystems) == {"github-actions", "pip"}
    assert "/.github/actions/reconcile" in ecosystems["github-actions"]["directories"]


def test_composite_action_wires_its_inputs() -> None:
    action = yaml.safe_load(ACTION.read_text())
    assert set(action["inputs"]) == {"command", "config", "args", "python-version"}
    run = next(s for s in action["runs"]["steps"] if s.get("id") == "run")
    assert run["env"] == {
        "COMMAND": "${{ inputs.command }}",
        "CONFIG": "${{ inputs.config }}",
        "ARGS": "${{ inputs.args }}",
    }
    # one step for every system (`reconciler ci run`): exit codes 0 and 2 pass, the sandbox skips
    assert run["run"] == 'reconciler ci run --system github --config "$CONFIG" "$COMMAND" $ARGS'


def test_validate_github_annotations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "meetings").mkdir()
    (tmp_path / "meetings" / "a.yaml").write_text("key: a\nsubject: x\ncolour: red\n")
    result = CliRunner().invoke(app, ["validate", "meetings", "--format", "github"])
    assert result.exit_code == 1
    assert "::error file=meetings/a.yaml,line=3,col=1::colour: unknown key" in result.output


def test_pre_commit_hook() -> None:
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["entry"] == "reconciler validate" and hook["language"] == "python"
