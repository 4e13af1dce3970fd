"""`init --ci azure-devops|gitlab`: files the vendors' schemas accept, the identities kept apart, the flows
wired as on GitHub, and `init` asking or refusing as documented."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from reconciler.cli import app
from reconciler.scaffold import render_all

SCHEMA = {"azure-devops": "vendor.azure-pipelines", "gitlab": "vendor.gitlab-ci"}
MAIN_FILE = {"azure-devops": "azure-pipelines.yml", "gitlab": ".gitlab-ci.yml"}


def _files(ci: str, target: str) -> dict[str, str]:
    return render_all("team", "lead@example.com", target, "UTC", date(2026, 12, 7), ci=ci)


@pytest.mark.parametrize("target", ["sandbox", "ews", "graph"])
@pytest.mark.parametrize("ci", ["azure-devops", "gitlab"])
def test_the_files_validate_against_the_vendors_schema(ci: str, target: str, tmp_path: Path) -> None:
    """As the issue asks: check-jsonschema --regex-variant python --builtin-schema vendor.<system>."""
    paths = []
    for dest, text in _files(ci, target).items():
        if dest.endswith(".yml"):
            path = tmp_path / dest
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            paths.append(str(path))
    check = Path(sys.executable).parent / "check-jsonschema"
    done = subprocess.run(
        [str(check), "--regex-variant", "python", "--builtin-schema", SCHEMA[ci], *paths],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert len(paths) == {"azure-devops": 2, "gitlab": 1}[ci]


def test_azure_keeps_the_write_identity_in_the_apply_stage_only() -> None:
    ews = yaml.safe_load(_files("azure-devops", "ews")["azure-pipelines.yml"])
    stages = {s["stage"]: s for s in ews["stages"]}
    assert stages["plan"]["condition"] == "eq(variables['Build.Reason'], 'PullRequest')"
    assert stages["drift"]["condition"] == "eq(variables['Build.Reason'], 'Schedule')"
    apply = stages["apply"]
    assert apply["lockBehavior"] == "sequential" and ews["trigger"]["batch"] == "false"
    [deployment] = apply["jobs"]
    assert deployment["environment"] == "reconciler-apply"
    assert deployment["variables"] == [{"group": "reconciler-write"}]
    for read in (stages["plan"], stages["drift"]):
        assert read["jobs"][0]["variables"] == [{"group": "reconciler-read"}]
    text = _files("azure-devops", "ews")["azure-pipelines.yml"]
    assert (
        text.count("$(EWS_USERNAME)") == 2 and "group: reconciler-write" not in text.split("stage: apply")[0]
    )
    graph = _files("azure-devops", "graph")
    assert "federated: azure-devops" in graph["reconciler.yaml"]
    pipeline = yaml.safe_load(graph["azure-pipelines.yml"])
    connections = {
        stage["stage"]: {
            s["inputs"]["azureSubscription"]
            for job in stage["jobs"]
            for s in job.get("steps") or job["strategy"]["runOnce"]["deploy"]["steps"]
            if s.get("task") == "AzureCLI@2"
        }
        for stage in pipeline["stages"]
    }
    assert connections == {
        "plan": {"reconciler-read"},
        "apply": {"reconciler-write"},
        "drift": {"reconciler-read"},
    }
    assert "group:" not in graph["azure-pipelines.yml"]


def test_gitlab_keeps_the_write_identity_in_the_apply_job_only() -> None:
    ews = yaml.safe_load(_files("gitlab", "ews")[".gitlab-ci.yml"])
    assert ews[".read-identity"]["variables"] == {
        "EWS_USERNAME": "$EWS_READ_USERNAME",
        "EWS_PASSWORD": "$EWS_READ_PASSWORD",
    }
    apply = ews["apply"]
    assert (
        apply["environment"] == {"name": "reconciler-apply"} and apply["resource_group"] == "reconciler-apply"
    )
    assert apply["interruptible"] is False and "variables" not in apply
    assert ews["plan"]["rules"][0]["if"] == '$CI_PIPELINE_SOURCE == "merge_request_event"'
    assert ews["drift"]["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "schedule"'}]
    graph_files = _files("gitlab", "graph")
    graph = yaml.safe_load(graph_files[".gitlab-ci.yml"])
    assert graph[".read-identity"]["variables"] == {"GRAPH_CLIENT_ID": "$GRAPH_READ_CLIENT_ID"}
    token = {"GRAPH_ID_TOKEN": {"aud": "api://AzureADTokenExchange"}}
    assert graph[".read-identity"]["id_tokens"] == token and graph["apply"]["id_tokens"] == token
    assert "federated: gitlab" in graph_files["reconciler.yaml"]


def test_init_writes_the_chosen_system_and_refuses_what_is_not_built(tmp_path: Path) -> None:
    runner = CliRunner()
    done = runner.invoke(app, ["init", str(tmp_path / "a"), "--ci", "azure-devops", "--target", "ews"])
    assert done.exit_code == 0, done.output
    assert (tmp_path / "a" / "azure-pipelines.yml").is_file() and not (tmp_path / "a" / ".github").exists()
    assert "variable group reconciler-read" in done.output
    pinned = (tmp_path / "a" / ".azure-pipelines" / "requirements.txt").read_text().splitlines()[-1]
    assert pinned.startswith("reconciler @ git+https://github.com/")
    refused = runner.invoke(app, ["init", str(tmp_path / "b"), "--ci", "gitlab", "--shards", "2"])
    assert refused.exit_code == 1 and "built for GitHub only" in refused.output
    assert not (tmp_path / "b").exists()
    unknown = runner.invoke(app, ["init", str(tmp_path / "c"), "--ci", "bitbucket"])
    assert unknown.exit_code == 1 and "choose one of github, azure-devops, gitlab" in unknown.output
