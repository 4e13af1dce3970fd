"""`reconciler access`: what the configured identity can do with each organizer's calendar, and whether it
reaches mailboxes the reconciler does not need (an app that can read the whole tenant).

One request per organizer (`CalendarBackend.reach`), and one for each of a few attendees of the meeting files
who organize nothing: a tenant answers those with a refusal when the identity is scoped to the organizers
(Graph: "Access to OData is disabled."; EWS: ErrorImpersonateUserDenied), and reads them when it is not.
Exit codes a CI job can use: 0 every organizer allows what the job needs and nothing beyond is reached,
3 an organizer does not allow it, 4 it does but the identity reaches further than it needs (mailboxes
beyond the organizers, or writing when the job only reads).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reconciler.backends.base import CalendarBackend, Reach
from reconciler.wording import counted

PROBES = 3
"""Attendees asked about: enough to tell a scoped identity from a tenant-wide one."""
LACKING, WIDER = 3, 4


@dataclass(frozen=True)
class Report:
    need: str
    """read (plan, drift, show, responses) or write (apply)."""
    organizers: tuple[Reach, ...]
    beyond: tuple[Reach, ...]
    """Mailboxes that are no organizer's, as far as they were asked about."""

    @property
    def lacking(self) -> tuple[Reach, ...]:
        return tuple(r for r in self.organizers if not (r.write if self.need == "write" else r.read))

    @property
    def reached_beyond(self) -> tuple[Reach, ...]:
        return tuple(r for r in self.beyond if r.read)

    @property
    def writes_when_reading(self) -> bool:
        return self.need == "read" and any(r.write for r in self.organizers)

    @property
    def exit_code(self) -> int:
        if self.lacking:
            return LACKING
        return WIDER if self.reached_beyond or self.writes_when_reading else 0


def check(backend: CalendarBackend, organizers: Sequence[str], others: Sequence[str], need: str) -> Report:
    asked = sorted(set(others) - set(organizers))[:PROBES]
    return Report(
        need,
        tuple(backend.reach(m) for m in sorted(set(organizers))),
        tuple(backend.reach(m) for m in asked),
    )


def _can(r: Reach) -> str:
    return "read, write" if r.write else "read" if r.read else "nothing"


def render(report: Report, scoping: str) -> str:
    """The report in words; `scoping`: how this target's identity is scoped to the organizers."""
    width = max((len(r.mailbox) for r in (*report.organizers, *report.beyond)), default=0)
    lines = [f"what the identity can do with each organizer's calendar (this job needs: {report.need}):"]
    for r in report.organizers:
        lines.append(f"  {r.mailbox:<{width}}  {_can(r)}" + (f"  — {r.refusal}" if r.refusal else ""))
    if report.writes_when_reading:
        lines.append(
            "this identity can write: a plan or drift job should hold a read identity (Calendars.Read, a "
            "Reviewer delegate), and only apply the write one"
        )
    if report.reached_beyond:
        names = ", ".join(r.mailbox for r in report.reached_beyond)
        lines.append(f"it also reaches mailboxes that are no organizer's ({names}): {scoping}")
    elif report.beyond:
        asked = counted(len(report.beyond), "calendar")
        lines.append(f"scoped: the {asked} asked about beyond the organizers' refused it, as they should")
    return "\n".join(lines)
