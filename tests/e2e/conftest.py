"""End-to-end harness: a project folder (reconciler.yaml + meetings/), the real CLI, a sandbox to check.

The standalone variant serves one sandbox for the test and points the configuration at it as an `ews`
target; every outcome is read back from the mailboxes through exchangelib.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import exchangelib
import pytest
import yaml
from exchangelib import IMPERSONATION, Account, Build, Configuration, Version
from exchangelib.transport import NOAUTH
from typer.testing import CliRunner, Result

from reconciler.cli import app
from reconciler.sandbox import Sandbox

SYNC = """\
key: sync
subject: Team sync
organizer: lead@example.com
timezone: Europe/Amsterdam
attendees:
  required: [alice@example.com, bob@example.com]
start: 2027-01-04T10:00
duration: 30m
repeat: {every: week, days: [mon], count: 8}
"""
REVIEW = """\
key: review
subject: Design review
organizer: lead@example.com
timezone: Europe/Amsterdam
attendees:
  required: [carol@example.com]
  resources: [room-oak@example.com]
start: 2027-01-06T14:00
duration: 1h
location: Oak room
"""


@dataclass
class Project:
    root: Path
    sandbox: Sandbox | None
    runner: CliRunner

    @property
    def config(self) -> Path:
        return self.root / "reconciler.yaml"

    def write(self, name: str, text: str) -> None:
        path = self.root / "meetings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))

    def remove(self, name: str) -> None:
        (self.root / "meetings" / name).unlink()

    def configure(self, organizers: list[str] | None = None, **policy: object) -> None:
        data = yaml.safe_load(self.config.read_text())
        data["policy"].update(policy)
        if organizers is not None:
            data["organizers"] = organizers
        self.config.write_text(yaml.safe_dump(data))

    def cli(self, *args: str) -> Result:
        result = self.runner.invoke(app, [*args, "--config", str(self.config)])
        exchangelib.close_connections()
        return result

    def plan_json(self) -> dict:
        import json

        result = self.cli("plan", "--format", "json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    def account(self, address: str) -> Account:
        assert self.sandbox is not None
        config = Configuration(
            service_endpoint=self.sandbox.endpoint, auth_type=NOAUTH, version=Version(Build(15, 1))
        )
        return Account(address, config=config, autodiscover=False, access_type=IMPERSONATION)

    def inbox(self, address: str) -> list[tuple[str, str]]:
        """(message type, request type or subject) of each inbox item, oldest first."""
        items = sorted(self.account(address).inbox.all(), key=lambda i: i.datetime_received)
        return [(type(i).__name__, getattr(i, "meeting_request_type", None) or i.subject) for i in items]


def sandbox_target(sb: Sandbox, monkeypatch: pytest.MonkeyPatch, client: str = "sandbox") -> dict:
    """A target for an in-process sandbox: EWS without authentication, or Graph (when the sandbox serves TLS)
    through the token flow with its private CA, as the app `client`."""
    if sb.ca_path is None:
        return {"kind": "ews", "endpoint": sb.endpoint, "auth": "none", "max_wait_seconds": 20}
    for name in ("GRAPH_TENANT", "GRAPH_SECRET"):
        monkeypatch.setenv(name, "sandbox")
    monkeypatch.setenv("GRAPH_CLIENT", client)
    return {
        "kind": "graph",
        "endpoint": sb.graph_endpoint,
        "authority": sb.authority,
        "tenant_id_env": "GRAPH_TENANT",
        "client_id_env": "GRAPH_CLIENT",
        "client_secret_env": "GRAPH_SECRET",
        "ca_bundle": str(sb.ca_path),
    }


def _config(root: Path, target: dict) -> None:
    (root / "reconciler.yaml").write_text(
        yaml.safe_dump(
            {
                "namespace": "e2e",
                "meetings": "meetings",
                "organizers": ["lead@example.com"],
                "target": target,
                "policy": {
                    "notify": {"create": "all", "update": "all", "cancel": "all"},
                    "prune": True,
                    "max_cancellations": 5,
                    "max_change_percent": 100,
                    "allowed_organizers": ["*@example.com"],
                    "message_rate_per_minute": 100000,
                    "recipients_per_day": 10000,
                },
            }
        )
    )


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    """A project whose target is a standalone sandbox served for the test."""
    with Sandbox(db=str(tmp_path / "server.sqlite3")) as sb:
        _config(tmp_path, {"kind": "ews", "endpoint": sb.endpoint, "auth": "none", "max_wait_seconds": 20})
        p = Project(tmp_path, sb, CliRunner())
        p.write("sync.yaml", SYNC)
        p.write("review.yaml", REVIEW)
        yield p
    exchangelib.close_connections()


@pytest.fixture
def embedded(tmp_path: Path) -> Project:
    """A project whose target is the embedded sandbox (started by each CLI run on its database file)."""
    _config(tmp_path, {"kind": "sandbox", "path": ".reconciler/sandbox.sqlite3"})
    p = Project(tmp_path, None, CliRunner())
    p.write("sync.yaml", SYNC)
    p.write("review.yaml", REVIEW)
    return p


CLI = [sys.executable, "-m", "reconciler"]


@dataclass
class Served:
    """`reconciler sandbox serve` in its own process, and a project folder whose CLI runs as processes."""

    root: Path
    db: Path
    endpoint: str
    process: subprocess.Popen

    def configure(self, organizers: list[str] | None = None, **policy: object) -> None:
        (self.root / "reconciler.yaml").write_text(
            yaml.safe_dump(
                {
                    "namespace": "proc",
                    "organizers": organizers or ["lead@example.com"],
                    "target": {"kind": "ews", "endpoint": self.endpoint, "auth": "none"},
                    "policy": {
                        "message_rate_per_minute": 100000,
                        "allowed_organizers": ["*@example.com"],
                        "max_change_percent": 100,
                        **policy,
                    },
                }
            )
        )

    def write(self, name: str, text: str) -> None:
        path = self.root / "meetings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))

    def start(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [*CLI, *args], cwd=self.root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run([*CLI, *args], cwd=self.root, capture_output=True, text=True, timeout=timeout)


@contextmanager
def serving(
    db: Path, *options: str, env: dict[str, str] | None = None
) -> Iterator[tuple[subprocess.Popen, str]]:
    """`reconciler sandbox serve` on `db` in its own process, with `options`; yields it and its EWS endpoint,
    and stops it afterwards."""
    server = subprocess.Popen(
        [*CLI, "sandbox", "serve", "--port", "0", "--db", str(db), *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
    )
    try:
        line = server.stdout.readline() if server.stdout else ""
        endpoint = re.search(r"https?://127\.0\.0\.1:\d+/EWS/Exchange\.asmx", line)
        assert endpoint, line
        yield server, endpoint.group(0)
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def served(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Served]:
    """A sandbox served by `reconciler sandbox serve` (extra options from `@pytest.mark.serve_args`)."""
    marker = request.node.get_closest_marker("serve_args")
    extra = list(marker.args) if marker else []
    db = tmp_path / "server.sqlite3"
    try:
        with serving(db, *extra) as (server, endpoint):
            project = Served(tmp_path / "project", db, endpoint, server)
            project.root.mkdir()
            project.configure()
            yield project
    finally:
        exchangelib.close_connections()


@dataclass
class GraphProject(Project):
    """A project whose target is `kind: graph` on `reconciler sandbox serve --tls` (a separate process):
    https with the server's private CA, the client-credentials token flow with the served password."""

    db: Path = Path()
    origin: str = ""
    ca: Path = Path()

    def use(self, kind: str) -> None:
        """Point the configuration at the same mailboxes over `graph` or `ews`."""
        data = yaml.safe_load(self.config.read_text())
        if kind == "graph":
            data["target"] = {
                "kind": "graph",
                "endpoint": f"{self.origin}/v1.0",
                "authority": self.origin,
                "tenant_id_env": "GRAPH_TENANT_ID",
                "client_id_env": "GRAPH_CLIENT_ID",
                "client_secret_env": "GRAPH_CLIENT_SECRET",
                "ca_bundle": str(self.ca),
                "max_wait_seconds": 60,
            }
        else:
            data["target"] = {
                "kind": "ews",
                "endpoint": f"{self.origin}/EWS/Exchange.asmx",
                "auth": "basic",
                "username_env": "EWS_USER",
                "password_env": "EWS_PASSWORD",
                "ca_bundle": str(self.ca),
                "max_wait_seconds": 60,
            }
        self.config.write_text(yaml.safe_dump(data))

    def store(self):  # type: ignore[no-untyped-def]
        from reconciler.sandbox.store import Store

        return Store(self.db)

    def inbox(self, address: str) -> list[tuple[str, str]]:  # type: ignore[override]
        """(message class, request type or subject) of each inbox item, oldest first."""
        store = self.store()
        try:
            items = store.items(address, "inbox")
            return [
                (i.get("item:ItemClass"), i.get("meetingRequest:MeetingRequestType") or i.get("item:Subject"))
                for i in items
            ]
        finally:
            store.close()

    def account(self, address: str) -> Account:
        from exchangelib import Credentials
        from exchangelib.protocol import BaseProtocol

        from reconciler.backends.ews.http import adapter_class

        BaseProtocol.HTTP_ADAPTER_CLS = adapter_class(str(self.ca), True)
        config = Configuration(
            service_endpoint=f"{self.origin}/EWS/Exchange.asmx",
            credentials=Credentials("admin", GRAPH_SECRET),
            version=Version(Build(15, 1)),
        )
        return Account(address, config=config, autodiscover=False, access_type=IMPERSONATION)


GRAPH_SECRET = "sandbox-secret"


@pytest.fixture
def graph_project(
    tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[GraphProject]:
    """`reconciler sandbox serve --tls` in its own process and a project on it over Graph (extra serve options
    from `@pytest.mark.serve_args`)."""
    from exchangelib.protocol import BaseProtocol

    marker = request.node.get_closest_marker("serve_args")
    extra = list(marker.args) if marker else []
    db, ca = tmp_path / "server.sqlite3", tmp_path / "ca.pem"
    server = subprocess.Popen(
        [*CLI, "sandbox", "serve", "--port", "0", "--db", str(db), "--tls", "--tls-ca", str(ca), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "SANDBOX_PASSWORD": GRAPH_SECRET},
    )
    adapter = BaseProtocol.HTTP_ADAPTER_CLS
    try:
        line = server.stdout.readline() if server.stdout else ""
        found = re.search(r"(https://127\.0\.0\.1:\d+)/EWS/Exchange\.asmx", line)
        assert found, line
        for name, value in {
            "GRAPH_TENANT_ID": "contoso",
            "GRAPH_CLIENT_ID": "reconciler-ci",
            "GRAPH_CLIENT_SECRET": GRAPH_SECRET,
            "EWS_USER": "svc-reconciler",
            "EWS_PASSWORD": GRAPH_SECRET,
        }.items():
            monkeypatch.setenv(name, value)
        _config(tmp_path, {"kind": "sandbox"})
        project = GraphProject(tmp_path, None, CliRunner(), db=db, origin=found.group(1), ca=ca)
        project.use("graph")
        project.write("sync.yaml", SYNC)
        project.write("review.yaml", REVIEW)
        yield project
    finally:
        server.terminate()
        server.wait(timeout=10)
        exchangelib.close_connections()
        BaseProtocol.HTTP_ADAPTER_CLS = adapter


@pytest.fixture(params=["ews", "graph"])
def either(request: pytest.FixtureRequest) -> Project:
    """The standalone project over EWS, or the served one over Graph."""
    return request.getfixturevalue("project" if request.param == "ews" else "graph_project")
