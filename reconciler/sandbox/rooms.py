"""Rooms answer for themselves: Exchange's resource booking attendant, with Exchange's defaults.

A mailbox invited as a resource is a room. When a request (or an update) reaches it, the attendant decides
as `Set-CalendarProcessing` documents, with its defaults unless the directory file gives the room its own:
- AutomateProcessing AutoAccept: the attendant answers; `None` (a room nobody manages) and `AutoUpdate`
  (a delegate decides) leave the request unanswered;
- AllowRecurringMeetings true; MaximumDurationInMinutes 1440 (per occurrence; 0: no limit);
- BookingWindowInDays 180 from today, and EnforceSchedulingHorizon true: a meeting starting past the window,
  or a recurring one running past it (no end included), is declined;
- AllowConflicts false with ConflictPercentageAllowed 0 and MaximumConflictInstances 0: any occurrence that
  overlaps a booking the room already accepted declines the whole request.
EnableResponseDetails is true: the answer's body says why. An accepted room keeps the meeting in its calendar
(busy); a declined one's copy goes (`meetings.respond` does both, and the organizer's item and inbox show the
answer). Updates are decided again; a cancellation frees the room.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from reconciler.sandbox import occurrences, recurrence
from reconciler.sandbox.calendar_view import in_range
from reconciler.sandbox.context import Context
from reconciler.sandbox.directory import RoomPolicy
from reconciler.sandbox.recurrence import RecurrenceError
from reconciler.sandbox.store import Item

MAX_EXPANSION = timedelta(days=3 * 366)
"""How far a series is checked for conflicts when nothing else bounds it."""


@dataclass(frozen=True)
class Decision:
    accept: bool
    reason: str


def _spans(item: Item, until: datetime) -> list[tuple[datetime, datetime]]:
    """The (start, end) of every occurrence of the meeting up to `until` (one for a single meeting)."""
    if occurrences.is_master(item):
        found = occurrences.expand(item, item.get("calendar:Start"), until)
        return [(f["calendar:Start"], f["calendar:End"]) for _, f in found]
    return [(item.get("calendar:Start"), item.get("calendar:End"))]


def _last(item: Item) -> datetime | None:
    """When a series' last occurrence starts (None: it has no end)."""
    rule, zone = occurrences.rule_of(item)
    _, last = recurrence.first_and_last(rule, item.get("calendar:Start"), occurrences.duration(item), zone)
    return last.start if last else None


def decide(policy: RoomPolicy, organizer_item: Item, room_calendar: list[Item], now: datetime) -> Decision:
    """Accept or decline the meeting `organizer_item` for a room holding `room_calendar`."""
    fields = organizer_item.fields
    recurring = bool(occurrences.is_master(organizer_item))
    start, end = fields["calendar:Start"], fields["calendar:End"]
    if recurring and not policy.allow_recurring_meetings:
        return Decision(False, "This resource doesn't accept recurring meetings.")
    minutes = (end - start).total_seconds() / 60
    if policy.maximum_duration_minutes and minutes > policy.maximum_duration_minutes:
        return Decision(
            False,
            f"The meeting is {minutes:g} minutes long; this resource can be booked for at most "
            f"{policy.maximum_duration_minutes} minutes.",
        )
    horizon = now + timedelta(days=policy.booking_window_days)
    if start > horizon:
        return Decision(
            False,
            f"The meeting starts after {horizon:%Y-%m-%d}: this resource can be booked at most "
            f"{policy.booking_window_days} days in advance.",
        )
    last = _last(organizer_item) if recurring else start
    if recurring and policy.enforce_scheduling_horizon and (last is None or last > horizon):
        ends = "has no end date" if last is None else f"runs until {last:%Y-%m-%d}"
        return Decision(
            False,
            f"The recurring meeting {ends}, past this resource's booking window of "
            f"{policy.booking_window_days} days (until {horizon:%Y-%m-%d}).",
        )
    if not policy.allow_conflicts:
        try:
            mine = _spans(organizer_item, min(horizon, start + MAX_EXPANSION))
        except RecurrenceError:
            mine = [(start, end)]
        uid = fields.get("calendar:UID")
        booked = [
            i
            for i in room_calendar
            if i.get("calendar:UID") != uid
            and i.get("calendar:MyResponseType") == "Accept"
            and not i.get("calendar:IsCancelled")
        ]
        clashes = []
        for begin, finish in mine:
            for _, _, other, _ in in_range(booked, begin, finish):
                clashes.append((begin, other.get("item:Subject") or ""))
                break
        allowed = max(
            policy.maximum_conflict_instances, len(mine) * policy.conflict_percentage_allowed // 100
        )
        if len(clashes) > allowed:
            first, subject = clashes[0]
            more = f" and {len(clashes) - 1} more" if len(clashes) > 1 else ""
            return Decision(
                False,
                f"The resource is already booked at {first:%Y-%m-%d %H:%M} UTC ({subject}){more}: "
                "conflicts aren't allowed.",
            )
    return Decision(True, "Your request was accepted.")


def policy_for(ctx: Context, address: str) -> RoomPolicy:
    return ctx.directory.rooms.get(address.lower(), RoomPolicy())


def answer_all(ctx: Context) -> None:
    """Each room that received a request in this request answers it (Exchange's attendant runs after the
    organizer's item is stored; the sandbox runs it at the end of the same transaction)."""
    from reconciler.sandbox import meetings

    pending, ctx.rooms_to_answer = ctx.rooms_to_answer, []
    for item_id, room, request_id in pending:
        organizer_item, request = ctx.store.get(item_id), ctx.store.get(request_id)
        policy = policy_for(ctx, room)
        if organizer_item is None or request is None or policy.automate_processing != "AutoAccept":
            continue
        decision = decide(policy, organizer_item, ctx.store.items(room, "calendar"), ctx.now)
        as_room = Context(ctx.store, room, now=ctx.now, directory=ctx.directory, rewrites=ctx.rewrites)
        kind = "AcceptItem" if decision.accept else "DeclineItem"
        meetings.respond(as_room, kind, request, "SendToAllAndSaveCopy", decision.reason)
