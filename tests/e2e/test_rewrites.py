"""A server that rewrites what it is given never turns a plan into a change (the sandbox's rules are all on).

Display names replaced by the directory's, HTML bodies kept as whole documents, CRLF, a Teams join block,
reminder defaults: after one apply, plans stay empty and a second apply sends nothing, over EWS and Graph;
so does a rewrite the reconciler has never heard of. A person's later edit is still drift, on that field
alone, and restoring it reaches that meeting's attendees only.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import exchangelib
import pytest
from exchangelib.protocol import BaseProtocol
from typer.testing import CliRunner

from reconciler.sandbox import Sandbox
from reconciler.sandbox.rewrites import Rewrites
from reconciler.sandbox.store import Store
from tests.calendars import meetings_in, meetings_of
from tests.e2e.conftest import Project, _config, sandbox_target

STANDUP = """\
key: standup
subject: Stand-up
organizer: lead@example.com
timezone: Europe/Amsterdam
attendees:
  required: [Ally <alice@example.com>, bob@example.com]
start: 2027-01-04T09:30
duration: 15m
repeat: {every: week, days: [mon, wed], until: 2027-03-31}
body: |
  What we did,
  what we'll do.
categories: [ritual, team]
"""
REVIEW = """\
key: review
subject: Design review
organizer: lead@example.com
timezone: Europe/Amsterdam
attendees:
  required: [carol.de-vries@example.com]
  optional: [Daniel the contractor <dan@example.com>]
  resources: [room-oak@example.com]
start: 2027-01-06T14:00
duration: 1h
location: Oak room
body_html: "<p>Agenda: <b>the design</b></p><ul><li>one</li><li>two</li></ul>"
reminder: none
"""
PEOPLE = ("alice@example.com", "bob@example.com", "carol.de-vries@example.com", "dan@example.com")


def _unknown_rule(fields: dict[str, Any]) -> dict[str, Any]:
    """A rewrite nobody told the reconciler about: a line after every body, categories title-cased."""
    out = dict(fields)
    body = out.get("item:Body")
    if isinstance(body, dict) and body.get("text") is not None:
        line = "<p>Sent from the sandbox</p>" if body.get("type") == "HTML" else "\r\nSent from the sandbox"
        out["item:Body"] = {**body, "text": body["text"] + line}
    if out.get("item:Categories"):
        out["item:Categories"] = [c.title() for c in out["item:Categories"]]
    return out


@dataclass
class Rewriting:
    """A project on an in-process sandbox that rewrites (all of Exchange's rules, and `extra` if given),
    spoken to over EWS or over Graph (https, the real token flow)."""

    project: Project
    sandbox: Sandbox
    protocol: str

    def inboxes(self) -> dict[str, int]:
        """Messages in each attendee's inbox."""
        store = Store(self.sandbox.store.path)
        try:
            return {a: len(store.items(a, "inbox")) for a in PEOPLE}
        finally:
            store.close()

    def account(self, address: str) -> Any:
        """An exchangelib account on the same mailboxes (over https with the sandbox's CA for Graph's)."""
        from exchangelib.protocol import BaseProtocol

        from reconciler.backends.ews.http import adapter_class

        if self.sandbox.ca_path:
            BaseProtocol.HTTP_ADAPTER_CLS = adapter_class(str(self.sandbox.ca_path), True)
        return self.project.account(address)

    def plan_code(self) -> int:
        result = self.project.cli("plan", "--detailed-exitcode")
        assert result.exit_code in (0, 2), result.output
        return result.exit_code


@pytest.fixture(params=["ews", "graph"])
def rewriting(
    tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Rewriting]:
    marker = request.node.get_closest_marker("extra_rewrite")
    rewrites = Rewrites(extra=marker.args[0]) if marker else Rewrites()
    graph = request.param == "graph"
    with Sandbox(db=str(tmp_path / "server.sqlite3"), tls=graph, rewrites=rewrites) as sb:
        _config(tmp_path, sandbox_target(sb, monkeypatch))
        project = Project(tmp_path, sb, CliRunner())
        project.write("standup.yaml", STANDUP)
        project.write("review.yaml", REVIEW)
        adapter = BaseProtocol.HTTP_ADAPTER_CLS
        try:
            yield Rewriting(project, sb, request.param)
        finally:
            BaseProtocol.HTTP_ADAPTER_CLS = adapter
    exchangelib.close_connections()


def _apply(rw: Rewriting) -> str:
    result = rw.project.cli("apply", "--auto-approve")
    assert result.exit_code == 0, result.output
    return result.output


def test_after_one_apply_plans_stay_empty_and_a_second_apply_sends_nothing(rewriting: Rewriting) -> None:
    _apply(rewriting)
    sent = rewriting.inboxes()
    assert all(sent.values()), sent  # everyone was invited once
    assert [rewriting.plan_code() for _ in range(3)] == [0, 0, 0]
    _apply(rewriting)
    assert rewriting.inboxes() == sent


@pytest.mark.extra_rewrite.with_args(_unknown_rule)
def test_a_rewrite_nobody_told_the_reconciler_about_is_not_drift(rewriting: Rewriting) -> None:
    _apply(rewriting)
    sent = rewriting.inboxes()
    store = Store(rewriting.sandbox.store.path)
    try:  # the rule really ran: the calendar holds what nobody wrote
        held = [i for i in meetings_in(store, "lead@example.com") if i.get("item:Subject") == "Stand-up"]
        assert held[0].get("item:Categories") == ["Ritual", "Team"]
        assert "Sent from the sandbox" in held[0].get("item:Body")["text"]
    finally:
        store.close()
    assert [rewriting.plan_code() for _ in range(3)] == [0, 0, 0]
    _apply(rewriting)
    assert rewriting.inboxes() == sent


def _organizer_item(rw: Rewriting, subject: str) -> Any:
    account = rw.account("lead@example.com")
    return next(i for i in meetings_of(account) if i.subject == subject)


EDITS = {
    "location": lambda item: setattr(item, "location", "Attic") or ["location"],
    "start": lambda item: (
        (
            setattr(item, "start", item.start + timedelta(hours=1)),
            setattr(item, "end", item.end + timedelta(hours=1)),
        )
        and ["start", "end"]
    ),
    "attendees": lambda item: (
        item.required_attendees.append(
            exchangelib.Attendee(mailbox=exchangelib.Mailbox(email_address="eve@example.com"))
        )
        or ["required_attendees"]
    ),
    "body_html": lambda item: (
        setattr(item, "body", exchangelib.HTMLBody("<p>Someone else's agenda</p>")) or ["body"]
    ),
}


@pytest.mark.parametrize("field", sorted(EDITS))
def test_a_later_edit_is_drift_on_that_field_alone_and_restoring_it_reaches_that_meeting_only(
    rewriting: Rewriting, field: str
) -> None:
    _apply(rewriting)
    item = _organizer_item(rewriting, "Design review")
    changed = EDITS[field](item)
    item.save(update_fields=changed, send_meeting_invitations="SendToNone")
    exchangelib.close_connections()
    sent = rewriting.inboxes()

    plan = rewriting.project.plan_json()
    [change] = plan["changes"]
    assert change["key"] == "review" and change["action"] == "drift", change
    assert [f["field"] for f in change["fields"]] == [field]

    _apply(rewriting)
    after = rewriting.inboxes()
    got = {a: after[a] - sent[a] for a in PEOPLE}
    # One update to the review's attendees; the stand-up's attendees hear nothing. Over Graph a PATCH of
    # attendees alone reaches only those added or removed (here: the person added in the calendar).
    only_removed = rewriting.protocol == "graph" and field == "attendees"
    review = 0 if only_removed else 1
    assert got == {
        "alice@example.com": 0,
        "bob@example.com": 0,
        "carol.de-vries@example.com": review,
        "dan@example.com": review,
    }
    if field == "attendees":  # taken off again: a cancellation
        store = Store(rewriting.sandbox.store.path)
        try:
            kinds = [i.get("item:ItemClass") for i in store.items("eve@example.com", "inbox")]
        finally:
            store.close()
        assert kinds == ["IPM.Schedule.Meeting.Canceled"]
    assert [rewriting.plan_code() for _ in range(2)] == [0, 0]


def test_calendars_applied_before_the_baseline_existed_plan_nothing_and_learn_silently(
    rewriting: Rewriting,
) -> None:
    """The state an earlier version left: the same items and markers, and no baseline record."""
    _apply(rewriting)
    store = Store(rewriting.sandbox.store.path)
    try:
        records = [
            i
            for i in store.items("lead@example.com", "calendar")
            if i.get("ext:PublicStrings:reconciler-baseline:String") is not None
        ]
        assert len(records) == 1
        for record in records:
            store.delete(record.id)
    finally:
        store.close()
    sent = rewriting.inboxes()
    assert rewriting.plan_code() == 0
    output = _apply(rewriting)
    assert "nothing to send" in output
    assert rewriting.inboxes() == sent
    assert [rewriting.plan_code() for _ in range(2)] == [0, 0]


def test_show_says_which_fields_differ_since_when_and_what_the_server_keeps_its_own_way(
    rewriting: Rewriting,
) -> None:
    _apply(rewriting)
    item = _organizer_item(rewriting, "Design review")
    item.location = "Attic"
    item.save(update_fields=["location"], send_meeting_invitations="SendToNone")
    exchangelib.close_connections()
    result = rewriting.project.cli("show", "review")
    assert result.exit_code == 0, result.output
    [line] = [x for x in result.output.splitlines() if x.startswith("differs:")]
    assert line.startswith("differs: location; edited in the calendar: location; last applied 20"), line
    assert "the calendar item last changed 20" in line
    [kept] = [x for x in result.output.splitlines() if x.startswith("kept by the server")]
    assert "body_html" in kept
    data = json.loads(rewriting.project.cli("show", "review", "--format", "json").stdout)
    assert data["differences"] == ["location"] and data["edited_in_calendar"] == ["location"]
    assert "body_html" in data["kept_by_server"] and data["last_applied"] and data["calendar_changed"]
