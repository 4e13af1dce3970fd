"""`reconciler init`, `--version` and the packaged schemas, without building a wheel (tests/install does)."""

from __future__ import annotations

import json
import re
import tomllib
from datetime import date
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft7Validator
from typer.testing import CliRunner

from reconciler import REPOSITORY, __version__
from reconciler.cli import app
from reconciler.desired.schemas import load_schema, schema_text
from reconciler.scaffold import ENVIRONMENT, FILES, LOCAL_ACTION, render_all, render_workflow
from tests.unit.test_workflows import PINNED, load, vendored

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["meeting", "config"])
def test_published_schema_is_the_packaged_one(name: str) -> None:
    published = (ROOT / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8")
    assert published == (ROOT / "reconciler" / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8")
    assert json.loads(published) == load_schema(name) and published.rstrip("\n") == schema_text(name)


def test_project_urls_name_the_repository_init_pins() -> None:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert {
        u.split("#")[0].removesuffix("/issues").removesuffix("/releases") for u in meta["urls"].values()
    } == {f"https://github.com/{REPOSITORY}"}
    assert meta["dynamic"] == ["version"] and "Programming Language :: Python :: 3.11" in meta["classifiers"]


def test_version_is_one_line() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert re.fullmatch(
        rf"reconciler {re.escape(__version__)} \(exchangelib \S+, Python \S+\)\n", result.output
    )


def test_repository_workflows_are_the_templates_init_writes() -> None:
    """This repository runs the same workflows a team's repository gets, with the local action."""
    for name in ("validate", "plan", "apply", "drift"):
        assert (
            render_workflow(name, LOCAL_ACTION, "ews") == (ROOT / f".github/workflows/{name}.yml").read_text()
        )
    action = ".github/actions/reconcile/action.yml"
    assert (
        render_all("team", "lead@example.com", "ews", "UTC", date(2026, 11, 24))[action]
        == (ROOT / action).read_text()
    )


@pytest.mark.parametrize("target", ["sandbox", "ews", "graph"])
def test_init_workflows_pass_the_github_schema_and_pin_every_action(target: str, tmp_path: Path) -> None:
    files = render_all("team", "lead@example.com", target, "Europe/Amsterdam", date(2026, 11, 24))
    assert set(files) == set(FILES.values())
    for dest, text in files.items():
        if dest.startswith(".github/workflows/"):
            path = tmp_path / Path(dest).name
            path.write_text(text)
            errors = list(Draft7Validator(vendored("github-workflows")).iter_errors(load(path)))
            assert errors == [], (dest, [e.message for e in errors])
            uses = re.findall(r"uses: (\S*reconcile\S*)", text)
            assert uses and set(uses) == {LOCAL_ACTION}
        for uses in re.findall(r"uses: (.*)", text):
            assert uses == LOCAL_ACTION or PINNED.fullmatch(uses), (dest, uses)
    action = yaml.safe_load(files[".github/actions/reconcile/action.yml"])
    assert list(Draft7Validator(vendored("github-actions")).iter_errors(action)) == []
    dependabot = yaml.safe_load(files[".github/dependabot.yml"])
    assert list(Draft7Validator(vendored("dependabot")).iter_errors(dependabot)) == []
    assert {u["package-ecosystem"] for u in dependabot["updates"]} == {"github-actions", "pip"}
    pinned = files[".github/reconciler/requirements.txt"].splitlines()[-1]
    assert pinned == f"reconciler @ git+https://github.com/{REPOSITORY}@v{__version__}"
    secrets = set(re.findall(r"secrets\.([A-Z_]+)", files[".github/workflows/apply.yml"]))
    assert secrets == {"sandbox": set(), "ews": {"EWS_USERNAME", "EWS_PASSWORD"}, "graph": set()}[target]
    config = yaml.safe_load(files["reconciler.yaml"])
    assert config["target"]["kind"] == target and config["organizers"] == ["lead@example.com"]
    hook = yaml.safe_load(files[".pre-commit-config.yaml"])["repos"][0]
    assert hook == {
        "repo": f"https://github.com/{REPOSITORY}",
        "rev": f"v{__version__}",
        "hooks": [{"id": "reconciler-validate"}],
    }


def test_init_writes_a_repository_that_validates_and_never_overwrites(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    (tmp_path / "meetings").mkdir()
    (tmp_path / "meetings" / "_groups.yaml").write_text("groups:\n  team: [alice@example.com]\n")
    first = runner.invoke(app, ["init", "--namespace", "ops", "--timezone", "Europe/Amsterdam"])
    assert first.exit_code == 0, first.output
    assert "skipped meetings/_groups.yaml" in first.output
    assert (tmp_path / "meetings" / "_groups.yaml").read_text() == "groups:\n  team: [alice@example.com]\n"
    assert runner.invoke(app, ["validate"]).exit_code == 0
    assert yaml.safe_load((tmp_path / "reconciler.yaml").read_text())["namespace"] == "ops"
    before = {p: p.read_text() for p in tmp_path.rglob("*") if p.is_file()}
    again = runner.invoke(app, ["init"])
    assert again.exit_code == 0 and again.output.count("skipped") == len(FILES)
    assert {p: p.read_text() for p in tmp_path.rglob("*") if p.is_file()} == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target", "exchange"], "--target 'exchange': choose one of sandbox, ews, graph"),
        (["--organizer", "lead"], "--organizer 'lead' is not an e-mail address"),
        (["--namespace", "Team A"], "--namespace 'Team A': use lower-case letters"),
        (["--timezone", "Mars/Olympus"], "--timezone 'Mars/Olympus' is not an IANA time zone name"),
    ],
)
def test_init_refuses_bad_options_before_writing(
    args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["init", *args])
    assert result.exit_code == 1 and message in result.output
    assert list(tmp_path.iterdir()) == []


def test_graph_target_says_what_its_federated_credential_needs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`init --target graph` holds no secret: outside a job with `id-token: write` the plan says what the
    OIDC token needs, in one line."""
    monkeypatch.chdir(tmp_path)
    for name in ("GRAPH_CLIENT_SECRET", "ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GRAPH_TENANT_ID", "contoso")
    monkeypatch.setenv("GRAPH_CLIENT_ID", "app")
    made = CliRunner().invoke(app, ["init", "--target", "graph"])
    assert made.exit_code == 0 and "repo:<owner>/<repository>:pull_request" in made.output
    result = CliRunner().invoke(app, ["plan"])
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
    assert "needs ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN" in result.output
    assert "`permissions: id-token: write`" in result.output


WRITE_IDENTITY = re.compile(r"secrets\.EWS_USERNAME|secrets\.EWS_PASSWORD|vars\.GRAPH_CLIENT_ID\b")


@pytest.mark.parametrize("shards", [1, 4])
@pytest.mark.parametrize("target", ["ews", "graph"])
def test_pull_requests_reach_only_the_read_identity_and_apply_runs_in_its_environment(
    target: str, shards: int
) -> None:
    """Two identities: no job a pull request triggers names the write identity or the environment it lives
    in; every job using the write identity runs in `reconciler-apply`; over Graph no job references a
    secret, and `id-token: write` is given to the jobs that exchange it and to no other."""
    files = render_all("team", "lead@example.com", target, "UTC", date(2026, 12, 7), shards)
    for dest, text in files.items():
        if not dest.startswith(".github/workflows/"):
            continue
        workflow = yaml.safe_load(text)
        triggers = workflow.get(True) or workflow.get("on") or {}  # YAML 1.1 reads `on:` as True
        for name, job in workflow["jobs"].items():
            body = yaml.safe_dump(job)
            writes = bool(WRITE_IDENTITY.search(body))
            if "pull_request" in triggers:
                assert not writes and "environment" not in job, (dest, name)
            assert writes == (job.get("environment") == ENVIRONMENT), (dest, name)
            uses_identity = bool(re.search(r"\b(vars|secrets)\.(GRAPH|EWS)_", body))
            id_token = (job.get("permissions") or {}).get("id-token") == "write"
            assert id_token == (target == "graph" and uses_identity), (dest, name)
        if target == "graph":
            assert "secrets." not in text, dest
    apply = yaml.safe_load(files[".github/workflows/apply.yml"])
    assert any(job.get("environment") == ENVIRONMENT for job in apply["jobs"].values())
