"""`export html`'s pages as data: each occurrence in its day column at its hour, skips, moves, double
bookings, room declines, escaping. The same pages are looked at in a real browser by tests/interop."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

from typer.testing import CliRunner

from reconciler.cli import app
from reconciler.desired.load import load_meetings
from reconciler.plan.rooms import before_sending
from reconciler.week_site import build_site, monday_of

MEETINGS = {
    "_defaults.yaml": "organizer: lead@example.com\ntimezone: Europe/Amsterdam\n",
    "platform/standup.yaml": "key: standup\nsubject: Stand-up\nstart: 2027-01-04T09:30\nduration: 15m\n"
    "attendees:\n  required: [alice@example.com, bob@example.com]\n"
    "repeat: {every: week, days: [mon, tue, wed, thu, fri]}\n"
    "skip: [2027-01-06]\nmoves:\n  - {date: 2027-01-07, start: '2027-01-07T11:00'}\n",
    "platform/review.yaml": "key: review\nsubject: <b>Review</b> & co\n"
    "start: 2027-01-05T09:00\nduration: 1h\n"
    "attendees:\n  required: [bob@example.com]\n  resources: [room-oak@example.com]\n",
    "planning/offsite.yaml": "key: offsite\nsubject: Offsite\nstart: 2027-01-08T14:00\nduration: 9h\n"
    "attendees:\n  required: [carol@example.com]\n  resources: [room-oak@example.com]\n",
}
WEEK = date(2027, 1, 4)


def _site(meetings_dir) -> dict[str, str | bytes]:
    root = meetings_dir(MEETINGS)
    loaded = load_meetings(root)
    assert loaded.ok, loaded.problems
    teams = {key: Path(ref.file).parts[1] for key, ref in loaded.sources.items()}
    now = datetime(2027, 1, 1, tzinfo=UTC)
    warnings = before_sending(loaded.meetings, now, 5)  # a short booking window: the offsite is past it
    return build_site(loaded.meetings, loaded.sources, teams, "acme", WEEK, None, warnings, now)


def _blocks(page: str) -> list[dict[str, str]]:
    """Each block with its column (the day `<div>` it sits in) and its attributes."""
    out = []
    for day, inside in re.findall(r'<div class="day" data-day="([\d-]+)">(.*?)</div>', page):
        for attrs in re.findall(r"<a (class=.*?)>", inside):
            found = dict(re.findall(r'([\w-]+)="([^"]*)"', attrs))
            out.append({"day": day, **found})
    return out


def test_each_occurrence_in_its_day_column_at_its_hour(meetings_dir) -> None:
    page = str(_site(meetings_dir)["people/alice@example.com.html"])
    blocks = _blocks(page)
    standups = [(b["day"], b["data-start"], b["class"]) for b in blocks if b["data-key"] == "standup"]
    assert standups == [
        ("2027-01-04", "2027-01-04T09:30", "block booked"),
        ("2027-01-05", "2027-01-05T09:30", "block booked marked"),  # the review books bob then too
        ("2027-01-06", "2027-01-06T09:30", "block skipped"),  # shown struck through where it would be
        ("2027-01-07", "2027-01-07T11:00", "block moved"),  # shown where it went
        ("2027-01-08", "2027-01-08T09:30", "block booked"),
    ]
    first = min(int(h) for h in re.findall(r'data-hour="(\d+)"', page))
    monday = next(b for b in blocks if b["day"] == "2027-01-04")
    assert monday["style"] == f"top:{(9.5 - first) * 48:.1f}px;height:18.0px"  # 15 min: at least a line
    assert "moved from Thu 07 Jan 09:30" in page and 'data-hour="8"' in page and 'data-hour="18"' in page


def test_double_bookings_and_room_declines_are_marked(meetings_dir) -> None:
    site = _site(meetings_dir)
    bob = str(site["people/bob@example.com.html"])
    marked = [b for b in _blocks(bob) if "marked" in b["class"]]
    assert {(b["data-key"], b["day"]) for b in marked} == {
        ("standup", "2027-01-05"),
        ("review", "2027-01-05"),
    }
    assert "double booked with review: bob@example.com" in bob
    oak = str(site["rooms/room-oak@example.com.html"])
    offsite = next(b for b in _blocks(oak) if b["data-key"] == "offsite")
    assert (
        "marked" in offsite["class"]
        and "room will decline: room-oak@example.com: it starts 2027-01-08, more than 5 days ahead" in oak
    )


def test_pages_for_teams_people_rooms_meetings_with_escaped_text(meetings_dir) -> None:
    site = _site(meetings_dir)
    assert {p for p in site if p.startswith("teams/")} == {"teams/platform.html", "teams/planning.html"}
    assert "rooms/room-oak@example.com.html" in site and "people/carol@example.com.html" in site
    review = str(site["meetings/review.html"])
    assert "<b>Review</b>" not in review and "&lt;b&gt;Review&lt;/b&gt; &amp; co" in review
    assert '<a href="../ics/review.ics">' in review and bytes(site["ics/review.ics"]).startswith(
        b"BEGIN:VCALENDAR"
    )
    planning = str(site["teams/planning.html"])
    assert {b["data-key"] for b in _blocks(planning)} == {"offsite"}
    for text in site.values():  # plain files: nothing fetched from elsewhere, nothing run
        if isinstance(text, str):
            assert "<script" not in text and "http://" not in text and "https://" not in text


def test_export_html_writes_the_site(meetings_dir) -> None:
    meetings_dir(MEETINGS)
    Path("reconciler.yaml").write_text("namespace: acme\norganizers: [lead@example.com]\n")
    result = CliRunner().invoke(app, ["export", "html", "--out", "site", "--week", "2027-01-06"])
    assert result.exit_code == 0, result.output
    assert Path("site/index.html").is_file() and Path("site/teams/platform.html").is_file()
    assert "Week of Mon 04 Jan 2027, times in Europe/Amsterdam" in Path("site/week.html").read_text()
    assert monday_of(date(2027, 1, 10)) == WEEK
    bad = CliRunner().invoke(app, ["export", "html", "--out", "site", "--week", "next"])
    assert bad.exit_code == 1 and "--week 'next' is not a date; write YYYY-MM-DD" in bad.output
