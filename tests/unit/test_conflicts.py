"""Double bookings: found by sort and sweep, one per pair of meetings, resources first, with both files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from reconciler.cli import app
from reconciler.desired.build import build_meeting
from reconciler.desired.recurrence import occurrences
from reconciler.plan.conflicts import find_conflicts, mailboxes

START = datetime(2027, 1, 1, tzinfo=UTC)
END = datetime(2027, 7, 1, tzinfo=UTC)


def meeting(key: str, start: str, duration: str = "1h", **extra):
    doc = {
        "key": key,
        "subject": key,
        "organizer": "lead@example.com",
        "timezone": "Europe/Amsterdam",
        "start": start,
        "duration": duration,
        **extra,
    }
    built, problems = build_meeting(doc, {})
    assert not problems, problems
    return built


def test_overlapping_series_are_one_conflict_with_a_count() -> None:
    a = meeting(
        "a",
        "2027-01-05T10:00",
        attendees={"required": ["alice@example.com"]},
        repeat={"every": "week", "days": ["tue"], "count": 4},
    )
    b = meeting(
        "b",
        "2027-01-05T10:30",
        organizer="priya@example.com",
        attendees={"required": ["alice@example.com"]},
        repeat={"every": "week", "days": ["tue"], "count": 2},
    )
    [found] = find_conflicts([a, b], START, END)
    assert (found.first.key, found.second.key) == ("a", "b")
    assert found.people == ("alice@example.com",) and len(found.overlaps) == 2
    assert "overlap on Tue 2027-01-05 10:30–11:00 (and 1 more time)" in found.text()


def test_touching_meetings_and_skipped_or_moved_occurrences_do_not_conflict() -> None:
    a = meeting(
        "a",
        "2027-01-05T10:00",
        repeat={"every": "week", "days": ["tue"], "count": 3},
        skip=["2027-01-12"],
        moves=[{"date": "2027-01-19", "start": "2027-01-19T14:00"}],
    )
    b = meeting(
        "b", "2027-01-05T11:00", repeat={"every": "week", "days": ["tue"], "count": 3}
    )  # back to back
    c = meeting("c", "2027-01-12T10:00")  # where a's skipped occurrence was
    d = meeting("d", "2027-01-19T10:00")  # where a's moved occurrence was
    assert find_conflicts([a, b, c, d], START, END) == ()
    e = meeting("e", "2027-01-19T14:30")  # where a's moved occurrence went
    assert [(f.first.key, f.second.key) for f in find_conflicts([a, e], START, END)] == [("a", "e")]


def test_resources_come_first_and_free_time_books_nobody() -> None:
    people = {"required": ["alice@example.com"]}
    early = meeting("early", "2027-01-04T09:00", attendees=people)
    also_early = meeting("also-early", "2027-01-04T09:00", organizer="bob@example.com", attendees=people)
    room = {"resources": ["room-oak@example.com"]}
    late = meeting("late", "2027-02-01T09:00", organizer="x@example.com", attendees=room)
    also_late = meeting("also-late", "2027-02-01T09:30", organizer="y@example.com", attendees=room)
    free = meeting("free", "2027-01-04T09:00", organizer="z@example.com", attendees=people, show_as="free")
    found = find_conflicts([early, also_early, late, also_late, free], START, END)
    assert [(f.first.key, f.resources) for f in found] == [
        ("late", ("room-oak@example.com",)),
        ("also-early", ()),
    ]
    assert found[0].text().startswith("resource room-oak@example.com booked twice")


def test_back_to_back_meetings_of_one_person_are_no_conflict() -> None:
    """160 meetings of the same organizer, each ending when the next begins."""
    many = [
        meeting(f"m{i:04d}", f"{datetime(2027, 1, 4 + i // 8, 9 + i % 8):%Y-%m-%dT%H:%M}")
        for i in range(8 * 20)
    ]
    assert find_conflicts(many, START, END) == ()


def write(root: Path, name: str, text: str) -> None:
    path = root / "meetings" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_validate_and_plan_report_a_conflict_between_folders(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "reconciler.yaml").write_text(
        "namespace: t\norganizers: [lead@example.com, priya@example.com]\n"
        "target: {kind: sandbox, path: ':memory:'}\npolicy: {conflicts: warn, conflict_horizon_weeks: 260}\n"
    )
    common = "timezone: Europe/Amsterdam\nduration: 1h\nattendees: {resources: [room-oak@example.com]}\n"
    write(
        tmp_path,
        "team-a/review.yaml",
        "key: review\nsubject: Review\norganizer: lead@example.com\nstart: 2027-06-01T10:00\n" + common,
    )
    write(
        tmp_path,
        "team-b/retro.yaml",
        "key: retro\nsubject: Retro\norganizer: priya@example.com\nstart: 2027-06-01T10:30\n" + common,
    )
    runner = CliRunner()
    checked = runner.invoke(app, ["validate", "meetings", "--conflicts"])
    assert checked.exit_code == 0
    assert (
        "resource room-oak@example.com booked twice: review (meetings/team-a/review.yaml:1:1) and retro "
        "(meetings/team-b/retro.yaml:1:1)" in checked.output
    )
    planned = runner.invoke(app, ["plan"])
    assert planned.exit_code == 0 and "warning: resource room-oak@example.com" in planned.output
    markdown = runner.invoke(app, ["plan", "--format", "markdown"])
    assert "**Warnings: 1 double booking**" in markdown.output
    config = (tmp_path / "reconciler.yaml").read_text().replace("conflicts: warn", "conflicts: error")
    (tmp_path / "reconciler.yaml").write_text(config)
    refused = runner.invoke(app, ["plan"])
    assert refused.exit_code == 1 and "policy.conflicts is error" in refused.output
    assert runner.invoke(app, ["validate", "meetings", "--conflicts"]).exit_code == 1
    plain = runner.invoke(app, ["validate", "meetings"])  # plan refuses it, so validate does without asking
    assert plain.exit_code == 1 and "1 double booking and policy.conflicts is error" in plain.output
    assert "booked twice: review (meetings/team-a/review.yaml:1:1)" in plain.output
    applied = runner.invoke(app, ["apply", "--auto-approve"])
    assert applied.exit_code == 1 and "nothing was applied" in applied.output


SLOTS = ["2027-01-04T09:00", "2027-01-04T09:30", "2027-01-05T09:00", "2027-01-11T09:15"]
PEOPLE = ["alice@example.com", "bob@example.com", "carol@example.com"]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(SLOTS),
            st.sampled_from(["30m", "1h"]),
            st.sampled_from([None, 2, 3]),
            st.lists(st.sampled_from(PEOPLE), unique=True, max_size=2),
            st.booleans(),
        ),
        min_size=2,
        max_size=8,
    )
)
def test_every_pair_that_meets_is_found_once_with_its_overlaps(drawn) -> None:
    """Against every pair compared occurrence by occurrence: meetings at the very same times share one
    schedule in the sweep, which must still find each pair, its first overlap and every overlap."""
    meetings = [
        meeting(
            f"m{i}",
            slot,
            duration,
            organizer="lead@example.com" if same_organizer else f"o{i}@example.com",
            attendees={"required": people} if people else {},
            **({"repeat": {"every": "week", "count": count}} if count else {}),
        )
        for i, (slot, duration, count, people, same_organizer) in enumerate(drawn)
    ]
    expected = {}
    for i, a in enumerate(meetings):
        for b in meetings[i + 1 :]:
            if not mailboxes(a) & mailboxes(b):
                continue
            starts = {
                min(x.start, y.start)
                for x in occurrences(a, START, END)
                for y in occurrences(b, START, END)
                if x.start < y.end and y.start < x.end
            }
            if starts:
                expected[(a.key, b.key)] = starts
    found = find_conflicts(meetings, START, END)
    assert found.total == len(expected) == len(found)
    assert {tuple(sorted((c.first.key, c.second.key))): set(c.overlaps) for c in found} == expected
    assert all(c.first.start == min(expected[tuple(sorted((c.first.key, c.second.key)))]) for c in found)
