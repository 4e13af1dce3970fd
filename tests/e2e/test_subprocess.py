"""The commands as a user runs them: `reconciler sandbox serve` in one process, plan and apply in others."""

from __future__ import annotations

import json

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


def test_many_files_load_in_a_child_process(served: Served) -> None:
    """From run.SEPARATE_LOAD files on, a plan loads them in a spawned process while it reads calendars.

    Run as `python -m reconciler`: the spawned child imports the main module again, which must not start
    a second CLI run.
    """
    from reconciler.run import SEPARATE_LOAD

    for i in range(SEPARATE_LOAD):
        served.write(f"team{i % 7}/m{i:04d}.yaml", REVIEW.replace("key: review", f"key: m{i:04d}"))
    planned = served.run("plan", "--format", "json")
    assert planned.returncode == 0, planned.stderr
    plan = json.loads(planned.stdout)
    assert [c["action"] for c in plan["changes"]] == ["create"] * SEPARATE_LOAD
    assert plan["changes"][0]["key"] == "m0000"
    assert len(plan["conflicts"]) == SEPARATE_LOAD * (SEPARATE_LOAD - 1) // 2  # JSON describes them all
    text = served.run("plan")  # the loading process found them: 20 described, the rest counted
    more = SEPARATE_LOAD * (SEPARATE_LOAD - 1) // 2 - 20
    assert f"warning: … and {more} more double bookings" in text.stdout, text.stdout[-500:]

    served.write("team3/m0003.yaml", REVIEW.replace("key: review", "key: m0003").replace("1h", "1 hour"))
    broken = served.run("plan")
    assert broken.returncode == 1
    assert "meetings/team3/m0003.yaml:" in broken.stderr and "nothing was planned" in broken.stderr
    assert "Traceback" not in broken.stdout + broken.stderr
