"""One apply at a time per mailbox, across processes: the lease is kept in the mailbox itself.

Every test runs `reconciler sandbox serve` as its own process with added latency and the CLI as separate
processes, as two machines or two CI systems would."""

from __future__ import annotations

import os
import re
import signal
import time
from collections import Counter

import pytest

from reconciler.sandbox.store import Store
from tests.calendars import meetings_in
from tests.e2e.conftest import Served

MEETINGS = 60


def meeting(i: int, skip: bool = False) -> str:
    return (
        f"key: m{i:02d}\nsubject: Meeting {i:02d}\norganizer: lead@example.com\n"
        "timezone: Europe/Amsterdam\nattendees: {required: [alice@example.com, bob@example.com]}\n"
        f"start: 2027-01-04T{7 + i // 4:02d}:{(i % 4) * 15:02d}\nduration: 15m\n"
        "repeat: {every: week, days: [mon], count: 8}\n" + ("skip: [2027-01-11]\n" if skip else "")
    )


def requests_per_meeting(store: Store, address: str) -> Counter[str]:
    """Meeting requests in an inbox, counted by subject (one invitation per meeting expected)."""
    return Counter(
        i.get("item:Subject")
        for i in store.items(address, "inbox")
        if i.get("item:ItemClass") == "IPM.Schedule.Meeting.Request"
    )


KEY = "ext:PublicStrings:reconciler-key:String"
LEASE = "ext:PublicStrings:reconciler-lease:String"


def managed_keys(store: Store) -> Counter[str]:
    return Counter(i.get(KEY) for i in meetings_in(store, "lead@example.com") if i.get(KEY))


def lease_holder(store: Store) -> str:
    return next((i.get(LEASE) for i in store.items("lead@example.com", "calendar") if i.get(LEASE)), "")


def assert_converged(served: Served) -> None:
    store = Store(served.db)
    try:
        keys = managed_keys(store)
        assert sorted(keys) == [f"m{i:02d}" for i in range(MEETINGS)] and set(keys.values()) == {1}
        for attendee in ("alice@example.com", "bob@example.com"):
            invitations = requests_per_meeting(store, attendee)
            assert len(invitations) == MEETINGS and set(invitations.values()) == {1}, invitations
    finally:
        store.close()
    assert served.run("plan", "--detailed-exitcode").returncode == 0


@pytest.mark.serve_args("--latency-ms", "30")
def test_three_applies_at_once_send_every_invitation_once(served: Served) -> None:
    """The test holds the lease while three applies start, so all three are certainly waiting together
    (no reliance on process start-up timing); then it lets go and they contend for real."""
    from exchangelib.transport import NOAUTH

    from reconciler import lease
    from reconciler.backends.ews.backend import EwsBackend

    for i in range(MEETINGS):
        served.write(f"m{i:02d}.yaml", meeting(i, skip=i % 3 == 0))
    backend = EwsBackend(served.endpoint, auth_type=NOAUTH, pin_version=True)
    try:
        with lease.holding(backend, ["lead@example.com"], "test", ttl=600, timeout=10):
            runs = [served.start("apply", "--auto-approve", "--lock-timeout", "120") for _ in range(3)]
            for run in runs:  # stderr is unbuffered: the waiting line arrives while the plan is still held
                assert run.stdout is not None
                seen = ""
                while "waiting for the lease on lead@example.com, held by" not in seen:
                    line = run.stdout.readline()
                    assert line, f"the apply ended without waiting: {seen}"
                    seen += line
    finally:
        backend.close()
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    assert all("Traceback" not in out for out in outputs), outputs
    assert_converged(served)
    assert [run.returncode for run in runs] == [0, 0, 0], outputs
    assert sum(f"applied {MEETINGS} of {MEETINGS} changes" in out for out in outputs) == 1, outputs
    assert sum("Nothing to apply." in out for out in outputs) == 2, outputs


@pytest.mark.serve_args("--latency-ms", "30")
def test_a_waiting_apply_gives_up_naming_the_holder_and_unlock_breaks_it(served: Served) -> None:
    served.configure(lease_ttl_seconds=600)
    served.write("m00.yaml", meeting(0))
    holder = served.start("apply", "--auto-approve")
    store = Store(served.db)
    try:
        deadline = time.monotonic() + 60
        while not lease_holder(store) and time.monotonic() < deadline:
            time.sleep(0.005)
        os.kill(holder.pid, signal.SIGKILL)  # the holder dies holding the lease
        holder.wait()
        held = lease_holder(store)
        assert f'"pid": {holder.pid}' in held
    finally:
        store.close()
    plan = served.run("plan", "--detailed-exitcode")  # plan never takes the lease, nor waits for it
    assert plan.returncode == 2, plan.stdout + plan.stderr
    waiting = served.run("apply", "--auto-approve", "--lock-timeout", "1")
    assert waiting.returncode == 1
    assert re.search(
        rf"another apply holds the lease on mailbox lead@example.com: \S+ pid {holder.pid}, "
        r"namespace proc, since \S+; waited 1 s \(--lock-timeout\)",
        waiting.stderr,
    ), waiting.stderr
    assert "reconciler unlock lead@example.com" in waiting.stderr
    refused = served.run("unlock", "lead@example.com")  # not a terminal: needs --yes
    assert refused.returncode == 1 and "pass --yes" in refused.stderr
    unlocked = served.run("unlock", "lead@example.com", "--yes")
    assert unlocked.returncode == 0 and f"pid {holder.pid}" in unlocked.stdout, unlocked.stdout
    assert "broke 1 lease on lead@example.com" in unlocked.stdout
    applied = served.run("apply", "--auto-approve", "--lock-timeout", "1")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert served.run("unlock", "lead@example.com").stdout.startswith("no apply holds a lease")
