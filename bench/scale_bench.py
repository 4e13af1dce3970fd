"""The `scale` scenario: the CLI as users run it, against a sandbox in its own process behind a 50 ms proxy.

10,000 meetings over 10 organizers (`bench/scale_project.py`). Each step is one `reconciler` process; its
wall time, the requests the proxy forwarded and its peak RSS (from wait4) are reported. Apply goes through
the proxy with no delay (straight to the sandbox, but counted). A second part compares the batched plan
with a per-meeting lookup at 1,000 meetings for one organizer, through the same 50 ms proxy.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.common import Measurement, report, serve_sandbox
from bench.latency_proxy import LatencyProxy
from bench.scale_project import ORGANIZERS, edit_one, write_project

DELAY = 0.05
BIN = Path(sys.executable).parent
FLOOR = """
import pathlib, sys, yaml
for p in sorted(pathlib.Path(sys.argv[1]).rglob("*.yaml")):
    with p.open("rb") as f:
        yaml.load(f, Loader=yaml.CSafeLoader)
"""
COMPOSE = """
import pathlib, sys, yaml
for p in sorted(pathlib.Path(sys.argv[1]).rglob("*.yaml")):
    with p.open("rb") as f:
        yaml.compose(f, Loader=yaml.CSafeLoader)
"""


CONFLICTS = """
import pathlib, sys
from datetime import UTC, datetime, timedelta
from reconciler.plan.conflicts import find_conflicts
from reconciler.desired.load import load_meetings
meetings = load_meetings(pathlib.Path(sys.argv[1])).meetings
start = datetime(2026, 12, 1, tzinfo=UTC)
found = find_conflicts(meetings, start, start + timedelta(weeks=26), 20)  # as a plan shows them
print(len(found), found.total)
"""


def run_cli(
    name: str, args: list[str], cwd: Path, proxy: LatencyProxy | None, expect: int = 0
) -> Measurement:
    """Run one command to completion; wall time, proxy requests and the process's own peak RSS."""
    before = proxy.requests if proxy else 0
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        process = subprocess.Popen(args, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != expect:
            out.seek(0)
            raise SystemExit(f"{name}: exit {process.returncode}, expected {expect}\n{out.read()[-3000:]!r}")
    requests = (proxy.requests - before) if proxy else 0
    return Measurement(name, seconds, requests, usage.ru_maxrss / 1024)


@contextmanager
def sandbox(db: Path) -> Iterator[tuple[str, int]]:
    """`reconciler sandbox serve` in its own process; yields the (host, port) it serves."""
    with serve_sandbox(db) as origin:
        host, port = origin.removeprefix("http://").split(":")
        yield host, int(port)


def scale(n: int, workdir: Path) -> list[Measurement]:
    rows: list[Measurement] = []
    reconciler = str(BIN / "reconciler")
    with sandbox(workdir / "sandbox.sqlite3") as upstream, LatencyProxy(upstream, DELAY) as proxy:
        write_project(workdir, n, proxy.endpoint)
        rows.append(
            run_cli(
                "parse the files, C loader only (validate floor)",
                [sys.executable, "-c", FLOOR, "meetings"],
                workdir,
                None,
            )
        )
        rows.append(
            run_cli(
                "compose the files with libyaml only",
                [sys.executable, "-c", COMPOSE, "meetings"],
                workdir,
                None,
            )
        )
        rows.append(run_cli("validate", [reconciler, "validate", "meetings"], workdir, None))
        rows.append(
            run_cli(
                "double-booking check (find_conflicts, 26 weeks, 20 described)",
                [sys.executable, "-c", CONFLICTS, "meetings"],
                workdir,
                None,
            )
        )
        proxy.delay = 0
        rows.append(
            run_cli(f"apply {n} creates (no delay)", [reconciler, "apply", "--auto-approve"], workdir, proxy)
        )
        proxy.delay = DELAY
        plan = [reconciler, "plan", "--detailed-exitcode"]
        rows.append(run_cli("plan, nothing to do (50 ms/request)", plan, workdir, proxy, expect=0))
        full = [*plan, "--full-read"]
        rows.append(
            run_cli("plan --full-read, nothing to do (50 ms/request)", full, workdir, proxy, expect=0)
        )
        edit_calendar(upstream, ORGANIZERS[0], EDITED)
        rows.append(
            run_cli(f"plan after {EDITED} meetings edited in a calendar", plan, workdir, proxy, expect=2)
        )
        edit_one(workdir)
        rows.append(run_cli("plan after editing one file (50 ms/request)", plan, workdir, proxy, expect=2))
    validate = rows[2]
    validate.extra["× C loader"] = validate.seconds / rows[0].seconds
    validate.extra["× compose"] = validate.seconds / rows[1].seconds
    full_bound = sum(2 + 2 * math.ceil(c / 100) for c in _per_organizer(n, len(ORGANIZERS)))
    quiet, full, edited, file = rows[5:9]
    quiet.extra["request bound"] = 3 * len(ORGANIZERS)
    full.extra["request bound"] = full_bound
    edited.extra["request bound"] = 3 * len(ORGANIZERS) + math.ceil(EDITED / 100)
    file.extra["request bound"] = edited.extra["request bound"]  # still replays the edits since apply
    for row in rows[5:]:
        row.extra["× latency floor"] = row.seconds / (row.requests * DELAY)
    for row in (quiet, edited, file):  # the budget: validate + its own latency + 1 s
        row.extra["budget s"] = validate.seconds + row.requests * DELAY + 1
    return rows


EDITED = 100
"""Meetings another client edits in one organizer's calendar before a plan (their locations)."""


def edit_calendar(upstream: tuple[str, int], organizer: str, count: int) -> None:
    """`count` of the organizer's managed meetings moved to another room by another client (straight to
    the sandbox, not through the proxy: these are not the plan's requests)."""
    import exchangelib

    from bench.common import account
    from reconciler.backends.ews import marker as ews_marker

    ews_marker.register()
    host, port = upstream
    calendar = account(f"http://{host}:{port}/EWS/Exchange.asmx", organizer).calendar
    for item in list(calendar.filter(reconciler_key__exists=True).only("location"))[:count]:
        item.location = f"{item.location or ''} (moved in Outlook)"
        item.save(update_fields=["location"], send_meeting_invitations="SendToNone")
    exchangelib.close_connections()


def _per_organizer(n: int, organizers: int) -> list[int]:
    return [len(range(i, n, organizers)) for i in range(organizers)]


def batched_vs_lookup(n: int, workdir: Path) -> list[Measurement]:
    """One organizer, n meetings: the plan beside one FindItem + GetItem per meeting, both at 50 ms."""
    import exchangelib

    from bench.common import account
    from reconciler.backends.ews.mapping import READ_FIELDS

    organizer = ORGANIZERS[:1]
    rows: list[Measurement] = []
    with sandbox(workdir / "sandbox.sqlite3") as upstream, LatencyProxy(upstream, 0) as proxy:
        write_project(workdir, n, proxy.endpoint, organizer)
        run_cli("setup: apply", [str(BIN / "reconciler"), "apply", "--auto-approve"], workdir, proxy)
        proxy.delay = DELAY
        plan = [str(BIN / "reconciler"), "plan", "--detailed-exitcode"]
        rows.append(run_cli(f"plan, {n} meetings, 1 organizer (50 ms/request)", plan, workdir, proxy))
        lookup = _measure_in_process(
            f"per-meeting lookup of the same {n} (50 ms/request)",
            proxy,
            lambda: _lookup_each(account(proxy.endpoint, organizer[0]), n, READ_FIELDS),
        )
        exchangelib.close_connections()
        rows.append(lookup)
    rows[1].extra["× slower"] = rows[1].seconds / rows[0].seconds
    rows[1].extra["× requests"] = rows[1].requests / rows[0].requests
    return rows


def _lookup_each(account: object, n: int, fields: tuple[str, ...]) -> None:
    from reconciler.backends.ews import marker as ews_marker

    ews_marker.register()
    found = 0
    for i in range(n):
        found += len(list(account.calendar.filter(reconciler_key=f"m{i:05d}").only(*fields)))  # type: ignore[attr-defined]
    assert found == n, found


def _measure_in_process(name: str, proxy: LatencyProxy, step: Callable[[], None]) -> Measurement:
    before = proxy.requests
    start = time.perf_counter()
    step()
    return Measurement(name, time.perf_counter() - start, proxy.requests - before)


def main(n: int = 10_000, compare: int = 1_000) -> None:
    with tempfile.TemporaryDirectory(prefix="scale-") as tmp:
        report(
            f"scale: {n:,} meetings, {len(ORGANIZERS)} organizers, CLI processes, sandbox process, "
            f"{DELAY * 1000:.0f} ms proxy",
            scale(n, Path(tmp) / "scale"),
        )
        if compare:
            report(
                f"scale: batched plan against per-meeting lookup, {compare:,} meetings, 1 organizer",
                batched_vs_lookup(compare, Path(tmp) / "compare"),
            )


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
