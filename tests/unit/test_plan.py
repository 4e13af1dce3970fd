"""The pure core: diff, plan JSON and checksum, safety, renderings, pacing. No server involved."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from reconciler.apply import Pacer, write_messages
from reconciler.backends.base import Marker, Observation, ObservedMeeting
from reconciler.config import Notify, Policy, Settings
from reconciler.desired.canonical import spec_hash
from reconciler.desired.model import Attendee, Attendees, Meeting, Recurrence
from reconciler.plan import safety
from reconciler.plan.changes import Plan
from reconciler.plan.diff import diff
from reconciler.plan.render import md_escape, render_markdown, render_text

SETTINGS = Settings("acme", Path("meetings"), policy=Policy(allowed_organizers=("*@example.com",)))


def meeting(key: str = "sync", **changes: object) -> Meeting:
    base = Meeting(
        key=key,
        subject="Team sync",
        organizer="lead@example.com",
        start=datetime(2027, 1, 4, 10),
        duration=timedelta(minutes=30),
        timezone="Europe/Amsterdam",
        attendees=Attendees(required=(Attendee("alice@example.com"), Attendee("bob@example.com"))),
        recurrence=Recurrence("week", days=("mon",), count=8),
    )
    return replace(base, **changes)


def observed(m: Meeting, hash_of: Meeting | None = None, key: str | None = None) -> ObservedMeeting:
    return ObservedMeeting(m, Marker("acme", key or m.key, spec_hash(hash_of or m)), f"id-{m.key}", "ck-1")


def plan_for(desired: list[Meeting], seen: list[ObservedMeeting], settings: Settings = SETTINGS) -> Plan:
    return diff(desired, [Observation("lead@example.com", tuple(seen))], settings, "test")


def test_create_update_cancel_and_nothing() -> None:
    a, b = meeting("a"), meeting("b")
    plan = plan_for(
        [a, b],
        [observed(meeting("b", location="X"), hash_of=meeting("b", location="X")), observed(meeting("c"))],
    )
    assert [(c.action, c.key) for c in plan.changes] == [("create", "a"), ("update", "b"), ("cancel", "c")]
    assert plan.changes[1].summary == 'location "X" → none'
    assert plan_for([a], [observed(a)]).changes == ()


def test_drift_when_the_hash_still_matches() -> None:
    desired = meeting(location="Room A")
    seen = observed(meeting(location="Room B"), hash_of=desired)
    [change] = plan_for([desired], [seen]).changes
    assert change.action == "drift" and change.reason.startswith("edited in the calendar")
    assert change.writes[0].kind == "update" and change.writes[0].fields == ("location",)


def test_rename_sends_nothing() -> None:
    desired = meeting("new", previous_keys=("old",))
    [change] = plan_for([desired], [observed(meeting("old"), key="old")]).changes
    assert (change.action, change.messages, change.writes[0].send) == ("rename", 0, "none")
    assert change.writes[0].marker.key == "new"


def test_send_options_follow_policy_and_override() -> None:
    changed = replace(SETTINGS, policy=replace(SETTINGS.policy, notify=Notify(update="changed")))
    more = meeting(attendees=Attendees(required=(*meeting().attendees.required, Attendee("dan@example.com"))))
    [change] = plan_for([more], [observed(meeting())], changed).changes
    assert change.writes[0].send == "changed" and change.recipients == ("dan@example.com",)
    moved = replace(more, location="Roof")  # not only attendees: everyone is told
    assert plan_for([moved], [observed(meeting())], changed).changes[0].writes[0].send == "all"
    quiet = replace(moved, notify="none")
    assert plan_for([quiet], [observed(meeting())]).changes[0].messages == 0


def test_create_with_skips_sends_one_invitation() -> None:
    desired = meeting(skip=(date(2027, 1, 11),))
    [change] = plan_for([desired], []).changes
    assert [(w.kind, w.send) for w in change.writes] == [
        ("create", "none"),
        ("skip", "none"),
        ("invite", "all"),
    ]
    assert change.messages == 1 and change.deliveries == 2


def test_unskip_restores_and_reapplies() -> None:
    had = meeting(skip=(date(2027, 1, 11), date(2027, 1, 18)))
    want = meeting(skip=(date(2027, 1, 18),))
    [change] = plan_for([want], [observed(had)]).changes
    assert [(w.kind, w.occurrence) for w in change.writes] == [("restore", None), ("skip", date(2027, 1, 18))]


def test_duplicates_and_prune_off() -> None:
    extra = ObservedMeeting(meeting(), Marker("acme", "sync", spec_hash(meeting())), "id-2", "ck")
    obs = Observation("lead@example.com", (observed(meeting()),), duplicates=(extra,))
    plan = diff([meeting()], [obs], SETTINGS, "t")
    assert [(c.action, c.writes[0].send) for c in plan.changes] == [("duplicate", "none")]
    keep = replace(SETTINGS, policy=replace(SETTINGS.policy, prune=False))
    [orphan] = plan_for([meeting("x")], [observed(meeting("x")), observed(meeting("gone"))], keep).changes
    assert orphan.action == "orphan" and orphan.writes == ()


def test_organizer_change_cancels_there_and_creates_here() -> None:
    desired = meeting(organizer="priya@example.com")
    plan = plan_for([desired], [observed(meeting())])
    assert [(c.action, c.organizer) for c in plan.changes] == [
        ("cancel", "lead@example.com"),
        ("create", "priya@example.com"),
    ]


def test_plan_json_round_trip_and_checksum() -> None:
    plan = plan_for(
        [meeting("a", skip=(date(2027, 1, 11),)), meeting("b", location="L")],
        [observed(meeting("b"), hash_of=meeting("b"))],
    )
    again = Plan.from_json(plan.to_json())
    assert again == plan and again.checksum == plan.checksum
    other = plan_for([meeting("a")], [])
    assert other.checksum != plan.checksum
    with pytest.raises(ValueError, match="checksum"):
        Plan.from_json(plan.to_json().replace('"L"', '"M"'))


def test_safety_refusals() -> None:
    many = [observed(meeting(f"k{i}")) for i in range(12)]
    plan = plan_for([meeting("k0")], many)
    messages = [r.message for r in safety.check(plan, SETTINGS)]
    assert "11 cancellations exceed policy.max_cancellations (5)" in messages
    assert any("(92%), above policy.max_change_percent (30%)" in m for m in messages)
    empty = plan_for([], many)
    hard = [r for r in safety.check(empty, SETTINGS) if not r.forceable]
    assert len(hard) == 1 and "never cancels everything" in hard[0].message
    assert safety.blocking(safety.check(empty, SETTINGS), force=True) == hard
    outsider = safety.organizer_refusals({"ceo@other.org", "lead@example.com"}, SETTINGS)
    assert [r.message.split()[1] for r in outsider] == ["ceo@other.org"]


def test_text_rendering_matches_the_design() -> None:
    plan = plan_for(
        [meeting("a"), meeting("b", start=datetime(2027, 1, 4, 11))],
        [observed(meeting("b")), observed(meeting("c", start=datetime(2027, 1, 5, 9)))],
    )
    text = render_text(plan)
    lines = text.splitlines()
    assert lines[0] == "Plan: namespace acme → test"
    assert lines[1] == '+ create    a  "Team sync"  Mon 10:00–10:30 Europe/Amsterdam, 8 times · invites 2'
    assert lines[2].startswith('~ update    b  "Team sync"  start 10:00 → 11:00') and lines[2].endswith(
        "updates 2"
    )
    assert lines[3].startswith("- cancel    c") and lines[3].endswith("cancellations to 2")
    assert lines[-1] == (
        "1 create, 1 update, 1 cancel, 0 drift · 3 messages to 2 recipients · ~1 min at 30 messages/min"
    )
    assert "\x1b[" in render_text(plan, color=True) and "\x1b[" not in text


def test_a_create_and_a_cancel_of_the_same_schedule_get_the_previous_keys_hint() -> None:
    other = meeting("other", start=datetime(2027, 1, 4, 15))
    plan = plan_for([meeting("standup")], [observed(meeting("daily")), observed(other)])
    hinted = {c.key: c.reason for c in plan.changes}
    assert hinted["standup"] == "renamed from daily? add `previous_keys: [daily]` to keep it"
    assert hinted["daily"] == (
        "removed from the meeting files; renamed to standup? add `previous_keys: [daily]` there to keep it"
    )
    unrelated = plan_for([meeting("standup", start=datetime(2027, 1, 4, 9))], [observed(meeting("daily"))])
    assert {c.key: c.reason for c in unrelated.changes} == {
        "standup": "",
        "daily": "removed from the meeting files",
    }


HOSTILE = "**bold** <script>alert(1)</script> @everyone | `code` <!-- [x](http://evil) #1\nnext"


def test_markdown_escapes_meeting_text() -> None:
    plan = plan_for([meeting("a", subject=HOSTILE)], [])
    md = render_markdown(plan)
    for raw in ("<script>", "@everyone", "**bold**", "`code`", "<!--", "[x](", "| `code`", "\nnext"):
        assert raw not in md
    assert "&lt;script&gt;" in md and "@\u200beveryone" in md
    assert md_escape("a|b") == "a\\|b"
    table_rows = [line for line in md.splitlines() if line.startswith("| + create")]
    assert len(table_rows) == 1 and table_rows[0].count(" | ") == 3  # the subject cannot add a cell


def test_pacer_waits_for_the_sliding_minute() -> None:
    now = [0.0]
    pacer = Pacer(30, clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    for _ in range(3):
        pacer.take(20)
    assert now[0] == 120 and pacer.waited == 120


def test_write_messages_add_up() -> None:
    removed = meeting(attendees=Attendees(required=(Attendee("alice@example.com"),)))
    [change] = plan_for([removed], [observed(meeting())]).changes
    assert change.messages == 2 and sum(write_messages(change).values()) == 2


def test_organizers_are_read_side_by_side() -> None:
    """make_plan overlaps organizers' reads: two reads must be in flight at once to pass the barrier."""
    import threading

    from reconciler import run
    from reconciler.backends.base import Observation
    from reconciler.desired.load import LoadResult

    barrier = threading.Barrier(2, timeout=10)

    class Backend:
        target = "test"

        def observe(self, organizer: str, namespace: str, adopt=(), full=False) -> Observation:
            barrier.wait()  # a sequential reader never gets past this: BrokenBarrierError after 10 s
            return Observation(organizer, ())

    settings = Settings(
        "acme",
        Path("meetings"),
        organizers=("a@example.com", "b@example.com"),
        policy=Policy(allowed_organizers=("*@example.com",)),
    )
    planned = run.make_plan(settings, Backend(), LoadResult((), ()))  # type: ignore[arg-type]
    assert planned.plan.organizers == ("a@example.com", "b@example.com")


def test_organizers_are_written_side_by_side_each_paced_on_its_own() -> None:
    """Two organizers' writes must be in flight at once to pass the barrier; each mailbox has its pacer."""
    import threading

    from reconciler.apply import MailboxPacers, apply_plan
    from reconciler.backends.base import WriteResult

    barrier = threading.Barrier(2, timeout=10)
    written: dict[str, list[str]] = {}

    class Backend:
        def apply(self, organizer: str, writes: list) -> list[WriteResult]:
            barrier.wait()  # a sequential writer never gets past this: BrokenBarrierError after 10 s
            written.setdefault(organizer, []).extend(w.key for w in writes)
            return [WriteResult(w, item_id=f"id-{w.key}") for w in writes]

    people = Attendees(required=(Attendee("alice@example.com"), Attendee("bob@example.com")))
    desired = [
        meeting("a1", organizer="a@example.com", attendees=people),
        meeting("b1", organizer="b@example.com", attendees=people),
    ]
    plan = plan_for(desired, [])
    pacers = MailboxPacers(lambda: Pacer(30, clock=lambda: 0.0, sleep=lambda s: None))
    outcomes = apply_plan(plan, Backend(), pacers)  # type: ignore[arg-type]
    assert [o.change.key for o in outcomes] == ["a1", "b1"] and all(o.ok for o in outcomes)
    assert written == {"a@example.com": ["a1"], "b@example.com": ["b1"]}
    assert {m: len(p.sent) for m, p in pacers.pacers.items()} == {"a@example.com": 1, "b@example.com": 1}


def test_a_failed_plan_leaves_no_read_running() -> None:
    """The caller closes connections once make_plan returns: a read still running then hangs for ever."""
    import threading
    import time

    from reconciler import run
    from reconciler.backends.base import BackendError, Observation
    from reconciler.desired.load import LoadResult

    started, running = threading.Event(), []

    class Backend:
        target = "test"

        def observe(self, organizer: str, namespace: str, adopt=(), full=False) -> Observation:
            if organizer == "a@example.com":
                started.wait(10)  # b's read is under way when a's fails
                raise BackendError("mailbox a@example.com does not exist")
            running.append(organizer)
            started.set()
            time.sleep(0.3)
            running.remove(organizer)
            return Observation(organizer, ())

    settings = Settings(
        "acme",
        Path("meetings"),
        organizers=("a@example.com", "b@example.com"),
        policy=Policy(allowed_organizers=("*@example.com",)),
    )
    with pytest.raises(BackendError):
        run.make_plan(settings, Backend(), LoadResult((), ()))  # type: ignore[arg-type]
    assert started.is_set() and running == []


def test_a_stale_saved_plan_says_which_meetings_are_planned_otherwise_now() -> None:
    from reconciler.plan import stale

    seen = [observed(meeting("b")), observed(meeting("c"))]
    saved = plan_for([meeting("a"), meeting("b", location="X")], seen)  # create a, update b, cancel c
    now = [meeting("a", subject="Other"), meeting("b", location="X"), meeting("c"), meeting("d")]
    fresh = plan_for(now, seen)
    assert stale.differences(saved, fresh) == "a (subject), c (no longer planned), d (newly planned)"
    assert stale.differences(saved, saved) == ""
    many = plan_for([meeting(k) for k in "bcdefghij"], seen)
    assert stale.differences(plan_for([], []), many).endswith(", … and 2 more")
