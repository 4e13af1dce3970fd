"""On-premises Exchange as deployed: Windows authentication (NTLM) over TLS with a private CA, end to end.

`reconciler sandbox serve --auth ntlm --tls` in its own process (IIS's connection-oriented handshake, checked
by pyspnego's acceptor); the CLI runs as processes with `target.auth: ntlm`, as a team's CI would.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from reconciler.sandbox.store import Store
from tests.calendars import meetings_in
from tests.e2e.conftest import CLI, REVIEW, SYNC, serving

PASSWORD = "Correct-Horse-Battery-7"


@dataclass
class OnPremises:
    root: Path
    db: Path
    endpoint: str
    ca: Path

    def configure(self, auth: str = "ntlm", user: str = "CONTOSO\\svc-reconciler") -> None:
        (self.root / "reconciler.yaml").write_text(
            yaml.safe_dump(
                {
                    "namespace": "onprem",
                    "organizers": ["lead@example.com"],
                    "target": {
                        "kind": "ews",
                        "endpoint": self.endpoint,
                        "auth": auth,
                        "username_env": "EWS_USER",
                        "password_env": "EWS_PASSWORD",
                        "ca_bundle": str(self.ca),
                        "max_wait_seconds": 30,
                    },
                    "policy": {"message_rate_per_minute": 100000, "allowed_organizers": ["*@example.com"]},
                }
            )
        )
        self.user = user

    def write(self, name: str, text: str) -> None:
        (self.root / "meetings").mkdir(exist_ok=True)
        (self.root / "meetings" / name).write_text(text)

    def env(self, password: str = PASSWORD) -> dict[str, str]:
        return {**os.environ, "EWS_USER": self.user, "EWS_PASSWORD": password}

    def start(self, *args: str, password: str = PASSWORD) -> subprocess.Popen:
        return subprocess.Popen(
            [*CLI, *args],
            cwd=self.root,
            env=self.env(password),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def run(self, *args: str, password: str = PASSWORD) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*CLI, *args], cwd=self.root, env=self.env(password), capture_output=True, text=True, timeout=300
        )

    def calendar(self) -> list[str]:
        store = Store(self.db)
        try:
            return sorted(i.get("item:Subject") for i in meetings_in(store, "lead@example.com"))
        finally:
            store.close()


@pytest.fixture
def onprem(tmp_path: Path) -> Iterator[OnPremises]:
    db, ca = tmp_path / "server.sqlite3", tmp_path / "ca.pem"
    options = ("--auth", "ntlm", "--tls", "--tls-ca", str(ca))
    with serving(db, *options, env={"SANDBOX_PASSWORD": PASSWORD}) as (_, endpoint):
        project = OnPremises(tmp_path / "project", db, endpoint, ca)
        project.root.mkdir()
        project.configure()
        project.write("sync.yaml", SYNC)
        project.write("review.yaml", REVIEW)
        yield project


def test_ntlm_plans_applies_changes_and_cancels_over_tls(onprem: OnPremises) -> None:
    first = onprem.run("apply", "--auto-approve")
    assert first.returncode == 0, first.stdout + first.stderr
    assert onprem.calendar() == ["Design review", "Team sync"]
    onprem.write("review.yaml", REVIEW.replace("Design review", "Design crit"))
    changed = onprem.run("apply", "--auto-approve")
    assert changed.returncode == 0 and "update" in changed.stdout, changed.stdout + changed.stderr
    (onprem.root / "meetings" / "sync.yaml").unlink()
    cancelled = onprem.run("apply", "--auto-approve")
    assert cancelled.returncode == 0 and "cancel" in cancelled.stdout, cancelled.stdout + cancelled.stderr
    assert onprem.calendar() == ["Design crit"]
    assert onprem.run("plan", "--detailed-exitcode").returncode == 0
    onprem.configure(user="svc-reconciler@example.com")  # a UPN works as well as DOMAIN\user
    assert onprem.run("plan", "--detailed-exitcode").returncode == 0


def test_three_applies_at_once_with_ntlm_leave_one_item_per_meeting(onprem: OnPremises) -> None:
    applies = [onprem.start("apply", "--auto-approve", "--lock-timeout", "120") for _ in range(3)]
    results = [
        (p.wait(timeout=300), p.stdout.read() if p.stdout else "", p.stderr.read() if p.stderr else "")
        for p in applies
    ]
    assert all(code == 0 for code, _, _ in results), results
    assert onprem.calendar() == ["Design review", "Team sync"]


def test_basic_against_a_server_offering_only_ntlm_names_what_it_offers(onprem: OnPremises) -> None:
    onprem.configure(auth="basic")
    result = onprem.run("plan")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert "does not offer basic authentication: the server offers NTLM; set target.auth: ntlm" in lines[0]


def test_a_wrong_ntlm_password_fails_at_once_without_showing_it(onprem: OnPremises) -> None:
    started = time.monotonic()
    result = onprem.run("plan", password="Wrong-Guess-42")
    assert result.returncode == 1
    assert (
        time.monotonic() - started < 2 + 3
    )  # the process starts in well under 3 s; the refusal is immediate
    assert "refused the credentials (HTTP 401)" in result.stderr
    assert "Wrong-Guess-42" not in result.stdout + result.stderr and PASSWORD not in result.stderr
