"""A meeting as canonical JSON data, and the hash of what it asks of the calendar.

The hash is stamped on every managed item as its last-applied spec: a difference between the calendar and
the files that the files did not cause (the hash still matches) is drift. `key`, `previous_keys`, `notify`,
`uid` and the holiday calendars are left out of the hash: they are not on the calendar, and a rename must
not look like a change.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from reconciler.desired.model import Attendee, Attendees, Meeting, OccurrenceOverride, Recurrence

NOT_ON_CALENDAR = ("key", "previous_keys", "notify", "uid", "skip_holidays", "holiday_skips", "release")
"""Left out of the hash (a holiday's date is in `skip`, which is hashed; its calendar's name is not)."""


def plain(value: Any) -> Any:
    """A model value (a meeting, or one of its fields) as plain JSON data: dates ISO, durations seconds."""
    convert = _CONVERTERS.get(type(value))
    if convert is None:
        convert = _CONVERTERS[type(value)] = _converter(type(value))
    return convert(value)


def _converter(kind: type) -> Callable[[Any], Any]:
    """How values of one type become plain data (decided once per type: this runs for every value)."""
    if dataclasses.is_dataclass(kind):
        names = tuple(f.name for f in dataclasses.fields(kind))
        return lambda value: {name: plain(getattr(value, name)) for name in names}
    if issubclass(kind, datetime):
        return lambda value: value.isoformat(timespec="minutes")
    if issubclass(kind, date):
        return lambda value: value.isoformat()
    if issubclass(kind, timedelta):
        return lambda value: int(value.total_seconds())
    if issubclass(kind, (tuple, list)):
        return lambda value: [plain(v) for v in value]
    return lambda value: value


_CONVERTERS: dict[type, Callable[[Any], Any]] = {}


def to_canonical(meeting: Meeting) -> dict[str, Any]:
    """Plain JSON data for a meeting (dates ISO, durations in seconds)."""
    return plain(meeting)


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


HASHED_WHEN_SET = ("online_meeting",)
"""Fields added after meetings were first stamped: left out of the hash while unset, so adding a field to
the model never changes the hash (and re-stamps) every managed meeting."""


def desired_checksum(meetings: Any) -> str:
    """Checksum of the desired state itself (comments and formatting in the files do not count)."""
    return checksum_of([canonical_json(to_canonical(m)) for m in meetings])


def checksum_of(texts: Sequence[str]) -> str:
    """`desired_checksum` from each meeting's `canonical_json` in order (the JSON of the list they make)."""
    return hashlib.sha256(("[" + ",".join(texts) + "]").encode()).hexdigest()


def json_and_spec_hash(meeting: Meeting) -> tuple[str, str]:
    """A meeting's canonical JSON and its spec hash, from one conversion (a loading process's work)."""
    data = to_canonical(meeting)
    return canonical_json(data), _spec_of(data)


def _spec_of(data: dict[str, Any]) -> str:
    stamped = {
        k: v for k, v in data.items() if k not in NOT_ON_CALENDAR and not (k in HASHED_WHEN_SET and v is None)
    }
    return hashlib.sha256(canonical_json(stamped).encode()).hexdigest()[:32]


_SPEC_HASHES: dict[int, tuple[Meeting, str]] = {}
"""Each meeting object's spec hash, by identity (a plan asks for each desired one several times; hashing a
whole meeting to look it up in an `lru_cache` cost as much as the hash itself)."""


def spec_hash(meeting: Meeting) -> str:
    """The hash a meeting is stamped with."""
    known = _SPEC_HASHES.get(id(meeting))
    if known is not None and known[0] is meeting:
        return known[1]
    value = _spec_of(to_canonical(meeting))
    remember_spec_hashes([(meeting, value)])
    return value


def remember_spec_hashes(pairs: Sequence[tuple[Meeting, str]]) -> None:
    """Spec hashes computed elsewhere (in the loading processes), kept for these very objects."""
    if len(_SPEC_HASHES) + len(pairs) > 1 << 17:  # bounded: a long-lived process loads many states
        _SPEC_HASHES.clear()
    _SPEC_HASHES.update((id(m), (m, value)) for m, value in pairs)


def meeting_from_canonical(data: dict[str, Any]) -> Meeting:
    """The inverse of `to_canonical` (plan files carry desired meetings this way)."""

    def people(items: list[dict]) -> tuple[Attendee, ...]:
        return tuple(Attendee(**a) for a in items)

    rec = data.get("recurrence")
    recurrence = None
    if rec:
        recurrence = Recurrence(
            **{
                **rec,
                "days": tuple(rec["days"]),
                "until": date.fromisoformat(rec["until"]) if rec.get("until") else None,
            }
        )
    moves = tuple(
        OccurrenceOverride(
            date=date.fromisoformat(m["date"]),
            start=datetime.fromisoformat(m["start"]) if m.get("start") else None,
            duration=timedelta(seconds=m["duration"]) if m.get("duration") is not None else None,
            location=m.get("location"),
        )
        for m in data.get("moves", [])
    )
    att = data.get("attendees", {})
    return Meeting(
        **{
            **data,
            "start": datetime.fromisoformat(data["start"]),
            "duration": timedelta(seconds=data["duration"]),
            "attendees": Attendees(
                people(att.get("required", [])),
                people(att.get("optional", [])),
                people(att.get("resources", [])),
            ),
            "recurrence": recurrence,
            "skip": tuple(date.fromisoformat(d) for d in data.get("skip", [])),
            "moves": moves,
            "categories": tuple(data.get("categories", [])),
            "reminder": timedelta(seconds=data["reminder"]) if data.get("reminder") is not None else None,
            "previous_keys": tuple(data.get("previous_keys", [])),
            "skip_holidays": tuple(data.get("skip_holidays", [])),
            "holiday_skips": tuple((date.fromisoformat(d), n) for d, n in data.get("holiday_skips", [])),
        }
    )
