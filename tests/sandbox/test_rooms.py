"""Rooms answer for themselves, as Exchange's resource booking attendant does with its defaults
(Set-CalendarProcessing: AutoAccept, AllowConflicts false, BookingWindowInDays 180, EnforceSchedulingHorizon
true, MaximumDurationInMinutes 1440), read back through exchangelib."""

from __future__ import annotations

from datetime import UTC as PY_UTC
from datetime import datetime, timedelta
from pathlib import Path

import exchangelib
import pytest
from exchangelib import (
    IMPERSONATION,
    Account,
    Attendee,
    Build,
    CalendarItem,
    Configuration,
    EWSDateTime,
    EWSTimeZone,
    Mailbox,
    Version,
)
from exchangelib.recurrence import NoEndPattern, Recurrence, WeeklyPattern
from exchangelib.transport import NOAUTH

from reconciler.sandbox import Sandbox
from reconciler.sandbox.directory import load_directory

UTC = EWSTimeZone("UTC")


def _ews(moment: datetime) -> EWSDateTime:
    return EWSDateTime(moment.year, moment.month, moment.day, moment.hour, moment.minute, tzinfo=UTC)


ROOMS = """\
rooms:
  room-oak@example.com: {name: Oak room, capacity: 8}
  room-attic@example.com: {name: Attic, automate_processing: None}
"""


@pytest.fixture
def sb(tmp_path: Path):  # type: ignore[no-untyped-def]
    (tmp_path / "directory.yaml").write_text(ROOMS)
    with Sandbox(directory=load_directory(tmp_path / "directory.yaml")) as sandbox:
        yield sandbox
    exchangelib.close_connections()


def _account(sb: Sandbox, address: str = "lead@example.com") -> Account:
    config = Configuration(service_endpoint=sb.endpoint, auth_type=NOAUTH, version=Version(Build(15, 1)))
    return Account(address, config=config, autodiscover=False, access_type=IMPERSONATION)


def _book(  # type: ignore[no-untyped-def]
    sb: Sandbox, subject: str, start: datetime, room: str = "room-oak@example.com", hours: float = 1, **extra
) -> CalendarItem:
    lead = _account(sb)
    item = CalendarItem(
        account=lead,
        folder=lead.calendar,
        subject=subject,
        start=_ews(start),
        end=_ews(start + timedelta(hours=hours)),
        required_attendees=[Attendee(mailbox=Mailbox(email_address="alice@example.com"))],
        resources=[Attendee(mailbox=Mailbox(email_address=room))],
        **extra,
    )
    item.save(send_meeting_invitations="SendToAllAndSaveCopy")
    return lead.calendar.get(id=item.id)


def _soon(days: int = 7, hour: int = 10) -> datetime:
    today = datetime.now(PY_UTC).replace(hour=hour, minute=0, second=0, microsecond=0)
    return today + timedelta(days=days)


def _answer(item: CalendarItem) -> str:
    return next(r.response_type for r in item.resources)


def _reasons(sb: Sandbox) -> dict[str, str]:
    """Subject → body of each room answer in the organizer's inbox."""
    return {
        m.get("item:Subject"): (m.get("item:Body") or {}).get("text", "")
        for m in sb.store.items("lead@example.com", "inbox")
        if m.get("item:ItemClass", "").startswith("IPM.Schedule.Meeting.Resp")
    }


def test_a_free_room_accepts_and_holds_the_meeting(sb: Sandbox) -> None:
    item = _book(sb, "Review", _soon())
    assert _answer(item) == "Accept"
    held = sb.store.items("room-oak@example.com", "calendar")
    assert [(i.get("item:Subject"), i.get("calendar:LegacyFreeBusyStatus")) for i in held] == [
        ("Review", "Busy")
    ]
    assert _reasons(sb) == {"Accepted: Review": "Your request was accepted."}


def test_a_room_already_booked_declines_the_later_meeting_and_says_why(sb: Sandbox) -> None:
    _book(sb, "First", _soon())
    later = _book(sb, "Second", _soon() + timedelta(minutes=30))
    assert _answer(later) == "Decline"
    assert [i.get("item:Subject") for i in sb.store.items("room-oak@example.com", "calendar")] == ["First"]
    assert (
        "already booked" in _reasons(sb)["Declined: Second"] and "(First)" in _reasons(sb)["Declined: Second"]
    )


def test_a_weekly_series_without_end_is_declined_past_the_booking_window(sb: Sandbox) -> None:
    start = _soon()
    weekly = Recurrence(
        pattern=WeeklyPattern(interval=1, weekdays=[start.isoweekday()]),
        boundary=NoEndPattern(start=start.date()),
    )
    series = _book(sb, "Forever", start, recurrence=weekly)
    assert _answer(series) == "Decline"
    assert (
        "has no end date, past this resource's booking window of 180 days"
        in _reasons(sb)["Declined: Forever"]
    )


def test_a_declined_series_updated_to_fit_the_window_is_accepted(sb: Sandbox) -> None:
    from exchangelib.recurrence import EndDatePattern

    start = _soon()
    weekly = Recurrence(
        pattern=WeeklyPattern(interval=1, weekdays=[start.isoweekday()]),
        boundary=NoEndPattern(start=start.date()),
    )
    series = _book(sb, "Fits later", start, recurrence=weekly)
    assert _answer(series) == "Decline"
    series.recurrence = Recurrence(
        pattern=WeeklyPattern(interval=1, weekdays=[start.isoweekday()]),
        boundary=EndDatePattern(start=start.date(), end=(start + timedelta(days=60)).date()),
    )
    series.save(update_fields=["recurrence"], send_meeting_invitations="SendToAllAndSaveCopy")
    again = _account(sb).calendar.get(id=series.id)
    assert _answer(again) == "Accept"
    assert [i.get("item:Subject") for i in sb.store.items("room-oak@example.com", "calendar")] == [
        "Fits later"
    ]


def test_a_room_nobody_manages_never_answers(sb: Sandbox) -> None:
    item = _book(sb, "Attic talk", _soon(), room="room-attic@example.com")
    assert _answer(item) in ("Unknown", "NoResponseReceived")
    assert _reasons(sb) == {}


def test_a_meeting_longer_than_a_day_or_beyond_the_window_is_declined(sb: Sandbox) -> None:
    long = _book(sb, "Marathon", _soon(), hours=30)
    assert _answer(long) == "Decline" and "at most 1440 minutes" in _reasons(sb)["Declined: Marathon"]
    far = _book(sb, "Next year", _soon(days=200))
    assert _answer(far) == "Decline" and "at most 180 days in advance" in _reasons(sb)["Declined: Next year"]
