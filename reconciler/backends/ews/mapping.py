"""The canonical `Meeting` ⇄ exchangelib `CalendarItem` fields. Pure: no requests.

Round trip (model → item → model) is the identity for every shape the model has. Two EWS facts shape it:
EWS keeps Windows time zones (Europe/Amsterdam comes back as W. Europe Standard Time, read as
Europe/Berlin), so the marker remembers the IANA zone that was applied and the reverse mapping uses it when
the Windows zone still matches; and EWS yearly patterns have no interval, so "every 2 years" is sent as
every 24 months and read back as yearly.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from exchangelib import Attendee as EwsAttendee
from exchangelib import Body, EWSDateTime, EWSTimeZone, HTMLBody, Mailbox
from exchangelib.recurrence import (
    AbsoluteMonthlyPattern,
    AbsoluteYearlyPattern,
    DailyPattern,
    EndDatePattern,
    NoEndPattern,
    NumberedPattern,
    Recurrence,
    RelativeMonthlyPattern,
    RelativeYearlyPattern,
    WeeklyPattern,
)

from reconciler.backends.base import Response
from reconciler.backends.ews.read import Person, ReadItem
from reconciler.desired import model
from reconciler.desired.model import Attendee, Attendees, Meeting, OccurrenceOverride

SHOW_AS = {
    "free": "Free",
    "tentative": "Tentative",
    "busy": "Busy",
    "oof": "OOF",
    "working_elsewhere": "WorkingElsewhere",
}
WEEK_NUMBER = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": 5}

# Model field → CalendarItem fields to send with `save(update_fields=...)`.
UPDATE_FIELDS: dict[str, tuple[str, ...]] = {
    "subject": ("subject",),
    "location": ("location",),
    "body": ("body",),
    "body_html": ("body",),
    "categories": ("categories",),
    "reminder": ("reminder_is_set", "reminder_minutes_before_start"),
    "show_as": ("legacy_free_busy_status",),
    "sensitivity": ("sensitivity",),
    "importance": ("importance",),
    "response_requested": ("is_response_requested",),
    "allow_new_time_proposal": ("allow_new_time_proposal",),
    "attendees": ("required_attendees", "optional_attendees", "resources"),
    "start": ("start", "end"),
    "duration": ("start", "end"),
    "timezone": ("start", "end"),
    "all_day": ("is_all_day", "start", "end"),
    "recurrence": ("recurrence",),
}
READ_FIELDS = (
    "subject",
    "start",
    "end",
    "_start_timezone",
    "is_all_day",
    "location",
    "body",
    "categories",
    "reminder_is_set",
    "reminder_minutes_before_start",
    "legacy_free_busy_status",
    "sensitivity",
    "importance",
    "is_response_requested",
    "allow_new_time_proposal",
    "required_attendees",
    "optional_attendees",
    "resources",
    "recurrence",
    "modified_occurrences",
    "deleted_occurrences",
    "uid",
    "organizer",
    "type",
    "changekey",
    "my_response_type",
    "meeting_request_was_sent",
    "is_cancelled",
    "last_modified_time",
    "last_modified_name",
    "datetime_created",
)


def zone(name: str) -> EWSTimeZone:
    return EWSTimeZone(name)


def local_to_ews(moment: datetime, tz: str) -> EWSDateTime:
    return EWSDateTime.from_datetime(moment.replace(tzinfo=ZoneInfo(tz))).astimezone(zone(tz))


def recurrence_to_ews(meeting: Meeting) -> Recurrence | None:
    r = meeting.recurrence
    if r is None:
        return None
    first = meeting.start.date()
    if r.every == "day":
        pattern: Any = DailyPattern(interval=r.interval)
    elif r.every == "week":
        pattern = WeeklyPattern(
            interval=r.interval, weekdays=[model.WEEKDAYS.index(d) + 1 for d in r.days], first_day_of_week=1
        )
    elif r.every == "month" or r.interval > 1:
        months = r.interval * (12 if r.every == "year" else 1)
        if r.weekday and r.week:
            pattern = RelativeMonthlyPattern(
                interval=months, weekday=model.WEEKDAYS.index(r.weekday) + 1, week_number=WEEK_NUMBER[r.week]
            )
        else:
            pattern = AbsoluteMonthlyPattern(interval=months, day_of_month=r.day_of_month or first.day)
    elif r.weekday and r.week:
        pattern = RelativeYearlyPattern(
            weekday=model.WEEKDAYS.index(r.weekday) + 1,
            week_number=WEEK_NUMBER[r.week],
            month=r.month or first.month,
        )
    else:
        pattern = AbsoluteYearlyPattern(
            day_of_month=r.day_of_month or first.day, month=r.month or first.month
        )
    if r.until:
        boundary: Any = EndDatePattern(start=first, end=r.until)
    elif r.count:
        boundary = NumberedPattern(start=first, number=r.count)
    else:
        boundary = NoEndPattern(start=first)
    return Recurrence(pattern=pattern, boundary=boundary)


def _people(attendees: tuple[Attendee, ...]) -> list[EwsAttendee] | None:
    return [EwsAttendee(mailbox=Mailbox(email_address=a.address, name=a.name)) for a in attendees] or None


def item_fields(meeting: Meeting) -> dict[str, Any]:
    """CalendarItem keyword arguments for the desired meeting (marker and UID not included)."""
    start = local_to_ews(meeting.start, meeting.timezone)
    end = local_to_ews(meeting.start + meeting.duration, meeting.timezone)
    body: Any = (
        HTMLBody(meeting.body_html)
        if meeting.body_html is not None
        else Body(meeting.body)
        if meeting.body is not None
        else None
    )
    return {
        "subject": meeting.subject,
        "start": start,
        "end": end,
        "is_all_day": meeting.all_day,
        "location": meeting.location,
        "body": body,
        "categories": list(meeting.categories) or None,
        "reminder_is_set": meeting.reminder is not None,
        "reminder_minutes_before_start": int(meeting.reminder.total_seconds() // 60)
        if meeting.reminder
        else 0,
        "legacy_free_busy_status": SHOW_AS[meeting.show_as],
        "sensitivity": meeting.sensitivity.capitalize(),
        "importance": meeting.importance.capitalize(),
        "is_response_requested": meeting.response_requested,
        "allow_new_time_proposal": meeting.allow_new_time_proposal,
        "required_attendees": _people(meeting.attendees.required),
        "optional_attendees": _people(meeting.attendees.optional),
        "resources": _people(meeting.attendees.resources),
        "recurrence": recurrence_to_ews(meeting),
    }


# -- reading back ------------------------------------------------------------------------------------------


def _wall(moment: datetime, tz: ZoneInfo) -> datetime:
    """Naive wall-clock time in `tz`."""
    return moment.astimezone(tz).replace(tzinfo=None)


def item_zone(item: ReadItem, applied: str | None) -> str:
    """The meeting's IANA zone: the one we applied while EWS still holds the same Windows zone."""
    held = item.start_zone
    if held is None:
        return applied or "UTC"
    if applied and _ms_id(applied) == held.ms_id:
        return applied
    return held.key


@lru_cache(maxsize=256)
def _ms_id(iana: str) -> str | None:
    try:
        return EWSTimeZone(iana).ms_id
    except Exception:  # an applied zone this tzdata no longer knows
        return None


def recurrence_from_ews(rec: Recurrence | None) -> tuple[model.Recurrence | None, date | None]:
    """The model's recurrence and the date the range starts on."""
    if rec is None:
        return None, None
    p, b = rec.pattern, rec.boundary
    until = getattr(b, "end", None)
    if isinstance(until, datetime):  # EWS may answer the end date with a time or an offset
        until = until.date()
    count = getattr(b, "number", None)
    days_back = {i + 1: d for i, d in enumerate(model.WEEKDAYS)}
    weeks_back = {v: k for k, v in WEEK_NUMBER.items()}
    common = {"until": until, "count": count}
    if isinstance(p, DailyPattern):
        out = model.Recurrence("day", p.interval, **common)
    elif isinstance(p, WeeklyPattern):
        days = tuple(d for d in model.WEEKDAYS if model.WEEKDAYS.index(d) + 1 in {int(w) for w in p.weekdays})
        out = model.Recurrence("week", p.interval, days=days, **common)
    elif (
        isinstance(p, (AbsoluteMonthlyPattern, RelativeMonthlyPattern))
        and p.interval % 12 == 0
        and p.interval > 12
    ):
        every, interval = "year", p.interval // 12
        out = _monthly(p, every, interval, days_back, weeks_back, b.start.month, common)
    elif isinstance(p, (AbsoluteMonthlyPattern, RelativeMonthlyPattern)):
        out = _monthly(p, "month", p.interval, days_back, weeks_back, None, common)
    elif isinstance(p, RelativeYearlyPattern):
        out = model.Recurrence(
            "year",
            1,
            weekday=days_back[int(p.weekday)],
            week=weeks_back[int(p.week_number)],
            month=int(p.month),
            **common,
        )
    else:
        out = model.Recurrence("year", 1, day_of_month=p.day_of_month, month=int(p.month), **common)
    return out, b.start.date() if isinstance(b.start, datetime) else b.start


def _monthly(
    p: Any, every: str, interval: int, days_back: dict, weeks_back: dict, month: int | None, common: dict
) -> model.Recurrence:
    if isinstance(p, RelativeMonthlyPattern):
        return model.Recurrence(
            every,
            interval,
            weekday=days_back[int(p.weekday)],  # type: ignore[arg-type]
            week=weeks_back[int(p.week_number)],
            month=month,
            **common,
        )
    return model.Recurrence(every, interval, day_of_month=p.day_of_month, month=month, **common)  # type: ignore


def meeting_from_item(
    item: ReadItem,
    key: str,
    organizer: str,
    applied_zone: str | None,
    occurrence_locations: dict[date, str | None] | None = None,
) -> Meeting:
    """The model of what the calendar holds (the reverse of `item_fields`)."""
    assert item.start is not None and item.end is not None
    tz_name = item_zone(item, applied_zone)
    tz = ZoneInfo(tz_name)
    start = _wall(item.start, tz)
    duration = _wall(item.end, tz) - start
    recurrence, _ = recurrence_from_ews(item.recurrence)
    skip = tuple(sorted(_wall(d, tz).date() for d in item.deleted))
    moves = []
    for occ in item.modified:
        original = _wall(occ.original_start, tz)
        new_start = _wall(occ.start, tz)
        new_duration = occ.end - occ.start
        location = (occurrence_locations or {}).get(original.date())
        moves.append(
            OccurrenceOverride(
                date=original.date(),
                start=new_start if new_start != original else None,
                duration=new_duration if new_duration != duration else None,
                location=location if location != item.location else None,
            )
        )

    def people(items: tuple[Person, ...]) -> tuple[Attendee, ...]:
        return tuple(
            sorted(
                Attendee(
                    p.address.lower(), p.name if p.name and p.name.lower() != p.address.lower() else None
                )
                for p in items
            )
        )

    show_as = {v: k for k, v in SHOW_AS.items()}
    return Meeting(
        key=key,
        subject=item.subject or "",
        organizer=organizer,
        start=start,
        duration=duration,
        timezone=tz_name,
        all_day=bool(item.is_all_day),
        attendees=Attendees(people(item.required), people(item.optional), people(item.resources)),
        recurrence=recurrence,
        skip=skip,
        moves=tuple(sorted(m for m in moves if m.start or m.duration or m.location is not None)),
        location=item.location,
        body=item.body if not item.body_is_html else None,
        body_html=item.body if item.body_is_html else None,
        categories=tuple(sorted(item.categories)),
        reminder=timedelta(minutes=item.reminder_minutes) if item.reminder_is_set else None,
        show_as=show_as.get(item.free_busy or "", "busy"),  # type: ignore[arg-type]
        sensitivity=(item.sensitivity or "Normal").lower(),  # type: ignore[arg-type]
        importance=(item.importance or "Normal").lower(),  # type: ignore[arg-type]
        response_requested=item.response_requested is not False,
        allow_new_time_proposal=item.allow_new_time_proposal is not False,
    )


EWS_ANSWERS = {"Accept": "accepted", "Tentative": "tentative", "Decline": "declined"}


def responses_of(item: ReadItem) -> tuple[Response, ...]:
    """Each attendee's answer on the organizer's item (Unknown and NoResponseReceived: none)."""
    kinds = (("required", item.required), ("optional", item.optional), ("resource", item.resources))
    return tuple(
        Response(
            p.address.lower(), kind, EWS_ANSWERS.get(p.response or "", "none"), p.last_response, p.proposed
        )  # type: ignore[arg-type]
        for kind, people in kinds
        for p in people
    )
