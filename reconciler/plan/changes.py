"""A plan is data: the changes, the writes each needs, who receives what, and a checksum.

It serialises to canonical JSON (sorted keys), from which the text, markdown and JSON renderings and a saved
plan file are all derived. The checksum covers the desired state and the changes, so applying a saved plan
refuses when the files changed since it was made.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Literal

from reconciler.backends.base import Marker, Write
from reconciler.backends.baseline import Baseline
from reconciler.desired.canonical import canonical_json, meeting_from_canonical, to_canonical
from reconciler.plan.rooms import RoomWarning

Action = Literal[
    "create", "adopt", "update", "drift", "rename", "cancel", "orphan", "duplicate", "finish", "release"
]
"""`finish`: work an interrupted apply left undone (a meeting created silently whose invitation was never
sent); not a change the files ask for, so the safety thresholds do not count it."""
FORMAT_VERSION = 1


@dataclass(frozen=True)
class FieldChange:
    """A field that differs: its value in the calendar (`before`) and in the files (`after`), as JSON data."""

    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class Change:
    """Everything that happens to one meeting."""

    action: Action
    key: str
    organizer: str
    subject: str
    summary: str
    reason: str = ""
    fields: tuple[FieldChange, ...] = ()
    writes: tuple[Write, ...] = ()
    messages: int = 0
    recipients: tuple[str, ...] = ()
    deliveries: int = 0
    """Messages times their recipients: what counts against a daily recipient budget."""
    item_id: str | None = None
    change_key: str | None = None
    before: tuple[str, ...] = ()
    """The next occurrences as the calendar holds them (what reviewers compare; empty for a create)."""
    after: tuple[str, ...] = ()
    """The next occurrences once applied (empty for a cancel)."""


@dataclass(frozen=True)
class Plan:
    namespace: str
    target: str
    changes: tuple[Change, ...]
    desired_checksum: str
    managed: int = 0
    """Managed meetings found in the calendars (for the change-percentage threshold)."""
    desired: int = 0
    other_namespaces: tuple[str, ...] = ()
    message_rate_per_minute: float = 30
    observe_requests: int = 0
    organizers: tuple[str, ...] = field(default_factory=tuple)
    shard: str = ""
    """`K/N` when made with `--shard`: only the organizers of that shard were read and are written."""
    room_warnings: tuple[RoomWarning, ...] = ()
    """A shard's room warnings, carried in its plan file so that the merged plan shows them too."""
    notes: tuple[str, ...] = ()
    """What the plan says once about the calendars it read (a record out of reach, rights it lacks)."""
    baselines: Mapping[str, Baseline] = field(default_factory=dict, compare=False)
    """What each organizer's baseline is to be before this plan's writes (what was read, with what this plan
    learned). Not part of a saved plan: an apply plans again under the lease and uses that plan's."""

    @property
    def learns(self) -> tuple[str, ...]:
        """Organizers whose baseline changes although nothing is written to their calendars."""
        return tuple(sorted(o for o, b in self.baselines.items() if b.changed))

    @property
    def active(self) -> tuple[Change, ...]:
        """Changes that write something (an `orphan` is only reported)."""
        return tuple(c for c in self.changes if c.writes)

    def count(self, action: str) -> int:
        return sum(1 for c in self.changes if c.action == action)

    @property
    def messages(self) -> int:
        return sum(c.messages for c in self.changes)

    @property
    def recipients(self) -> int:
        return len({r for c in self.changes for r in c.recipients})

    @property
    def deliveries(self) -> int:
        return sum(c.deliveries for c in self.changes)

    @property
    def pacing_seconds(self) -> float:
        return self.messages / self.message_rate_per_minute * 60 if self.messages else 0.0

    def to_data(self) -> dict[str, Any]:
        data = {
            "format": FORMAT_VERSION,
            "namespace": self.namespace,
            "target": self.target,
            "desired_checksum": self.desired_checksum,
            "managed": self.managed,
            "desired": self.desired,
            "other_namespaces": list(self.other_namespaces),
            "message_rate_per_minute": self.message_rate_per_minute,
            "observe_requests": self.observe_requests,
            "organizers": list(self.organizers),
            "changes": [_change_data(c) for c in self.changes],
            "summary": {
                "create": self.count("create"),
                "adopt": self.count("adopt"),
                "release": self.count("release"),
                "update": self.count("update") + self.count("rename"),
                "cancel": self.count("cancel") + self.count("duplicate"),
                "drift": self.count("drift"),
                "finish": self.count("finish"),
                "orphan": self.count("orphan"),
                "messages": self.messages,
                "recipients": self.recipients,
                "deliveries": self.deliveries,
                "pacing_seconds": round(self.pacing_seconds),
            },
        }
        if self.shard:
            data["shard"] = self.shard
        if self.room_warnings:
            data["room_warnings"] = [asdict(w) for w in self.room_warnings]
        if self.notes:
            data["notes"] = list(self.notes)
        data["checksum"] = checksum(data)
        return data

    @property
    def checksum(self) -> str:
        return self.to_data()["checksum"]

    def to_json(self) -> str:
        return json.dumps(self.to_data(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Plan:
        data = json.loads(text)
        if data.get("format") != FORMAT_VERSION:
            raise ValueError(f"plan format {data.get('format')!r} is not {FORMAT_VERSION}")
        if checksum(data) != data.get("checksum"):
            raise ValueError("the plan file was edited after it was made (checksum mismatch)")
        return cls(
            namespace=data["namespace"],
            target=data["target"],
            changes=tuple(_change_from(c) for c in data["changes"]),
            desired_checksum=data["desired_checksum"],
            managed=data["managed"],
            desired=data["desired"],
            other_namespaces=tuple(data["other_namespaces"]),
            message_rate_per_minute=data["message_rate_per_minute"],
            observe_requests=data["observe_requests"],
            organizers=tuple(data["organizers"]),
            shard=data.get("shard", ""),
            room_warnings=tuple(RoomWarning(**w) for w in data.get("room_warnings", [])),
            notes=tuple(data.get("notes", [])),
        )


def checksum(data: dict[str, Any]) -> str:
    body = {k: v for k, v in data.items() if k not in ("checksum", "summary", "observe_requests")}
    return hashlib.sha256(canonical_json(body).encode()).hexdigest()


def _write_data(w: Write) -> dict[str, Any]:
    return {
        "kind": w.kind,
        "key": w.key,
        "send": w.send,
        "marker": asdict(w.marker),
        "meeting": to_canonical(w.meeting) if w.meeting else None,
        "item_id": w.item_id,
        "change_key": w.change_key,
        "fields": list(w.fields),
        "occurrence": w.occurrence.isoformat() if w.occurrence else None,
        "message": w.message,
    }


def _write_from(d: dict[str, Any]) -> Write:
    return Write(
        kind=d["kind"],
        key=d["key"],
        send=d["send"],
        marker=Marker(**d["marker"]),
        meeting=meeting_from_canonical(d["meeting"]) if d["meeting"] else None,
        item_id=d["item_id"],
        change_key=d["change_key"],
        fields=tuple(d["fields"]),
        occurrence=date.fromisoformat(d["occurrence"]) if d["occurrence"] else None,
        message=d["message"],
    )


def _change_data(c: Change) -> dict[str, Any]:
    data = asdict(c)
    data["fields"] = [asdict(f) for f in c.fields]
    data["writes"] = [_write_data(w) for w in c.writes]
    data["recipients"] = list(c.recipients)
    data["before"], data["after"] = list(c.before), list(c.after)
    return data


def _change_from(d: dict[str, Any]) -> Change:
    return Change(
        **{
            **d,
            "fields": tuple(FieldChange(**f) for f in d["fields"]),
            "writes": tuple(_write_from(w) for w in d["writes"]),
            "recipients": tuple(d["recipients"]),
            "before": tuple(d.get("before", ())),
            "after": tuple(d.get("after", ())),
        }
    )
