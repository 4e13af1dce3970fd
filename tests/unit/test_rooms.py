"""What rooms will decline by Exchange's defaults, said before sending; what they answered, after. Pure."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from reconciler.backends.base import Marker, ObservedMeeting, Response
from reconciler.desired.model import Attendee, Attendees, Meeting, Recurrence
from reconciler.plan.rooms import after_sending, before_sending

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
ROOM = Meeting(
    key="sync",
    subject="Sync",
    organizer="lead@example.com",
    start=datetime(2026, 12, 7, 10),
    duration=timedelta(hours=1),
    timezone="Europe/Amsterdam",
    attendees=Attendees(resources=(Attendee("room-oak@example.com"),)),
)


def reasons(meeting: Meeting, busy=None, checked=None) -> list[str]:  # type: ignore[no-untyped-def]
    return [w.reason for w in before_sending([meeting], NOW, 180, busy, checked)]


def test_a_single_meeting_in_the_window_is_fine_and_a_room_less_one_is_not_looked_at() -> None:
    assert reasons(ROOM) == []
    assert reasons(replace(ROOM, attendees=Attendees(), duration=timedelta(days=3))) == []


def test_a_series_without_end_or_past_the_window_is_declined_one_inside_is_not() -> None:
    [endless] = reasons(replace(ROOM, recurrence=Recurrence("week", days=("mon",))))
    assert "has no end date" in endless and "until 2027-05-29" in endless
    [long] = reasons(
        replace(ROOM, recurrence=Recurrence("week", days=("mon",), until=datetime(2027, 6, 30).date()))
    )
    assert "runs until 2027-06-28" in long
    assert (
        reasons(
            replace(ROOM, recurrence=Recurrence("week", days=("mon",), until=datetime(2027, 5, 24).date()))
        )
        == []
    )


def test_too_long_or_too_far_ahead() -> None:
    assert "lasts 1500 minutes" in reasons(replace(ROOM, duration=timedelta(minutes=1500)))[0]
    assert "more than 180 days ahead" in reasons(replace(ROOM, start=datetime(2027, 7, 1, 10)))[0]


def test_a_room_booked_by_someone_else_is_named_for_the_meetings_checked() -> None:
    taken = {
        "room-oak@example.com": [
            (datetime(2026, 12, 7, 9, 30, tzinfo=UTC), datetime(2026, 12, 7, 10, 0, tzinfo=UTC))
        ]
    }
    [busy] = reasons(ROOM, taken, {"sync"})
    assert "already booked 2026-12-07 09:30–10:00 UTC" in busy
    assert reasons(ROOM, taken, set()) == []  # only meetings the plan creates or moves are checked


def test_after_sending_declines_and_silence_are_listed_with_the_reason() -> None:
    def seen(answer: str) -> ObservedMeeting:
        return ObservedMeeting(
            ROOM,
            Marker("ns", "sync", "h"),
            "id",
            "ck",
            "uid",
            responses=(Response("room-oak@example.com", "resource", answer),),
        )

    [declined] = after_sending(
        [seen("declined")], {("room-oak@example.com", "Sync"): "The resource is already booked"}
    )
    assert declined.text() == "room room-oak@example.com declined sync: The resource is already booked"
    [silent] = after_sending([seen("none")], {})
    assert silent.text().startswith("room room-oak@example.com has not answered sync")
    assert after_sending([seen("accepted")], {}) == []
