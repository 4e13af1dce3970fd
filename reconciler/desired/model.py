"""The canonical meeting model: what the files mean, with every default applied.

Frozen dataclasses, no EWS and no YAML: two files that say the same thing produce equal models.
Times are wall-clock (naive) in the meeting's IANA `timezone`; addresses are lower-cased; collections are
sorted tuples, so equality and hashing are structural.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Frequency = Literal["day", "week", "month", "year"]
WeekOfMonth = Literal["first", "second", "third", "fourth", "last"]
ShowAs = Literal["free", "tentative", "busy", "oof", "working_elsewhere"]
Sensitivity = Literal["normal", "personal", "private", "confidential"]
Importance = Literal["low", "normal", "high"]
Notify = Literal["all", "changed", "none"]
OnlineMeeting = Literal["teams"]


@dataclass(frozen=True, order=True)
class Attendee:
    """An attendee address (lower-cased) with the display name the file gave, if any."""

    address: str
    name: str | None = None


@dataclass(frozen=True)
class Attendees:
    """Attendees by kind, each tuple sorted by address and free of duplicates and of the organizer."""

    required: tuple[Attendee, ...] = ()
    optional: tuple[Attendee, ...] = ()
    resources: tuple[Attendee, ...] = ()

    def all(self) -> tuple[Attendee, ...]:
        return self.required + self.optional + self.resources

    def addresses(self) -> frozenset[str]:
        return frozenset(a.address for a in self.all())


@dataclass(frozen=True)
class Recurrence:
    """A repeat pattern and its range.

    - day: every `interval` days.
    - week: every `interval` weeks on `days` (in Monday-first order).
    - month: every `interval` months, either on `day_of_month` or on the `week`-th `weekday`.
    - year: every `interval` years in `month`, either on `day_of_month` or on the `week`-th `weekday`.
    At most one of `until` (inclusive date) or `count` is set; neither means no end.
    """

    every: Frequency
    interval: int = 1
    days: tuple[Weekday, ...] = ()
    day_of_month: int | None = None
    weekday: Weekday | None = None
    week: WeekOfMonth | None = None
    month: int | None = None
    until: date | None = None
    count: int | None = None


@dataclass(frozen=True, order=True)
class OccurrenceOverride:
    """A change to one occurrence, keyed by the date it originally falls on."""

    date: date
    start: datetime | None = None
    duration: timedelta | None = None
    location: str | None = None


@dataclass(frozen=True)
class Meeting:
    """One desired meeting, canonical. `start` is wall-clock time in `timezone`.

    For all-day meetings `start` is local midnight and `duration` a whole number of days.
    """

    key: str
    subject: str
    organizer: str
    start: datetime
    duration: timedelta
    timezone: str
    attendees: Attendees = field(default_factory=Attendees)
    all_day: bool = False
    recurrence: Recurrence | None = None
    skip: tuple[date, ...] = ()
    moves: tuple[OccurrenceOverride, ...] = ()
    location: str | None = None
    online_meeting: OnlineMeeting | None = None
    """`teams`: a Microsoft Teams join link with the meeting (graph targets only)."""
    body: str | None = None
    body_html: str | None = None
    categories: tuple[str, ...] = ()
    reminder: timedelta | None = timedelta(minutes=15)  # Exchange's default; `reminder: none` → None
    show_as: ShowAs = "busy"
    sensitivity: Sensitivity = "normal"
    importance: Importance = "normal"
    response_requested: bool = True
    allow_new_time_proposal: bool = True
    previous_keys: tuple[str, ...] = ()
    notify: Notify | None = None
    uid: str | None = None
    """UID of an existing, unmanaged meeting this one adopts (set by `reconciler import`)."""
    skip_holidays: tuple[str, ...] = ()
    """Holiday calendars (`NL`, `DE-BY`) whose dates cancel occurrences; those dates are in `skip`."""
    holiday_skips: tuple[tuple[date, str], ...] = ()
    """(date, holiday name) of each occurrence a holiday calendar removed, for `schedule` and the plan."""
    release: bool = False
    """Let the meeting go without cancelling it: the next apply removes the marker and sends nothing."""

    @property
    def end(self) -> datetime:
        return self.start + self.duration
