"""What the reconciler remembers in the target: how the server kept what the reconciler last wrote.

A real server rewrites what it is given (directory display names, HTML bodies as whole documents, CRLF,
defaults, a Teams join block, and rewrites nobody here has seen). Comparing the calendar with the files would
call each rewrite drift and restore it on every apply, re-sending updates to every attendee. So right after
its own writes the reconciler reads the items back and remembers, per meeting, each field the server kept
differently from what was written: a digest of what was applied and a digest of what the server kept
(Terraform keeps what the server returned after apply; kubectl apply compares three ways). Drift is then the
calendar differing from what the server kept; a change, the files differing from what was applied.

One record per organizer mailbox and namespace, kept in the organizer's calendar like the apply lease (an
appointment nobody is invited to, with named properties: `marker.RECORD_START` says where and why), so a
fresh clone knows it too and calendar rights alone reach it. Reading it is one more read per
organizer; writing it, one write per organizer per apply, only when it changed. Fields the server kept as
written have no entry: most meetings need a few bytes. The record carries the calendar's snapshot too
(`snapshot.py`), so that a plan reads only what changed since.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from reconciler.backends.marker import LEGACY_FOLDER
from reconciler.backends.snapshot import Snapshot

FORMAT = 1
SUBJECT = "reconciler baseline {namespace}"
BODY = (
    "This item remembers how the server kept the meetings `reconciler apply` wrote for the namespace in "
    "its subject, so that what the server rewrites is never taken for an edit. It is harmless; deleting it "
    "makes the next plan learn again from the calendar."
)


@dataclass(frozen=True)
class Kept:
    """One field the server kept differently: digests of what was applied and of what the server kept."""

    applied: str
    kept: str


@dataclass(frozen=True)
class Entry:
    """What is remembered of one managed meeting."""

    spec_hash: str
    """The marker's spec hash when this was recorded: an entry for another hash is out of date."""
    fields: Mapping[str, Kept] = field(default_factory=lambda: MappingProxyType({}))
    at: str = ""
    """When the reconciler last wrote the meeting and read it back (ISO 8601, UTC)."""
    accepted: str = ""
    """A spec hash of the files found already held by the calendar (its edits pulled into the files): in
    step with the marker's older hash, so nothing is written and a later edit is still drift."""


@dataclass(frozen=True)
class Baseline:
    """One organizer's record for one namespace, by meeting key."""

    entries: Mapping[str, Entry] = field(default_factory=lambda: MappingProxyType({}))
    record: tuple[str, str] | None = None
    """(item id, version) of the record read from the target; None when there is none yet."""
    read: Mapping[str, Entry] | None = None
    """The entries as read (None: never read), to tell whether anything needs writing."""
    legacy: tuple[str, ...] = ()
    """Ids of the record an older version kept as a message (`marker.LEGACY_FOLDER`), read because the
    calendar had none: written to the calendar by the next apply, then removed where the rights allow."""

    out_of_reach: bool = False
    """No record in the calendar, and where an older version kept one the rights do not reach: the next
    apply writes one to the calendar (the plan learns from the calendar meanwhile)."""
    snapshot: Snapshot | None = None
    """What the last observation saw of the calendar (`snapshot.py`): as read from the record, then, once
    observed, what this observation saw (which an apply keeps)."""
    snapshot_read: Snapshot | None = None
    """The snapshot as read, to tell whether the observation saw anything new."""

    @property
    def changed(self) -> bool:
        return (
            dict(self.entries) != dict(self.read or {})
            or bool(self.legacy)
            or self.out_of_reach
            or (self.snapshot is not None and not self.snapshot.same_items(self.snapshot_read))
        )

    def snapshot_for(self, protocol: str) -> Snapshot | None:
        """The snapshot to replay, when `protocol` made it (another one's mapping is not this one's)."""
        return self.snapshot if self.snapshot is not None and self.snapshot.protocol == protocol else None

    def notes(self, organizer: str) -> tuple[str, ...]:
        """What a plan says once of a record it could not read (`Observation.notes`)."""
        if not self.out_of_reach:
            return ()
        return (
            f"{organizer}: the calendar holds no baseline record yet and the one an older version kept in "
            f"{LEGACY_FOLDER} needs mail rights to read; this plan learns from the calendar instead (nothing "
            "is re-sent) and the next apply keeps the record in the calendar",
        )

    def updated(self, entries: Mapping[str, Entry | None]) -> Baseline:
        """With `entries` set (None: removed)."""
        merged = dict(self.entries)
        for key, entry in entries.items():
            if entry is None:
                merged.pop(key, None)
            else:
                merged[key] = entry
        return replace(self, entries=MappingProxyType(merged))

    def to_text(self) -> str:
        data: dict[str, object] = {
            "format": FORMAT,
            "meetings": {
                key: {
                    "h": e.spec_hash,
                    "t": e.at,
                    "f": {name: [k.applied, k.kept] for name, k in sorted(e.fields.items())},
                    **({"a": e.accepted} if e.accepted else {}),
                }
                for key, e in sorted(self.entries.items())
            },
        }
        kept = self.snapshot.to_text() if self.snapshot else ""
        if kept:
            data["snapshot"] = kept
        return json.dumps(data, separators=(",", ":"), sort_keys=True)

    @staticmethod
    def from_text(
        text: str, record: tuple[str, str] | None = None, legacy: tuple[str, ...] = (), namespace: str = ""
    ) -> Baseline:
        """The record's content; an unreadable or unknown one counts as empty (the next plan learns again).
        Its snapshot is read for `namespace` (given by observe; none without it)."""
        snapshot = None
        try:
            data = json.loads(text) if text else {}
            if namespace and data.get("format") == FORMAT:
                snapshot = Snapshot.from_text(str(data.get("snapshot") or ""), namespace)
            meetings = data.get("meetings", {}) if data.get("format") == FORMAT else {}
            entries = {
                str(key): Entry(
                    str(e["h"]),
                    MappingProxyType({str(n): Kept(str(a), str(k)) for n, (a, k) in e.get("f", {}).items()}),
                    str(e.get("t", "")),
                    str(e.get("a", "")),
                )
                for key, e in meetings.items()
            }
        except (ValueError, TypeError, KeyError, AttributeError):
            entries = {}
        return Baseline(
            MappingProxyType(entries),
            record,
            MappingProxyType(dict(entries)),
            legacy,
            snapshot=snapshot,
            snapshot_read=snapshot,
        )
