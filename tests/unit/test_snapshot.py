"""The snapshot a plan replays (`backends/snapshot.py`): what it keeps, gives back and refuses."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

from reconciler.backends import snapshot
from reconciler.backends.baseline import Baseline
from reconciler.backends.observed import Marker, ObservedMeeting, Response
from reconciler.backends.snapshot import Listed, Snapshot
from reconciler.desired.model import Attendee, Attendees, Meeting, Recurrence

SERIES = Meeting(
    key="sync",
    subject="Team sync",
    organizer="lead@example.com",
    start=datetime(2027, 1, 4, 10),
    duration=timedelta(minutes=30),
    timezone="Europe/Amsterdam",
    attendees=Attendees((Attendee("alice@example.com", "Alice"),)),
    recurrence=Recurrence(every="week", days=("mon",), count=8),
    skip=(datetime(2027, 1, 11).date(),),
)
WHEN = datetime(2026, 12, 1, 9, 30, 12, tzinfo=UTC)


def seen(
    item_id: str, key: str = "sync", change_key: str = "ck1", created: datetime = WHEN
) -> ObservedMeeting:
    return ObservedMeeting(
        replace(SERIES, key=key),
        Marker("ns", key, "hash"),
        item_id,
        change_key,
        "UID-1",
        responses=(
            Response("alice@example.com", "required", "accepted", WHEN),
            Response("bob@example.com", "optional", "tentative", WHEN, (WHEN, WHEN + timedelta(hours=1))),
        ),
        modified=WHEN,
        created=created,
    )


def snap(*items: ObservedMeeting, others: dict[str, Listed] | None = None) -> Snapshot:
    listing = {o.item_id: Listed(o.change_key, "ns", o.marker.key) for o in items} | (others or {})
    observed = {o.item_id: o for o in items}
    return Snapshot(MappingProxyType(listing), MappingProxyType(observed), "state-1", "ews")


def test_a_snapshot_gives_back_exactly_what_was_observed() -> None:
    kept = snap(seen("a"), seen("b", "review"), others={"c": Listed("ck", "other", "x")})
    back = Snapshot.from_text(kept.to_text(), "ns")
    assert back == kept
    assert back is not None and back.known("a", "ck1") == seen("a") and back.known("a", "ck2") is None


def test_an_item_the_codec_cannot_give_back_is_kept_as_unknown_and_read_again() -> None:
    odd = replace(seen("a"), meeting=replace(SERIES, start=datetime(2027, 1, 4, 10, 0, 30)))  # seconds
    back = Snapshot.from_text(snap(odd, seen("b", "review")).to_text(), "ns")
    assert back is not None and set(back.observed) == {"b"}
    assert back.listing["a"].change_key == snapshot.UNKNOWN
    assert snapshot.replayed(back.listing, "ns", back)[1] == ["a"]


def test_what_does_not_fit_or_cannot_be_read_counts_as_no_snapshot(monkeypatch) -> None:
    assert Snapshot.from_text("not base64 zlib json", "ns") is None
    assert Snapshot.from_text("", "ns") is None
    monkeypatch.setattr(snapshot, "LIMIT", 10)
    assert snap(seen("a")).to_text() == ""


def test_the_baseline_record_carries_the_snapshot_and_a_new_state_alone_changes_nothing() -> None:
    kept = snap(seen("a"))
    record = Baseline(snapshot=kept).to_text()
    read = Baseline.from_text(record, ("rid", "v"), namespace="ns")
    assert read.snapshot == kept and not read.changed
    assert not replace(read, snapshot=replace(kept, state="state-2")).changed
    assert replace(read, snapshot=snap(seen("a", change_key="ck2"))).changed
    assert replace(read, snapshot=replace(kept, protocol="graph")).changed  # Graph's own is kept once
    assert Baseline.from_text(record, ("rid", "v")).snapshot is None  # no namespace: not read


def test_the_oldest_item_keeps_its_key_whatever_order_a_read_found_them_in() -> None:
    original, copy = seen("z", created=WHEN), seen("a", created=WHEN + timedelta(minutes=5))
    for order in ([original, copy], [copy, original]):
        mine, duplicates = snapshot.assembled(order)
        assert mine == [original] and duplicates == [copy]


def test_after_writes_the_read_back_replaces_failed_writes_are_unknown_and_creations_are_since() -> None:
    before = snap(seen("a"), seen("b", "review"), seen("c", "gone"))
    new = seen("d", "new", "ck9")
    after = snapshot.after_writes(before, [seen("a", change_key="ck2"), new], gone={"c"}, unsure={"b"})
    assert after.known("a", "ck2") is not None and after.known("d", "ck9") == new
    assert "c" not in after.listing and after.listing["b"].change_key == snapshot.UNKNOWN
    assert after.since == {"d"} and after.state == "state-1" and after.protocol == "ews"


def test_a_snapshot_serves_only_the_protocol_that_made_it() -> None:
    kept = Baseline(snapshot=snap(seen("a")))
    assert kept.snapshot_for("ews") is kept.snapshot and kept.snapshot_for("graph") is None


def test_an_observation_older_than_its_listing_is_read_again_after_the_round_trip() -> None:
    """The listing may already hold a newer change key than the observation (an apply's write that was not
    read back): the record keeps each observation's own, so the item is read again, never relabelled."""
    older = seen("a", change_key="ck1")
    kept = replace(snap(older), listing=MappingProxyType({"a": Listed("ck2", "ns", "sync")}))
    back = Snapshot.from_text(kept.to_text(), "ns")
    assert back is not None and back.observed["a"].change_key == "ck1"
    assert back.known("a", "ck2") is None and snapshot.replayed(back.listing, "ns", back)[1] == ["a"]


def test_of_two_items_created_in_one_second_the_one_with_the_reconcilers_uid_keeps_the_key() -> None:
    from reconciler.backends.marker import uid_for

    ours = replace(seen("z"), uid=uid_for("ns", "sync"))
    copy = replace(seen("a"), uid="SOMEONE-ELSES-COPY")
    for order in ([ours, copy], [copy, ours]):
        assert snapshot.assembled(order) == ([ours], [copy])
