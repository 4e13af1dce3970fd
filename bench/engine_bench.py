"""Plan and apply 100 and 1,000 meetings (3 attendees each, half recurring) against the sandbox, beside a
naive reconcile that looks each meeting up with its own request, measured in the same run.

Pacing is set out of the way (a very high message rate) so the figures show the machinery, not the wait
Exchange Online's 30 messages a minute would impose (1,000 invitations ≈ 33 minutes).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import exchangelib
from exchangelib.transport import NOAUTH

from bench.common import Measurement, measure, report
from reconciler.apply import MailboxPacers, Pacer, apply_plan
from reconciler.backends.ews.backend import EwsBackend
from reconciler.backends.ews.mapping import READ_FIELDS
from reconciler.config import Policy, Settings
from reconciler.desired.model import Attendee, Attendees, Meeting, Recurrence
from reconciler.plan.diff import diff
from reconciler.sandbox import Sandbox

ORGANIZER = "lead@example.com"


def meetings(n: int) -> list[Meeting]:
    out = []
    for i in range(n):
        start = datetime(2027, 1, 4, 8) + timedelta(days=i % 5, minutes=15 * (i % 32))
        out.append(
            Meeting(
                key=f"m{i:04d}",
                subject=f"Meeting {i}",
                organizer=ORGANIZER,
                start=start,
                duration=timedelta(minutes=30),
                timezone="Europe/Amsterdam",
                attendees=Attendees(
                    required=tuple(sorted(Attendee(f"p{(i + j) % 50}@example.com") for j in range(3)))
                ),
                recurrence=Recurrence(
                    "week", days=(("mon", "tue", "wed", "thu", "fri")[start.weekday()],), count=10
                )
                if i % 2
                else None,
            )
        )
    return out


def run_size(n: int) -> list[Measurement]:
    rows = []
    desired = meetings(n)
    settings = Settings(
        "bench",
        Path("."),
        policy=Policy(
            message_rate_per_minute=1e9, max_change_percent=100, max_cancellations=n, recipients_per_day=10**9
        ),
    )
    with Sandbox() as sb:
        backend = EwsBackend(sb.endpoint, auth_type=NOAUTH, pin_version=True)
        backend.observe(ORGANIZER, "bench")  # connection and folder lookups are not part of the figures
        with measure(f"plan {n} (empty calendar)", lambda: sb.requests) as m:
            plan = diff(desired, [backend.observe(ORGANIZER, "bench")], settings, backend.target)
        rows.append(m)
        with measure(f"apply {n} creates ({plan.messages} invitations)", lambda: sb.requests) as m:
            outcomes = apply_plan(plan, backend, MailboxPacers(lambda: Pacer(1e9)))
        assert all(o.ok for o in outcomes) and len(outcomes) == n
        rows.append(m)
        with measure(f"plan {n} again (no changes)", lambda: sb.requests) as m:
            again = diff(desired, [backend.observe(ORGANIZER, "bench")], settings, backend.target)
        assert not again.changes, [(c.key, c.summary, c.fields) for c in again.changes][:3]
        rows.append(m)
        with measure("  same, traced for peak memory (slower)", lambda: sb.requests, memory=True) as m:
            diff(desired, [backend.observe(ORGANIZER, "bench")], settings, backend.target)
        rows.append(m)
        account = backend.account(ORGANIZER)
        with measure(f"naive: look up {n} meetings one request each", lambda: sb.requests) as m:
            found = 0
            for meeting in desired:
                found += len(list(account.calendar.filter(reconciler_key=meeting.key).only(*READ_FIELDS)))
        assert found == n
        rows.append(m)
        backend.close()
    exchangelib.close_connections()
    return rows


def main() -> None:
    for n in (100, 1000):
        report(f"engine: {n} meetings, 3 attendees each, half recurring (sandbox, in-memory)", run_size(n))


if __name__ == "__main__":
    main()
