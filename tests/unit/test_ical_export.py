"""`export ics`: parsed back with icalendar, its occurrences are exactly the schedule's."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
from dateutil import rrule as rr
from typer.testing import CliRunner

from reconciler.cli import app
from reconciler.desired.ical_export import to_ical
from reconciler.desired.load import load_meetings
from reconciler.desired.recurrence import occurrences

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = load_meetings(ROOT / "meetings").meetings
WINDOW = (datetime(2026, 12, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC))


def _aware(value: date | datetime, zone: ZoneInfo) -> datetime:
    return value if isinstance(value, datetime) else datetime.combine(value, time(), zone)


def expand(calendar: icalendar.Calendar, zone: ZoneInfo) -> list[tuple[datetime, datetime, str | None]]:
    """(start, end, location) of every occurrence the calendar describes, as a client would read it."""
    events = list(calendar.walk("VEVENT"))
    masters = [e for e in events if "RECURRENCE-ID" not in e]
    overrides = {_aware(e.decoded("recurrence-id"), zone): e for e in events if "RECURRENCE-ID" in e}
    out = []
    for master in masters:
        start = _aware(master.decoded("dtstart"), zone)
        length = _aware(master.decoded("dtend"), zone) - start
        if "RRULE" in master:
            naive = start.replace(tzinfo=None)
            recur = rr.rrulestr(master["RRULE"].to_ical().decode(), dtstart=naive, ignoretz=True)
            starts = [
                s.replace(tzinfo=zone)
                for s in recur.between(
                    WINDOW[0].astimezone(zone).replace(tzinfo=None) - timedelta(days=31),
                    WINDOW[1].astimezone(zone).replace(tzinfo=None),
                    inc=True,
                )
            ]
        else:
            starts = [start]
        excluded = set()
        for exdate in (
            master.get("EXDATE", []) if isinstance(master.get("EXDATE"), list) else [master.get("EXDATE")]
        ):
            if exdate is not None:
                excluded |= {_aware(d.dt, zone) for d in exdate.dts}
        for s in starts:
            if s in excluded:
                continue
            moved = overrides.get(s)
            if moved is not None:
                new = _aware(moved.decoded("dtstart"), zone)
                out.append(
                    (new, _aware(moved.decoded("dtend"), zone), str(moved.get("location") or "") or None)
                )
            else:
                out.append((s, s + length, str(master.get("location") or "") or None))
    return sorted(o for o in out if o[1] > WINDOW[0] and o[0] < WINDOW[1])


@pytest.mark.parametrize("meeting", EXAMPLES, ids=lambda m: m.key)
def test_round_trip_gives_the_schedule(meeting) -> None:
    zone = ZoneInfo(meeting.timezone)
    parsed = icalendar.Calendar.from_ical(to_ical([meeting], "ns"))
    assert parsed["METHOD"] == "PUBLISH"
    assert not any("ORGANIZER" in e or "ATTENDEE" in e for e in parsed.walk("VEVENT"))  # never an invitation
    assert [c["TZID"] for c in parsed.walk("VTIMEZONE")] == [meeting.timezone] or meeting.all_day
    want = [(o.start, o.end, o.location) for o in occurrences(meeting, *WINDOW)]
    assert expand(parsed, zone) == want


def test_export_writes_one_file_or_one_per_meeting(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    runner = CliRunner()
    one = tmp_path / "all.ics"
    assert runner.invoke(app, ["export", "ics", "--out", str(one)]).exit_code == 0
    assert len(list(icalendar.Calendar.from_ical(one.read_bytes()).walk("VEVENT"))) >= len(EXAMPLES)
    folder = tmp_path / "each"
    assert runner.invoke(app, ["export", "ics", "--out", str(folder), "platform-demo"]).exit_code == 0
    assert [p.name for p in folder.iterdir()] == ["platform-demo.ics"]
    missing = runner.invoke(app, ["export", "ics", "nope"])
    assert missing.exit_code == 1 and "no meeting with key nope" in missing.output
