"""A canonical `Meeting` written back as a meeting document (what `reconciler import` saves).

The inverse of the builder: `build_meeting(to_document(m), {}) == m` for every meeting the model can hold,
so an imported file describes exactly what the calendar holds. Defaults are left out to keep files short.
"""

from __future__ import annotations

from typing import Any

from reconciler.desired.durations import format_duration
from reconciler.desired.model import Attendee, Meeting

DEFAULTS = {
    "show_as": "busy",
    "sensitivity": "normal",
    "importance": "normal",
    "response_requested": True,
    "allow_new_time_proposal": True,
}


def _entry(a: Attendee) -> str:
    return f"{a.name} <{a.address}>" if a.name else a.address


def _repeat(m: Meeting) -> dict[str, Any]:
    r = m.recurrence
    assert r is not None
    out: dict[str, Any] = {"every": r.every}
    if r.interval != 1:
        out["interval"] = r.interval
    if r.every == "week":
        out["days"] = list(r.days)
    if r.every in ("month", "year"):
        if r.weekday and r.week:
            out["weekday"], out["week"] = r.weekday, r.week
        elif r.day_of_month:
            out["day_of_month"] = r.day_of_month
    if r.every == "year" and r.month:
        out["month"] = r.month
    if r.until:
        out["until"] = r.until.isoformat()
    if r.count:
        out["count"] = r.count
    return out


def to_document(m: Meeting) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "key": m.key,
        "subject": m.subject,
        "organizer": m.organizer,
        "timezone": m.timezone,
    }
    if m.uid:
        doc["uid"] = m.uid
    people = {
        kind: [_entry(a) for a in getattr(m.attendees, kind)]
        for kind in ("required", "optional", "resources")
    }
    if any(people.values()):
        doc["attendees"] = {k: v for k, v in people.items() if v}
    if m.all_day:
        doc.update(all_day=True, start=m.start.date().isoformat(), days=m.duration.days)
    else:
        doc.update(start=m.start.strftime("%Y-%m-%dT%H:%M"), duration=format_duration(m.duration))
    if m.recurrence:
        doc["repeat"] = _repeat(m)
    if m.skip_holidays:
        doc["skip_holidays"] = list(m.skip_holidays)
    by_holiday = {d for d, _ in m.holiday_skips}
    if set(m.skip) - by_holiday:
        doc["skip"] = [d.isoformat() for d in m.skip if d not in by_holiday]
    if m.moves:
        doc["moves"] = []
        for o in m.moves:
            move: dict[str, Any] = {"date": o.date.isoformat()}
            if o.start:
                move["start"] = o.start.strftime("%Y-%m-%dT%H:%M")
            if o.duration:
                move["duration"] = format_duration(o.duration)
            if o.location is not None:
                move["location"] = o.location
            doc["moves"].append(move)
    for name in ("location", "online_meeting", "body", "body_html"):
        if getattr(m, name) is not None:
            doc[name] = getattr(m, name)
    if m.categories:
        doc["categories"] = list(m.categories)
    doc["reminder"] = format_duration(m.reminder) if m.reminder else "none"
    for name, default in DEFAULTS.items():
        if getattr(m, name) != default:
            doc[name] = getattr(m, name)
    return doc
