"""Incremental observation equals a full read, whatever other clients did meanwhile (`backends/snapshot.py`).

Random sequences of edits made through EWS by other clients (the organizer's Outlook, attendees, rooms):
times, locations, attendees, bodies, a deleted item or one moved to Deleted Items, an occurrence changed
or cancelled, an attendee's or a room's answer, a new unmanaged meeting, a copy of a managed one (its
marker copied with it), another repository's meeting, and now and then the reconciler's own apply. After
each, the plan's observation as replayed from the snapshot equals the `--full-read` one, item for item, on
EWS and on Graph, and so does the plan made from it. (The sandbox has no MoveItem: an item moved away is
one moved to Deleted Items.)

`RECONCILER_EQUIVALENCE_EXAMPLES` sets how many sequences hypothesis tries per protocol (`make equivalence`
runs 1,000; the suite a few).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import exchangelib
import pytest
from exchangelib import Account, CalendarItem, Configuration, Version
from exchangelib.errors import ErrorItemNotFound
from exchangelib.items import SEND_TO_NONE
from exchangelib.properties import Attendee, Mailbox
from exchangelib.transport import NOAUTH
from exchangelib.version import Build
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler import run
from reconciler.backends import snapshot
from reconciler.backends.base import Observation
from reconciler.backends.ews import marker
from reconciler.backends.factory import open_backend
from reconciler.plan.diff import diff
from reconciler.sandbox import Sandbox
from tests.calendars import meetings_of
from tests.e2e.conftest import REVIEW, SYNC, _config, sandbox_target

EXAMPLES = int(os.environ.get("RECONCILER_EQUIVALENCE_EXAMPLES", "8"))
LEAD = "lead@example.com"
MEETINGS = {
    "sync.yaml": SYNC,
    "review.yaml": REVIEW,
    "daily.yaml": """\
key: daily
subject: Daily stand-up
organizer: lead@example.com
timezone: Europe/Amsterdam
attendees:
  required: [alice@example.com]
start: 2027-01-04T09:00
duration: 15m
repeat: {every: day, count: 10}
""",
}
ACTIONS = (
    "time",
    "location",
    "attendees",
    "body",
    "delete",
    "move",
    "occurrence",
    "cancel occurrence",
    "answer",
    "room answer",
    "unmanaged",
    "copy",
    "other namespace",
    "apply",
)


@dataclass
class World:
    sandbox: Sandbox
    settings: object
    backend: object
    lead: Account
    accounts: dict[str, Account]

    def account(self, address: str) -> Account:
        if address not in self.accounts:
            self.accounts[address] = _account(self.sandbox, address)
        return self.accounts[address]


def _account(sb: Sandbox, address: str) -> Account:
    if sb.ca_path is not None:
        from exchangelib.protocol import BaseProtocol

        from reconciler.backends.ews.http import adapter_class

        BaseProtocol.HTTP_ADAPTER_CLS = adapter_class(str(sb.ca_path), True)
    config = Configuration(service_endpoint=sb.endpoint, auth_type=NOAUTH, version=Version(Build(15, 1)))
    marker.register()
    return Account(address, config=config, autodiscover=False, access_type=exchangelib.IMPERSONATION)


@contextmanager
def _world(kind: str, root: Path) -> Iterator[World]:
    """The three meetings applied to a sandbox of their own, over `kind`."""
    patch = pytest.MonkeyPatch()
    with Sandbox(db=str(root / "server.sqlite3"), tls=kind == "graph") as sb:
        _config(root, sandbox_target(sb, patch))
        for name, text in MEETINGS.items():
            (root / "meetings").mkdir(exist_ok=True)
            (root / "meetings" / name).write_text(text)
        settings_ = run.settings_for(root / "reconciler.yaml")
        with open_backend(settings_) as backend:
            world = World(sb, settings_, backend, _account(sb, LEAD), {})
            _apply(world)
            yield world
    patch.undo()
    exchangelib.close_connections()


@pytest.fixture(scope="module", params=["ews", "graph"])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One calendar for every sequence: each goes on from where the last one left it."""
    with _world(request.param, tmp_path_factory.mktemp(f"incremental-{request.param}")) as made:
        yield made


def _apply(world: World) -> None:
    planned = run.make_plan(world.settings, world.backend, run.load_desired(world.settings))
    assert not [r for r in planned.refusals if not r.forceable], planned.refusals
    run.run_apply(world.settings, world.backend, planned, lambda line: None)


def _managed(world: World) -> list[CalendarItem]:
    return sorted(
        meetings_of(world.lead).filter(reconciler_key__exists=True).only("subject", "start", "end", "uid"),
        key=lambda i: i.id,
    )


def _edit(world: World, action: str, pick: int) -> None:
    if action == "apply":
        _apply(world)
        return
    items = _managed(world)
    if action == "unmanaged":
        start = datetime(2027, 2, 1, 8, tzinfo=UTC) + timedelta(hours=pick % 50)
        CalendarItem(
            account=world.lead,
            folder=world.lead.calendar,
            subject=f"Private {pick}",
            start=start,
            end=start + timedelta(minutes=30),
        ).save(send_meeting_invitations=SEND_TO_NONE)
        return
    if not items:
        return
    chosen = world.lead.calendar.get(id=items[pick % len(items)].id)
    if action == "time":
        chosen.start += timedelta(hours=1)
        chosen.end += timedelta(hours=1)
        chosen.save(update_fields=["start", "end"], send_meeting_invitations=SEND_TO_NONE)
    elif action == "location":
        chosen.location = f"Room {pick % 7}"
        chosen.save(update_fields=["location"], send_meeting_invitations=SEND_TO_NONE)
    elif action == "attendees":
        guest = Attendee(
            mailbox=Mailbox(email_address=f"guest{pick % 3}@example.com"), response_type="Unknown"
        )
        chosen.required_attendees = [*(chosen.required_attendees or [])[:1], guest]
        chosen.save(update_fields=["required_attendees"], send_meeting_invitations=SEND_TO_NONE)
    elif action == "body":
        chosen.body = f"Edited in Outlook ({pick})"
        chosen.save(update_fields=["body"], send_meeting_invitations=SEND_TO_NONE)
    elif action == "delete":
        chosen.delete(send_meeting_cancellations=SEND_TO_NONE)
    elif action == "move":
        chosen.move_to_trash(send_meeting_cancellations=SEND_TO_NONE)  # to Deleted Items, as Outlook does
    elif action in ("occurrence", "cancel occurrence"):
        if chosen.type != "RecurringMaster":
            return
        span = world.lead.calendar.view(start=chosen.start, end=chosen.start + timedelta(days=90))
        occurrences = [o for o in span if o.uid == chosen.uid]
        if not occurrences:
            return
        occurrence = occurrences[pick % len(occurrences)]
        if action == "occurrence":
            occurrence.start += timedelta(minutes=30)
            occurrence.end += timedelta(minutes=30)
            occurrence.save(update_fields=["start", "end"], send_meeting_invitations=SEND_TO_NONE)
        else:
            occurrence.delete(send_meeting_cancellations=SEND_TO_NONE)
    elif action in ("answer", "room answer"):
        attendees = [
            a.mailbox.email_address
            for a in (chosen.resources if action == "room answer" else chosen.required_attendees) or []
        ]
        if not attendees:
            return
        who = world.account(attendees[pick % len(attendees)])
        theirs = [i for i in who.calendar.all().only("uid") if i.uid == chosen.uid]
        if theirs:
            theirs[0] = who.calendar.get(id=theirs[0].id)
            (theirs[0].accept if pick % 2 else theirs[0].decline)(message_disposition="SendAndSaveCopy")
    elif action in ("copy", "other namespace"):
        full = world.lead.calendar.get(id=chosen.id)
        copy = CalendarItem(
            account=world.lead,
            folder=world.lead.calendar,
            subject=full.subject,
            start=full.start,
            end=full.end,
            location=full.location,
            reconciler_namespace="other" if action == "other namespace" else full.reconciler_namespace,
            reconciler_key=full.reconciler_key,
            reconciler_spec_hash=full.reconciler_spec_hash,
            reconciler_timezone=full.reconciler_timezone,
        )
        copy.save(send_meeting_invitations=SEND_TO_NONE)


def _differences(a: object, b: object) -> list[str]:
    """The fields in which two observed meetings differ (for a readable failure)."""
    import dataclasses

    out = []
    for f in dataclasses.fields(a):  # type: ignore[arg-type]
        x, y = getattr(a, f.name), getattr(b, f.name)
        if x != y:
            inner = _differences(x, y) if dataclasses.is_dataclass(x) and dataclasses.is_dataclass(y) else []
            out += [f"{f.name}.{d}" for d in inner] or [f"{f.name}: {x!r} != {y!r}"]
    return out


def _same(incremental: Observation, full: Observation) -> None:
    for a, b in zip(incremental.meetings, full.meetings, strict=False):
        assert a == b, _differences(a, b)
    assert incremental.meetings == full.meetings
    assert incremental.duplicates == full.duplicates
    assert incremental.other_namespaces == full.other_namespaces
    assert incremental.baseline.entries == full.baseline.entries


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(st.tuples(st.sampled_from(ACTIONS), st.integers(0, 1000)), min_size=1, max_size=4))
def test_an_incremental_plan_equals_a_full_read(world: World, steps: list[tuple[str, int]]) -> None:
    namespace = world.settings.namespace
    desired = run.load_desired(world.settings)
    now = datetime(2026, 12, 7, tzinfo=UTC)
    for action, pick in steps:
        with suppress(ErrorItemNotFound):  # an occurrence or item another step removed meanwhile
            _edit(world, action, pick)
        incremental = world.backend.observe(LEAD, namespace)
        full = world.backend.observe(LEAD, namespace, full=True)
        _same(incremental, full)
        plans = [
            diff(desired.meetings, [o], world.settings, "t", now, desired.checksum)
            for o in (incremental, full)
        ]
        assert plans[0].checksum == plans[1].checksum, action


@pytest.mark.parametrize(("kind", "requests"), [("ews", 3), ("graph", 1)])
def test_a_no_change_plan_reads_no_item(kind: str, requests: int, tmp_path: Path) -> None:
    """Right after an apply, a plan reads the record and asks what changed (EWS: a FindItem and a GetItem
    of the record, one SyncFolderItems; Graph: one `$batch` of the marked events and the record): no item
    is read, nothing is expanded, and it observes what a full read does."""
    with _world(kind, tmp_path) as world:
        observed = world.backend.observe(LEAD, world.settings.namespace)
        full = world.backend.observe(LEAD, world.settings.namespace, full=True)
        assert observed.meetings == full.meetings and len(observed.meetings) == len(MEETINGS)
        assert observed.requests == requests < full.requests
        kept = observed.baseline.snapshot
        assert kept is not None and not snapshot.replayed(kept.listing, world.settings.namespace, kept)[1]


def test_a_state_the_server_no_longer_knows_means_reading_everything(tmp_path: Path) -> None:
    """ErrorInvalidSyncStateData: SyncFolderItems again without a state, and every managed item read."""
    with _world("ews", tmp_path) as world:
        namespace = world.settings.namespace
        _edit(world, "location", 1)
        world.sandbox.store.conn.execute("DELETE FROM sync_states")
        observed = world.backend.observe(LEAD, namespace)
        full = world.backend.observe(LEAD, namespace, full=True)
        _same(observed, full)
        assert observed.requests == full.requests + 1  # the refused SyncFolderItems


@pytest.mark.parametrize(("kind", "requests"), [("ews", 3), ("graph", 1)])
def test_a_record_an_older_version_kept_plans_as_before_then_incrementally(
    kind: str, requests: int, tmp_path: Path
) -> None:
    """A record as the versions before incremental observation kept it (its meetings, no snapshot): the
    first plan reads every item as they did and plans nothing; the apply after keeps a snapshot (sending
    nothing), and the next plan reads no item."""
    with _world(kind, tmp_path) as world:
        namespace = world.settings.namespace
        seen = world.backend.observe(LEAD, namespace)
        older = world.backend.write_baseline(LEAD, namespace, replace(seen.baseline, snapshot=None))
        assert older.snapshot is None and "snapshot" not in older.to_text()
        first = world.backend.observe(LEAD, namespace)
        full = world.backend.observe(LEAD, namespace, full=True)
        _same(first, full)
        assert first.requests >= full.requests > requests
        planned = run.make_plan(world.settings, world.backend, run.load_desired(world.settings))
        assert planned.plan.changes == () and planned.plan.learns == (LEAD,)
        inbox = world.sandbox.store.items("alice@example.com", "inbox")
        _apply(world)
        assert world.sandbox.store.items("alice@example.com", "inbox") == inbox  # nothing sent
        after = world.backend.observe(LEAD, namespace)
        _same(after, world.backend.observe(LEAD, namespace, full=True))
        assert after.requests == requests and after.baseline.snapshot is not None
