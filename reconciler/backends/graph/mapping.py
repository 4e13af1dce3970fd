"""The canonical `Meeting` ⇄ a Graph `event`'s JSON. Pure: no requests.

Round trip (model → event → model) is the identity for every shape the model has, with the same two
Exchange facts as over EWS: the calendar keeps a Windows zone (the marker's applied IANA zone wins while it
still maps to it), and "every n years" is sent as every 12·n months (EWS has no yearly interval, and both
backends must write the same series). Times are read in UTC (`Prefer: outlook.timezone="UTC"`).

Skips and moves are read from the series' instances (Graph v1.0 has no list of exceptions on the master):
a pattern date with no instance is skipped; an `exception` whose times or location differ is moved.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from exchangelib.winzone import IANA_TO_MS_TIMEZONE_MAP, MS_TIMEZONE_TO_IANA_MAP

from reconciler.backends.base import Response
from reconciler.desired import model
from reconciler.desired.model import Attendee, Attendees, Meeting, OccurrenceOverride
from reconciler.desired.recurrence import rule

SHOW_AS = {
    "free": "free",
    "tentative": "tentative",
    "busy": "busy",
    "oof": "oof",
    "working_elsewhere": "workingElsewhere",
}
DAY_NAMES = dict(
    zip(
        model.WEEKDAYS,
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
        strict=True,
    )
)
SELECT = (
    "subject,body,start,end,originalStartTimeZone,isAllDay,location,categories,isReminderOn,"
    "reminderMinutesBeforeStart,showAs,sensitivity,importance,responseRequested,allowNewTimeProposals,"
    "attendees,recurrence,type,iCalUId,organizer,isOrganizer,isCancelled,isDraft,changeKey,isOnlineMeeting,"
    "onlineMeetingProvider,onlineMeeting,lastModifiedDateTime,createdDateTime"
)
"""The properties observe reads (`$select`): what the model needs, and no more."""
INSTANCE_SELECT = "type,start,end,originalStart,location"
HORIZON = timedelta(days=2 * 366)
"""How far past today the exceptions of a series without end are read (from its start when it is later)."""

# Model field → the event properties that carry it (what a PATCH sends).
PROPERTIES: dict[str, tuple[str, ...]] = {
    "subject": ("subject",),
    "location": ("location",),
    "body": ("body",),
    "body_html": ("body",),
    "categories": ("categories",),
    "reminder": ("isReminderOn", "reminderMinutesBeforeStart"),
    "show_as": ("showAs",),
    "sensitivity": ("sensitivity",),
    "importance": ("importance",),
    "response_requested": ("responseRequested",),
    "allow_new_time_proposal": ("allowNewTimeProposals",),
    "attendees": ("attendees",),
    "start": ("start", "end"),
    "duration": ("start", "end"),
    "timezone": ("start", "end"),
    "all_day": ("isAllDay", "start", "end"),
    "recurrence": ("recurrence",),
    "online_meeting": ("isOnlineMeeting", "onlineMeetingProvider"),
}
TEAMS = "teamsForBusiness"


def local_time(moment: datetime, tz: str) -> dict[str, str]:
    """A naive wall-clock time in `tz` as Graph's dateTimeTimeZone."""
    return {"dateTime": moment.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": tz}


def recurrence_json(meeting: Meeting) -> dict[str, Any] | None:
    r = meeting.recurrence
    if r is None:
        return None
    first = meeting.start.date()
    pattern: dict[str, Any] = {"interval": r.interval, "firstDayOfWeek": "monday"}
    if r.every == "day":
        pattern["type"] = "daily"
    elif r.every == "week":
        pattern.update(type="weekly", daysOfWeek=[DAY_NAMES[d] for d in r.days])
    else:
        monthly = r.every == "month" or r.interval > 1
        pattern["interval"] = r.interval * (12 if r.every == "year" else 1) if monthly else 1
        relative = bool(r.weekday and r.week)
        pattern["type"] = ("relative" if relative else "absolute") + ("Monthly" if monthly else "Yearly")
        if relative:
            pattern.update(daysOfWeek=[DAY_NAMES[r.weekday]], index=r.week)  # type: ignore[index]
        else:
            pattern["dayOfMonth"] = r.day_of_month or first.day
        if not monthly:
            pattern["month"] = r.month or first.month
    rng: dict[str, Any] = {"startDate": first.isoformat(), "recurrenceTimeZone": meeting.timezone}
    if r.until:
        rng.update(type="endDate", endDate=r.until.isoformat())
    elif r.count:
        rng.update(type="numbered", numberOfOccurrences=r.count)
    else:
        rng["type"] = "noEnd"
    return {"pattern": pattern, "range": rng}


def _people(kind: str, attendees: tuple[Attendee, ...]) -> list[dict[str, Any]]:
    return [
        {"type": kind, "emailAddress": {"address": a.address, **({"name": a.name} if a.name else {})}}
        for a in attendees
    ]


def event_json(meeting: Meeting, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The event properties for the desired meeting (all of them, or those carrying `fields`)."""
    a = meeting.attendees
    body = (
        {"contentType": "html", "content": meeting.body_html}
        if meeting.body_html is not None
        else {"contentType": "text", "content": meeting.body or ""}
    )
    everything: dict[str, Any] = {
        "subject": meeting.subject,
        "start": local_time(meeting.start, meeting.timezone),
        "end": local_time(meeting.end, meeting.timezone),
        "isAllDay": meeting.all_day,
        "location": {"displayName": meeting.location or ""},
        "body": body,
        "categories": list(meeting.categories),
        "isReminderOn": meeting.reminder is not None,
        "reminderMinutesBeforeStart": int(meeting.reminder.total_seconds() // 60) if meeting.reminder else 0,
        "showAs": SHOW_AS[meeting.show_as],
        "sensitivity": meeting.sensitivity,
        "importance": meeting.importance,
        "responseRequested": meeting.response_requested,
        "allowNewTimeProposals": meeting.allow_new_time_proposal,
        "attendees": _people("required", a.required)
        + _people("optional", a.optional)
        + _people("resource", a.resources),
        "recurrence": recurrence_json(meeting),
        "isOnlineMeeting": meeting.online_meeting == "teams",
        **({"onlineMeetingProvider": TEAMS} if meeting.online_meeting == "teams" else {}),
    }
    if fields is None:
        return everything
    wanted = {p for f in fields for p in PROPERTIES.get(f, ())}
    return {k: v for k, v in everything.items() if k in wanted}


# -- reading back ------------------------------------------------------------------------------------------


def utc(value: dict[str, Any] | str) -> datetime:
    """A dateTimeTimeZone read in UTC, or a DateTimeOffset string, as an aware datetime."""
    text = value["dateTime"] if isinstance(value, dict) else value
    text = text.replace("Z", "")
    if "." in text:
        text = text[: text.index(".")]
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _windows(iana: str) -> str | None:
    found = IANA_TO_MS_TIMEZONE_MAP.get(iana)
    return found[0] if found else None


def event_zone(event: dict[str, Any], applied: str | None) -> str:
    """The meeting's IANA zone: the one applied while the calendar still holds its Windows zone."""
    held = event.get("originalStartTimeZone")
    if not held:
        return applied or "UTC"
    if applied and held in (applied, _windows(applied)):
        return applied
    name = MS_TIMEZONE_TO_IANA_MAP.get(held, held)
    try:
        ZoneInfo(name)
    except (KeyError, ValueError, OSError):
        return applied or "UTC"
    return name


def recurrence_from_json(value: dict[str, Any] | None) -> model.Recurrence | None:
    if not value:
        return None
    p, r = value.get("pattern") or {}, value.get("range") or {}
    kind, interval = p.get("type"), int(p.get("interval") or 1)
    rng_type = r.get("type")
    common = {
        "until": date.fromisoformat(r["endDate"]) if rng_type == "endDate" else None,
        "count": int(r["numberOfOccurrences"]) if rng_type == "numbered" else None,
    }
    back = {v: k for k, v in DAY_NAMES.items()}
    days = tuple(d for d in model.WEEKDAYS if DAY_NAMES[d] in (p.get("daysOfWeek") or []))
    if kind == "daily":
        return model.Recurrence("day", interval, **common)
    if kind == "weekly":
        return model.Recurrence("week", interval, days=days, **common)
    every, month = "year", int(p.get("month") or 0) or None
    if kind in ("absoluteMonthly", "relativeMonthly"):
        if interval % 12 == 0 and interval > 12:
            interval //= 12
            month = date.fromisoformat(r["startDate"]).month
        else:
            every, month = "month", None
    else:
        interval = 1
    if kind.startswith("relative"):
        weekday = back.get((p.get("daysOfWeek") or ["monday"])[0])
        return model.Recurrence(
            every,
            interval,
            weekday=weekday,
            week=p.get("index") or "first",  # type: ignore
            month=month,
            **common,
        )
    return model.Recurrence(
        every,
        interval,
        day_of_month=int(p.get("dayOfMonth") or 1) or None,  # type: ignore
        month=month,
        **common,
    )


def series_window(series: Meeting, now: datetime) -> tuple[datetime, datetime]:
    """A window (aware UTC) that holds every occurrence of a series, as far as observe reads them."""
    assert series.recurrence is not None
    tz = ZoneInfo(series.timezone)
    first = series.start.replace(tzinfo=tz).astimezone(UTC)
    r = series.recurrence
    if r.until:
        last = datetime.combine(r.until, time(), tz).astimezone(UTC) + timedelta(days=1)
    elif r.count:
        last = list(rule(r, series.start))[-1].replace(tzinfo=tz).astimezone(UTC) + series.duration
    else:
        last = max(now, first) + HORIZON
    return first - timedelta(days=1), last + timedelta(days=1)


def _wall(moment: datetime, tz: ZoneInfo) -> datetime:
    """Naive wall-clock time in `tz`."""
    return moment.astimezone(tz).replace(tzinfo=None)


def with_exceptions(series: Meeting, instances: list[dict[str, Any]], window_end: datetime) -> Meeting:
    """The series with the skips and moves its instances in [start, `window_end`) show: a pattern date with
    no instance is skipped; an `exception` whose times or location differ is moved."""
    tz = ZoneInfo(series.timezone)
    assert series.recurrence is not None
    seen: set[date] = set()
    moves = []
    for inst in instances:
        original = _wall(utc(inst.get("originalStart") or inst["start"]), tz)
        seen.add(original.date())
        if inst.get("type") != "exception":
            continue
        new_start = _wall(utc(inst["start"]), tz)
        new_duration = _wall(utc(inst["end"]), tz) - new_start
        where = (inst.get("location") or {}).get("displayName") or None
        override = OccurrenceOverride(
            date=original.date(),
            start=new_start if new_start != original else None,
            duration=new_duration if new_duration != series.duration else None,
            location=where if where != series.location else None,
        )
        if override.start or override.duration or override.location is not None:
            moves.append(override)
    limit = _wall(window_end, tz)
    expected = set()
    for s in rule(series.recurrence, series.start):
        if s >= limit:
            break
        expected.add(s.date())
    return replace(series, skip=tuple(sorted(expected - seen)), moves=tuple(sorted(moves)))


def meeting_from_event(event: dict[str, Any], key: str, organizer: str, applied_zone: str | None) -> Meeting:
    """The model of what the calendar holds (the reverse of `event_json`); a series' skips and moves are
    added from its instances by `with_exceptions`."""
    tz_name = event_zone(event, applied_zone)
    tz = ZoneInfo(tz_name)
    start = _wall(utc(event["start"]), tz)
    duration = _wall(utc(event["end"]), tz) - start
    recurrence = recurrence_from_json(event.get("recurrence"))
    location = (event.get("location") or {}).get("displayName") or None

    def people(kind: str) -> tuple[Attendee, ...]:
        out = []
        for a in event.get("attendees") or []:
            if a.get("type", "required") != kind:
                continue
            box = a.get("emailAddress") or {}
            address, name = (box.get("address") or "").lower(), box.get("name")
            out.append(Attendee(address, name if name and name.lower() != address else None))
        return tuple(sorted(out))

    body = event.get("body") or {}
    content = body.get("content") or None
    html = str(body.get("contentType", "text")).lower() == "html"
    show_as = {v: k for k, v in SHOW_AS.items()}
    return Meeting(
        key=key,
        subject=event.get("subject") or "",
        organizer=organizer,
        start=start,
        duration=duration,
        timezone=tz_name,
        all_day=bool(event.get("isAllDay")),
        attendees=Attendees(people("required"), people("optional"), people("resource")),
        recurrence=recurrence,
        location=location,
        online_meeting="teams"
        if event.get("isOnlineMeeting") and event.get("onlineMeetingProvider") == TEAMS
        else None,
        body=content if not html else None,
        body_html=content if html else None,
        categories=tuple(sorted(event.get("categories") or ())),
        reminder=timedelta(minutes=int(event.get("reminderMinutesBeforeStart") or 0))
        if event.get("isReminderOn")
        else None,
        show_as=show_as.get(event.get("showAs") or "", "busy"),  # type: ignore[arg-type]
        sensitivity=(event.get("sensitivity") or "normal").lower(),  # type: ignore[arg-type]
        importance=(event.get("importance") or "normal").lower(),  # type: ignore[arg-type]
        response_requested=event.get("responseRequested") is not False,
        allow_new_time_proposal=event.get("allowNewTimeProposals") is not False,
    )


GRAPH_ANSWERS = {"accepted": "accepted", "tentativelyAccepted": "tentative", "declined": "declined"}


def responses_of(event: dict[str, Any]) -> tuple[Response, ...]:
    """Each attendee's answer on the organizer's event (none and notResponded: none)."""
    out = []
    for a in event.get("attendees") or []:
        status = a.get("status") or {}
        when = status.get("time")
        at = utc(when) if when and not when.startswith("0001-") else None
        address = ((a.get("emailAddress") or {}).get("address") or "").lower()
        slot = a.get("proposedNewTime") or {}
        proposed = (utc(slot["start"]), utc(slot["end"])) if slot.get("start") and slot.get("end") else None
        answer = GRAPH_ANSWERS.get(status.get("response"), "none")
        out.append(Response(address, a.get("type") or "required", answer, at, proposed))
    return tuple(out)


def join_url(event: dict[str, Any]) -> str | None:
    return (event.get("onlineMeeting") or {}).get("joinUrl") if event.get("isOnlineMeeting") else None
