"""Sandbox throughput with exchangelib as the client (issue: the sandbox must never make a reconcile slow).

1. bulk create of 1,000 meetings with three attendees each (invitations delivered to every attendee);
2. FindItem + GetItem read of 1,000 calendar items carrying an extended property (target: under 1 s);
3. plain GetItem requests per second.
"""

from __future__ import annotations

from datetime import timedelta

import exchangelib
from exchangelib import Attendee, CalendarItem, EWSDateTime, EWSTimeZone, Mailbox
from exchangelib.extended_properties import ExtendedProperty
from exchangelib.items import SEND_TO_ALL_AND_SAVE_COPY

from bench.common import Measurement, account, measure, report
from reconciler.sandbox import Sandbox

N = 1000


class BenchKey(ExtendedProperty):
    distinguished_property_set_id = "PublicStrings"
    property_name = "bench-key"
    property_type = "String"


def run() -> list[Measurement]:
    CalendarItem.register("bench_key", BenchKey)
    rows = []
    try:
        with Sandbox() as sb:
            lead = account(sb.endpoint, "lead@example.com")
            tz = EWSTimeZone("Europe/Amsterdam")
            start = EWSDateTime(2027, 1, 4, 9, tzinfo=tz)
            people = [Attendee(mailbox=Mailbox(email_address=f"p{i}@example.com")) for i in range(3)]
            items = [
                CalendarItem(
                    account=lead,
                    folder=lead.calendar,
                    subject=f"Meeting {i}",
                    start=start,
                    end=start + timedelta(minutes=30),
                    required_attendees=people,
                    bench_key=f"k{i}",
                )
                for i in range(N)
            ]
            lead.calendar  # noqa: B018  (folder lookup is not part of the measurement)
            with measure(f"bulk create {N} meetings x 3 attendees", lambda: sb.requests, memory=False) as m:
                results = lead.bulk_create(
                    folder=lead.calendar, items=items, send_meeting_invitations=SEND_TO_ALL_AND_SAVE_COPY
                )
            assert sum(1 for r in results if not isinstance(r, Exception)) == N
            m.extra["items/s"] = N / m.seconds
            rows.append(m)
            with measure(f"FindItem+GetItem read of {N} items with ext. property", lambda: sb.requests) as m:
                got = list(
                    lead.calendar.filter(bench_key__exists=True).only(
                        "subject", "start", "end", "bench_key", "required_attendees", "location"
                    )
                )
            assert len(got) == N
            rows.append(m)
            one = results[0]
            count = 300
            with measure(f"plain GetItem x {count}", lambda: sb.requests) as m:
                for _ in range(count):
                    list(lead.fetch(ids=[(one.id, one.changekey)], only_fields=["subject"]))
            m.extra["requests/s"] = count / m.seconds
            rows.append(m)
    finally:
        CalendarItem.deregister("bench_key")
        exchangelib.close_connections()
    return rows


if __name__ == "__main__":
    report("EWS sandbox", run())
