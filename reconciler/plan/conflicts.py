"""Double bookings among the desired meetings: a person or a resource in two places at once. Pure.

Every meeting's occurrences in the horizon are expanded (skips and moves applied; time shown as free books
nobody); each mailbox's bookings (attendees, resources and the organizer) are sorted by start and swept
once, so the work grows with the number of occurrences, not with the number of pairs. Two meetings that
overlap are one conflict: its first overlap, how many more occurrences overlap, and every mailbox booked
twice. Conflicts that double-book a resource come first.
"""

from __future__ import annotations

import gc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from reconciler.config import Policy
from reconciler.desired.model import Meeting
from reconciler.desired.recurrence import occurrences
from reconciler.wording import counted


@dataclass(frozen=True)
class Booking:
    key: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Conflict:
    first: Booking
    second: Booking
    resources: tuple[str, ...] = ()
    people: tuple[str, ...] = ()
    overlaps: frozenset[datetime] = frozenset()
    """Start of the earlier booking of each overlap (the first one included)."""

    def text(self, sources: Mapping[str, object] | None = None) -> str:
        a, b = self.first, self.second
        sources = sources or {}

        def where(key: str) -> str:
            return f" ({sources[key]})" if key in sources else ""

        end = min(a.end, b.end).astimezone(a.start.tzinfo)
        when = f"{max(a.start, b.start):%a %Y-%m-%d %H:%M}–{end:%H:%M}"
        more = len(self.overlaps) - 1
        who = [f"resource {r}" for r in self.resources] + list(self.people)
        room = "; a room accepts the one booked first and declines the other" if self.resources else ""
        return (
            f"{', '.join(who)} booked twice: {a.key}{where(a.key)} and {b.key}{where(b.key)} overlap on "
            f"{when}" + (f" (and {more} more time{'s' * (more != 1)})" if more else "") + room
        )

    def to_data(self, sources: Mapping[str, object] | None = None) -> dict[str, object]:
        sources = sources or {}
        return {
            "meetings": [
                {"key": b.key, "file": str(sources.get(b.key, "")), "start": b.start.isoformat()}
                for b in (self.first, self.second)
            ],
            "resources": list(self.resources),
            "people": list(self.people),
            "overlaps": len(self.overlaps),
            "text": self.text(sources),
        }


def find_conflicts(meetings: Sequence[Meeting], start: datetime, end: datetime) -> list[Conflict]:
    """Conflicts between different meetings within [start, end), one per pair of meetings."""
    bookings: dict[str, list[Booking]] = {}
    resources: set[str] = set()
    for meeting in meetings:
        if meeting.show_as == "free":  # time shown as free books nobody
            continue
        mailboxes = {meeting.organizer, *(a.address for a in meeting.attendees.all())}
        resources.update(a.address for a in meeting.attendees.resources)
        for occ in occurrences(meeting, start, end):
            booking = Booking(meeting.key, occ.start, occ.end)
            for mailbox in mailboxes:
                bookings.setdefault(mailbox, []).append(booking)
    pairs: dict[tuple[str, str], _Pair] = {}
    collecting = gc.isenabled()
    gc.disable()  # millions of small objects and no cycles: collection passes would only cost time
    try:
        _sweep(bookings, resources, pairs)
    finally:
        if collecting:
            gc.enable()
    found = [p.conflict() for p in pairs.values()]
    return sorted(found, key=lambda c: (not c.resources, c.first.start, c.first.key, c.second.key))


def _sweep(
    bookings: dict[str, list[Booking]], resources: set[str], pairs: dict[tuple[str, str], _Pair]
) -> None:
    """Each mailbox's bookings by start; every booking meets the ones still running when it begins."""
    for mailbox, entries in bookings.items():
        entries.sort(key=lambda b: (b.start, b.key))
        resource = mailbox in resources
        active: list[Booking] = []
        for booking in entries:
            active = [a for a in active if a.end > booking.start]
            for other in active:
                if other.key != booking.key:
                    key = (other.key, booking.key) if other.key < booking.key else (booking.key, other.key)
                    pair = pairs.get(key)
                    if pair is None:
                        pair = pairs[key] = _Pair(other, booking)
                    pair.add(mailbox, resource, other, booking)
            active.append(booking)


class _Pair:
    """What the sweep learns about two meetings (mutable while sweeping; `conflict()` freezes it)."""

    __slots__ = ("first", "overlaps", "people", "resources", "second")

    def __init__(self, earlier: Booking, later: Booking) -> None:
        self.first, self.second = earlier, later
        self.resources: set[str] = set()
        self.people: set[str] = set()
        self.overlaps: set[datetime] = set()

    def add(self, mailbox: str, resource: bool, earlier: Booking, later: Booking) -> None:
        if (earlier.start, later.start) < (self.first.start, self.second.start):
            self.first, self.second = earlier, later
        (self.resources if resource else self.people).add(mailbox)
        self.overlaps.add(earlier.start)

    def conflict(self) -> Conflict:
        return Conflict(
            self.first,
            self.second,
            tuple(sorted(self.resources)),
            tuple(sorted(self.people)),
            frozenset(self.overlaps),
        )


def conflicts_of(meetings: Sequence[Meeting], policy: Policy, now: datetime) -> tuple[Conflict, ...]:
    """Double bookings from `now` to the policy's horizon (none looked for with `conflicts: ignore`)."""
    if policy.conflicts == "ignore":
        return ()
    return tuple(find_conflicts(meetings, now, now + timedelta(weeks=policy.conflict_horizon_weeks)))


SHOWN = 20
"""Warnings shown under a plan; the rest are counted (`validate --conflicts` and JSON list them all)."""


def conflict_text(
    found: Sequence[Conflict],
    sources: Mapping[str, object],
    markdown: bool = False,
    limit: int | None = SHOWN,
) -> str:
    """The warnings shown under a plan: one line each, or a markdown section (meeting text escaped)."""
    if not found:
        return ""
    shown = list(found if limit is None else found[:limit])
    rest = len(found) - len(shown)
    more = f"… and {counted(rest, 'more double booking')}: `reconciler validate --conflicts` lists them all"
    if markdown:
        from reconciler.plan.render import md_escape

        lines = ["", f"**Warnings: {counted(len(found), 'double booking')}**", ""]
        lines += [f"- ⚠ {md_escape(c.text(sources))}" for c in shown]
        lines += [f"- {md_escape(more)}"] if rest else []
        return "\n".join(lines) + "\n"
    return "\n".join(
        [*(f"warning: {c.text(sources)}" for c in shown), *([f"warning: {more}"] if rest else [])]
    )
