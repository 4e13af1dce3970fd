"""The commands as a user runs them: `reconciler sandbox serve` in one process, plan and apply in others."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

from tests.e2e.conftest import REVIEW, SYNC

CLI = [sys.executable, "-m", "reconciler"]


def test_standalone_server_process(tmp_path: Path) -> None:
    db = tmp_path / "server.sqlite3"
    server = subprocess.Popen(
        [*CLI, "sandbox", "serve", "--port", "0", "--db", str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        line = server.stdout.readline() if server.stdout else ""
        endpoint = re.search(r"http://127\.0\.0\.1:\d+/EWS/Exchange\.asmx", line)
        assert endpoint, line
        (tmp_path / "meetings").mkdir()
        (tmp_path / "meetings" / "sync.yaml").write_text(SYNC)
        (tmp_path / "meetings" / "review.yaml").write_text(REVIEW)
        (tmp_path / "reconciler.yaml").write_text(
            yaml.safe_dump(
                {
                    "namespace": "proc",
                    "organizers": ["lead@example.com"],
                    "target": {"kind": "ews", "endpoint": endpoint.group(0), "auth": "none"},
                    "policy": {"message_rate_per_minute": 100000, "allowed_organizers": ["*@example.com"]},
                }
            )
        )

        def run(*args: str) -> subprocess.CompletedProcess:
            return subprocess.run([*CLI, *args], cwd=tmp_path, capture_output=True, text=True, timeout=120)

        assert run("plan", "--detailed-exitcode").returncode == 2
        applied = run("apply", "--auto-approve")
        assert applied.returncode == 0, applied.stdout + applied.stderr
        assert run("plan", "--detailed-exitcode").returncode == 0
        inbox = run("sandbox", "mailbox", "alice@example.com", "--db", str(db))
        assert "meeting request       'Team sync'" in inbox.stdout
        assert "Traceback" not in applied.stdout + applied.stderr
    finally:
        server.terminate()
        server.wait(timeout=10)
