"""`reconciler show KEY`: one meeting for people: as the files say it, as the calendar holds it, the
differences, the next occurrences, and each attendee's answer with its time.

Values are written as a person reads them ("every 2 weeks on Tue 10:00–12:00", "30m", dates), never as
Python objects. On a terminal the fields and answers are rich tables; elsewhere plain text with the same
content; `--format json` gives tools the same content as data.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from reconciler.backends.base import ObservedMeeting
from reconciler.backends.baseline import Entry
from reconciler.desired.canonical import plain
from reconciler.desired.durations import format_duration
from reconciler.desired.model import Meeting
from reconciler.desired.schedule import describe_pattern, next_occurrences
from reconciler.inert import inert
from reconciler.plan.baseline import MASTER_FIELDS, UNITS, compare, differs
from reconciler.responses import Reasons, answers_data, attendee_lines, room_answer
from reconciler.responses import to_data as to_answers

FIELDS = (*MASTER_FIELDS, "skip", "moves")


def _short(text: str) -> str:
    return inert(" ".join(text.split()), 60)


def human(meeting: Meeting, field: str) -> str:
    """One field of a meeting as a person reads it."""
    value = getattr(meeting, field)
    if field == "start":
        return f"{value:%Y-%m-%d}" if meeting.all_day else f"{value:%Y-%m-%d %H:%M}"
    if field in ("duration", "reminder"):
        return format_duration(value) if value else "none"
    if field == "recurrence":
        return describe_pattern(meeting) if value else "once"
    if field == "attendees":
        parts = [
            f"{kind}: {', '.join(a.address for a in getattr(value, kind))}"
            for kind in ("required", "optional", "resources")
            if getattr(value, kind)
        ]
        return "; ".join(parts) or "none"
    if field == "skip":
        names = dict(meeting.holiday_skips)
        dates = ", ".join(f"{d}" + (f" ({names[d]})" if d in names else "") for d in value)
        return f"{len(value)}: {dates}" if len(value) > 3 else dates or "none"
    if field == "moves":
        return (
            ", ".join(
                f"{m.date} → "
                + ", ".join(
                    p
                    for p in (
                        f"{m.start:%Y-%m-%d %H:%M}" if m.start else "",
                        format_duration(m.duration) if m.duration else "",
                        m.location or "",
                    )
                    if p
                )
                for m in value
            )
            or "none"
        )
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple):
        return inert(", ".join(str(v) for v in value)) or "none"
    return "none" if value is None else _short(str(value))


DIFFERS, KEPT = "!", "~"
"""Marks of a field: differs (a plan writes it), or kept by the server in its own form (not a difference)."""


def states(
    desired: Meeting | None, observed: ObservedMeeting | None, entry: Entry | None
) -> tuple[dict[str, str], tuple[str, ...]]:
    """Each field's mark (DIFFERS, KEPT or ""), and the fields edited in the calendar since the last apply."""
    if desired is None or observed is None:
        return {}, ()
    known = compare(desired, observed, entry, "")
    remembered = known.entry.fields if known.entry else {}
    own_form = {
        f
        for unit in UNITS
        if unit[0] in remembered
        for f in unit
        if differs(f, getattr(desired, f), getattr(observed.meeting, f))
    }
    marks = {f: DIFFERS if f in known.fields else KEPT if f in own_form else "" for f in MASTER_FIELDS}
    for f in ("skip", "moves"):
        marks[f] = DIFFERS if plain(getattr(desired, f)) != plain(getattr(observed.meeting, f)) else ""
    return marks, known.drifted


def side_by_side(
    desired: Meeting | None, observed: ObservedMeeting | None, entry: Entry | None = None
) -> list[tuple[str, str, str, str]]:
    """(field, in the files, in the calendar, mark) for every compared field."""
    have = observed.meeting if observed else None
    marks, _ = states(desired, observed, entry)
    return [
        (f, human(desired, f) if desired else "-", human(have, f) if have else "-", marks.get(f, ""))
        for f in FIELDS
    ]


def since(desired: Meeting | None, observed: ObservedMeeting | None, entry: Entry | None) -> str:
    """Which fields differ and since when, in words."""
    if desired is None or observed is None:
        return ""
    marks, drifted = states(desired, observed, entry)
    differing = [f for f in FIELDS if marks.get(f) == DIFFERS]
    applied = (
        f"last applied {entry.at}" if entry and entry.at else "last applied before anything was recorded"
    )
    by = f" by {observed.modified_by}" if observed.modified_by else ""
    changed = (
        f"; the calendar item last changed {observed.modified:%Y-%m-%d %H:%M} UTC{by}"
        if observed.modified
        else ""
    )
    kept = [f for f in FIELDS if marks.get(f) == KEPT]
    lines = []
    if differing:
        edited = f"; edited in the calendar: {', '.join(drifted)}" if drifted else ""
        lines.append(f"differs: {', '.join(differing)}{edited}; {applied}{changed}")
    else:
        lines.append(f"no difference; {applied}{changed}")
    if kept:
        lines.append(f"kept by the server in its own form (not a difference, {KEPT}): {', '.join(kept)}")
    return "\n".join(lines)


def upcoming(desired: Meeting | None) -> tuple[str, ...]:
    return next_occurrences(desired, datetime.now(UTC))


def heading(key: str, desired: Meeting | None, observed: ObservedMeeting | None) -> str:
    where = (
        f"in {observed.meeting.organizer}'s calendar (item {observed.item_id[:16]}…, "
        f"last-applied hash {observed.marker.spec_hash[:12]})"
        if observed
        else "not in any calendar read"
    )
    return f"{key}: {'in the files' if desired else 'not in the files'} · {where}"


def render(
    key: str,
    desired: Meeting | None,
    observed: ObservedMeeting | None,
    entry: Entry | None = None,
    reasons: Reasons | None = None,
) -> str:
    """Plain text (what a pipe or a log gets)."""
    lines = [heading(key, desired, observed)]
    rows = [(f, _short(a), _short(b), m) for f, a, b, m in side_by_side(desired, observed, entry)]
    width = max(len(r[1]) for r in rows)
    lines.append(f"  {'field':<24} {'files':<{width}}  calendar")
    for field, files, calendar, mark in rows:
        lines.append(f"{mark or ' '} {field:<24} {files:<{width}}  {calendar}")
    if since(desired, observed, entry):
        lines.append(since(desired, observed, entry))
    if observed and observed.join_url:
        lines.append(f"join online: {observed.join_url}")
    if observed:
        lines.append("attendees' answers:")
        lines += attendee_lines(observed, reasons)
    if desired:
        lines.append("next occurrences: " + (", ".join(upcoming(desired)) or "none"))
    return "\n".join(lines)


def to_data(
    key: str,
    desired: Meeting | None,
    observed: ObservedMeeting | None,
    entry: Entry | None = None,
    reasons: Reasons | None = None,
) -> dict[str, Any]:
    rows = side_by_side(desired, observed, entry)
    _, drifted = states(desired, observed, entry)
    return {
        "key": key,
        "files": plain(desired) if desired else None,
        "calendar": plain(observed.meeting) if observed else None,
        "item_id": observed.item_id if observed else None,
        "join_url": observed.join_url if observed else None,
        "differences": [field for field, _, _, mark in rows if mark == DIFFERS],
        "edited_in_calendar": list(drifted),
        "kept_by_server": [field for field, _, _, mark in rows if mark == KEPT],
        "last_applied": entry.at if entry and entry.at else None,
        "calendar_changed": observed.modified.isoformat() if observed and observed.modified else None,
        "calendar_changed_by": observed.modified_by if observed else None,
        "next_occurrences": upcoming(desired),
        "responses": answers_data(observed.responses) if observed else [],
        "rooms": (to_answers([observed], reasons)[0]["rooms"] if observed else []),
    }


def print_rich(
    key: str,
    desired: Meeting | None,
    observed: ObservedMeeting | None,
    entry: Entry | None = None,
    reasons: Reasons | None = None,
) -> None:
    """The same content as `render`, as tables on a terminal. Meeting text is never read as rich markup."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(highlight=False)
    console.print(Text(heading(key, desired, observed), style="bold"))
    fields = Table(show_header=True, header_style="bold")
    for column in ("", "field", "files", "calendar"):
        fields.add_column(column)
    for field, files, calendar, mark in side_by_side(desired, observed, entry):
        style = "yellow" if mark == DIFFERS else "dim" if mark == KEPT else ""
        fields.add_row(*(Text(cell, style=style) for cell in (mark, field, files, calendar)))
    console.print(fields)
    if since(desired, observed, entry):
        console.print(Text(since(desired, observed, entry)))
    if observed and observed.join_url:
        console.print(Text(f"join online: {observed.join_url}"))
    if observed and observed.responses:
        answers = Table(title="attendees' answers", show_header=True, header_style="bold")
        for column in ("attendee", "kind", "answer", "when"):
            answers.add_column(column)
        colour = {"accepted": "green", "tentative": "yellow", "declined": "red"}
        for r in observed.responses:
            when = f"{r.at:%Y-%m-%d %H:%M} UTC" if r.at else ""
            said = room_answer(observed, r, reasons or {}) if r.kind == "resource" else r.answer
            answers.add_row(
                Text(r.address), Text(r.kind), Text(inert(said), style=colour.get(r.answer, "")), Text(when)
            )
        console.print(answers)
    if desired:
        console.print(Text("next occurrences: " + (", ".join(upcoming(desired)) or "none")))


def raw_fields(fields: dict[str, Any]) -> str:
    """A calendar item's fields as the backend read them (`raw_item`), for troubleshooting."""
    return "\n".join(
        f"  {name}: {value!r}"[:300]
        for name, value in fields.items()
        if value is not None and not (isinstance(value, (list, str, dict)) and not value)
    )
