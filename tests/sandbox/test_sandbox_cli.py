"""`reconciler sandbox mailbox` and `respond` on a database a running server uses."""

from __future__ import annotations

import json
from pathlib import Path

import exchangelib
from exchangelib.items import SEND_TO_ALL_AND_SAVE_COPY
from typer.testing import CliRunner

from reconciler.cli import app
from reconciler.sandbox import Sandbox
from tests.sandbox.conftest import dt, meeting


def test_mailbox_and_respond_while_serving(tmp_path: Path, account) -> None:
    db = str(tmp_path / "sandbox.sqlite3")
    with Sandbox(db=db) as sb:
        config = exchangelib.Configuration(
            service_endpoint=sb.endpoint,
            auth_type="no authentication",
            version=exchangelib.Version(exchangelib.Build(15, 1)),
        )
        lead = exchangelib.Account(
            "lead@example.com", config=config, autodiscover=False, access_type=exchangelib.IMPERSONATION
        )
        meeting(lead, "Design review", dt(2027, 1, 6, 13), attendees=("bob@example.com",)).save(
            send_meeting_invitations=SEND_TO_ALL_AND_SAVE_COPY
        )
        runner = CliRunner()
        listed = runner.invoke(app, ["sandbox", "mailbox", "bob@example.com", "--json", "--db", db])
        assert listed.exit_code == 0
        [entry] = json.loads(listed.output)
        assert (entry["type"], entry["subject"], entry["sequence"]) == ("meeting request", "Design review", 0)
        answered = runner.invoke(
            app, ["sandbox", "respond", "bob@example.com", "tentative", "--subject", "design", "--db", db]
        )
        assert answered.exit_code == 0, answered.output
        master = lead.calendar.get(subject="Design review")
        assert [a.response_type for a in master.required_attendees] == ["Tentative"]
        assert [m.subject for m in lead.inbox.all()] == ["Tentative: Design review"]
        table = runner.invoke(
            app, ["sandbox", "mailbox", "lead@example.com", "--folder", "sentitems", "--db", db]
        )
        assert "meeting request" in table.output and "'Design review'" in table.output
        missing = runner.invoke(
            app, ["sandbox", "respond", "bob@example.com", "accept", "--subject", "nothing", "--db", db]
        )
        assert missing.exit_code == 1 and "no current invitation" in missing.output
    exchangelib.close_connections()


def test_mailbox_without_database(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["sandbox", "mailbox", "a@example.com", "--db", str(tmp_path / "none.db")]
    )
    assert result.exit_code == 1 and "no sandbox database" in result.output


def test_serve_help_lists_the_implemented_operations() -> None:
    from typer.testing import CliRunner

    from reconciler.sandbox.cli import IMPLEMENTED, app
    from reconciler.sandbox.ews.operations import OPERATIONS

    assert set(IMPLEMENTED.split(", ")) == set(OPERATIONS)
    result = CliRunner().invoke(app, ["serve", "--help"], terminal_width=400)
    assert "Implemented EWS operations: ConvertId" in result.output
