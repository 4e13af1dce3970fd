"""The sandbox rewrites what clients write as Exchange does, on both protocols, each rule switchable.

Read back through clients this project did not write the wire format for: exchangelib (EWS) and plain HTTP
shaped as Microsoft's Graph reference documents it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import exchangelib
import pytest
from exchangelib import (
    IMPERSONATION,
    Account,
    Attendee,
    Build,
    CalendarItem,
    Configuration,
    EWSDateTime,
    EWSTimeZone,
    HTMLBody,
    Mailbox,
    Version,
)
from exchangelib.transport import NOAUTH
from typer.testing import CliRunner

from reconciler.sandbox import Sandbox
from reconciler.sandbox.directory import DirectoryError, load_directory
from reconciler.sandbox.rewrites import RULES, Rewrites
from tests.graph.conftest import Http, event, token_for

DIRECTORY = """\
people:
  alice@example.com: Alice Jansen
rooms:
  room-oak@example.com: {name: Oak room}
"""


@pytest.fixture
def served(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    (tmp_path / "directory.yaml").write_text(DIRECTORY)
    marker = request.node.get_closest_marker("echo_rules")
    rewrites = Rewrites(frozenset(marker.args)) if marker else Rewrites()
    with Sandbox(tls=True, directory=load_directory(tmp_path / "directory.yaml"), rewrites=rewrites) as sb:
        yield sb
    exchangelib.close_connections()


def _account(sb: Sandbox) -> Account:
    from exchangelib.protocol import BaseProtocol

    from reconciler.backends.ews.http import adapter_class

    BaseProtocol.HTTP_ADAPTER_CLS = adapter_class(str(sb.ca_path), True)
    config = Configuration(service_endpoint=sb.endpoint, auth_type=NOAUTH, version=Version(Build(15, 1)))
    return Account("lead@example.com", config=config, autodiscover=False, access_type=IMPERSONATION)


def _create(sb: Sandbox, body: object) -> CalendarItem:
    account = _account(sb)
    tz = EWSTimeZone("Europe/Amsterdam")
    item = CalendarItem(
        account=account,
        folder=account.calendar,
        subject="Review",
        start=EWSDateTime(2027, 1, 6, 14, tzinfo=tz),
        end=EWSDateTime(2027, 1, 6, 15, tzinfo=tz),
        body=body,
        required_attendees=[
            Attendee(mailbox=Mailbox(email_address="alice@example.com", name="Ally")),
            Attendee(mailbox=Mailbox(email_address="carol.de-vries@example.com", name="C")),
        ],
        resources=[Attendee(mailbox=Mailbox(email_address="room-oak@example.com", name="oak"))],
    )
    item.save(send_meeting_invitations="SendToAllAndSaveCopy")
    return account.calendar.get(id=item.id)


def test_ews_answers_display_names_html_documents_and_crlf(served) -> None:
    """The directory's names, not the client's; an HTML body as the whole document Exchange keeps, its line
    ends CRLF (sent as `&#xD;` so that the client's XML parser keeps them). (exchangelib always sends
    ReminderIsSet, so the reminder default is checked over Graph.)"""
    item = _create(served, HTMLBody("<p>Agenda</p>\n<p>two</p>"))
    names = {a.mailbox.email_address: a.mailbox.name for a in [*item.required_attendees, *item.resources]}
    assert names == {
        "alice@example.com": "Alice Jansen",
        "carol.de-vries@example.com": "Carol De Vries",
        "room-oak@example.com": "Oak room",
    }
    assert item.organizer.name == "Lead"
    assert item.body.startswith("<html>\r\n<head>\r\n") and '<meta name="Generator"' in item.body
    assert "<p>Agenda</p>\r\n<p>two</p>" in item.body and item.body.endswith("</html>\r\n")


def test_ews_keeps_text_bodies_with_crlf(served) -> None:
    item = _create(served, "line one\nline two\n")
    assert item.body == "line one\r\nline two\r\n"


@pytest.mark.echo_rules(*RULES)
def test_every_rule_off_keeps_what_was_sent(served) -> None:
    item = _create(served, HTMLBody("<p>Agenda</p>\n<p>two</p>"))
    assert item.body == "<p>Agenda</p>\n<p>two</p>"
    assert {a.mailbox.name for a in item.required_attendees} == {"Ally", "C"}


def test_cancelling_moves_the_item_to_deleted_items_under_a_new_id(served) -> None:
    """Exchange moves a cancelled meeting to Deleted Items; a move gives an item a new id."""
    item = _create(served, "x")
    old_id = item.id
    item.cancel()
    account = _account(served)
    [moved] = list(account.trash.filter(subject="Review"))
    assert moved.id != old_id and moved.is_cancelled
    with pytest.raises(exchangelib.errors.ErrorItemNotFound):
        account.calendar.get(id=old_id)


@pytest.mark.echo_rules("move-ids")
def test_without_the_move_ids_rule_a_moved_item_keeps_its_id(served) -> None:
    item = _create(served, "x")
    item.cancel()
    [moved] = list(_account(served).trash.filter(subject="Review"))
    assert moved.id == item.id


def _graph(sb: Sandbox) -> Http:
    return Http(sb.graph_endpoint, str(sb.ca_path), token_for(sb).json()["access_token"])


def test_graph_answers_bodies_as_html_unless_text_is_preferred(served) -> None:
    """Graph, "Get event": without `Prefer: outlook.body-content-type` the body is returned as HTML; with it
    the body comes converted and `Preference-Applied` confirms it. `bodyPreview` is text."""
    http = _graph(served)
    made = http.post(
        "/users/lead@example.com/events",
        json=event(body={"contentType": "text", "content": "What we did,\nwhat we'll do."}),
    ).json()
    url = f"/users/lead@example.com/events/{made['id']}"
    html = http.get(url).json()["body"]
    assert html["contentType"] == "html" and html["content"].startswith("<html>")
    assert "what we&#x27;ll do." in html["content"]
    answer = http.get(url, headers={"Prefer": 'outlook.body-content-type="text"'})
    assert answer.headers["Preference-Applied"] == 'outlook.body-content-type="text"'
    assert answer.json()["body"] == {"contentType": "text", "content": "What we did,\r\nwhat we'll do."}
    assert answer.json()["bodyPreview"] == "What we did, what we'll do."
    assert made["attendees"][0]["emailAddress"]["name"] == "Alice Jansen"
    assert made["isReminderOn"] is True and made["reminderMinutesBeforeStart"] == 15


def test_graph_online_meetings_get_the_teams_join_block_in_their_body(served) -> None:
    http = _graph(served)
    made = http.post(
        "/users/lead@example.com/events",
        json=event(
            body={"contentType": "html", "content": "<p>Agenda</p>"},
            isOnlineMeeting=True,
            onlineMeetingProvider="teamsForBusiness",
        ),
    ).json()
    content = made["body"]["content"]
    assert "<p>Agenda</p>" in content and "Microsoft Teams meeting" in content
    assert made["onlineMeeting"]["joinUrl"] in content.replace("&amp;", "&")
    assert content.index("<p>Agenda</p>") < content.index("Microsoft Teams meeting")


def test_graph_delete_moves_the_event_under_a_new_id(served) -> None:
    http = _graph(served)
    made = http.post("/users/lead@example.com/events", json=event()).json()
    assert http.delete(f"/users/lead@example.com/events/{made['id']}").status_code == 204
    assert http.get(f"/users/lead@example.com/events/{made['id']}").status_code == 404
    [moved] = [
        i for i in served.store.items("lead@example.com", "deleteditems") if i.get("item:Subject") == "Sync"
    ]
    assert moved.id.replace("/", "-").replace("+", "_") != made["id"]


def test_serve_help_lists_the_rules_and_unknown_ones_are_refused(tmp_path: Path) -> None:
    from reconciler.sandbox.cli import app

    runner = CliRunner()
    shown = runner.invoke(app, ["serve", "--help"], env={"COLUMNS": "400"})
    assert all(rule in shown.output for rule in RULES)
    refused = runner.invoke(app, ["serve", "--port", "0", "--db", ":memory:", "--echo", "crfl"])
    assert refused.exit_code == 1 and "unknown rewrite rule(s) crfl" in refused.output


def test_a_directory_file_must_name_people(tmp_path: Path) -> None:
    bad = tmp_path / "directory.yaml"
    bad.write_text("people:\n  alice@example.com: {}\n")
    with pytest.raises(
        DirectoryError, match=r"directory.yaml: people: alice@example.com: give a display name"
    ):
        load_directory(bad)
    bad.write_text("staff: {}\n")
    with pytest.raises(DirectoryError, match="unknown section"):
        load_directory(bad)
