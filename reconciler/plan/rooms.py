"""What a room will decline, seen before anything is sent; and what rooms answered, after. Pure.

In Exchange a room answers invitations itself (the resource booking attendant). With Exchange's defaults
(`Set-CalendarProcessing`) it declines a meeting longer than 1,440 minutes, one starting more than 180 days
ahead, a recurring one running past those 180 days (or without an end), and one overlapping a booking it
already accepted. Neither EWS nor Graph lets a client read a room's own settings, so the plan warns by the
defaults (`policy.room_booking_window_days`), and by the rooms' free/busy read for the meetings it creates or
moves: a room may be taken by meetings this repository does not manage. Managed meetings booking the same
room are double bookings (`conflicts.py`), the later of which the room declines.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from reconciler.backends.base import ObservedMeeting
from reconciler.desired.model import Meeting
from reconciler.desired.recurrence import occurrences
from reconciler.wording import counted

MAX_MINUTES = 1440
Span = tuple[datetime, datetime]


@dataclass(frozen=True)
class RoomWarning:
    """A room that will decline (or has declined, or not answered) a meeting, and why."""

    key: str
    room: str
    reason: str
    answered: str = ""
    """After sending: the room's answer (`declined`, `none`); empty for a warning made before sending."""

    def text(self, sources: Mapping[str, object] | None = None) -> str:
        where = f" ({sources[self.key]})" if sources and self.key in sources else ""
        if self.answered == "declined":
            return f"room {self.room} declined {self.key}{where}: {self.reason}"
        if self.answered:
            return f"room {self.room} has not answered {self.key}{where}: {self.reason}"
        return f"room {self.room} will decline {self.key}{where}: {self.reason}"

    def to_data(self, sources: Mapping[str, object] | None = None) -> dict[str, object]:
        return {
            "key": self.key,
            "room": self.room,
            "reason": self.reason,
            "answered": self.answered or None,
            "file": str((sources or {}).get(self.key, "")),
        }


def _rooms(meeting: Meeting) -> tuple[str, ...]:
    return tuple(a.address for a in meeting.attendees.resources)


def _span(meeting: Meeting) -> tuple[datetime | None, datetime | None]:
    """(first start, last start) of a meeting's occurrences; the last is None for a series without end."""
    found = occurrences(meeting, _aware(meeting), _far(meeting))
    if not found:
        return None, None
    rec = meeting.recurrence
    endless = rec is not None and rec.until is None and rec.count is None
    return found[0].start, None if endless else found[-1].start


def _aware(meeting: Meeting) -> datetime:
    from zoneinfo import ZoneInfo

    return meeting.start.replace(tzinfo=ZoneInfo(meeting.timezone)) - timedelta(days=1)


def _far(meeting: Meeting) -> datetime:
    return _aware(meeting) + timedelta(days=366 * 6)


def before_sending(
    meetings: Sequence[Meeting],
    now: datetime,
    window_days: int,
    busy: Mapping[str, Sequence[Span]] | None = None,
    checked: set[str] | None = None,
) -> list[RoomWarning]:
    """What the rooms of `meetings` will decline by Exchange's defaults; `busy`: each room's bookings read
    from its free/busy (other than this repository's meetings), checked for the meetings in `checked`."""
    out = []
    horizon = now + timedelta(days=window_days)
    for meeting in sorted(meetings, key=lambda m: m.key):
        rooms = _rooms(meeting)
        if not rooms:
            continue
        reasons = []
        minutes = meeting.duration.total_seconds() / 60
        if minutes > MAX_MINUTES:
            reasons.append(f"it lasts {minutes:g} minutes; a room takes at most {MAX_MINUTES} by default")
        first, last = _span(meeting)
        if first is not None and first > horizon:
            reasons.append(
                f"it starts {first:%Y-%m-%d}, more than {window_days} days ahead (the room's booking "
                f"window ends {horizon:%Y-%m-%d}); send it later"
            )
        elif meeting.recurrence is not None and (last is None or last > horizon):
            ends = "has no end date" if last is None else f"runs until {last:%Y-%m-%d}"
            reasons.append(
                f"the series {ends}, past the room's booking window of {window_days} days (until "
                f"{horizon:%Y-%m-%d}); end it within the window (`repeat.until`) and extend it later"
            )
        for reason in reasons:
            out += [RoomWarning(meeting.key, room, reason) for room in rooms]
        if busy and checked and meeting.key in checked and not reasons:
            mine = occurrences(meeting, now, horizon)
            for room in rooms:
                clash = next(
                    (
                        (o.start, b)
                        for o in mine
                        for b in busy.get(room, ())
                        if b[0] < o.end and o.start < b[1]
                    ),
                    None,
                )
                if clash:
                    start, (taken, until) = clash
                    out.append(
                        RoomWarning(
                            meeting.key,
                            room,
                            f"the room is already booked {taken:%Y-%m-%d %H:%M}–{until:%H:%M} UTC by a "
                            f"meeting this repository does not manage (the occurrence of {start:%Y-%m-%d}); "
                            "pick another room or time",
                        )
                    )
    return out


def after_sending(
    observed: Sequence[ObservedMeeting], reasons: Mapping[tuple[str, str], str]
) -> list[RoomWarning]:
    """Rooms that declined, or have not answered, the meetings as the calendars hold them; `reasons`: the
    body of each room's decline, by (room, meeting subject)."""
    out = []
    for o in sorted(observed, key=lambda o: o.marker.key):
        for r in o.responses:
            if r.kind != "resource" or r.answer in ("accepted", "tentative"):
                continue
            if r.answer == "declined":
                why = reasons.get((r.address, o.meeting.subject)) or "the room gave no reason"
                out.append(RoomWarning(o.marker.key, r.address, why, "declined"))
            else:
                out.append(
                    RoomWarning(
                        o.marker.key,
                        r.address,
                        "nobody processes its invitations (AutomateProcessing None or a delegate who has not "
                        "decided yet); ask the room's administrator",
                        "none",
                    )
                )
    return out


def reasons_out_of_reach(observed: Iterable[ObservedMeeting], organizer: str) -> dict[tuple[str, str], str]:
    """What stands for a decline's reason when the organizer's inbox, where the room's answer is, is out of
    the identity's reach (calendar rights alone): the decline itself is the attendee status on the item."""
    said = f"its reason is a message in {organizer}'s inbox, which this identity may not read (Mail.Read)"
    return {
        (r.address, o.meeting.subject): said
        for o in observed
        if o.meeting.organizer == organizer
        for r in o.responses
        if r.kind == "resource" and r.answer == "declined"
    }


def warning_text(found: Sequence[RoomWarning], sources: Mapping[str, object], markdown: bool = False) -> str:
    """The room warnings under a plan: one line each, or a markdown section (meeting text escaped)."""
    if not found:
        return ""
    if markdown:
        from reconciler.inert import md_escape

        lines = ["", f"**Rooms: {counted(len(found), 'warning')}**", ""]
        lines += [f"- ⚠ {md_escape(w.text(sources))}" for w in found]
        return "\n".join(lines) + "\n"
    return "\n".join(f"warning: {w.text(sources)}" for w in found)
