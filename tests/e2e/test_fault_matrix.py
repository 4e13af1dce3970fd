"""The fault matrix: throttling, outages, dropped connections before and after a write took effect, and the
applying process killed at several moments. Each case converges with at most one more run, leaves no
duplicate item, and sends attendees exactly the messages a fault-free run sends (no second invitation for
the same change), compared message by message with a reference run."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import exchangelib
import pytest
from typer.testing import CliRunner

from reconciler.sandbox import FaultOptions, Sandbox
from reconciler.sandbox.store import Store
from tests.calendars import meetings_in
from tests.e2e.conftest import Project, Served, _config

PEOPLE = ("alice@example.com", "bob@example.com", "carol@example.com")
KEY = "ext:PublicStrings:reconciler-key:String"
LEASE = "ext:PublicStrings:reconciler-lease:String"


def meeting(key: str, hour: int, extra: str = "", location: str = "Oak") -> str:
    return (
        f"key: {key}\nsubject: Meeting {key}\norganizer: lead@example.com\ntimezone: Europe/Amsterdam\n"
        "attendees: {required: [alice@example.com, bob@example.com], optional: [carol@example.com]}\n"
        f"start: 2027-01-04T{hour:02d}:00\nduration: 30m\nlocation: {location}\n{extra}"
    )


WEEKLY = "repeat: {every: week, days: [mon], count: 6}\n"
BASELINE = {
    "a0.yaml": meeting("a0", 8, WEEKLY),
    "a1.yaml": meeting("a1", 9, WEEKLY),
    "a2.yaml": meeting("a2", 10, WEEKLY),
    "a3.yaml": meeting("a3", 11),
    "a4.yaml": meeting("a4", 12, WEEKLY + "skip: [2027-01-11]\n"),
    "a5.yaml": meeting("a5", 13),
}
CHANGES = {  # an update of time, an update of place, two creates (one silent then invited), a skip, a cancel
    "a0.yaml": meeting("a0", 15, WEEKLY),
    "a1.yaml": meeting("a1", 9, WEEKLY, location="Elm"),
    "a2.yaml": meeting("a2", 10, WEEKLY + "skip: [2027-01-18]\n"),
    "a3.yaml": None,
    "a6.yaml": meeting("a6", 16),
    "a7.yaml": meeting("a7", 17, WEEKLY + "skip: [2027-01-25]\n"),
}


def write(root: Path, files: dict[str, str | None]) -> None:
    (root / "meetings").mkdir(exist_ok=True)
    for name, text in files.items():
        path = root / "meetings" / name
        if text is None:
            path.unlink()
        else:
            path.write_text(text)


def summary(store: Store) -> tuple[Counter, Counter]:
    """Messages each person received (class, subject, request type) and the organizer's managed keys."""
    received = Counter(
        (person, i.get("item:ItemClass"), i.get("item:Subject"), i.get("meetingRequest:MeetingRequestType"))
        for person in PEOPLE
        for i in store.items(person, "inbox")
    )
    return received, Counter(i.get(KEY) for i in meetings_in(store, "lead@example.com") if i.get(KEY))


def project_in(root: Path, sandbox: Sandbox) -> Project:
    root.mkdir(parents=True, exist_ok=True)
    _config(root, {"kind": "ews", "endpoint": sandbox.endpoint, "auth": "none", "max_wait_seconds": 30})
    return Project(root, sandbox, CliRunner())


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Counter, Counter]]:
    """What attendees receive when nothing goes wrong: after the baseline, and after the changes."""
    out = {}
    with Sandbox() as sb:
        project = project_in(tmp_path_factory.mktemp("reference"), sb)
        for stage, files in (("baseline", BASELINE), ("changes", CHANGES)):
            write(project.root, files)
            assert project.cli("apply", "--auto-approve").exit_code == 0
            out[stage] = summary(sb.store)
    exchangelib.close_connections()
    return out


WRITES = frozenset({"CreateItem", "UpdateItem", "DeleteItem"})
MEETING_WRITES = ("reconciler-spec-hash", "SendMeetingCancellations", "CancelCalendarItem")
"""Meeting writes (they stamp the spec hash, or cancel): not the writes of the lease and baseline records."""
MATRIX = {
    "busy with back-off": FaultOptions(
        busy_rate=0.5, busy_backoff_ms=5, seed=3, body_contains=MEETING_WRITES
    ),
    "503 unavailable": FaultOptions(unavailable_rate=0.5, seed=4, body_contains=MEETING_WRITES),
    "dropped before the write": FaultOptions(
        reset_rate=1.0, phase="before", operations=WRITES, body_contains=MEETING_WRITES
    ),
    "dropped after the write": FaultOptions(
        reset_rate=1.0, phase="after", operations=WRITES, body_contains=MEETING_WRITES
    ),
    "busy, 503 and drops on every request": FaultOptions(
        busy_rate=0.2, busy_backoff_ms=5, unavailable_rate=0.1, reset_rate=0.1, seed=5
    ),
}


@pytest.mark.parametrize("case", list(MATRIX))
@pytest.mark.parametrize("stage", ["baseline", "changes"])
def test_faults_converge_with_one_more_run(case: str, stage: str, tmp_path: Path, reference) -> None:
    with Sandbox(db=str(tmp_path / "server.sqlite3")) as sb:
        project = project_in(tmp_path / "project", sb)
        if stage == "changes":
            write(project.root, BASELINE)
            assert project.cli("apply", "--auto-approve").exit_code == 0
        write(project.root, BASELINE if stage == "baseline" else CHANGES)
        sb.set_faults(MATRIX[case])
        first = project.cli("apply", "--auto-approve")
        sb.set_faults(FaultOptions())
        assert "Traceback" not in first.output
        assert sum(sb.faults.injected.values()) > 0
        if case.startswith(("busy with", "503")):
            assert first.exit_code == 0, first.output  # retried within the run: no re-run needed
        second = project.cli("apply", "--auto-approve")
        assert second.exit_code == 0, second.output
        assert project.cli("plan", "--detailed-exitcode").exit_code == 0
        assert summary(sb.store) == reference[stage]


def _kill_when(served: Served, ready: Callable[[Store], bool]) -> int:
    """Start an apply and kill -9 it the moment `ready` holds for the sandbox's store."""
    run = served.start("apply", "--auto-approve")
    store = Store(served.db)
    try:
        deadline = time.monotonic() + 120
        while run.poll() is None and time.monotonic() < deadline:
            if ready(store):
                os.kill(run.pid, signal.SIGKILL)
                break
            time.sleep(0.005)
    finally:
        store.close()
    run.wait(timeout=30)
    assert run.returncode == -signal.SIGKILL, "the apply finished before the moment came"
    return run.pid


def _created(store: Store) -> int:
    return sum(1 for i in meetings_in(store, "lead@example.com") if i.get(KEY))


def _invited(store: Store) -> int:
    return sum(
        1 for i in store.items("alice@example.com", "inbox") if i.get("meetingRequest:MeetingRequestType")
    )


def _leased(store: Store) -> bool:
    return any(i.get(LEASE) for i in store.items("lead@example.com", "calendar"))


KILL_POINTS = {
    "holding the lease, nothing written": lambda s: _leased(s) and _created(s) == 0,
    "some meetings created": lambda s: 0 < _created(s) < len(BASELINE),
    "all created, invitations of the silent ones pending": (
        lambda s: _created(s) == len(BASELINE) and _invited(s) < len(BASELINE)
    ),
}


@pytest.mark.serve_args("--latency-ms", "150")
@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_apply_killed_then_one_more_run_converges(point: str, served: Served, reference) -> None:
    served.configure(lease_ttl_seconds=2)
    write(served.root, BASELINE)
    _kill_when(served, KILL_POINTS[point])
    again = served.run("apply", "--auto-approve", "--lock-timeout", "60")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "waiting for the lease" in again.stderr or point != "holding the lease, nothing written"
    assert served.run("plan", "--detailed-exitcode").returncode == 0
    store = Store(served.db)
    try:
        assert summary(store) == reference["baseline"]
    finally:
        store.close()


@pytest.mark.serve_args("--latency-ms", "150")
def test_apply_of_changes_killed_after_the_first_update_converges(served: Served, reference) -> None:
    served.configure(lease_ttl_seconds=2)
    write(served.root, BASELINE)
    assert served.run("apply", "--auto-approve").returncode == 0
    write(served.root, CHANGES)

    def updated(store: Store) -> bool:
        return any(
            i.get("meetingRequest:MeetingRequestType") == "FullUpdate"
            for i in store.items("alice@example.com", "inbox")
        )

    _kill_when(served, updated)
    again = served.run("apply", "--auto-approve", "--lock-timeout", "60")
    assert again.returncode == 0, again.stdout + again.stderr
    plan = served.run("plan", "--detailed-exitcode")
    assert plan.returncode == 0, again.stdout + plan.stdout
    store = Store(served.db)
    try:
        assert summary(store) == reference["changes"]
    finally:
        store.close()
