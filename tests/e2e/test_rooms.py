"""Rooms answer for themselves, and the reconciler says so before and after sending, over EWS and Graph.

The sandbox's rooms behave as Exchange's resource booking attendant with its defaults (a free room accepts,
a booked one declines, a series past 180 days is declined); one room here is managed by nobody.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import exchangelib
import pytest
from typer.testing import CliRunner

from reconciler.sandbox import Sandbox
from reconciler.sandbox.directory import load_directory
from reconciler.sandbox.rights import App
from tests.calendars import meetings_in
from tests.e2e.conftest import Project, _config, sandbox_target

DIRECTORY = "rooms:\n  room-attic@example.com: {name: Attic, automate_processing: None}\n"
SOON = (datetime.now(UTC) + timedelta(days=14)).date()


def meeting(key: str, room: str, start: str, repeat: str = "") -> str:
    return (
        f"key: {key}\nsubject: {key.title()}\norganizer: lead@example.com\ntimezone: Europe/Amsterdam\n"
        f"attendees:\n  required: [alice@example.com]\n  resources: [{room}]\nstart: {start}\n"
        f"duration: 1h\n{repeat}"
    )


MAIL_READING = {"Calendars.ReadWrite", "Mail.Read"}


@pytest.fixture(params=["ews", "graph", "graph with Mail.Read"])
def project(
    tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Project]:
    """Over EWS (impersonation reads the organizer's inbox), over Graph with README's app (calendar rights
    alone: a decline's reason is out of reach), and over Graph with an app that may also read mail."""
    (tmp_path / "directory.yaml").write_text(DIRECTORY)
    directory = load_directory(tmp_path / "directory.yaml")
    if request.param == "graph with Mail.Read":
        directory = replace(directory, apps={"*": App(frozenset(MAIL_READING))})
    with Sandbox(db=str(tmp_path / "server.sqlite3"), tls=request.param != "ews", directory=directory) as sb:
        _config(tmp_path, sandbox_target(sb, monkeypatch))
        project = Project(tmp_path, sb, CliRunner())
        project.reads_mail = request.param != "graph"  # type: ignore[attr-defined]
        yield project
    exchangelib.close_connections()


def _room_answers(project: Project) -> dict[str, str]:
    """Each meeting's room answer as the organizer's item holds it (read straight from the store)."""
    assert project.sandbox is not None
    return {
        i.get("item:Subject"): (i.get("calendar:Resources") or [{}])[0].get("response")
        for i in meetings_in(project.sandbox.store, "lead@example.com")
    }


def test_rooms_accept_decline_and_are_heard_before_and_after_sending(project: Project) -> None:
    project.write("booked.yaml", meeting("booked", "room-oak@example.com", f"{SOON}T10:00"))  # sent first
    project.write("clash.yaml", meeting("clash", "room-oak@example.com", f"{SOON}T10:30"))
    project.write(
        "forever.yaml",
        meeting("forever", "room-birch@example.com", f"{SOON}T14:00", "repeat: {every: week}\n"),
    )
    project.write("attic.yaml", meeting("attic", "room-attic@example.com", f"{SOON}T16:00"))

    before = project.plan_json()
    warned = {(w["key"], w["room"]) for w in before["rooms"]}
    assert ("forever", "room-birch@example.com") in warned  # the series without end, before anything is sent
    text = project.cli("plan").output
    assert "room room-birch@example.com will decline forever" in text and "has no end date" in text
    assert "resource room-oak@example.com, " in text and "a room accepts the one booked first" in text

    assert project.cli("apply", "--auto-approve").exit_code == 0
    answers = _room_answers(project)
    assert answers == {"Booked": "Accept", "Clash": "Decline", "Forever": "Decline", "Attic": "Unknown"}

    after = project.plan_json()
    said = {(w["key"], w["room"]): w for w in after["rooms"]}
    assert said[("clash", "room-oak@example.com")]["answered"] == "declined"
    assert said[("attic", "room-attic@example.com")]["answered"] == "none"
    assert "room room-attic@example.com has not answered attic" in project.cli("plan").output
    responses = project.cli("responses").output
    assert "room room-attic@example.com has not answered" in responses
    if not project.reads_mail:  # type: ignore[attr-defined]
        out_of_reach = "its reason is a message in lead@example.com's inbox, which this identity may not read"
        assert said[("clash", "room-oak@example.com")]["reason"].startswith(out_of_reach)
        assert f"room room-oak@example.com declined ({out_of_reach}" in responses
        return
    assert "already booked" in said[("clash", "room-oak@example.com")]["reason"]
    assert "booking window" in said[("forever", "room-birch@example.com")]["reason"]
    assert "room room-oak@example.com declined (The resource is already booked" in responses
    markdown = project.cli("responses", "--format", "markdown").output.splitlines()
    assert markdown[2].split("|")[1].strip().startswith(("`clash`", "`forever`"))  # declined rooms first
    data = {d["key"]: d for d in json.loads(project.cli("responses", "--format", "json").output)}
    assert data["booked"]["rooms"] == [
        {"address": "room-oak@example.com", "answer": "accepted", "reason": None}
    ]
    assert "booking window" in data["forever"]["rooms"][0]["reason"]
    shown = project.cli("show", "forever").output
    assert "declined (The recurring meeting has no end date" in shown


def test_a_series_updated_to_fit_its_room_is_accepted_on_the_next_apply(project: Project) -> None:
    project.write(
        "forever.yaml",
        meeting("forever", "room-birch@example.com", f"{SOON}T14:00", "repeat: {every: week}\n"),
    )
    assert project.cli("apply", "--auto-approve").exit_code == 0
    assert _room_answers(project) == {"Forever": "Decline"}
    until = SOON + timedelta(days=60)
    project.write(
        "forever.yaml",
        meeting(
            "forever", "room-birch@example.com", f"{SOON}T14:00", f"repeat: {{every: week, until: {until}}}\n"
        ),
    )
    plan = project.plan_json()
    assert not [w for w in plan["rooms"] if not w["answered"]]  # nothing left to warn about before sending
    assert project.cli("apply", "--auto-approve").exit_code == 0
    assert _room_answers(project) == {"Forever": "Accept"}
    assert project.plan_json()["rooms"] == []


def test_a_room_taken_by_an_unmanaged_meeting_is_named_before_sending(project: Project) -> None:
    """Booked directly over EWS by someone else: the plan reads the room's free/busy, in a bounded number of
    requests, and warns before the invitation goes out."""
    from exchangelib import Attendee, CalendarItem, EWSDateTime, EWSTimeZone, Mailbox

    tz = EWSTimeZone("Europe/Amsterdam")
    other = project.account("bob@example.com") if project.sandbox.ca_path is None else None
    if other is None:  # the Graph sandbox speaks EWS over https: trust its CA for this direct booking
        from exchangelib.protocol import BaseProtocol

        from reconciler.backends.ews.http import adapter_class

        BaseProtocol.HTTP_ADAPTER_CLS = adapter_class(str(project.sandbox.ca_path), True)
        other = project.account("bob@example.com")
    start = EWSDateTime(SOON.year, SOON.month, SOON.day, 10, tzinfo=tz)
    taken = CalendarItem(
        account=other,
        folder=other.calendar,
        subject="Bob's private thing",
        start=start,
        end=start + timedelta(hours=1),
        resources=[Attendee(mailbox=Mailbox(email_address="room-oak@example.com"))],
    )
    taken.save(send_meeting_invitations="SendToAllAndSaveCopy")
    exchangelib.close_connections()
    project.write("wants.yaml", meeting("wants", "room-oak@example.com", f"{SOON}T10:30"))
    before = dict(project.sandbox.request_counts())
    plan = project.plan_json()
    used = {
        k: v - before.get(k, 0) for k, v in project.sandbox.request_counts().items() if v != before.get(k, 0)
    }
    [warning] = [w for w in plan["rooms"] if w["key"] == "wants"]
    assert "already booked" in warning["reason"] and "does not manage" in warning["reason"]
    availability = used.get("GetUserAvailability", 0) + used.get("graph.POST.getSchedule", 0)
    assert 1 <= availability <= 5  # one room over ⌈180 days / 42⌉ windows, never one per occurrence
    store_inbox = project.sandbox.store.items("alice@example.com", "inbox")
    assert store_inbox == []  # nothing was sent by planning


def test_sandbox_serve_with_no_options_has_rooms_that_answer(served) -> None:  # type: ignore[no-untyped-def]
    """`reconciler sandbox serve` as a newcomer starts it, in its own process: its rooms answer by default."""
    served.write("booked.yaml", meeting("booked", "room-oak@example.com", f"{SOON}T10:00"))
    served.write("clash.yaml", meeting("clash", "room-oak@example.com", f"{SOON}T10:30"))
    served.write(
        "forever.yaml",
        meeting("forever", "room-birch@example.com", f"{SOON}T14:00", "repeat: {every: week}\n"),
    )
    assert served.run("apply", "--auto-approve").returncode == 0
    plan = json.loads(served.run("plan", "--format", "json").stdout)
    answered = {(w["key"], w["room"]): w["answered"] for w in plan["rooms"]}
    assert answered == {
        ("clash", "room-oak@example.com"): "declined",
        ("forever", "room-birch@example.com"): "declined",
    }
