"""Rooms over EWS: their free/busy (GetUserAvailability) and the reasons they gave for declining.

GetUserAvailability takes up to 100 mailboxes and a window of up to 42 days per request, so a plan's look at
its rooms costs ⌈rooms/100⌉ × ⌈days/42⌉ requests, never one per occurrence. exchangelib's own helper first
asks the server for its time zones (GetServerTimeZones); the request here gives UTC itself instead.
The reasons come from the answers in the organizer's inbox: one FindItem on the declines, one GetItem.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC as PY_UTC
from datetime import datetime, time, timedelta

from exchangelib import IMPERSONATION, Account, EWSDateTime, EWSTimeZone
from exchangelib.errors import ErrorAccessDenied
from exchangelib.properties import (
    DaylightTime,
    FreeBusyViewOptions,
    MailboxData,
    StandardTime,
    TimeWindow,
    TimeZone,
)
from exchangelib.services import GetUserAvailability

MAILBOXES = 100
WINDOW = timedelta(days=42)
UTC = EWSTimeZone("UTC")
_NO_DST = {"bias": 0, "time": time(0), "occurrence": 1, "iso_month": 1, "weekday": 7}
UTC_ZONE = TimeZone(bias=0, standard_time=StandardTime(**_NO_DST), daylight_time=DaylightTime(**_NO_DST))
Span = tuple[datetime, datetime]


def _ews(moment: datetime) -> EWSDateTime:
    m = moment.astimezone(PY_UTC)
    return EWSDateTime(m.year, m.month, m.day, m.hour, m.minute, m.second, tzinfo=UTC)


def _plain(moment: datetime) -> datetime:
    return datetime.fromtimestamp(moment.timestamp(), tz=PY_UTC)


class _AsOrganizer(GetUserAvailability):
    """GetUserAvailability sent as the organizer: with impersonation, its header names the mailbox acting
    (exchangelib sends this service without one, which an impersonating service account cannot)."""

    def __init__(self, account: Account) -> None:
        super().__init__(protocol=account.protocol)
        self.account = account

    @property
    def _account_to_impersonate(self):  # type: ignore[no-untyped-def]
        if self.account.access_type == IMPERSONATION:
            return self.account.identity
        return super()._account_to_impersonate


def free_busy(
    account: Account, rooms: Sequence[str], start: datetime, end: datetime
) -> dict[str, list[Span]]:
    """Each room's busy blocks between `start` and `end` (aware UTC)."""
    out: dict[str, list[Span]] = {room: [] for room in rooms}
    for first in range(0, len(rooms), MAILBOXES):
        chunk = list(rooms[first : first + MAILBOXES])
        begin = start
        while begin < end:
            until = min(end, begin + WINDOW)
            views = _AsOrganizer(account).call(
                tzinfo=UTC,
                mailbox_data=[
                    MailboxData(email=r, attendee_type="Room", exclude_conflicts=False) for r in chunk
                ],
                timezone=UTC_ZONE,
                free_busy_view_options=FreeBusyViewOptions(
                    time_window=TimeWindow(start=_ews(begin), end=_ews(until)),
                    merged_free_busy_interval=30,
                    requested_view="Detailed",
                ),
            )
            for room, view in zip(chunk, views, strict=True):
                if isinstance(view, Exception):
                    raise view
                for event in view.calendar_events or []:
                    if event.busy_type in ("Busy", "Tentative", "OOF"):
                        out[room].append((_plain(event.start), _plain(event.end)))
            begin = until
    return out


def declines(account: Account) -> dict[tuple[str, str], str] | None:
    """(room, meeting subject) → the text of the room's decline, from the organizer's inbox; None when the
    account's rights do not reach the inbox (a delegate with calendar rights alone)."""
    inbox = account.inbox.filter(item_class="IPM.Schedule.Meeting.Resp.Neg")
    out = {}
    try:
        found = list(inbox.only("subject", "sender", "body"))
    except ErrorAccessDenied:
        return None
    for m in found:
        if m.sender is not None:
            room = (m.sender.email_address or "").lower()
            out[(room, (m.subject or "").removeprefix("Declined: "))] = " ".join(str(m.body or "").split())
    return out
