"""The generated Azure Pipelines and GitLab CI files' steps, run as each system runs them (bash, the step's
own environment, the agent's temporary folder) against the sandbox and a local stand-in for each system's
API: one plan comment created, the same one rewritten on the next run, a failed plan and invalid files said
in it; the drift job's pull (merge) request opened, then updated, and none when nothing drifted."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import yaml

from reconciler.scaffold import render_all
from tests.standins.azure_devops import TOKEN as AZURE_TOKEN
from tests.standins.azure_devops import azure_devops
from tests.standins.github import TOKEN as GITHUB_TOKEN
from tests.standins.github import github
from tests.standins.gitlab import TOKEN as GITLAB_TOKEN
from tests.standins.gitlab import gitlab

MARKER = "<!-- reconciler-plan -->"


def _pipeline(ci: str) -> dict:
    files = render_all("e2e", "lead@example.com", "ews", "UTC", date(2026, 12, 7), ci=ci)
    return yaml.safe_load(files[{"azure-devops": "azure-pipelines.yml", "gitlab": ".gitlab-ci.yml"}[ci]])


def _bash(script: str, root: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    full = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", **env}
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=root,
        env=full,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _azure_steps(job: dict, variables: dict[str, str], root: Path) -> list[subprocess.CompletedProcess]:
    """An Azure job's script steps in order, each with its `env:` (macros `$(Name)` replaced as the agent
    does), skipping the rest of the job after a failure unless a step's condition is always()."""
    done, failed = [], False
    for step in job["steps"]:
        if "script" not in step or (failed and step.get("condition") != "always()"):
            continue
        env = {**variables}
        for name, value in (step.get("env") or {}).items():
            env[name] = re.sub(r"\$\(([\w.]+)\)", lambda m: variables.get(m.group(1), ""), str(value))
        result = _bash(step["script"], root, env)
        done.append(result)
        failed = failed or result.returncode != 0
    return done


def _retitle(root: Path, title: str) -> None:
    path = root / "meetings" / "review.yaml"
    path.write_text(re.sub(r"(?m)^(subject|title): .*$", rf"\1: {title}", path.read_text()))


def _break_a_file(root: Path) -> None:
    (root / "meetings" / "sync.yaml").write_text("key: [unclosed\n")


def _unreachable(root: Path) -> None:
    config = root / "reconciler.yaml"
    data = yaml.safe_load(config.read_text())
    data["target"]["endpoint"] = "http://127.0.0.1:9/EWS/Exchange.asmx"
    data["target"]["max_wait_seconds"] = 1
    config.write_text(yaml.safe_dump(data))


def test_azure_pipelines_plan_job_keeps_one_comment(project, tmp_path: Path) -> None:
    job = _pipeline("azure-devops")["stages"][0]["jobs"][0]
    with azure_devops("contoso", "Meetings", "3f1e-repo") as api:
        api.pulls.append(
            {
                "pullRequestId": 7,
                "status": "active",
                "sourceRefName": "refs/heads/x",
                "targetRefName": "refs/heads/main",
            }
        )
        variables = {
            "System.AccessToken": AZURE_TOKEN,
            "SYSTEM_COLLECTIONURI": api.collection,
            "SYSTEM_TEAMPROJECT": "Meetings",
            "BUILD_REPOSITORY_ID": "3f1e-repo",
            "BUILD_REPOSITORY_PROVIDER": "TfsGit",
            "SYSTEM_PULLREQUEST_PULLREQUESTID": "7",
            "BUILD_BUILDID": "41",
        }

        def run(n: int) -> list[subprocess.CompletedProcess]:
            return _azure_steps(
                job, {**variables, "AGENT_TEMPDIRECTORY": str(tmp_path / f"agent-{n}")}, project.root
            )

        first = run(1)
        assert [r.returncode for r in first] == [0, 0, 0], [r.stderr for r in first]
        assert "plan comment created" in first[-1].stdout
        [thread] = api.threads[7]
        assert thread["status"] == 4 and thread["comments"][0]["content"].startswith(MARKER)
        assert "review" in thread["comments"][0]["content"]

        _retitle(project.root, "Design review v2")
        second = run(2)
        assert "plan comment updated" in second[-1].stdout, second[-1].stderr
        [thread] = api.threads[7]
        assert "Design review v2" in thread["comments"][0]["content"]

        _unreachable(project.root)
        third = run(3)
        assert third[1].returncode == 1 and "plan comment updated" in third[-1].stdout
        assert "### The plan failed" in api.threads[7][0]["comments"][0]["content"]

        _break_a_file(project.root)
        fourth = run(4)
        assert fourth[0].returncode == 1 and len(fourth) == 2, "the plan never ran; the comment step did"
        assert len(api.threads[7]) == 1
        assert "the meeting files have problems" in api.threads[7][0]["comments"][0]["content"]
        calls = [
            (m, p.split("?")[0].split("/_apis/git/repositories/3f1e-repo")[-1]) for m, p, _ in api.requests
        ]
        assert calls == [
            ("GET", "/pullRequests/7/threads"),
            ("POST", "/pullRequests/7/threads"),
            *[("GET", "/pullRequests/7/threads"), ("PATCH", "/pullRequests/7/threads/1/comments/1")] * 3,
        ]
        assert all("api-version=7.1" in p for _, p, _ in api.requests)


def test_gitlab_plan_job_keeps_one_note(project, tmp_path: Path) -> None:
    pipeline = _pipeline("gitlab")
    job = pipeline["plan"]
    with gitlab("42") as api:
        api.merge_requests.append(
            {"iid": 3, "state": "opened", "source_branch": "x", "target_branch": "main"}
        )
        api.notes[3] = [{"id": n, "body": f"someone's note {n}", "system": n % 2 == 0} for n in range(1, 120)]
        variables = {
            **{k: str(v) for k, v in pipeline["variables"].items()},
            "CI_API_V4_URL": api.api,
            "CI_PROJECT_ID": "42",
            "CI_MERGE_REQUEST_IID": "3",
            "CI_PIPELINE_URL": "https://gitlab.example/meetings/-/pipelines/9",
            "GITLAB_TOKEN": GITLAB_TOKEN,
        }

        def run(n: int) -> subprocess.CompletedProcess:
            return _bash(
                "\n".join(job["script"]),
                project.root,
                {**variables, "RECONCILER_CI_DIR": str(tmp_path / f"ci-{n}")},
            )

        first = run(1)
        assert first.returncode == 0, first.stderr
        assert "plan comment created" in first.stdout
        mine = [n for n in api.notes[3] if n["body"].startswith(MARKER)]
        assert len(mine) == 1 and "review" in mine[0]["body"]

        _retitle(project.root, "Design review v2")
        assert "plan comment updated" in run(2).stdout
        _unreachable(project.root)
        third = run(3)
        assert third.returncode == 1 and "plan comment updated" in third.stdout
        mine = [n for n in api.notes[3] if n["body"].startswith(MARKER)]
        assert len(mine) == 1 and "### The plan failed" in mine[0]["body"]
        assert "pipelines/9" in mine[0]["body"]
        # the first note is found on the second page (per_page 100) on every later run
        pages = [p for m, p, _ in api.requests if m == "GET"]
        assert any("page=2" in p for p in pages) and all("per_page=100" in p for p in pages)


def test_github_comment_step_keeps_one_comment(project, tmp_path: Path) -> None:
    from reconciler.scaffold import LOCAL_ACTION, render_workflow

    plan = yaml.safe_load(render_workflow("plan", LOCAL_ACTION, "ews"))
    [step] = [s for s in plan["jobs"]["plan"]["steps"] if s.get("name", "").startswith("post the plan")]
    with github("contoso/meetings") as api:
        env = {
            "GH_TOKEN": GITHUB_TOKEN,
            "GITHUB_API_URL": api.origin,
            "GITHUB_REPOSITORY": "contoso/meetings",
            "GITHUB_REF": "refs/pull/5/merge",
            "GITHUB_RUN_ID": "77",
        }
        out, err = tmp_path / "plan.out", tmp_path / "plan.err"
        for exitcode, text in (("2", "## Plan\n1 to create"), ("1", "cannot reach the server")):
            out.write_text(text if exitcode == "2" else "")
            err.write_text(text if exitcode == "1" else "")
            files = {"PLAN_EXITCODE": exitcode, "PLAN_FILE": str(out), "ERRORS_FILE": str(err)}
            done = _bash(step["run"], project.root, {**env, **files})
            assert done.returncode == 0, done.stderr
        [comment] = api.comments[5]
        assert "### The plan failed" in comment["body"] and "cannot reach the server" in comment["body"]
        assert "/actions/runs/77" in comment["body"]
        assert [m for m, _, _ in api.requests] == ["GET", "POST", "GET", "PATCH"]


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize("system", ["azure-devops", "gitlab"])
def test_drift_pull_request_opened_updated_and_none_without_edits(
    system: str, project, tmp_path: Path
) -> None:
    remote = tmp_path / "remote" / "team" / "meetings.git"
    remote.mkdir(parents=True)
    _git(remote, "init", "--quiet", "--bare")
    _git(project.root, "init", "--quiet", "-b", "main")
    _git(project.root, "add", "meetings", "reconciler.yaml")
    _git(project.root, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "-m", "m")
    pulled, plan = tmp_path / "pull.out", tmp_path / "plan.out"
    pulled.write_text("meetings/review.yaml: review: start as in the calendar\n")
    plan.write_text("~ review: update\n" * 2000)  # longer than Azure's 4,000 characters: cut to fit
    args = [
        "ci",
        "pull-request",
        "--system",
        system,
        "--pull-output",
        str(pulled),
        "--plan-output",
        str(plan),
    ]
    stand_in = azure_devops("contoso", "Meetings", "3f1e-repo") if system == "azure-devops" else gitlab("42")
    with stand_in as api:
        if system == "azure-devops":
            env = {
                "SYSTEM_COLLECTIONURI": api.collection,
                "SYSTEM_TEAMPROJECT": "Meetings",
                "BUILD_REPOSITORY_ID": "3f1e-repo",
                "BUILD_REPOSITORY_URI": f"file://{remote}",
                "SYSTEM_ACCESSTOKEN": AZURE_TOKEN,
            }
        else:
            env = {
                "CI_API_V4_URL": api.api,
                "CI_PROJECT_ID": "42",
                "CI_SERVER_URL": f"file://{tmp_path / 'remote'}",
                "CI_PROJECT_PATH": "team/meetings",
                "GITLAB_TOKEN": GITLAB_TOKEN,
            }
        none = _bash(f"reconciler {' '.join(args)}", project.root, env)
        assert none.returncode == 0 and "no pull request" in none.stdout and api.requests == []
        _retitle(project.root, "Design review, moved")
        first = _bash(f"reconciler {' '.join(args)}", project.root, env)
        assert first.returncode == 0 and "pull request opened" in first.stdout, first.stderr
        assert "Design review, moved" in _git(
            remote, "show", "reconciler/calendar-edits:meetings/review.yaml"
        )
        _git(project.root, "checkout", "--quiet", "main")
        _retitle(project.root, "Design review, again")
        second = _bash(f"reconciler {' '.join(args)}", project.root, env)
        assert second.returncode == 0 and "pull request updated" in second.stdout, second.stderr
        opened = api.pulls if system == "azure-devops" else api.merge_requests
        assert len(opened) == 1
        body = opened[0]["description"]
        assert "review.yaml: review: start" in body
        assert ("cut to fit" in body) == (system == "azure-devops")
        assert len(body) <= (4_000 if system == "azure-devops" else 1_000_000)
