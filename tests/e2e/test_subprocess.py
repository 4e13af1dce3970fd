"""The commands as a user runs them: `reconciler sandbox serve` in one process, plan and apply in others."""

from __future__ import annotations

from tests.e2e.conftest import REVIEW, SYNC, Served


def test_standalone_server_process(served: Served) -> None:
    served.write("sync.yaml", SYNC)
    served.write("review.yaml", REVIEW)
    assert served.run("plan", "--detailed-exitcode").returncode == 2
    applied = served.run("apply", "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert served.run("plan", "--detailed-exitcode").returncode == 0
    inbox = served.run("sandbox", "mailbox", "alice@example.com", "--db", str(served.db))
    assert "meeting request       'Team sync'" in inbox.stdout
    assert "Traceback" not in applied.stdout + applied.stderr
