"""The lease protocol over an in-memory record store with the same compare-and-swap rule as the servers."""

from __future__ import annotations

import itertools

import pytest

from reconciler.backends.base import BackendError, LeaseConflict, LeaseItem
from reconciler.lease import Holder, LeaseHeld, LeaseLost, Leases, break_lease, current_holders
from tests.fakes import FakeClock


class Records:
    """Lease records of one mailbox; `write_lease` succeeds only on the current version (as ChangeKey)."""

    def __init__(self) -> None:
        self.items: dict[str, LeaseItem] = {}
        self.versions = itertools.count(1)
        self.fail_next = 0

    def lease_items(self, mailbox: str) -> list[LeaseItem]:
        if not self.items:
            self.add()
        return list(self.items.values())

    def add(self, holder: str = "", created: str = "2026-01-01T00:00:00") -> LeaseItem:
        item = LeaseItem(f"id{len(self.items)}", f"v{next(self.versions)}", holder, created)
        self.items[item.item_id] = item
        return item

    def write_lease(self, mailbox: str, item: LeaseItem, holder: str) -> LeaseItem:
        if self.fail_next:
            self.fail_next -= 1
            raise BackendError("the connection dropped")
        current = self.items[item.item_id]
        if current.version != item.version:
            raise LeaseConflict("stale")
        new = LeaseItem(item.item_id, f"v{next(self.versions)}", holder, item.created)
        self.items[item.item_id] = new
        return new


def leases(records: Records, clock: FakeClock, name: str, ttl: float = 10, timeout: float = 30) -> Leases:
    holder = Holder(name, "host-" + name, 1, "", "ns", "2026-01-01T00:00:00+00:00", ttl)
    return Leases(records, holder, timeout, clock=clock, sleep=clock.sleep, poll=1)  # type: ignore[arg-type]


def test_one_holder_at_a_time_and_release_frees() -> None:
    records, clock = Records(), FakeClock()
    first = leases(records, clock, "a")
    first.take("m")
    assert [h.token for h in current_holders(records, "m")] == ["a"]  # type: ignore[arg-type]
    held = r"holds the lease on mailbox m: host-a pid 1, namespace ns, since 2026-01-01"
    with pytest.raises(LeaseHeld, match=held):
        leases(records, clock, "b", timeout=5).take("m")
    first.release_all()
    second = leases(records, clock, "b")
    second.take("m")
    second.check("m")


def test_an_unrenewed_lease_expires_after_its_ttl_on_the_waiters_clock() -> None:
    records, clock = Records(), FakeClock()
    leases(records, clock, "crashed", ttl=10).take("m")  # never renewed nor released
    start = clock.now
    leases(records, clock, "next", timeout=60).take("m")
    assert 10 < clock.now - start <= 13


def test_renewal_keeps_a_lease_alive_past_its_ttl() -> None:
    records, clock = Records(), FakeClock()
    holder = leases(records, clock, "a", ttl=10)
    holder.take("m")
    waiter = leases(records, clock, "b", timeout=25)
    original = clock.sleep

    def sleep_and_renew(seconds: float) -> None:  # the holder renews every third of its TTL
        original(seconds)
        holder.renew_all()

    clock.sleep = sleep_and_renew  # type: ignore[method-assign]
    waiter.sleep = sleep_and_renew
    with pytest.raises(LeaseHeld):
        waiter.take("m")


def test_a_broken_lease_is_noticed_before_the_next_write() -> None:
    records, clock = Records(), FakeClock()
    holder = leases(records, clock, "a")
    holder.take("m")
    assert [h.token for h in break_lease(records, "m")] == ["a"]  # type: ignore[arg-type]
    holder.renew_all()
    with pytest.raises(LeaseLost, match="taken away while applying"):
        holder.check("m")


def test_a_lost_answer_is_recognised_by_its_own_token() -> None:
    records, clock = Records(), FakeClock()
    holder = leases(records, clock, "a")
    original = records.write_lease

    def write_unheard(mailbox: str, item: LeaseItem, text: str) -> LeaseItem:
        original(mailbox, item, text)  # the write takes effect ...
        records.write_lease = original  # type: ignore[method-assign]
        raise BackendError("the connection dropped")  # ... and its answer is lost

    records.write_lease = write_unheard  # type: ignore[method-assign]
    holder.take("m")  # retried with the old version: conflict; read again: it is ours
    holder.check("m")
    holder.renew_all()
    holder.check("m")


def test_two_records_from_a_creation_race_never_give_two_holders() -> None:
    records, clock = Records(), FakeClock()
    records.add()
    other = records.add()
    records.write_lease("m", other, Holder("b", "h", 2, "", "ns", "x", 10).to_json())
    with pytest.raises(LeaseHeld, match="pid 2"):
        leases(records, clock, "a", timeout=5).take("m")
    assert sum(bool(i.holder) for i in records.items.values()) == 1  # the taker let go of its record


def test_holder_json_round_trip_and_free_records() -> None:
    holder = Holder("t", "host", 7, "me", "ns", "2026-01-01T00:00:00+00:00", 30, "https://ci/run/1")
    back = Holder.from_json(holder.to_json())
    assert back == holder and "https://ci/run/1" in back.describe()
    assert Holder.from_json("") is None and Holder.from_json("{not json") is None
