"""One apply at a time per organizer mailbox: a lease kept in the mailbox itself, so it holds across
machines, repositories and CI systems.

The record is a hidden item in the mailbox (see the backend); taking, renewing and releasing it are
compare-and-swap writes on its version (EWS ChangeKey under `NeverOverwrite`, Graph ETag with `If-Match`),
which the server performs atomically. Expiry needs no synchronised clocks: a waiter counts a lease as
expired when its version has not changed for longer than the holder's TTL *on the waiter's own clock*, and
the holder renews (changing the version) every third of its TTL. A crashed holder therefore blocks others for
at most one TTL after they start watching.

When two records exist (two first-ever applies created one each at the same moment), a lease counts as taken
only when its taker holds one and sees no other live holder after taking it; any two takers then cannot both
proceed, since the later one sees the earlier one's record held.
"""

from __future__ import annotations

import json
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from reconciler.backends.base import BackendError, CalendarBackend, LeaseConflict, LeaseItem

ATTEMPTS = 4
"""Tries of each lease request: a dropped connection must not fail an apply that could have run (a lost
answer is harmless, since the holder recognises its own token when it reads the record again)."""


class LeaseHeld(Exception):
    """Another apply holds the lease and did not release it within the lock timeout."""


class LeaseLost(Exception):
    """The lease was taken away while applying (broken with `reconciler unlock`, or expired)."""


@dataclass(frozen=True)
class Holder:
    """Who holds a lease: enough for a person to find the run and decide whether it is stale."""

    token: str
    host: str
    pid: int
    user: str
    namespace: str
    since: str
    ttl: float
    run_url: str = ""

    @staticmethod
    def here(namespace: str, ttl: float) -> Holder:
        return Holder(
            token=uuid.uuid4().hex,
            host=socket.gethostname(),
            pid=os.getpid(),
            user=os.environ.get("USER") or os.environ.get("USERNAME") or "",
            namespace=namespace,
            since=datetime.now(UTC).isoformat(timespec="seconds"),
            ttl=ttl,
            run_url=run_url(),
        )

    def to_json(self) -> str:
        """The record's content; `renewed` changes on every write, so each renewal is a new version."""
        data = {**self.__dict__, "renewed": datetime.now(UTC).isoformat(timespec="seconds")}
        return json.dumps(data, sort_keys=True)

    @staticmethod
    def from_json(text: str) -> Holder | None:
        """The holder a record names, or None when it is free (or unreadable, which counts as free)."""
        try:
            data = json.loads(text) if text else None
            fields = {k: data[k] for k in Holder.__dataclass_fields__ if k in data}
            return Holder(**fields) if data and data.get("token") else None
        except (ValueError, TypeError, KeyError):
            return None

    def describe(self) -> str:
        where = f" ({self.run_url})" if self.run_url else ""
        who = f"{self.user}@" if self.user else ""
        return f"{who}{self.host} pid {self.pid}{where}, namespace {self.namespace}, since {self.since}"


def run_url() -> str:
    """The CI run applying, when known (GitHub Actions, GitLab CI)."""
    env = os.environ
    if env.get("GITHUB_RUN_ID") and env.get("GITHUB_REPOSITORY"):
        server = env.get("GITHUB_SERVER_URL", "https://github.com")
        return f"{server}/{env['GITHUB_REPOSITORY']}/actions/runs/{env['GITHUB_RUN_ID']}"
    return env.get("CI_JOB_URL", "")


@dataclass
class Watch:
    """When each record version was first seen on this machine's monotonic clock (for expiry)."""

    clock: Callable[[], float]
    seen: dict[tuple[str, str], float] = field(default_factory=dict)

    def expired(self, item: LeaseItem, holder: Holder) -> bool:
        first = self.seen.setdefault((item.item_id, item.version), self.clock())
        return self.clock() - first > holder.ttl


@dataclass
class Lease:
    """A lease this process holds on one mailbox; renewed by `Leases` until released."""

    mailbox: str
    item: LeaseItem
    lost: str | None = None


class Leases:
    """Take, renew and release the leases of several mailboxes (always in sorted order: no deadlock)."""

    def __init__(
        self,
        backend: CalendarBackend,
        holder: Holder,
        timeout: float,
        say: Callable[[str], None] = lambda _: None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        poll: float = 2.0,
        backoff: Callable[[float], None] | None = None,
    ) -> None:
        self.backend = backend
        self.holder = holder
        self.timeout = timeout
        self.say = say
        self.clock = clock
        self.sleep = sleep
        """Waiting for another apply's lease (a stop's sleep ends the wait)."""
        self.backoff = backoff or sleep
        """Between tries of one lease request (also while releasing, which a stop must not cut short)."""
        self.poll = poll
        self.held: dict[str, Lease] = {}
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def _retrying(self, call: Callable[[], LeaseItem | list[LeaseItem]]) -> LeaseItem | list[LeaseItem]:
        for attempt in range(ATTEMPTS):
            try:
                return call()
            except BackendError:
                if attempt == ATTEMPTS - 1:
                    raise
                self.backoff(0.2 * 2**attempt)
        raise AssertionError("unreachable")

    def _items(self, mailbox: str) -> list[LeaseItem]:
        return self._retrying(lambda: self.backend.lease_items(mailbox))  # type: ignore[return-value]

    def _write(self, mailbox: str, item: LeaseItem, holder: str) -> LeaseItem:
        return self._retrying(lambda: self.backend.write_lease(mailbox, item, holder))  # type: ignore[return-value]

    # -- taking -----------------------------------------------------------------------------------------

    def take(self, mailbox: str) -> Lease:
        deadline = self.clock() + self.timeout
        watch = Watch(self.clock)
        told = False
        while True:
            items = sorted(self._items(mailbox), key=lambda i: (i.created, i.item_id))
            blocker = self._blocker(items, watch)
            if blocker is None:
                mine = self._try(mailbox, items[0])
                if mine is not None:
                    again = self._items(mailbox)
                    other = self._blocker([i for i in again if i.item_id != mine.item_id], watch)
                    if other is None:
                        lease = Lease(mailbox, mine)
                        with self.lock:
                            self.held[mailbox] = lease
                        return lease
                    self._free(mailbox, mine)
                    blocker = other
            if blocker is not None:
                if self.clock() >= deadline:
                    raise LeaseHeld(
                        f"another apply holds the lease on mailbox {mailbox}: {blocker.describe()}; "
                        f"waited {self.timeout:g} s (--lock-timeout). If that run is gone, its lease "
                        f"expires {blocker.ttl:g} s after its last renewal, or break it with "
                        f"`reconciler unlock {mailbox}`"
                    )
                if not told:
                    self.say(f"waiting for the lease on {mailbox}, held by {blocker.describe()}")
                    told = True
            elif self.clock() >= deadline:  # nobody holds it, yet every take lost a race
                raise LeaseHeld(
                    f"could not take the lease on mailbox {mailbox} within {self.timeout:g} s "
                    "(--lock-timeout): its record kept changing; run again"
                )
            self.sleep(min(self.poll * (0.5 + random.random()), max(0.0, deadline - self.clock()) + 0.01))

    def _blocker(self, items: Sequence[LeaseItem], watch: Watch) -> Holder | None:
        """The live holder of any of `items` other than this process, or None."""
        for item in items:
            holder = Holder.from_json(item.holder)
            if holder and holder.token != self.holder.token and not watch.expired(item, holder):
                return holder
        return None

    def _is_mine(self, item: LeaseItem) -> bool:
        holder = Holder.from_json(item.holder)
        return holder is not None and holder.token == self.holder.token

    def _try(self, mailbox: str, item: LeaseItem) -> LeaseItem | None:
        try:
            return self._write(mailbox, item, self.holder.to_json())
        except LeaseConflict:
            return None  # lost the race, or our own write took effect unheard: the next read tells

    def _free(self, mailbox: str, item: LeaseItem) -> None:
        try:
            self._write(mailbox, item, "")
        except LeaseConflict:
            pass
        except BackendError as exc:
            self.say(f"could not release the lease on {mailbox} ({exc}); it expires by itself")

    # -- while applying ---------------------------------------------------------------------------------

    def renew_all(self) -> None:
        with self.lock:
            leases = list(self.held.values())
        for lease in leases:
            if lease.lost:
                continue
            try:
                lease.item = self._write(lease.mailbox, lease.item, self.holder.to_json())
            except LeaseConflict:
                ours = [i for i in self._items(lease.mailbox) if self._is_mine(i)]
                if ours:  # our renewal took effect but its answer was lost
                    lease.item = ours[0]
                    continue
                lease.lost = (
                    f"the lease on mailbox {lease.mailbox} was taken away while applying "
                    "(broken with `reconciler unlock`, or expired); the remaining writes were not made"
                )
            except Exception:  # a failed renewal is retried at the next tick; expiry is far away
                continue

    def check(self, mailbox: str) -> None:
        """Raise `LeaseLost` when the lease on `mailbox` is no longer ours (called before each write)."""
        lease = self.held.get(mailbox)
        if lease is None:
            raise LeaseLost(f"no lease held on mailbox {mailbox}")
        if lease.lost:
            raise LeaseLost(lease.lost)

    def _renewing(self) -> None:
        while not self.stop.wait(self.holder.ttl / 3):
            self.renew_all()

    def release_all(self) -> None:
        with self.lock:
            leases = list(self.held.values())
            self.held.clear()
        for lease in leases:
            if not lease.lost:
                self._free(lease.mailbox, lease.item)


@contextmanager
def holding(
    backend: CalendarBackend,
    mailboxes: Sequence[str],
    namespace: str,
    ttl: float,
    timeout: float,
    say: Callable[[str], None] = lambda _: None,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[Leases]:
    """Hold the leases of `mailboxes` for the duration of the block, renewed in the background.

    `sleep`: how to wait for a held lease (a stop's sleep raises; the leases taken so far are released)."""
    leases = Leases(backend, Holder.here(namespace, ttl), timeout, say, sleep=sleep, backoff=time.sleep)
    renewer = threading.Thread(target=leases._renewing, name="lease-renewal", daemon=True)
    renewer.start()  # before taking the second lease, so the first one cannot expire while we wait
    try:
        for mailbox in sorted(set(mailboxes)):
            leases.take(mailbox)
        yield leases
    finally:
        leases.stop.set()
        if renewer.is_alive():
            renewer.join(timeout=30)
        leases.release_all()


def break_lease(backend: CalendarBackend, mailbox: str) -> list[Holder]:
    """Free every held record of `mailbox` (`reconciler unlock`); the holders that were broken."""
    broken = []
    for item in backend.lease_items(mailbox):
        holder = Holder.from_json(item.holder)
        if holder is None:
            continue
        try:
            backend.write_lease(mailbox, item, "")
            broken.append(holder)
        except LeaseConflict:
            continue
    return broken


def current_holders(backend: CalendarBackend, mailbox: str) -> list[Holder]:
    return [h for i in backend.lease_items(mailbox) if (h := Holder.from_json(i.holder))]
