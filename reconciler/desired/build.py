"""One schema-valid meeting document → a canonical `Meeting`, with every semantic problem found.

The loader has already merged directory defaults, converted YAML dates to ISO strings and flattened the
attendee groups. Problems carry key paths relative to the document; the loader turns them into positions.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from reconciler.desired import holiday_calendars
from reconciler.desired import recurrence as rec
from reconciler.desired.durations import format_duration, parse_duration
from reconciler.desired.limits import limit_problems
from reconciler.desired.model import WEEKDAYS, Attendee, Attendees, Meeting, OccurrenceOverride, Recurrence
from reconciler.desired.problems import KeyPath, Problem

MAX_ATTENDEES = 500
"""Exchange Online's default recipient limit for one message."""

ADDRESS = re.compile(r"^[^@\s<>()\[\],;:\"]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$")
_NAMED = re.compile(r"^(?P<name>[^<>]*?)\s*<(?P<address>[^<>]*)>$")
_INTERVAL = {
    "day": timedelta(days=1),
    "week": timedelta(days=7),
    "month": timedelta(days=28),
    "year": timedelta(days=365),
}


def parse_attendee(entry: str) -> Attendee | None:
    """`name@example.com` or `Name <name@example.com>` as an attendee; None when it is not an address."""
    match = _NAMED.match(entry.strip())
    if match:
        name, address = match["name"].strip().strip('"') or None, match["address"].strip()
    else:
        name, address = None, entry.strip()
    return Attendee(address.lower(), name) if ADDRESS.match(address) else None


def not_an_address(entry: str) -> str:
    return f"{entry!r} is not an e-mail address; write name@example.com or Name <name@example.com>"


class _Builder:
    def __init__(self, doc: Mapping[str, Any], groups: Mapping[str, tuple[str, ...]]) -> None:
        self.doc = doc
        self.groups = groups
        self.problems: list[Problem] = []

    def problem(self, path: KeyPath, message: str) -> None:
        self.problems.append(Problem(path, message))

    # -- pieces -----------------------------------------------------------------------------------------

    def zone(self) -> ZoneInfo | None:
        name = self.doc["timezone"]
        try:
            if name.lower() in ("local", "localtime") or name.startswith(("/", ".")):
                raise ValueError(name)
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            self.problem(
                ("timezone",), f"unknown time zone {name!r}; use an IANA name such as Europe/Amsterdam"
            )
            return None

    def address(self, entry: str, path: KeyPath) -> Attendee | None:
        attendee = parse_attendee(entry)
        if attendee is None:
            self.problem(path, not_an_address(entry))
        return attendee

    def attendee_entries(self, kind: str) -> list[tuple[Attendee, KeyPath]]:
        out = []
        for i, entry in enumerate(self.doc.get("attendees", {}).get(kind, [])):
            path: KeyPath = ("attendees", kind, i)
            if entry.startswith("group:"):
                name = entry[len("group:") :].strip()
                if name not in self.groups:
                    known = ", ".join(sorted(self.groups)) or "none defined"
                    self.problem(path, f"unknown group {name!r} (groups: {known}); define it in _groups.yaml")
                    continue
                members = [self.address(member, path) for member in self.groups[name]]
                out += [(m, path) for m in members if m]
            elif (attendee := self.address(entry, path)) is not None:
                out.append((attendee, path))
        return out

    def attendees(self, organizer: str) -> Attendees:
        seen: dict[str, Attendee] = {}
        lists: dict[str, list[Attendee]] = {"required": [], "optional": [], "resources": []}
        for kind in lists:  # required wins over optional, which wins over resources
            for attendee, _path in self.attendee_entries(kind):
                if attendee.address == organizer or attendee.address in seen:
                    continue
                seen[attendee.address] = attendee
                lists[kind].append(attendee)
        if len(seen) > MAX_ATTENDEES:
            self.problem(
                ("attendees",),
                f"{len(seen)} attendees after groups expand; at most {MAX_ATTENDEES} "
                "can receive one invitation",
            )
        return Attendees(*(tuple(sorted(v)) for v in lists.values()))

    def start(self) -> datetime | None:
        text = self.doc["start"].replace(" ", "T")
        all_day = self.doc.get("all_day", False)
        try:
            if all_day:
                if "T" in text:
                    self.problem(("start",), "an all-day meeting starts on a date; write e.g. 2027-03-11")
                    return None
                return datetime.combine(date.fromisoformat(text), time.min)
            if "T" not in text:
                self.problem(("start",), "add a time of day, e.g. 2026-12-07T09:30 (or set all_day: true)")
                return None
            return datetime.fromisoformat(text)
        except ValueError:
            self.problem(("start",), f"{self.doc['start']!r} is not a real date-time")
            return None

    def duration(self, start: datetime, spec: Mapping[str, Any], base: KeyPath) -> timedelta | None:
        """Duration from `duration` or `end` (a date-time, or a time of day on the start's date)."""
        if "duration" in spec and "end" in spec:
            self.problem((*base, "end"), "give either `end` or `duration`, not both")
            return None
        if "duration" in spec:
            value = parse_duration(spec["duration"])
            if not value:
                self.problem((*base, "duration"), "must be longer than zero, e.g. 30m")
            return value or None
        if "end" in spec:
            text = spec["end"].replace(" ", "T")
            try:
                end = (
                    datetime.fromisoformat(text)
                    if "T" in text
                    else datetime.combine(start.date(), time.fromisoformat(text.zfill(5)))
                )
            except ValueError:
                self.problem((*base, "end"), f"{spec['end']!r} is not a real time")
                return None
            if end <= start:
                self.problem(
                    (*base, "end"),
                    f"ends at {end:%Y-%m-%d %H:%M}, not after its start {start:%Y-%m-%d %H:%M}",
                )
                return None
            return end - start
        return None

    def recurrence(self, start: datetime) -> Recurrence | None:
        spec = self.doc.get("repeat")
        if spec is None:
            return None
        every = spec["every"]
        path: KeyPath = ("repeat",)
        if "until" in spec and "count" in spec:
            self.problem((*path, "count"), "give either `until` or `count`, not both")
            return None
        for name, allowed in (
            ("days", ("week",)),
            ("day_of_month", ("month", "year")),
            ("weekday", ("month", "year")),
            ("week", ("month", "year")),
            ("month", ("year",)),
        ):
            if name in spec and every not in allowed:
                self.problem((*path, name), f"`{name}` does not apply to `every: {every}`; remove it")
                return None
        if ("weekday" in spec) != ("week" in spec):
            missing = "week" if "weekday" in spec else "weekday"
            self.problem(path, f"`weekday` and `week` go together; add `{missing}`")
            return None
        if "day_of_month" in spec and "weekday" in spec:
            self.problem(
                (*path, "day_of_month"), "give either `day_of_month` or `weekday` + `week`, not both"
            )
            return None
        until = date.fromisoformat(spec["until"]) if "until" in spec else None
        if until and until < start.date():
            self.problem((*path, "until"), f"{until} is before the start {start.date()}")
            return None
        days = tuple(d for d in WEEKDAYS if d in spec.get("days", ())) if every == "week" else ()
        return Recurrence(
            every=every,
            interval=spec.get("interval", 1),
            days=days or ((WEEKDAYS[start.weekday()],) if every == "week" else ()),
            day_of_month=None
            if "weekday" in spec or every in ("day", "week")
            else spec.get("day_of_month", start.day),
            weekday=spec.get("weekday"),
            week=spec.get("week"),
            month=spec.get("month", start.month) if every == "year" else None,
            until=until,
            count=spec.get("count"),
        )

    def moves(self, meeting: Meeting) -> tuple[OccurrenceOverride, ...]:
        out = []
        seen: set[date] = set()
        for i, spec in enumerate(self.doc.get("moves", [])):
            path: KeyPath = ("moves", i)
            day = date.fromisoformat(spec["date"])
            original = rec.occurrence_start(meeting, day)
            if original is None:
                self.problem((*path, "date"), f"{day} is not an occurrence of this meeting")
                continue
            if day in seen:
                self.problem((*path, "date"), f"{day} is moved twice; merge the two entries")
                continue
            if day in meeting.skip:
                self.problem((*path, "date"), f"{day} is also in `skip`; a skipped occurrence cannot move")
                continue
            seen.add(day)
            start = original
            if "start" in spec:
                text = spec["start"].replace(" ", "T")
                start = datetime.fromisoformat(text if "T" in text else f"{text}T{original:%H:%M}")
            duration = self.duration(start, spec, path) if ("duration" in spec or "end" in spec) else None
            if ("duration" in spec or "end" in spec) and duration is None:
                continue
            before, after = rec.neighbours(meeting, day)
            crossed = (
                before
                if before and start.date() <= before
                else after
                if after and start.date() >= after
                else None
            )
            if crossed:
                self.problem(
                    (*path, "start"),
                    f"moves the {day} occurrence to {start.date()}, onto or past the "
                    f"neighbouring occurrence on {crossed}; Exchange forbids that",
                )
                continue
            override = OccurrenceOverride(
                date=day,
                start=start if start != original else None,
                duration=duration if duration and duration != meeting.duration else None,
                location=spec.get("location") if spec.get("location") != meeting.location else None,
            )
            if override.start or override.duration or override.location is not None:
                out.append(override)
        return tuple(sorted(out))

    def skips(self, meeting: Meeting) -> tuple[date, ...]:
        out = set()
        for i, text in enumerate(self.doc.get("skip", [])):
            day = date.fromisoformat(text)
            if rec.occurrence_start(meeting, day) is None:
                self.problem(("skip", i), f"{day} is not an occurrence of this meeting")
            else:
                out.add(day)
        return tuple(sorted(out))

    def all_day_length(self, doc: dict) -> timedelta | None:
        """`days: N`, or `duration` of whole days (`2d`, `P2D`) meaning the same; `end` is refused."""
        if "end" in doc:
            self.problem(("end",), "an all-day meeting has `days` (or a duration in whole days), not `end`")
        if "duration" not in doc:
            return timedelta(days=doc.get("days", 1))
        if "days" in doc:
            self.problem(("duration",), "give either `days` or `duration`, not both")
            return None
        length = parse_duration(str(doc["duration"]))
        if length is None or length % timedelta(days=1) or length < timedelta(days=1):
            self.problem(
                ("duration",),
                f"an all-day meeting lasts whole days: use e.g. 2d (or days: 2), not {doc['duration']!r}",
            )
            return None
        return length

    # -- whole meeting ----------------------------------------------------------------------------------

    def build(self) -> Meeting | None:
        doc = self.doc
        if "body" in doc and "body_html" in doc:
            self.problem(("body_html",), "give either `body` or `body_html`, not both")
        zone = self.zone()
        organizer = self.address(doc["organizer"], ("organizer",))
        start = self.start()
        attendees = self.attendees(organizer.address if organizer else "")
        if start is None:
            return None
        all_day = doc.get("all_day", False)
        if all_day:
            duration: timedelta | None = self.all_day_length(doc)
        else:
            if "days" in doc:
                self.problem(("days",), "`days` is for all-day meetings (all_day: true); use `duration`")
            duration = self.duration(start, doc, ())
            if duration is None and "duration" not in doc and "end" not in doc:
                self.problem(("start",), "add `duration` (e.g. 30m) or `end`")
        if (doc.get("skip") or doc.get("moves")) and "repeat" not in doc:
            self.problem(
                ("skip",) if doc.get("skip") else ("moves",),
                "only a repeating meeting has occurrences to skip or move",
            )
            return None
        recurrence = self.recurrence(start)
        if not (zone and organizer and duration) or ("repeat" in doc and recurrence is None):
            return None
        if recurrence:
            gap = _INTERVAL[recurrence.every] * recurrence.interval
            if recurrence.every == "week" and len(recurrence.days) > 1:
                idx = [WEEKDAYS.index(d) for d in recurrence.days]
                gaps = [b - a for a, b in itertools.pairwise(idx)]
                gaps.append(7 * recurrence.interval - idx[-1] + idx[0])
                gap = timedelta(days=min(gaps))
            if duration > gap:
                self.problem(
                    ("duration",) if "duration" in doc else ("end",) if "end" in doc else ("days",),
                    "each occurrence lasts longer than the repeat interval; "
                    f"shorten it to at most {format_duration(gap)}",
                )
                return None
            first = rec.first_start_after(
                Meeting(doc["key"], "", "", start, duration, zone.key, recurrence=recurrence), start
            )
            if first != start:
                self.problem(
                    ("start",),
                    f"{start:%a %Y-%m-%d} is not an occurrence of the repeat pattern; "
                    f"the first one would be {first:%a %Y-%m-%d}"
                    if first
                    else "the repeat pattern has no occurrence at or after the start",
                )
                return None
        reminder_text = doc.get("reminder", "15m")
        meeting = Meeting(
            key=doc["key"],
            subject=doc["subject"],
            organizer=organizer.address,
            start=start,
            duration=duration,
            timezone=zone.key,
            attendees=attendees,
            all_day=all_day,
            recurrence=recurrence,
            location=doc.get("location"),
            online_meeting=doc.get("online_meeting"),
            body=doc.get("body"),
            body_html=doc.get("body_html"),
            categories=tuple(sorted(set(doc.get("categories", ())))),
            reminder=None if reminder_text == "none" else parse_duration(reminder_text),
            show_as=doc.get("show_as", "busy"),
            sensitivity=doc.get("sensitivity", "normal"),
            importance=doc.get("importance", "normal"),
            response_requested=doc.get("response_requested", True),
            allow_new_time_proposal=doc.get("allow_new_time_proposal", True),
            previous_keys=tuple(sorted(set(doc.get("previous_keys", ())))),
            notify=doc.get("notify"),
            uid=doc.get("uid"),
            release=bool(doc.get("release", False)),
        )
        meeting = replace(meeting, skip=self.skips(meeting))
        meeting = replace(meeting, moves=self.moves(meeting))
        return self.holidays(meeting)

    def holidays(self, meeting: Meeting) -> Meeting:
        """Occurrences the holiday calendars remove, added to `skip` (an occurrence with a move keeps it)."""
        value = self.doc.get("skip_holidays")
        if not value:
            return meeting
        codes = [value] if isinstance(value, str) else list(value)
        for i, code in enumerate(codes):
            wrong = holiday_calendars.problem(code)
            if wrong:
                self.problem(("skip_holidays",) if isinstance(value, str) else ("skip_holidays", i), wrong)
        calendars = tuple(sorted({c.upper() for c in codes}))
        meeting = replace(meeting, skip_holidays=calendars)
        if self.problems or meeting.recurrence is None:
            return meeting  # a single meeting has no occurrence to skip: defaults may still name a calendar
        r = meeting.recurrence
        first = meeting.start.date()
        last = (
            r.until
            or (list(rec.pattern_starts(meeting))[-1].date() if r.count else None)
            or date(first.year + holiday_calendars.ENDLESS_YEARS - 1, 12, 31)
        )
        moved = {m.date for m in meeting.moves}
        removed = tuple(
            (day, name)
            for day, name in holiday_calendars.holiday_names(calendars, first, last).items()
            if day not in moved and day not in meeting.skip and rec.occurrence_start(meeting, day) is not None
        )
        skip = tuple(sorted({*meeting.skip, *(day for day, _ in removed)}))
        return replace(meeting, skip=skip, holiday_skips=removed)


def build_meeting(
    doc: Mapping[str, Any], groups: Mapping[str, Sequence[str]]
) -> tuple[Meeting | None, list[Problem]]:
    """The canonical meeting a schema-valid document describes, and every semantic problem in it."""
    builder = _Builder(doc, {name: tuple(members) for name, members in groups.items()})
    meeting = builder.build()
    if meeting is not None and not builder.problems:
        builder.problems += limit_problems(meeting)
    return (meeting if not builder.problems else None), builder.problems
