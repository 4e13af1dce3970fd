"""One repository's organizers spread over several CI jobs, and their plans put back together. Pure.

`--shard K/N` gives job K of N the organizers whose address hashes to K: the partition depends on each
address alone, so adding an organizer to the list moves no other organizer to another shard. A shard reads,
writes and leases only its organizers' mailboxes, and checks double bookings against all files.

A shard's plan says which shard it is (part of its checksum). `merge` puts the N shard plans of one commit
back together: the whole plan renders as one comment, and the safety thresholds are applied to it, not to a
shard; `apply --shard K/N` of the merged file applies shard K's part under the whole's thresholds.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from reconciler.plan.changes import FORMAT_VERSION, Plan

MERGED = "merged"


@dataclass(frozen=True)
class Shard:
    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        found = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
        if not found or not 1 <= int(found[1]) <= int(found[2]):
            raise ValueError(f"--shard {text!r}: write K/N with 1 ≤ K ≤ N, e.g. 2/4")
        return cls(int(found[1]), int(found[2]))

    def owns(self, organizer: str) -> bool:
        return shard_of(organizer, self.count) == self.index

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def shard_of(organizer: str, count: int) -> int:
    """The shard (1..count) of an organizer: a hash of the address alone, the same on every machine."""
    digest = hashlib.sha256(organizer.strip().lower().encode()).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


@dataclass(frozen=True)
class MergedPlan:
    """The plans of every shard of one commit, in shard order."""

    parts: tuple[Plan, ...]

    @property
    def count(self) -> int:
        return len(self.parts)

    @property
    def whole(self) -> Plan:
        """One plan of every change, for the comment and the thresholds (it is never applied as such)."""
        first = self.parts[0]
        changes = sorted((c for p in self.parts for c in p.changes), key=lambda c: (c.key, c.action))
        return replace(
            first,
            changes=tuple(changes),
            managed=sum(p.managed for p in self.parts),
            other_namespaces=tuple(sorted({n for p in self.parts for n in p.other_namespaces})),
            observe_requests=sum(p.observe_requests for p in self.parts),
            organizers=tuple(sorted({o for p in self.parts for o in p.organizers})),
            shard="",
            room_warnings=tuple(w for p in self.parts for w in p.room_warnings),
            notes=tuple(n for p in self.parts for n in p.notes),
        )

    def part(self, shard: Shard) -> Plan:
        if shard.count != self.count:
            n = self.count
            raise ValueError(f"this merged plan has {n} shards; apply it with --shard K/{n}, K from 1 to {n}")
        return self.parts[shard.index - 1]

    def to_json(self) -> str:
        data = {"format": FORMAT_VERSION, "kind": MERGED, "parts": [p.to_data() for p in self.parts]}
        return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def merge(plans: Sequence[Plan]) -> MergedPlan:
    """The shard plans 1..N of one commit as one; a missing, repeated or foreign shard is refused."""
    if not plans:
        raise ValueError("no plans to merge")
    shards = []
    for p in plans:
        if not p.shard:
            raise ValueError("a plan made without --shard cannot be merged: it is whole already")
        shards.append(Shard.parse(p.shard))
    count = shards[0].count
    if any(s.count != count for s in shards):
        raise ValueError(f"the plans are of different shard counts ({', '.join(p.shard for p in plans)})")
    have = sorted(s.index for s in shards)
    if have != list(range(1, count + 1)):
        missing = sorted(set(range(1, count + 1)) - set(have)) or "none"
        raise ValueError(f"need each of the {count} shards once; have {have} (missing {missing})")
    if len({(p.namespace, p.target, p.desired_checksum) for p in plans}) > 1:
        raise ValueError(
            "the shard plans were made from different files or targets; plan every shard on the same commit"
        )
    return MergedPlan(tuple(sorted(plans, key=lambda p: Shard.parse(p.shard).index)))


def load_plan(text: str) -> Plan | MergedPlan:
    """A saved plan file: one plan (a shard's or a whole repository's) or a merged one."""
    data = json.loads(text)
    if isinstance(data, dict) and data.get("kind") == MERGED:
        return merge([Plan.from_json(json.dumps(part)) for part in data.get("parts", [])])
    return Plan.from_json(text)
