"""One repository's organizers over several CI jobs (`--shard K/N`), and their plans put back together.

Against `reconciler sandbox serve --latency-ms 30` in its own process: the 4 shard plans together are the
unsharded plan; 4 shard applies run as 4 processes side by side and leave one item per meeting and one
invitation per attendee; then an unsharded plan is empty. A shard's plan applied as another shard is refused.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from reconciler.plan.shards import Shard, shard_of
from tests.calendars import meetings_in
from tests.e2e.conftest import Served

ORGANIZERS = [f"org{i}@example.com" for i in range(10)]


def _meetings(project: Served) -> None:
    for i, organizer in enumerate(ORGANIZERS):
        for j in range(3):
            project.write(
                f"{organizer.split('@')[0]}/m{j}.yaml",
                f"""\
                key: o{i}-m{j}
                subject: Meeting {j} of organizer {i}
                organizer: {organizer}
                timezone: Europe/Amsterdam
                attendees:
                  required: [p{i}@example.com, p{i + 1}@example.com]
                start: 2027-03-0{1 + j}T{9 + i % 8:02d}:00
                duration: 30m
                repeat: {{every: week, count: 4}}
                """,
            )


def _changes(plan: dict) -> Counter:
    return Counter(
        (c["action"], c["key"], c["organizer"], c["messages"], tuple(c["recipients"]))
        for c in plan["changes"]
    )


def test_shards_partition_organizers_stably() -> None:
    before = {o: shard_of(o, 4) for o in ORGANIZERS}
    after = {o: shard_of(o, 4) for o in [*ORGANIZERS, "newcomer@example.com"]}
    assert all(after[o] == before[o] for o in ORGANIZERS)  # adding an organizer moves nobody else
    assert len(set(before.values())) > 1 and {shard_of(o.upper(), 4) for o in ORGANIZERS} <= {1, 2, 3, 4}
    assert [Shard.parse(t) for t in ("1/4", " 4/4 ")] == [Shard(1, 4), Shard(4, 4)]
    for bad in ("0/4", "5/4", "a/b", "3"):
        with pytest.raises(ValueError, match="write K/N"):
            Shard.parse(bad)


@pytest.mark.serve_args("--latency-ms", "30")
@pytest.mark.timeout(600)
def test_four_shards_plan_and_apply_side_by_side_like_one(served: Served) -> None:
    served.configure(ORGANIZERS, max_cancellations=5)
    _meetings(served)
    whole = served.run("plan", "--format", "json")
    assert whole.returncode == 0, whole.stderr
    for k in range(1, 5):
        done = served.run("plan", "--shard", f"{k}/4", "--format", "json", "--out", f"shard-{k}.json")
        assert done.returncode == 0, done.stderr
        shard_plan = json.loads((served.root / f"shard-{k}.json").read_text())
        assert shard_plan["shard"] == f"{k}/4"
        assert {c["organizer"] for c in shard_plan["changes"]} <= {
            o for o in ORGANIZERS if shard_of(o, 4) == k
        }
    merged = served.run(
        "plan", "--merge", *(f"shard-{k}.json" for k in range(1, 5)), "--format", "json", "--out", "all.json"
    )
    assert merged.returncode == 0, merged.stderr
    assert _changes(json.loads(merged.stdout)) == _changes(json.loads(whole.stdout))  # same changes, messages
    assert json.loads(merged.stdout)["summary"]["messages"] == 30

    # a shard's own plan applied as another shard is refused, before anything is read or sent
    wrong = served.run("apply", "shard-1.json", "--shard", "2/4", "--auto-approve")
    assert wrong.returncode == 1
    assert (
        "shard-1.json is the plan of shard 1/4; nothing was applied: apply it with --shard 1/4"
        in wrong.stderr
    )
    unsharded = served.run("apply", "all.json", "--auto-approve")
    assert unsharded.returncode == 1 and "apply it with --shard K/4, once for each K" in unsharded.stderr

    jobs = [served.start("apply", "all.json", "--shard", f"{k}/4", "--auto-approve") for k in range(1, 5)]
    outputs = [job.communicate(timeout=300)[0] for job in jobs]
    assert [job.returncode for job in jobs] == [0, 0, 0, 0], outputs

    from reconciler.sandbox.store import Store

    store = Store(served.db)
    for i, organizer in enumerate(ORGANIZERS):
        subjects = Counter(item.get("item:Subject") for item in meetings_in(store, organizer))
        assert subjects == Counter({f"Meeting {j} of organizer {i}": 1 for j in range(3)}), organizer
    invited = Counter()
    for n in range(11):
        for item in store.items(f"p{n}@example.com", "inbox"):
            invited[(n, item.get("item:Subject"))] += 1
    assert set(invited.values()) == {1} and len(invited) == 60  # 30 meetings × 2 attendees, once each
    again = served.run("plan", "--detailed-exitcode")
    assert again.returncode == 0, again.stdout + again.stderr

    # thresholds hold for the whole repository: 6 cancellations over the shards, at most 5 allowed
    for i in range(6):
        (served.root / "meetings" / f"org{i}" / "m0.yaml").unlink()
    for k in range(1, 5):
        done = served.run("plan", "--shard", f"{k}/4", "--out", f"cut-{k}.json")
        assert done.returncode == 0 and "max_cancellations" not in done.stderr, done.stderr
    merged = served.run("plan", "--merge", *(f"cut-{k}.json" for k in range(1, 5)), "--out", "cut.json")
    assert "needs --force: 6 cancellations exceed policy.max_cancellations (5)" in merged.stderr
    for k in range(1, 5):
        refused = served.run("apply", "cut.json", "--shard", f"{k}/4", "--auto-approve")
        assert refused.returncode == 1 and "6 cancellations exceed" in refused.stderr, refused.stderr
    assert len(meetings_in(Store(served.db), ORGANIZERS[0])) == 3  # nothing was cancelled


def test_room_warnings_reach_the_merged_plan(embedded) -> None:
    """A shard's room warnings travel in its plan file: the one comment made from the merge shows them."""
    embedded.write(
        "standup.yaml",
        """\
        key: standup
        subject: Stand-up
        organizer: lead@example.com
        timezone: Europe/Amsterdam
        attendees:
          resources: [room-oak@example.com]
        start: 2027-01-04T09:30
        duration: 15m
        repeat: {every: week, days: [mon]}
        """,
    )
    for k in (1, 2):
        done = embedded.cli("plan", "--shard", f"{k}/2", "--out", str(embedded.root / f"s{k}.json"))
        assert done.exit_code == 0, done.output
    merged = embedded.cli("plan", "--merge", str(embedded.root / "s1.json"), str(embedded.root / "s2.json"))
    assert merged.exit_code == 0, merged.output
    assert "room room-oak@example.com will decline standup" in merged.output
    assert "the series has no end date" in merged.output
