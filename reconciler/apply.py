"""Execute a plan through a backend: phased, batched, paced, each outcome reported as it lands.

Writes run in phases per organizer (creates; master updates; occurrence skips and moves; invitations of
meetings created silently; cancellations), so later writes learn the item ids earlier ones produced. A
failed write stops the rest of its meeting's writes but never the other meetings'. Sends are paced to the
configured message rate over a sliding minute, per sending mailbox (Exchange limits each mailbox's rate).
Organizers are written side by side (WRITERS at a time): one mailbox's writes stay in order, and its pacer
is its own, so one organizer's wait never holds up another's.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from reconciler.backends.base import CalendarBackend, Write, WriteResult
from reconciler.backends.baseline import Baseline, Entry
from reconciler.backends.snapshot import after_writes
from reconciler.desired.model import Meeting
from reconciler.plan.baseline import recorded
from reconciler.plan.changes import Change, Plan
from reconciler.stopping import Stopped

log = logging.getLogger(__name__)
Guard = Callable[[str], None]
"""Called with the organizer before each write request; raises to stop writing (a lost lease; `Stopped`
when a signal asked the run to stop)."""

PHASES = (("create",), ("update", "restore", "adopt", "release"), ("skip", "move"), ("invite",), ("cancel",))
BATCH = 100
WRITERS = 4
"""Organizers written at once (as many as a plan reads at once)."""


@dataclass(frozen=True)
class Outcome:
    """How one planned change went."""

    change: Change
    error: str | None = None
    item_id: str | None = None
    """The item the change wrote (a create's new id)."""
    stopped: bool = False
    """A stop (a signal) kept some or all of its writes from starting."""

    @property
    def ok(self) -> bool:
        return self.error is None


class Pacer:
    """At most `per_minute` messages in any sliding minute; waits (with an injectable clock) when needed."""

    def __init__(
        self,
        per_minute: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self.sleep = sleep
        self.sent: deque[float] = deque()
        self.waited = 0.0

    def take(self, messages: int) -> None:
        if messages <= 0:
            return
        while True:
            now = self.clock()
            while self.sent and self.sent[0] <= now - 60:
                self.sent.popleft()
            if len(self.sent) + messages <= max(self.per_minute, messages):
                break
            pause = self.sent[0] + 60 - now
            self.waited += pause
            self.sleep(pause)
        now = self.clock()
        self.sent.extend([now] * messages)


class MailboxPacers:
    """One Pacer per sending mailbox, made by `make` on first use."""

    def __init__(self, make: Callable[[], Pacer]) -> None:
        self.make = make
        self.pacers: dict[str, Pacer] = {}
        self._lock = threading.Lock()

    def __call__(self, mailbox: str) -> Pacer:
        with self._lock:
            if mailbox not in self.pacers:
                self.pacers[mailbox] = self.make()
            return self.pacers[mailbox]


def write_messages(change: Change) -> dict[int, int]:
    """Messages each of a change's writes sends (by index), adding up to the change's planned total."""
    counts = {i: (0 if w.send == "none" else 1) for i, w in enumerate(change.writes)}
    extra = change.messages - sum(counts.values())
    for i, w in enumerate(change.writes):  # an update also cancels removed attendees: a second message
        if extra > 0 and w.kind == "update" and counts[i]:
            counts[i] += extra
            extra = 0
    return counts


def _chunks(items: list[tuple[Write, int, int]], limit: float) -> list[list[tuple[Write, int, int]]]:
    """Batches of at most BATCH writes, each sending at most `limit` messages (one larger write alone)."""
    out: list[list[tuple[Write, int, int]]] = [[]]
    messages = 0
    for entry in items:
        n = entry[1]
        if out[-1] and (len(out[-1]) >= BATCH or (n and messages + n > limit)):
            out.append([])
            messages = 0
        out[-1].append(entry)
        messages += n
    return [c for c in out if c]


def apply_plan(
    plan: Plan,
    backend: CalendarBackend,
    pacers: Callable[[str], Pacer],
    report: Callable[[Outcome], None] = lambda o: None,
    guard: Guard = lambda organizer: None,
) -> list[Outcome]:
    """Carry out the plan; outcomes in the plan's organizer order, each reported as it lands.

    `pacers`: the pacer of each sending mailbox (`MailboxPacers`).
    """
    by_organizer: dict[str, list[Change]] = {}
    for change in plan.active:
        by_organizer.setdefault(change.organizer, []).append(change)
    lock = threading.Lock()

    def reported(outcome: Outcome) -> None:
        with lock:  # one outcome at a time on the terminal, whichever organizer it comes from
            report(outcome)

    def one(organizer: str) -> list[Outcome]:
        changes = by_organizer.get(organizer, [])
        outcomes = _apply_organizer(organizer, changes, backend, pacers(organizer), reported, guard)
        remembered = plan.baselines.get(organizer)
        if remembered is not None:
            _remember(organizer, plan.namespace, outcomes, remembered, backend, guard)
        return outcomes

    organizers = [*by_organizer, *(o for o in plan.learns if o not in by_organizer)]
    with ThreadPoolExecutor(max_workers=max(1, min(WRITERS, len(organizers)))) as pool:
        return [outcome for done in pool.map(one, organizers) for outcome in done]


def _remember(
    organizer: str,
    namespace: str,
    outcomes: Sequence[Outcome],
    remembered: Baseline,
    backend: CalendarBackend,
    guard: Guard,
) -> None:
    """Read back what this apply wrote and keep how the server kept it (`backends/baseline.py`), with what
    the calendar now holds (`backends/snapshot.py`).

    Only meetings whose every write succeeded are read back: a failed write must stay a difference the next
    plan sees (its item is read again). A failure here fails nothing that was sent; the next plan learns
    again.
    """
    written: dict[str, Meeting] = {}
    ids: dict[str, str] = {}
    gone: dict[str, Entry | None] = {}
    cancelled: set[str] = set()
    unsure: set[str] = set()
    for outcome in outcomes:
        change = outcome.change
        if not outcome.ok:
            unsure.update(i for i in (outcome.item_id, change.item_id) if i)
            continue
        if change.action in ("cancel", "duplicate", "release"):  # no longer ours to remember
            gone[change.key] = None
            if change.item_id:
                cancelled.add(change.item_id)
            continue
        meeting = next((w.meeting for w in reversed(change.writes) if w.meeting), None)
        item_id = outcome.item_id or change.item_id
        if meeting is not None and item_id:
            written[change.key], ids[change.key] = meeting, item_id
    try:
        with suppress(Stopped):  # reading back and keeping the record sends nothing: done also when stopping
            guard(organizer)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        read = backend.read_back(organizer, namespace, sorted(set(ids.values()))) if ids else ()
        found = {o.marker.key: o for o in read}
        entries = {key: recorded(written[key], found[key], now) for key in written if key in found}
        kept = remembered.updated({**gone, **entries})
        if kept.snapshot is not None:  # what the next plan need not read again
            unsure |= set(ids.values()) - {o.item_id for o in read}
            seen = after_writes(kept.snapshot, read, cancelled, unsure)
            kept = replace(kept, snapshot=backend.caught_up(organizer, seen))
        if kept.changed or kept.record is None:  # a calendar with no record yet gets one, empty or not
            backend.write_baseline(organizer, namespace, kept)
    except Exception as exc:  # nothing sent depends on it: say so, and let the next plan learn again
        log.warning("could not keep the baseline of %s (the next plan learns it again): %s", organizer, exc)


def _apply_organizer(
    organizer: str,
    changes: Sequence[Change],
    backend: CalendarBackend,
    pacer: Pacer,
    report: Callable[[Outcome], None],
    guard: Guard,
) -> list[Outcome]:
    """Each change is known by its place in `changes`, not by its key: a meeting's update and the removal
    of a duplicate of it share the key."""
    item_ids = {n: c.item_id for n, c in enumerate(changes) if c.item_id}
    errors: dict[int, str] = {}
    remaining = {n: len(c.writes) for n, c in enumerate(changes)}
    done: list[Outcome] = []
    finished: set[int] = set()
    stopped: set[int] = set()

    def finish(n: int) -> None:
        finished.add(n)
        outcome = Outcome(changes[n], errors.get(n), item_ids.get(n), n in stopped)
        done.append(outcome)
        report(outcome)

    for phase in PHASES:
        batch: list[tuple[Write, int, int]] = []  # (write, messages it sends, its change)
        for n, change in enumerate(changes):
            counts = write_messages(change)
            for i, write in enumerate(change.writes):
                if write.kind not in phase:
                    continue
                if n in errors:
                    remaining[n] -= 1
                    continue
                if write.item_id is None and write.kind != "create":
                    write = replace(write, item_id=item_ids.get(n))
                batch.append((write, counts[i], n))
        for chunk in _chunks(batch, pacer.per_minute):
            writes = [w for w, _, _ in chunk]
            try:
                guard(organizer)
                pacer.take(sum(m for _, m, _ in chunk))
                guard(organizer)  # a paced wait ends early when a stop is asked for
            except Stopped as exc:  # a signal: nothing more is written, what was done stays done
                results = [WriteResult(w, error=str(exc)) for w in writes]
                stopped.update(n for _, _, n in chunk)
            except Exception as exc:  # e.g. the lease was lost: nothing more is written for this mailbox
                results = [WriteResult(w, error=str(exc)) for w in writes]
            else:
                results = backend.apply(organizer, writes)
            for (_, _, n), result in zip(chunk, results, strict=True):
                if result.error and n in stopped and n not in errors:
                    begun = remaining[n] < len(changes[n].writes)
                    errors[n] = (
                        f"{result.error} before its {result.write.kind}; a re-run finishes it"
                        if begun
                        else f"not started: {result.error}; a re-run does it"
                    )
                elif result.error and n not in errors:
                    errors[n] = f"{result.write.kind} failed: {result.error}"
                elif result.write.kind == "create" and result.item_id:
                    item_ids[n] = result.item_id
                remaining[n] -= 1
                if remaining[n] == 0:
                    finish(n)
        for n in [n for n, left in remaining.items() if left == 0 and n not in finished]:
            finish(n)
    return done
