"""Who accepted, who declined: attendees' answers as the organizers' items record them. Pure rendering.

The answers come from the same batched reads as the plan (`observe`: no request per meeting or attendee),
so `reconciler responses` costs what a plan costs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reconciler.backends.base import ObservedMeeting, Response
from reconciler.plan.render import md_escape

ANSWERS = ("accepted", "tentative", "declined", "none")


def counts(responses: Sequence[Response]) -> dict[str, int]:
    """Answers by kind; resources are rooms and equipment, not people, and are left out."""
    people = [r for r in responses if r.kind != "resource"]
    return {a: sum(1 for r in people if r.answer == a) for a in ANSWERS}


def declined(responses: Sequence[Response]) -> list[str]:
    return [r.address for r in responses if r.answer == "declined"]


def answers_data(responses: Sequence[Response]) -> list[dict[str, Any]]:
    """Each attendee's answer as JSON data."""
    return [
        {"address": r.address, "kind": r.kind, "answer": r.answer, "at": r.at.isoformat() if r.at else None}
        for r in responses
    ]


def to_data(meetings: Sequence[ObservedMeeting]) -> list[dict[str, Any]]:
    return [
        {
            "key": o.marker.key,
            "subject": o.meeting.subject,
            "organizer": o.meeting.organizer,
            "counts": counts(o.responses),
            "declined": declined(o.responses),
            "responses": answers_data(o.responses),
        }
        for o in meetings
    ]


def render_text(meetings: Sequence[ObservedMeeting]) -> str:
    if not meetings:
        return "no managed meetings found"
    width = max(len(o.marker.key) for o in meetings)
    lines = []
    for o in meetings:
        c = counts(o.responses)
        line = (
            f"{o.marker.key:<{width}}  accepted {c['accepted']} · tentative {c['tentative']} · "
            f"declined {c['declined']} · no answer {c['none']}"
        )
        gone = declined(o.responses)
        lines.append(line + (f"  · declined: {', '.join(gone)}" if gone else ""))
    return "\n".join(lines)


def render_markdown(meetings: Sequence[ObservedMeeting]) -> str:
    """A table for a CI job summary (meeting text escaped)."""
    out = [
        "| meeting | accepted | tentative | declined | no answer | declined by |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for o in meetings:
        c = counts(o.responses)
        who = ", ".join(declined(o.responses))
        out.append(
            f"| `{o.marker.key}` {md_escape(o.meeting.subject)} | {c['accepted']} | {c['tentative']} | "
            f"{c['declined']} | {c['none']} | {md_escape(who)} |"
        )
    return "\n".join(out) + "\n"


def attendee_lines(observed: ObservedMeeting) -> list[str]:
    """One line per attendee: address, kind, answer and when (for `show`)."""
    if not observed.responses:
        return ["  (no attendees)"]
    width = max(len(r.address) for r in observed.responses)
    return [
        f"  {r.address:<{width}}  {r.kind:<8}  {r.answer:<9}"
        + (f"  {r.at:%Y-%m-%d %H:%M} UTC" if r.at else "")
        for r in observed.responses
    ]
