"""What is a change, what is drift and what is the server's own form: the three-way comparison, pure."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from reconciler.backends.base import Marker, ObservedMeeting
from reconciler.backends.baseline import Baseline, Entry, Kept
from reconciler.desired.canonical import spec_hash
from reconciler.desired.model import Attendee, Attendees, Meeting
from reconciler.plan.baseline import compare, recorded

FILES = Meeting(
    key="review",
    subject="Design review",
    organizer="lead@example.com",
    start=datetime(2027, 1, 6, 14),
    duration=timedelta(hours=1),
    timezone="Europe/Amsterdam",
    attendees=Attendees((Attendee("carol@example.com", "C"),)),
    body_html="<p>Agenda</p>",
    categories=("ritual",),
)
DOCUMENT = (
    '<html>\r\n<head>\r\n<meta name="Generator">\r\n</head>\r\n'
    "<body>\r\n<p>Agenda</p>\r\n</body>\r\n</html>\r\n"
)
SERVER = replace(
    FILES,
    attendees=Attendees((Attendee("carol@example.com", "Carol Jones"),)),
    body_html=DOCUMENT + "<p>Sent from the server</p>",
    categories=("Ritual",),
)


def observed(meeting: Meeting, applied: Meeting = FILES) -> ObservedMeeting:
    return ObservedMeeting(meeting, Marker("ns", meeting.key, spec_hash(applied)), "id", "ck")


def test_what_the_server_kept_after_a_write_is_remembered_and_is_then_no_difference() -> None:
    entry = recorded(FILES, observed(SERVER), "2026-11-30T10:00:00+00:00")
    assert entry is not None and set(entry.fields) == {"body", "categories"}  # not the display name
    known = compare(FILES, observed(SERVER), entry, "")
    assert known.fields == () and known.drifted == () and known.entry is entry


def test_an_edit_is_drift_on_that_field_alone_and_a_file_change_is_a_change() -> None:
    entry = recorded(FILES, observed(SERVER), "t")
    edited = replace(SERVER, location="Attic", categories=("Other",))
    known = compare(FILES, observed(edited), entry, "")
    assert known.fields == ("location", "categories") and known.drifted == ("location", "categories")
    files = replace(FILES, categories=("ritual", "team"))
    known = compare(files, observed(SERVER), entry, "")
    assert known.fields == ("categories",) and known.drifted == ()


def test_a_body_edit_is_drift_whatever_form_the_server_answers_in() -> None:
    entry = recorded(FILES, observed(SERVER), "t")
    as_text = replace(SERVER, body="Agenda\r\nSent from the server", body_html=None)  # Graph asked for text
    assert compare(FILES, observed(as_text), entry, "").fields == ()
    edited = replace(SERVER, body_html=DOCUMENT.replace("Agenda", "Someone else's agenda"))
    assert compare(FILES, observed(edited), entry, "").drifted == ("body_html",)


def test_without_a_record_known_body_forms_are_learned_and_anything_else_is_drift() -> None:
    plain_server = replace(SERVER, body_html=DOCUMENT, categories=FILES.categories)
    known = compare(FILES, observed(plain_server), None, "now")
    assert known.fields == () and known.entry is not None and set(known.entry.fields) == {"body"}
    unknown = compare(FILES, observed(SERVER), None, "now")
    assert unknown.fields == ("body_html", "categories") and unknown.drifted == ("body_html", "categories")


def test_an_entry_for_another_spec_hash_is_out_of_date() -> None:
    entry = recorded(FILES, observed(SERVER), "t")
    stale = replace(entry, spec_hash="something-else")
    assert compare(FILES, observed(SERVER), stale, "").fields == ("body_html", "categories")


def test_the_record_round_trips_and_an_unreadable_one_is_empty() -> None:
    entry = Entry("abc", {"body": Kept("a1", "k1")}, "2026-11-30T10:00:00+00:00")
    baseline = Baseline().updated({"review": entry, "gone": None})
    again = Baseline.from_text(baseline.to_text(), ("id", "v"))
    assert dict(again.entries) == {"review": entry} and again.record == ("id", "v") and not again.changed
    assert again.updated({"review": None}).changed
    assert Baseline.from_text("not json").entries == {}
    assert Baseline.from_text('{"format": 99, "meetings": {"x": {}}}').entries == {}
