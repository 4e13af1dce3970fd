"""Fault injection and limits, for tests and benchmarks: latency, throttling, outages, dropped connections.

Each fault applies before or after the request's effect (`phase`), so a test can produce "the server did
it but the client never heard". A per-mailbox message-rate limit records every message sent beyond it, so
tests can prove a client paces itself; a per-mailbox concurrency limit answers ErrorServerBusy beyond it.
"""

from __future__ import annotations

import random
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class FaultOptions:
    latency_ms: int = 0
    busy_rate: float = 0.0
    busy_backoff_ms: int = 100
    unavailable_rate: float = 0.0
    reset_rate: float = 0.0
    seed: int | None = None
    phase: Literal["before", "after"] = "before"
    operations: frozenset[str] | None = None
    """Only these operations get faults (None: all but the probes' ConvertId)."""
    body_contains: tuple[str, ...] | None = None
    """Only requests whose operation element contains one of these texts get faults (e.g. the marker's
    "reconciler-spec-hash" and "SendMeetingCancellations": meeting writes, not those of the lease record)."""
    max_concurrency: int = 27
    """Requests in flight per mailbox before ErrorServerBusy (Exchange's EwsMaxConcurrency)."""
    message_rate_per_minute: float | None = None
    """Messages a mailbox may send per rolling minute; sends beyond it are recorded as violations."""


@dataclass(frozen=True)
class RateViolation:
    mailbox: str
    at: float
    sent_in_last_minute: int


@dataclass
class Faults:
    """The live fault state of one sandbox (options can change while it runs)."""

    options: FaultOptions = field(default_factory=FaultOptions)
    clock: object = time.monotonic

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.rng = random.Random(self.options.seed)
        self.in_flight: dict[str, int] = defaultdict(int)
        self.sent: dict[str, deque[float]] = defaultdict(deque)
        self.violations: list[RateViolation] = []
        self.injected: dict[str, int] = defaultdict(int)

    def configure(self, options: FaultOptions) -> None:
        with self.lock:
            self.options = options
            self.rng = random.Random(options.seed)

    def pick(self, operation: str, text: Callable[[], str] = str) -> str | None:
        """The fault for this request, if any: "busy", "unavailable" or "reset"."""
        o = self.options
        applies = operation in o.operations if o.operations is not None else operation != "ConvertId"
        if not applies or (
            o.body_contains is not None and not any(part in text() for part in o.body_contains)
        ):
            return None
        with self.lock:
            roll = self.rng.random()
        for name, rate in (
            ("busy", o.busy_rate),
            ("unavailable", o.unavailable_rate),
            ("reset", o.reset_rate),
        ):
            if roll < rate:
                with self.lock:
                    self.injected[name] += 1
                return name
            roll -= rate
        return None

    def delay(self) -> None:
        if self.options.latency_ms:
            time.sleep(self.options.latency_ms / 1000)

    def enter(self, mailbox: str, limit: int | None = None) -> bool:
        """Take one of the mailbox's concurrency slots (`limit`, else `max_concurrency`); False when full."""
        with self.lock:
            if self.in_flight[mailbox] >= min(
                limit or self.options.max_concurrency, self.options.max_concurrency
            ):
                return False
            self.in_flight[mailbox] += 1
            return True

    def leave(self, mailbox: str) -> None:
        with self.lock:
            self.in_flight[mailbox] -= 1

    def around(
        self,
        operation: str,
        mailbox: str,
        text: Callable[[], str],
        work: Callable[[], T],
        limit: int | None = None,
        delay: bool = True,
    ) -> tuple[str | None, T | None]:
        """Serve one request as a faulty server would: (the fault to answer, or None; `work`'s result).

        A fault "before" answers without doing the work; past the mailbox's concurrency `limit` the answer is
        "busy"; otherwise the work runs inside a concurrency slot (after the added latency, unless `delay` is
        off: a request inside a batch shares its batch's round trip), and a fault "after" is still answered.
        """
        fault = self.pick(operation, text)
        if fault and self.options.phase == "before":
            if delay:
                self.delay()
            return fault, None
        if not self.enter(mailbox, limit):
            return "busy", None
        try:
            if delay:
                self.delay()  # inside the concurrency slot, like a slow server
            result = work()
        finally:
            self.leave(mailbox)
        return fault, result

    def record_messages(self, senders: list[str]) -> None:
        limit = self.options.message_rate_per_minute
        now = self.clock()  # type: ignore[operator]
        with self.lock:
            for sender in senders:
                window = self.sent[sender]
                window.append(now)
                while window and window[0] <= now - 60:
                    window.popleft()
                if limit is not None and len(window) > limit:
                    self.violations.append(RateViolation(sender, now, len(window)))
