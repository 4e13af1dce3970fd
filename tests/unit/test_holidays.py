"""`skip_holidays`: public holidays cancel the occurrences they fall on, computed over the series' range."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

from reconciler.desired.build import build_meeting
from reconciler.desired.canonical import spec_hash
from reconciler.desired.load import load_meetings
from reconciler.plan.describe import describe_fields

WEEKDAYS = {
    "key": "standup",
    "subject": "Stand-up",
    "organizer": "lead@example.com",
    "timezone": "Europe/Amsterdam",
    "start": "2027-04-26T09:30",
    "duration": "15m",
    "repeat": {"every": "week", "days": ["mon", "tue", "wed", "thu", "fri"], "until": "2027-06-30"},
}


def build(**changes):
    meeting, problems = build_meeting({**WEEKDAYS, **changes}, {})
    assert problems == [], problems
    return meeting


def test_holidays_the_pattern_hits_are_skipped_and_named() -> None:
    m = build(skip_holidays="NL")
    assert m.skip == (date(2027, 4, 27), date(2027, 5, 6), date(2027, 5, 17))
    assert dict(m.holiday_skips)[date(2027, 4, 27)] == "King's Day"
    weekly_on_monday = build(skip_holidays="NL", repeat={"every": "week", "days": ["mon"], "count": 10})
    assert weekly_on_monday.skip == (date(2027, 5, 17),)  # King's Day (a Tuesday) is not an occurrence


def test_subdivisions_and_lists_combine_and_explicit_skips_stay() -> None:
    m = build(skip_holidays=["DE-BY", "NL"], skip=["2027-05-12"])
    assert m.skip == (
        date(2027, 4, 27),
        date(2027, 5, 6),
        date(2027, 5, 12),
        date(2027, 5, 17),
        date(2027, 5, 27),  # Corpus Christi, in Bavaria only
    )
    assert m.skip_holidays == ("DE-BY", "NL")


def test_a_holiday_in_a_moved_occurrence_keeps_the_move() -> None:
    m = build(skip_holidays="NL", moves=[{"date": "2027-04-27", "start": "2027-04-27T08:00"}])
    assert date(2027, 4, 27) not in m.skip
    assert [o.date for o in m.moves] == [date(2027, 4, 27)]
    assert date(2027, 4, 27) not in dict(m.holiday_skips)


def test_the_calendar_is_not_in_the_hash_so_listing_the_same_dates_changes_nothing() -> None:
    by_calendar = build(skip_holidays="NL")
    by_hand = build(skip=[d.isoformat() for d in by_calendar.skip])
    assert spec_hash(by_calendar) == spec_hash(by_hand)


def test_a_series_without_end_gets_its_first_years_of_holidays() -> None:
    m = build(skip_holidays="NL", repeat={"every": "week", "days": ["mon"]})
    assert date(2032, 3, 29) not in m.skip  # Easter Monday 2032 is past the first five years
    years = {d.year for d in m.skip}
    assert years == {2027, 2028, 2029, 2030, 2031}


def test_defaults_apply_to_a_folder_and_a_single_meeting_is_left_alone(tmp_path: Path) -> None:
    folder = tmp_path / "meetings"
    folder.mkdir()
    (folder / "_defaults.yaml").write_text(
        "organizer: lead@example.com\ntimezone: Europe/Amsterdam\nskip_holidays: NL\n"
    )
    (folder / "weekly.yaml").write_text(
        "key: weekly\nsubject: Weekly\nstart: 2027-04-20T09:30\nduration: 15m\n"
        "repeat: {every: week, days: [tue], count: 3}\n"
    )
    (folder / "once.yaml").write_text("key: once\nsubject: Once\nstart: 2027-04-27T09:30\nduration: 15m\n")
    result = load_meetings(folder)
    assert not result.problems
    by_key = {m.key: m for m in result.meetings}
    assert by_key["weekly"].skip == (date(2027, 4, 27),)
    assert by_key["once"].skip == ()


def test_the_plan_names_the_holiday() -> None:
    desired = build(skip_holidays="NL")
    observed = replace(desired, skip=(), holiday_skips=())
    text = describe_fields((), desired, observed)
    assert "skip 2027-04-27 (King's Day)" in text
