"""Double bookings among the desired meetings: a person or a resource in two places at once. Pure.

Every schedule's occurrences in the horizon are expanded once (skips and moves applied; meetings at the very
same times share one; time shown as free books nobody); each mailbox's bookings (attendees, resources and
the organizer) are sorted by start and swept once, so the work grows with the number of occurrences, not
with the number of pairs. Two meetings that
overlap are one conflict: its first overlap, how many more occurrences overlap, and every mailbox booked
twice. Conflicts that double-book a resource come first.
"""

from __future__ import annotations

import gc
import heapq
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


class Found(tuple):
    """The double bookings kept (sorted; at most the limit asked) and how many there are in all."""

    total: int

    def __new__(cls, kept: Sequence[Conflict], total: int) -> Found:
        found = super().__new__(cls, kept)
        found.total = total
        return found

    def __reduce__(self) -> tuple[type[Found], tuple[tuple[Conflict, ...], int]]:
        return Found, (tuple(self), self.total)  # pickled or copied whole, with its count


def total(found: Sequence[Conflict]) -> int:
    """How many double bookings there are in all (more than are described when a limit was asked)."""
    return found.total if isinstance(found, Found) else len(found)


def find_conflicts(
    meetings: Sequence[Meeting], start: datetime, end: datetime, limit: int | None = None
) -> Found:
    """Conflicts between different meetings within [start, end), one per pair of meetings: every pair is
    counted, the first `limit` (all without a limit) are described.

    Two meetings overlap at the same times whichever mailbox they share, so the sweep only has to find which
    pairs meet and when first (a number per pair); who is booked twice and how often are worked out from
    the two meetings afterwards, for the pairs kept. Meetings at the very same times (a weekly slot many
    share) are expanded and swept once per mailbox, as one schedule. Memory: the occurrences of each
    schedule, a number per pair, and the conflicts described."""
    booking = [m for m in meetings if m.show_as != "free"]  # time shown as free books nobody
    resources = {a.address for m in booking for a in m.attendees.resources}
    booked = [mailboxes(m) for m in booking]
    schedule_of: dict[tuple, int] = {}
    spans: list[list[tuple[float, float]]] = []
    per_mailbox: dict[str, dict[int, list[int]]] = {}  # mailbox → schedule → its meetings there
    for i, m in enumerate(booking):
        times = _times(m)
        s = schedule_of.get(times)
        if s is None:
            s = schedule_of[times] = len(spans)
            spans.append(sorted((o.start.timestamp(), o.end.timestamp()) for o in occurrences(m, start, end)))
        for mailbox in booked[i]:
            per_mailbox.setdefault(mailbox, {}).setdefault(s, []).append(i)
    collecting = gc.isenabled()
    gc.disable()  # many small objects and no cycles: collection passes would only cost time
    try:
        first = _sweep(per_mailbox, spans, len(booking))
    finally:
        if collecting:
            gc.enable()
    size = len(booking)
    rooms = [m & resources for m in booked]

    def rank(pair: int) -> tuple[bool, float, str, str]:
        i, j = divmod(pair, size)
        return (not (rooms[i] and rooms[i] & rooms[j]), first[pair], booking[i].key, booking[j].key)

    kept = sorted(first, key=rank) if limit is None else heapq.nsmallest(limit, first, key=rank)
    expanded: dict[int, list[Booking]] = {}

    def bookings(i: int) -> list[Booking]:
        if i not in expanded:
            m = booking[i]
            expanded[i] = sorted(
                (Booking(m.key, o.start, o.end) for o in occurrences(m, start, end)), key=lambda b: b.start
            )
        return expanded[i]

    found = [
        _describe(booking[p // size], booking[p % size], bookings(p // size), bookings(p % size), resources)
        for p in kept
    ]
    found.sort(key=lambda c: (not c.resources, c.first.start, c.first.key, c.second.key))
    return Found(found, len(first))


def _times(meeting: Meeting) -> tuple:
    """What a meeting's occurrence times follow from: meetings alike in these share one schedule."""
    moved = tuple((m.date, m.start, m.duration) for m in meeting.moves)
    return (meeting.timezone, meeting.start, meeting.duration, meeting.recurrence, meeting.skip, moved)


def mailboxes(meeting: Meeting) -> frozenset[str]:
    """Whom a meeting books: its organizer, attendees and rooms."""
    return frozenset({meeting.organizer, *(a.address for a in meeting.attendees.all())})


def _sweep(
    per_mailbox: dict[str, dict[int, list[int]]], spans: list[list[tuple[float, float]]], size: int
) -> dict[int, float]:
    """Each mailbox's schedules' bookings (start, end, schedule) by start, each the ones still running when
    it begins: every pair of meetings that meet (as one number), with the earliest start of a meeting of it.

    Two meetings of one schedule meet at its first booking that lasts; two of schedules that meet, where
    those first meet."""
    first: dict[int, float] = {}
    never = float("inf")

    def meet(these: list[int], those: list[int], earlier: float) -> None:
        for i in these:
            for j in those:
                if i != j:
                    pair = i * size + j if i < j else j * size + i
                    if earlier < first.get(pair, never):
                        first[pair] = earlier

    lasting = [next((b for b, e in times if e > b), None) for times in spans]
    for schedules in per_mailbox.values():
        met: dict[tuple[int, int], float] = {}
        entries = sorted((b, e, s) for s in schedules for b, e in spans[s])
        active: list[tuple[float, float, int]] = []
        for span in entries:
            begins, _, s = span
            active = [a for a in active if a[1] > begins]
            for earlier, _, t in active:  # by start: the first time two schedules meet is the earliest
                if t != s and (t, s) not in met:
                    met[(t, s)] = met[(s, t)] = earlier
            active.append(span)
        for s, alike in schedules.items():
            if len(alike) > 1 and lasting[s] is not None:
                meet(alike, alike, lasting[s])
        for (s, t), earlier in met.items():
            if s < t:
                meet(schedules[s], schedules[t], earlier)
    return first


def _describe(a: Meeting, b: Meeting, xs: list[Booking], ys: list[Booking], resources: set[str]) -> Conflict:
    """The conflict of two meetings known to meet: who is booked twice, the first overlap, every overlap."""
    shared = mailboxes(a) & mailboxes(b)
    overlaps: set[datetime] = set()
    best: tuple[Booking, Booking] | None = None
    low = 0
    for x in xs:  # both by start: each x meets the ys from the first not over yet
        while low < len(ys) and ys[low].end <= x.start:
            low += 1
        for k in range(low, len(ys)):
            y = ys[k]
            if y.start >= x.end:
                break
            if x.start < y.end:
                earlier, later = (x, y) if (x.start, x.key) <= (y.start, y.key) else (y, x)
                overlaps.add(earlier.start)
                if best is None or (earlier.start, later.start) < (best[0].start, best[1].start):
                    best = (earlier, later)
    assert best is not None  # the sweep found them meeting
    return Conflict(
        best[0],
        best[1],
        tuple(sorted(shared & resources)),
        tuple(sorted(shared - resources)),
        frozenset(overlaps),
    )


def conflicts_of(
    meetings: Sequence[Meeting], policy: Policy, now: datetime, limit: int | None = None
) -> Found:
    """Double bookings from `now` to the policy's horizon (none looked for with `conflicts: ignore`); the
    first `limit` described, all counted."""
    if policy.conflicts == "ignore":
        return Found((), 0)
    return find_conflicts(meetings, now, now + timedelta(weeks=policy.conflict_horizon_weeks), limit)


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
    everything = total(found)
    rest = everything - len(shown)
    more = f"… and {counted(rest, 'more double booking')}: `reconciler validate --conflicts` lists them all"
    if markdown:
        from reconciler.inert import md_escape

        lines = ["", f"**Warnings: {counted(everything, 'double booking')}**", ""]
        lines += [f"- ⚠ {md_escape(c.text(sources))}" for c in shown]
        lines += [f"- {md_escape(more)}"] if rest else []
        return "\n".join(lines) + "\n"
    return "\n".join(
        [*(f"warning: {c.text(sources)}" for c in shown), *([f"warning: {more}"] if rest else [])]
    )
