"""The desired schedule as iCalendar, for people who would rather look at a calendar than read YAML.

A read-only preview (`METHOD:PUBLISH`): to import into a calendar app or subscribe to, never a way to invite.
It has no ORGANIZER or ATTENDEE properties (nothing in it asks for a reply; the attendees are listed in the
description) and its UIDs are not the meetings' own, so importing it never touches a real invitation.
Written with the `icalendar` library: the RRULE is the one `desired/recurrence.py` expands (dateutil's own
text of it), skips are EXDATEs, moves are overriding VEVENTs with RECURRENCE-ID, and each zone used gets its
VTIMEZONE.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import icalendar

from reconciler.desired.model import Meeting
from reconciler.desired.recurrence import occurrence_start, rule

PRODID = "-//reconciler//schedule preview//EN"
_CLASS = {"normal": "PUBLIC", "personal": "PRIVATE", "private": "PRIVATE", "confidential": "CONFIDENTIAL"}


def preview_uid(namespace: str, key: str) -> str:
    return f"{key}.preview@{namespace}.reconciler"


def _when(meeting: Meeting, local: datetime) -> date | datetime:
    return local.date() if meeting.all_day else local.replace(tzinfo=ZoneInfo(meeting.timezone))


def _rrule(meeting: Meeting) -> icalendar.vRecur:
    assert meeting.recurrence is not None
    text = str(rule(meeting.recurrence, meeting.start)).splitlines()[-1].removeprefix("RRULE:")
    recur = icalendar.vRecur.from_ical(text)
    r = meeting.recurrence
    if not r.until and not r.count:
        recur.pop("UNTIL", None)  # the expansion's own horizon, not the meeting's
    elif r.until:  # RFC 5545: UNTIL has DTSTART's type, and is UTC when DTSTART has a zone
        end_of_day = datetime.combine(r.until, time(23, 59, 59), ZoneInfo(meeting.timezone))
        recur["UNTIL"] = [r.until if meeting.all_day else end_of_day.astimezone(UTC)]
    return recur


def _event(
    meeting: Meeting, namespace: str, start: datetime, duration: timedelta, location: str | None
) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", preview_uid(namespace, meeting.key))
    event.add("summary", meeting.subject)
    event.add("dtstamp", datetime.now(UTC))
    event.add("dtstart", _when(meeting, start))
    event.add("dtend", _when(meeting, start + duration))
    if location:
        event.add("location", location)
    people = [a.address for a in meeting.attendees.all()]
    description = "\n\n".join(
        part
        for part in (
            meeting.body or "",
            f"Organizer: {meeting.organizer}" + (f"\nAttendees: {', '.join(people)}" if people else ""),
            "A preview of the desired schedule, not an invitation.",
        )
        if part
    )
    event.add("description", description)
    event.add("class", _CLASS[meeting.sensitivity])
    event.add("transp", "TRANSPARENT" if meeting.show_as == "free" else "OPAQUE")
    if meeting.categories:
        event.add("categories", list(meeting.categories))
    return event


def events(meeting: Meeting, namespace: str) -> list[icalendar.Event]:
    """The series (or single meeting) and one overriding event per moved occurrence."""
    master = _event(meeting, namespace, meeting.start, meeting.duration, meeting.location)
    if meeting.recurrence is None:
        return [master]
    master.add("rrule", _rrule(meeting))
    for day in meeting.skip:
        original = occurrence_start(meeting, day)
        if original is not None:
            master.add("exdate", _when(meeting, original))
    out = [master]
    for move in meeting.moves:
        original = occurrence_start(meeting, move.date)
        if original is None:
            continue
        location = move.location if move.location is not None else meeting.location
        moved = _event(
            meeting, namespace, move.start or original, move.duration or meeting.duration, location
        )
        moved.add("recurrence-id", _when(meeting, original))
        out.append(moved)
    return out


def to_ical(meetings: Sequence[Meeting], namespace: str, name: str = "reconciler schedule") -> bytes:
    """One VCALENDAR holding `meetings`."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    for meeting in meetings:
        for event in events(meeting, namespace):
            calendar.add_component(event)
    for index, tzid in enumerate(sorted(calendar.get_missing_tzids())):  # as add_missing_timezones() does
        found = _vtimezone(tzid)
        if found is not None:
            calendar.subcomponents.insert(index, found)
    return calendar.to_ical()


@lru_cache(maxsize=64)
def _vtimezone(tzid: str) -> icalendar.Timezone | None:
    """A zone's VTIMEZONE over icalendar's default years, made once per zone (making one walks every
    transition: the bulk of writing a file per meeting); only ever read after."""
    try:
        return icalendar.Timezone.from_tzid(tzid)
    except ValueError:
        return None
