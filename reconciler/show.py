"""`reconciler show KEY`: one meeting as the files say it and as the calendar holds it, side by side."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from reconciler.backends.base import ObservedMeeting
from reconciler.plan.diff import MASTER_FIELDS
from reconciler.spec.canonical import to_canonical
from reconciler.spec.model import Meeting
from reconciler.spec.recurrence import occurrences

FIELDS = (*MASTER_FIELDS, "skip", "moves")


def _cell(value: Any) -> str:
    if isinstance(value, dict) and {"required", "optional", "resources"} <= set(value):
        return (
            "; ".join(f"{k}: {', '.join(a['address'] for a in v)}" for k, v in value.items() if v) or "none"
        )
    if value in (None, [], {}):
        return "none"
    text = " ".join(str(value).split())
    return text if len(text) <= 60 else text[:59] + "…"


def side_by_side(
    desired: Meeting | None, observed: ObservedMeeting | None
) -> list[tuple[str, str, str, bool]]:
    """(field, in the files, in the calendar, differs) for every compared field."""
    want = to_canonical(desired) if desired else {}
    have = to_canonical(observed.meeting) if observed else {}
    return [
        (
            f,
            _cell(want.get(f)) if desired else "-",
            _cell(have.get(f)) if observed else "-",
            bool(desired and observed and want.get(f) != have.get(f)),
        )
        for f in FIELDS
    ]


def render(key: str, desired: Meeting | None, observed: ObservedMeeting | None, upcoming: int = 5) -> str:
    lines = [
        f"{key}: "
        + ("in the files" if desired else "not in the files")
        + " · "
        + (
            f"in {observed.meeting.organizer}'s calendar (item {observed.item_id[:16]}…, "
            f"last-applied hash {observed.marker.spec_hash[:12]})"
            if observed
            else "not in any calendar read"
        )
    ]
    rows = side_by_side(desired, observed)
    width = max(len(r[1]) for r in rows)
    lines.append(f"  {'field':<24} {'files':<{width}}  calendar")
    for field, files, calendar, differs in rows:
        lines.append(f"{'!' if differs else ' '} {field:<24} {files:<{width}}  {calendar}")
    if desired:
        now = datetime.now(UTC)
        found = occurrences(desired, now, now + timedelta(days=400))[:upcoming]
        lines.append(
            "next occurrences: " + (", ".join(f"{o.start:%a %Y-%m-%d %H:%M}" for o in found) or "none")
        )
    return "\n".join(lines)


def raw_fields(fields: dict[str, Any]) -> str:
    """A calendar item's fields as the backend read them (`raw_item`), for troubleshooting."""
    return "\n".join(
        f"  {name}: {value!r}"[:300]
        for name, value in fields.items()
        if value is not None and not (isinstance(value, (list, str, dict)) and not value)
    )
