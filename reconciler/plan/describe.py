"""Short human descriptions of what changes in a meeting, for the plan a reviewer reads."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reconciler.desired.durations import format_duration
from reconciler.desired.model import Meeting
from reconciler.desired.schedule import describe_pattern
from reconciler.plan.changes import FieldChange


def _short(value: Any, limit: int = 40) -> str:
    if value is None:
        return "none"
    text = " ".join(str(value).split())
    return f'"{text[: limit - 1]}…"' if len(text) > limit else f'"{text}"'


def _people(value: dict[str, list[dict]]) -> set[str]:
    return {a["address"] for kind in ("required", "optional", "resources") for a in value.get(kind, [])}


def describe_field(change: FieldChange, desired: Meeting | None, observed: Meeting | None) -> str:
    f, before, after = change.field, change.before, change.after
    if f == "attendees":
        old, new = _people(before), _people(after)
        parts = [f"+ {a}" for a in sorted(new - old)] + [f"− {a}" for a in sorted(old - new)]
        return "; ".join(parts) or "attendee details"
    if f == "start":
        same_day = str(before)[:10] == str(after)[:10]
        return (
            f"start {str(before)[11:16] if same_day else before} → {str(after)[11:16] if same_day else after}"
        )
    if f in ("duration", "reminder"):

        def fmt(v: Any) -> str:
            from datetime import timedelta

            return "none" if v is None else format_duration(timedelta(seconds=v))

        return f"{f} {fmt(before)} → {fmt(after)}"
    if f == "recurrence" and desired and observed:
        return f"repeat {describe_pattern(observed)} → {describe_pattern(desired)}"
    if f in ("body", "body_html"):
        return f"{f.replace('_', ' ')} changed"
    return f"{f.replace('_', ' ')} {_short(before)} → {_short(after)}"


def describe_fields(fields: Sequence[FieldChange], desired: Meeting | None, observed: Meeting | None) -> str:
    parts = [describe_field(c, desired, observed) for c in fields]
    if desired and observed:
        added = sorted(set(desired.skip) - set(observed.skip))
        undone = sorted(set(observed.skip) - set(desired.skip))
        names = dict(desired.holiday_skips)
        parts += [f"skip {d}" + (f" ({names[d]})" if d in names else "") for d in added]
        parts += [f"unskip {d}" for d in undone]
        want = {m.date: m for m in desired.moves}
        have = {m.date: m for m in observed.moves}
        for day in sorted(set(want) | set(have)):
            if want.get(day) != have.get(day):
                m = want.get(day)
                to = (
                    f"{m.start:%Y-%m-%d %H:%M}" if m and m.start else (m.location if m and m.location else "")
                )
                parts.append(f"move {day} → {to}" if m else f"move {day} back")
    elif desired and not observed:
        parts.append(describe_pattern(desired))
        if desired.skip:
            holidays = len(desired.holiday_skips)
            parts.append(f"{len(desired.skip)} skipped" + (f" ({holidays} for holidays)" if holidays else ""))
        if desired.moves:
            parts.append(f"{len(desired.moves)} moved")
    return "; ".join(parts)
