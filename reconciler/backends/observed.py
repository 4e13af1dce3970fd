"""A managed item as observed: plain data every backend answers and the engine reads (`base.py` uses it,
`snapshot.py` keeps it between runs)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from reconciler.desired.model import Meeting


@dataclass(frozen=True)
class Marker:
    """What the reconciler stamps on each managed item (named PublicStrings extended properties)."""

    namespace: str
    key: str
    spec_hash: str


Answer = Literal["accepted", "tentative", "declined", "none"]


@dataclass(frozen=True)
class Response:
    """One attendee's answer as the organizer's item records it."""

    address: str
    kind: Literal["required", "optional", "resource"]
    answer: Answer
    at: datetime | None = None
    proposed: tuple[datetime, datetime] | None = None
    """A new time the attendee proposed with the answer (start, end; aware UTC)."""


@dataclass(frozen=True)
class ObservedMeeting:
    """A managed item as the calendar holds it, mapped back to the model."""

    meeting: Meeting
    marker: Marker
    item_id: str
    change_key: str
    uid: str | None = None
    unsent: bool = False
    """It has attendees but was never sent (created silently by an apply that stopped before its invitation:
    Exchange's MeetingRequestWasSent is false); the invitation is still owed."""
    responses: tuple[Response, ...] = ()
    """Each attendee's answer, read with the item (no extra request)."""
    join_url: str | None = None
    """The online meeting's join link (Teams, over Graph)."""
    modified: datetime | None = None
    """When the item last changed in the calendar (Exchange's LastModifiedTime), for `show`."""
    created: datetime | None = None
    """When the item was created (DateTimeCreated, createdDateTime): of two items with one key, the older
    keeps it, whichever order a read found them in."""
    modified_by: str | None = None
    """Who last changed the item, as the server says: Exchange's LastModifiedName over EWS (the display
    name of the last user to modify it); Graph's event resource does not say, so None there."""
