"""Files × calendar × what the server kept: which fields of a meeting to write, and which drifted. Pure.

Three comparisons, per field of the series master (`backends/baseline.py` says what is remembered and why):
- the server kept the field differently when the reconciler last wrote it (an entry): the field drifted when
  the calendar no longer holds what the server kept, and the files changed it when they no longer say what
  was applied. Nothing else counts, so a rewrite is never mistaken for an edit, whatever the rewrite was;
- the server kept it as written (no entry): the calendar and the files are compared directly;
- nothing is remembered of the meeting (applied by an earlier version, or an apply stopped before it read
  its items back): the calendar and the files are compared directly, except that what a server is known to
  do to a body (an HTML document around it, CRLF, whitespace, a Teams join block after it) is learned as
  what the server kept, without a message.
Display names are cosmetic everywhere: attendees are compared by address and kind only.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from reconciler.backends.base import ObservedMeeting
from reconciler.backends.baseline import Entry, Kept
from reconciler.desired.canonical import canonical_json, plain, spec_hash
from reconciler.desired.model import Attendee, Attendees, Meeting

MASTER_FIELDS = (
    "subject",
    "start",
    "duration",
    "timezone",
    "all_day",
    "recurrence",
    "attendees",
    "location",
    "online_meeting",
    "body",
    "body_html",
    "categories",
    "reminder",
    "show_as",
    "sensitivity",
    "importance",
    "response_requested",
    "allow_new_time_proposal",
)
"""Fields compared on the series master; occurrence-level ones (skip, moves) are compared separately."""
BODY = ("body", "body_html")


def comparable(field: str, value: Any) -> Any:
    """The part of a field that counts: attendees without their display names (a directory renames them)."""
    if field == "attendees" and isinstance(value, Attendees):
        return Attendees(*(tuple(Attendee(a.address) for a in getattr(value, k)) for k in _KINDS))
    return value


_KINDS = ("required", "optional", "resources")


def differs(field: str, want: Any, have: Any) -> bool:
    if want == have:
        return False
    want, have = comparable(field, want), comparable(field, have)
    return want != have and plain(want) != plain(have)  # plain data only when the values themselves differ


_HEAD = re.compile(r"<head\b.*?</head>|<style\b.*?</style>|<!--.*?-->", re.IGNORECASE | re.DOTALL)
_BREAK = re.compile(r"<(br|/p|/div|/tr|/li|/h\d)\b[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


def body_text(meeting: Meeting) -> str:
    """A meeting's body as words: markup, an HTML document's head, line ends and spacing left out."""
    if meeting.body_html is not None:
        text = html.unescape(_TAG.sub(" ", _BREAK.sub(" ", _HEAD.sub("", meeting.body_html))))
    else:
        text = meeting.body or ""
    return " ".join(text.replace("\xa0", " ").split())


def kept_as_known(field: str, desired: Meeting, observed: Meeting) -> bool:
    """Whether the calendar's value is what a server is known to make of the files' value (bodies only)."""
    if field not in BODY:
        return False
    want, have = body_text(desired), body_text(observed)
    return want == have or bool(desired.online_meeting and want and have.startswith(want))


@dataclass(frozen=True)
class Comparison:
    """What one meeting needs."""

    fields: tuple[str, ...]
    """Fields to write (the files changed them, or the calendar drifted from them)."""
    drifted: tuple[str, ...]
    """Of those, the ones the calendar changed after the reconciler's last write, as far as is known."""
    entry: Entry | None
    """What to remember of the meeting after this plan (the entry read, or one learned now)."""
    accepted: bool = False
    """The files changed to what the calendar holds (`pull`): nothing to write, not even the marker."""


UNITS: tuple[tuple[str, ...], ...] = tuple(
    BODY if f == "body" else (f,) for f in MASTER_FIELDS if f != "body_html"
)
"""What is compared and remembered as one: a field, or the body (text or HTML, the server may turn one into
the other: Graph answers a text body as HTML)."""


def _values(unit: tuple[str, ...], meeting: Meeting) -> tuple[Any, ...]:
    return tuple(comparable(f, getattr(meeting, f)) for f in unit)


def applied(unit: tuple[str, ...], meeting: Meeting) -> str:
    """The digest of what the files give for `unit`."""
    return hashlib.sha256(canonical_json(plain(_values(unit, meeting))).encode()).hexdigest()[:12]


def held(unit: tuple[str, ...], meeting: Meeting) -> str:
    """The digest of what the calendar holds for `unit`: for the body, its words (the same whichever
    protocol reads it and in whichever form it answers; a change of markup alone is not an edit)."""
    if unit == BODY:
        return hashlib.sha256(body_text(meeting).encode()).hexdigest()[:12]
    return applied(unit, meeting)


def _differing(unit: tuple[str, ...], desired: Meeting, observed: Meeting) -> tuple[str, ...]:
    return tuple(f for f in unit if differs(f, getattr(desired, f), getattr(observed, f)))


def compare(desired: Meeting, observed: ObservedMeeting, entry: Entry | None, now: str) -> Comparison:
    """The fields of `observed` to bring to `desired`, given what was remembered of it."""
    valid = entry if entry is not None and entry.spec_hash == observed.marker.spec_hash else None
    wanted = spec_hash(desired)
    files_changed = wanted != observed.marker.spec_hash and not (valid and valid.accepted == wanted)
    have = observed.meeting
    fields: list[str] = []
    drifted: list[str] = []
    learned: dict[str, Kept] = {}
    for unit in UNITS:
        differing = _differing(unit, desired, have)
        kept = valid.fields.get(unit[0]) if valid else None
        if kept is not None:
            drift = held(unit, have) != kept.kept
            if drift or applied(unit, desired) != kept.applied:
                fields += differing or unit
                drifted += (differing or unit) if drift else ()
            continue
        if not differing:
            continue
        if valid is None and kept_as_known(unit[0], desired, have):
            learned[unit[0]] = Kept(applied(unit, desired), held(unit, have))
            continue
        fields += differing
        if not files_changed:
            drifted += differing
    if valid is None and learned:
        entry = Entry(observed.marker.spec_hash, MappingProxyType(learned), now)
    elif valid is None:
        entry = None
    same_occurrences = (desired.skip, desired.moves) == (have.skip, have.moves)
    accepted = not fields and same_occurrences and wanted != observed.marker.spec_hash
    if accepted and (entry is None or entry.accepted != wanted):
        entry = replace(entry or Entry(observed.marker.spec_hash, MappingProxyType({}), now), accepted=wanted)
    return Comparison(tuple(fields), tuple(drifted), entry, accepted)


def recorded(desired: Meeting, observed: ObservedMeeting, now: str) -> Entry | None:
    """What to remember of a meeting just written and read back: each field the server kept differently."""
    kept = {
        unit[0]: Kept(applied(unit, desired), held(unit, observed.meeting))
        for unit in UNITS
        if _differing(unit, desired, observed.meeting)
    }
    return Entry(observed.marker.spec_hash, MappingProxyType(kept), now) if kept else None
