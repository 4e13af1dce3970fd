"""Who accepted, who declined: attendees' answers as the organizers' items record them. Pure rendering.

The answers come from the same batched reads as the plan (`observe`: no request per meeting or attendee),
so `reconciler responses` costs what a plan costs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.backends.base import ObservedMeeting, Response
from reconciler.inert import inert, md_escape
from reconciler.plan.rooms import reasons_out_of_reach

ANSWERS = ("accepted", "tentative", "declined", "none")


def counts(responses: Sequence[Response]) -> dict[str, int]:
    """Answers by kind; resources are rooms and equipment, not people, and are left out."""
    people = [r for r in responses if r.kind != "resource"]
    return {a: sum(1 for r in people if r.answer == a) for a in ANSWERS}


def declined(responses: Sequence[Response]) -> list[str]:
    return [r.address for r in responses if r.answer == "declined"]


Reasons = Mapping[tuple[str, str], str]
"""(room, meeting subject) → the text of the room's decline (`CalendarBackend.room_answers`)."""


def room_answer(o: ObservedMeeting, r: Response, reasons: Reasons) -> str:
    """A room's answer in words: accepted, declined with its reason, or that it has not answered."""
    if r.answer == "declined":
        why = reasons.get((r.address, o.meeting.subject))
        return f"declined ({why})" if why else "declined"
    return r.answer if r.answer != "none" else "has not answered"


def proposal(r: Response) -> str:
    """A proposed new time in words (UTC): `2027-01-06 15:00–16:00 UTC`."""
    assert r.proposed is not None
    start, end = r.proposed
    until = f"{end:%H:%M}" if end.date() == start.date() else f"{end:%Y-%m-%d %H:%M}"
    return f"{start:%Y-%m-%d %H:%M}–{until} UTC"


def _proposals(o: ObservedMeeting) -> list[str]:
    return [f"{r.address} proposes {proposal(r)}" for r in o.responses if r.proposed]


def answers_data(responses: Sequence[Response]) -> list[dict[str, Any]]:
    """Each attendee's answer as JSON data."""
    return [
        {
            "address": r.address,
            "kind": r.kind,
            "answer": r.answer,
            "at": r.at.isoformat() if r.at else None,
            "proposed": [t.isoformat() for t in r.proposed] if r.proposed else None,
        }
        for r in responses
    ]


def _rooms(o: ObservedMeeting) -> list[Response]:
    return [r for r in o.responses if r.kind == "resource"]


def _declined_rooms_first(meetings: Sequence[ObservedMeeting]) -> list[ObservedMeeting]:
    return sorted(meetings, key=lambda o: not any(r.answer == "declined" for r in _rooms(o)))


def to_data(meetings: Sequence[ObservedMeeting], reasons: Reasons | None = None) -> list[dict[str, Any]]:
    reasons = reasons or {}
    return [
        {
            "key": o.marker.key,
            "subject": o.meeting.subject,
            "organizer": o.meeting.organizer,
            "counts": counts(o.responses),
            "declined": declined(o.responses),
            "responses": answers_data(o.responses),
            "rooms": [
                {
                    "address": r.address,
                    "answer": r.answer,
                    "reason": reasons.get((r.address, o.meeting.subject)),
                }
                for r in _rooms(o)
            ],
        }
        for o in meetings
    ]


def render_text(meetings: Sequence[ObservedMeeting], reasons: Reasons | None = None) -> str:
    if not meetings:
        return "no managed meetings found"
    reasons = reasons or {}
    width = max(len(o.marker.key) for o in meetings)
    lines = []
    for o in meetings:
        c = counts(o.responses)
        line = (
            f"{o.marker.key:<{width}}  accepted {c['accepted']} · tentative {c['tentative']} · "
            f"declined {c['declined']} · no answer {c['none']}"
        )
        gone = [r.address for r in o.responses if r.answer == "declined" and r.kind != "resource"]
        line += f"  · declined: {', '.join(gone)}" if gone else ""
        line += "".join(f"  · room {r.address} {room_answer(o, r, reasons)}" for r in _rooms(o))
        line += "".join(f"  · {p}" for p in _proposals(o))
        lines.append(inert(line))
    return "\n".join(lines)


def render_markdown(meetings: Sequence[ObservedMeeting], reasons: Reasons | None = None) -> str:
    """A table for a CI job summary (meeting text escaped); meetings a room declined come first."""
    reasons = reasons or {}
    out = [
        "| meeting | accepted | tentative | declined | no answer | declined by | rooms, proposed times |",
        "| --- | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for o in _declined_rooms_first(meetings):
        c = counts(o.responses)
        who = ", ".join(r.address for r in o.responses if r.answer == "declined" and r.kind != "resource")
        rooms = "; ".join(f"{r.address}: {room_answer(o, r, reasons)}" for r in _rooms(o))
        rooms = "; ".join(x for x in (rooms, *_proposals(o)) if x)
        out.append(
            f"| `{o.marker.key}` {md_escape(o.meeting.subject)} | {c['accepted']} | {c['tentative']} | "
            f"{c['declined']} | {c['none']} | {md_escape(who)} | {md_escape(rooms)} |"
        )
    return "\n".join(out) + "\n"


def attendee_lines(observed: ObservedMeeting, reasons: Reasons | None = None) -> list[str]:
    """One line per attendee: address, kind, answer and when (for `show`); a room's decline, and why."""
    if not observed.responses:
        return ["  (no attendees)"]
    width = max(len(r.address) for r in observed.responses)
    return [
        inert(
            f"  {r.address:<{width}}  {r.kind:<8}  {r.answer:<9}"
            + (f"  {r.at:%Y-%m-%d %H:%M} UTC" if r.at else "")
            + (f"  proposes {proposal(r)}" if r.proposed else "")
            + (
                f"  {room_answer(observed, r, reasons or {})}"
                if r.kind == "resource" and r.answer in ("declined", "none")
                else ""
            )
        )
        for r in observed.responses
    ]


def reasons_for(backend: Any, meetings: Sequence[ObservedMeeting]) -> dict[tuple[str, str], str]:
    """The rooms' declines of `meetings`, read only from organizers whose meetings a room declined."""
    out: dict[tuple[str, str], str] = {}
    organizers = {o.meeting.organizer for o in meetings if any(r.answer == "declined" for r in _rooms(o))}
    for organizer in sorted(organizers):
        answers = backend.room_answers(organizer)
        out.update(reasons_out_of_reach(meetings, organizer) if answers is None else answers)
    return out
