"""Checks a plan must pass before anything is written. Pure.

Some refusals are absolute (organizers outside the allow-list; an empty desired set cancelling everything);
the thresholds (cancellations, share of meetings changed, daily recipients) yield to `--force`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatch

from reconciler.config import Settings, Target
from reconciler.desired.model import Meeting
from reconciler.plan.changes import Plan
from reconciler.plan.conflicts import Conflict, total
from reconciler.plan.rooms import RoomWarning
from reconciler.wording import counted

MIN_MANAGED_FOR_PERCENT = 10


@dataclass(frozen=True)
class Refusal:
    message: str
    forceable: bool


def organizer_refusals(organizers: set[str], settings: Settings) -> list[Refusal]:
    """Organizers the policy does not allow acting for (checked before the calendars are even read)."""
    patterns = [p.lower() for p in settings.policy.allowed_organizers]
    return [
        Refusal(f"organizer {o} is not in policy.allowed_organizers ({', '.join(patterns)})", False)
        for o in sorted(organizers)
        if not any(fnmatch(o.lower(), p) for p in patterns)
    ]


def target_refusals(meetings: Sequence[Meeting], sources: Mapping[str, object], target: Target) -> list[str]:
    """What the meeting files ask that the target cannot do, each naming the file and the fix.

    Graph sends invitations, updates and cancellations itself (no `notify: none`); EWS cannot create Teams
    meetings (no `online_meeting`).
    """
    out = []
    for m in sorted(meetings, key=lambda m: m.key):
        where = f"{sources[m.key]}: " if m.key in sources else ""
        if target.speaks == "graph" and m.notify == "none":
            out.append(
                f"{where}{m.key}: `notify: none` cannot be honoured on a graph target (Microsoft Graph sends "
                "invitations, updates and cancellations itself); remove it or use an ews target"
            )
        if target.speaks == "ews" and m.online_meeting:
            out.append(
                f"{where}{m.key}: `online_meeting: {m.online_meeting}` needs a graph target: EWS cannot "
                "create Teams meetings; use kind: graph (Exchange Online), or put a standing join link in "
                "`location` or `body`"
            )
    return out


def check(
    plan: Plan,
    settings: Settings,
    conflicts: Sequence[Conflict] = (),
    rooms: Sequence[RoomWarning] = (),
    thresholds: bool = True,
) -> list[Refusal]:
    """Everything that stops `plan` from being applied (`conflicts`: the double bookings found with it;
    `rooms`: what rooms will decline or did). `thresholds=False` for one shard's plan: the thresholds hold
    for the whole repository, so they are applied to the merged plan of every shard."""
    policy = settings.policy
    out = organizer_refusals({c.organizer for c in plan.changes}, settings)
    coming = [w for w in rooms if not w.answered]
    if coming and policy.rooms == "error":  # rooms would decline what the plan sends (not forceable)
        out.append(
            Refusal(
                f"{counted(len(coming), 'room')} would decline what the plan sends and policy.rooms is "
                "error; see the warnings",
                False,
            )
        )
    if conflicts and policy.conflicts == "error":  # double bookings stop plan and apply (not forceable)
        out.append(
            Refusal(
                f"{counted(total(conflicts), 'double booking')} and policy.conflicts is error; "
                "see the warnings",
                False,
            )
        )
    cancels = sum(1 for c in plan.changes if c.action == "cancel")
    if plan.desired == 0 and cancels:
        out.append(
            Refusal(
                "the meeting files define no meetings but the calendars hold "
                f"{counted(cancels, 'managed meeting')}; an empty desired set never cancels everything "
                "(check the meetings path)",
                False,
            )
        )
    if not thresholds:
        return out
    if cancels > policy.max_cancellations:
        out.append(
            Refusal(
                f"{cancels} cancellations exceed policy.max_cancellations ({policy.max_cancellations})", True
            )
        )
    changed = sum(1 for c in plan.changes if c.writes and c.action in ("update", "drift", "cancel", "rename"))
    if plan.managed >= MIN_MANAGED_FOR_PERCENT:
        percent = 100 * changed / plan.managed
        if percent > policy.max_change_percent:
            out.append(
                Refusal(
                    f"{changed} of {plan.managed} managed meetings change ({percent:.0f}%), above "
                    f"policy.max_change_percent ({policy.max_change_percent:g}%)",
                    True,
                )
            )
    if plan.deliveries > policy.recipients_per_day:
        out.append(
            Refusal(
                f"the plan sends to {plan.deliveries} recipients, above policy.recipients_per_day "
                f"({policy.recipients_per_day})",
                True,
            )
        )
    return out


def blocking(refusals: list[Refusal], force: bool) -> list[Refusal]:
    return [r for r in refusals if not r.forceable or not force]
