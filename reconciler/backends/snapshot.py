"""What an observation saw of a calendar, kept so that the next plan reads only what changed since.

Apply keeps it in the baseline record (`baseline.py`) right after its own writes and their read-back: every
item carrying a marker key (id → change key, namespace, key), this namespace's items as observed, and over
EWS the SyncFolderItems state taken *before* those reads, so a change made meanwhile is reported again. A
plan then learns what changed (EWS: SyncFolderItems from that state; Graph: the marked events' change keys,
which its first page reads anyway), reads only items whose change key differs from the one remembered, and
takes every other item as remembered. Its own writes are recognised the same way: their read-back's change
key is the one the calendar reports.

Never wrong, only slower: no record, another format, a state the server no longer knows, a snapshot too
large for the record (`LIMIT`), an item the codec cannot give back exactly (checked when it is written),
`plan --full-read`: each is read as a full read reads it.
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from reconciler.backends.marker import uid_for
from reconciler.backends.observed import Marker, ObservedMeeting, Response
from reconciler.desired.canonical import meeting_from_canonical, to_canonical

FORMAT = 1
LIMIT = 3_000_000
"""Characters of an encoded snapshot the record takes (Graph refuses a request body over 4 MB); a larger one
is not kept, and plans read in full."""
UNKNOWN = ""
"""The change key of an item whose state is not known (a write that failed): read again by the next plan."""


@dataclass(frozen=True)
class Listed:
    """One marked item as a listing or a synchronisation reports it."""

    change_key: str
    namespace: str
    key: str


@dataclass(frozen=True)
class Snapshot:
    """A calendar as an observation saw it (the marked items, this namespace's as observed)."""

    listing: Mapping[str, Listed] = field(default_factory=lambda: MappingProxyType({}))
    observed: Mapping[str, ObservedMeeting] = field(default_factory=lambda: MappingProxyType({}))
    state: str = ""
    """EWS: the SyncFolderItems state taken before the reads ("" over Graph, which lists instead)."""
    protocol: str = ""
    """Who observed it (`ews`, `graph`): each maps an item its own way, so a team that moves to the other
    protocol reads in full once."""
    since: frozenset[str] = frozenset()
    """Items created after `state` was taken (an apply's creations): a synchronisation from the state
    reports them as created, and reports nothing of one that is gone again, so one it does not report is
    gone."""

    def same_items(self, other: Snapshot | None) -> bool:
        """Whether `other` remembers the same items, as the same protocol saw them (a new state alone is
        nothing worth writing)."""
        return (
            other is not None
            and self.protocol == other.protocol
            and self.listing == other.listing
            and self.observed == other.observed
        )

    def known(self, item_id: str, change_key: str) -> ObservedMeeting | None:
        """The item as remembered, when it has not changed since (same change key)."""
        found = self.observed.get(item_id)
        return found if found is not None and found.change_key == change_key != UNKNOWN else None

    def to_text(self) -> str:
        """The snapshot for the record, compressed; "" when it does not fit (plans then read in full).
        An item the codec does not give back exactly is kept as unknown (read again by the next plan)."""
        observed = {}
        for item_id, seen in self.observed.items():
            data = _item_data(seen)
            if _item_from(data, item_id, seen.marker) == seen:
                observed[item_id] = data
        listing = {
            i: [UNKNOWN if i in self.observed and i not in observed else e.change_key, e.namespace, e.key]
            for i, e in self.listing.items()
        }
        raw = json.dumps(
            {
                "format": FORMAT,
                "state": self.state,
                "protocol": self.protocol,
                "since": sorted(self.since),
                "listing": listing,
                "observed": observed,
            },
            separators=(",", ":"),
            sort_keys=True,
            ensure_ascii=False,
        )
        text = base64.b64encode(zlib.compress(raw.encode(), 6)).decode("ascii")
        return text if len(text) <= LIMIT else ""

    @staticmethod
    def from_text(text: str, namespace: str) -> Snapshot | None:
        """The snapshot a record holds; None for none, another format or anything unreadable."""
        if not text:
            return None
        try:
            data = json.loads(zlib.decompress(base64.b64decode(text)))
            if data.get("format") != FORMAT:
                return None
            listing = {str(i): Listed(str(c), str(n), str(k)) for i, (c, n, k) in data["listing"].items()}
            observed = {}
            for item_id, d in data["observed"].items():
                listed = listing[item_id]
                mark = Marker(namespace, listed.key, str(d["h"]))
                observed[item_id] = _item_from(d, item_id, mark)
        except (ValueError, TypeError, KeyError, AttributeError, zlib.error):
            return None
        since = frozenset(str(i) for i in data.get("since", []))
        return Snapshot(
            MappingProxyType(listing),
            MappingProxyType(observed),
            str(data.get("state") or ""),
            str(data.get("protocol") or ""),
            since,
        )


def assembled(observed: Iterable[ObservedMeeting]) -> tuple[list[ObservedMeeting], list[ObservedMeeting]]:
    """(one item per key, by key; the further items of a key): of several, the oldest keeps the key, so a
    copy someone made is the duplicate whatever order a read found them in; of two created in the same
    second (the servers' creation times count seconds), the one with the UID the reconciler gives."""

    def age(o: ObservedMeeting) -> tuple[bool, datetime, bool, str]:
        own = o.uid is not None and o.uid.upper() == uid_for(o.marker.namespace, o.marker.key)
        return (o.created is None, o.created or datetime.min, not own, o.item_id)

    mine: dict[str, ObservedMeeting] = {}
    duplicates = []
    for seen in sorted(observed, key=age):
        if seen.marker.key in mine:
            duplicates.append(seen)
        else:
            mine[seen.marker.key] = seen
    return sorted(mine.values(), key=lambda o: o.meeting.key), duplicates


def replayed(
    listing: Mapping[str, Listed], namespace: str, remembered: Snapshot | None
) -> tuple[dict[str, ObservedMeeting], list[str]]:
    """(this namespace's items `remembered` knows at their listed change key; the ids of the others, which
    the plan reads)."""
    kept: dict[str, ObservedMeeting] = {}
    wanted = []
    for item_id, listed in listing.items():
        if listed.namespace != namespace:
            continue
        found = remembered.known(item_id, listed.change_key) if remembered else None
        if found is None:
            wanted.append(item_id)
        else:
            kept[item_id] = found
    return kept, wanted


def other_namespaces(listing: Mapping[str, Listed], namespace: str) -> tuple[str, ...]:
    """The namespaces of other repositories with marked items in the calendar (reported, never touched)."""
    return tuple(sorted({e.namespace for e in listing.values()} - {namespace}))


def after_writes(
    seen: Snapshot,
    read_back: Sequence[ObservedMeeting],
    gone: Collection[str],
    unsure: Collection[str],
) -> Snapshot:
    """`seen` (the observation an apply planned from) once its writes landed: the items read back as they
    are now, the cancelled ones gone, and those whose writes failed unknown (read again by the next plan)."""
    listing = {i: e for i, e in seen.listing.items() if i not in gone}
    observed = {i: o for i, o in seen.observed.items() if i not in gone}
    for item_id in unsure:
        if item_id in listing:
            listing[item_id] = Listed(UNKNOWN, listing[item_id].namespace, listing[item_id].key)
        observed.pop(item_id, None)
    since = set(seen.since) - set(gone)
    for o in read_back:
        if o.item_id not in listing:
            since.add(o.item_id)
        listing[o.item_id] = Listed(o.change_key, o.marker.namespace, o.marker.key)
        observed[o.item_id] = o
    return Snapshot(
        MappingProxyType(listing), MappingProxyType(observed), seen.state, seen.protocol, frozenset(since)
    )


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _item_data(o: ObservedMeeting) -> dict[str, Any]:
    return {
        "k": o.change_key,  # the version this is the observation of (the listing's may be newer)
        "m": to_canonical(o.meeting),
        "h": o.marker.spec_hash,
        "u": o.uid,
        "s": o.unsent,
        "r": [
            [
                r.address,
                r.kind,
                r.answer,
                _time(r.at),
                *([_time(t) for t in r.proposed] if r.proposed else []),
            ]
            for r in o.responses
        ],
        "j": o.join_url,
        "t": _time(o.modified),
        "c": _time(o.created),
        **({"b": o.modified_by} if o.modified_by else {}),
    }


def _item_from(d: dict[str, Any], item_id: str, mark: Marker) -> ObservedMeeting:
    return ObservedMeeting(
        meeting_from_canonical(d["m"]),
        mark,
        item_id,
        str(d["k"]),
        d["u"],
        bool(d["s"]),
        tuple(Response(a, k, r, _when(t), _proposal(rest)) for a, k, r, t, *rest in d["r"]),
        d["j"],
        _when(d["t"]),
        _when(d["c"]),
        modified_by=d.get("b"),
    )


def _proposal(rest: list[str]) -> tuple[datetime, datetime] | None:
    return (datetime.fromisoformat(rest[0]), datetime.fromisoformat(rest[1])) if len(rest) == 2 else None
