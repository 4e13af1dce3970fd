"""Stop means stop: a signal during a paced apply ends it within seconds, sends nothing more, frees the lease,
and the next apply finishes the rest without --force and without duplicates."""

from __future__ import annotations

import signal
import time

import pytest

from reconciler.sandbox.store import Store
from tests.calendars import meetings_in
from tests.e2e.conftest import Served

MEETING = """\
key: m{n:02d}
subject: Meeting {n}
organizer: lead@example.com
timezone: Europe/Amsterdam
attendees:
  required: [p{n:02d}@example.com]
start: 2027-02-01T09:00
duration: 30m
"""
PEOPLE = [f"p{n:02d}@example.com" for n in range(60)]


def _invited(db) -> dict[str, int]:  # type: ignore[no-untyped-def]
    store = Store(db)
    try:
        return {p: len(store.items(p, "inbox")) for p in PEOPLE}
    finally:
        store.close()


def _calendar(db) -> list[str]:  # type: ignore[no-untyped-def]
    store = Store(db)
    try:
        return sorted(i.get("item:Subject") for i in meetings_in(store, "lead@example.com"))
    finally:
        store.close()


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_a_paced_apply_and_the_next_apply_finishes_it(
    served: Served, signum: int, code: int
) -> None:
    served.configure(message_rate_per_minute=30, lease_ttl_seconds=120, max_change_percent=10)
    for n in range(60):
        served.write(f"m{n:02d}.yaml", MEETING.format(n=n))
    apply = served.start("apply", "--auto-approve")
    deadline = time.monotonic() + 60
    while sum(_invited(served.db).values()) < 30 and time.monotonic() < deadline:
        time.sleep(0.1)  # the first 30 invitations went out; the pacer now waits a minute for the rest
    time.sleep(0.5)
    sent_at_signal = _invited(served.db)
    assert sum(sent_at_signal.values()) == 30
    signalled = time.monotonic()
    apply.send_signal(signum)
    out, _ = apply.communicate(timeout=30)
    assert time.monotonic() - signalled < 5, out
    assert apply.returncode == code, out
    name = signal.Signals(signum).name
    assert f"stopped by {name}: applied 30 of 60 changes; 30 not finished, nothing more was sent" in out
    assert _invited(served.db) == sent_at_signal  # nothing after the signal

    started = time.monotonic()
    again = served.run("apply", "--auto-approve", "--lock-timeout", "5")
    assert again.returncode == 0, again.stdout + again.stderr
    assert time.monotonic() - started < 60 + 20  # the lease was free: no waiting for it to expire
    assert "waiting for the lease" not in again.stderr
    assert set(_invited(served.db).values()) == {1}  # each attendee invited exactly once
    assert _calendar(served.db) == sorted(f"Meeting {n}" for n in range(60))
    assert served.run("plan", "--detailed-exitcode").returncode == 0


SERIES = """\
key: s{n:02d}
subject: Series {n}
organizer: lead@example.com
timezone: Europe/Amsterdam
attendees:
  required: [p{n:02d}@example.com]
start: 2027-02-01T09:00
duration: 30m
repeat: {{every: week, days: [mon], count: 4}}
skip: [2027-02-08]
"""


@pytest.mark.serve_args("--latency-ms", "400")
def test_an_apply_killed_between_silent_creates_and_invitations_is_finished_without_force(
    served: Served,
) -> None:
    """A series with a skip is created silently, its skip made, then sent (so each attendee gets one
    invitation). Killed (SIGKILL: no summary, no release) after the creates: finishing it is not a change
    the files ask for, so max_change_percent does not count it."""
    served.configure(max_change_percent=10, lease_ttl_seconds=2)
    for n in range(12):
        served.write(f"s{n:02d}.yaml", SERIES.format(n=n))
    apply = served.start("apply", "--auto-approve")
    deadline = time.monotonic() + 60
    while len(_calendar(served.db)) < 12 and time.monotonic() < deadline:
        time.sleep(0.02)
    apply.kill()
    apply.communicate(timeout=30)
    assert len(_calendar(served.db)) == 12 and sum(_invited(served.db).values()) == 0

    plan = served.run("plan")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "12 finishing the last apply" in plan.stdout and "needs --force" not in plan.stderr
    again = served.run("apply", "--auto-approve", "--lock-timeout", "30")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "needs --force" not in again.stderr
    assert {p: n for p, n in _invited(served.db).items() if n} == {p: 1 for p in PEOPLE[:12]}
    assert served.run("plan", "--detailed-exitcode").returncode == 0
