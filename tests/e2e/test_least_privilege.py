"""Least privilege, as a tenant enforces it: the reconciler needs calendar rights alone, a read-only identity
plans and reports but cannot send, and a mailbox beyond the identity's scope is named with the fix.

The sandbox is set up as an administrator sets up Exchange (`sandbox/rights.py`): Graph apps holding
application permissions within a mailbox scope, EWS accounts impersonating within a management scope or
holding folder permissions as delegates. A test's own inspection (reading inboxes) goes through an account
the directory lets impersonate everyone (`*`), never through the identity under test.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import exchangelib
import pytest
import yaml
from typer.testing import CliRunner, Result

from reconciler.sandbox import Sandbox
from reconciler.sandbox.directory import Directory
from reconciler.sandbox.rights import Account, App
from tests.calendars import is_record
from tests.e2e.conftest import REVIEW, SYNC, Project, _config, sandbox_target

LEAD = "lead@example.com"
WRITER, READER = "writer-app", "reader-app"
APPS = {
    WRITER: App(frozenset({"Calendars.ReadWrite"}), mailboxes=frozenset({LEAD})),
    READER: App(frozenset({"Calendars.Read"}), mailboxes=frozenset({LEAD})),
    "*": App(frozenset({"Calendars.ReadWrite", "Mail.ReadWrite"})),  # the tests' own inspection
}
ACCOUNTS = {
    "reviewer": Account(impersonation=False, folders={LEAD: {"calendar": "Reviewer"}}),
    "svc": Account(impersonation=frozenset({LEAD})),
    "*": Account(),  # the tests' own inspection impersonates everyone
}


@pytest.fixture
def tenant(tmp_path: Path) -> Iterator[Project]:
    """A project on a sandbox whose directory holds the apps and accounts above."""
    directory = Directory(apps=APPS, accounts=ACCOUNTS)
    with Sandbox(db=str(tmp_path / "server.sqlite3"), tls=True, directory=directory) as sb:
        project = Project(tmp_path, sb, CliRunner())
        project.write("sync.yaml", SYNC)
        project.write("review.yaml", REVIEW)
        yield project
    exchangelib.close_connections()


def _graph(project: Project, client: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert project.sandbox is not None
    _config(project.root, {**sandbox_target(project.sandbox, monkeypatch, client), "max_wait_seconds": 5})


def _ews(project: Project, user: str, monkeypatch: pytest.MonkeyPatch, access: str) -> None:
    sb = project.sandbox
    assert sb is not None and sb.ca_path is not None
    monkeypatch.setenv("EWS_USERNAME", user)
    monkeypatch.setenv("EWS_PASSWORD", "a-password")
    _config(
        project.root,
        {
            "kind": "ews",
            "endpoint": sb.endpoint,
            "auth": "basic",
            "username_env": "EWS_USERNAME",
            "password_env": "EWS_PASSWORD",
            "access": access,
            "ca_bundle": str(sb.ca_path),
            "max_wait_seconds": 5,
        },
    )


def _organizers(project: Project, *organizers: str) -> None:
    data = yaml.safe_load(project.config.read_text())
    data["organizers"] = list(organizers)
    project.config.write_text(yaml.safe_dump(data))


def _sent(project: Project) -> dict[str, int]:
    """Items in every attendee's inbox and the organizer's Sent Items: what a run sent."""
    store = project.sandbox.store  # type: ignore[union-attr]
    boxes = ("alice@example.com", "bob@example.com", "carol@example.com", "room-oak@example.com")
    seen = {box: len(store.items(box, "inbox")) for box in boxes}
    seen[LEAD] = len(store.items(LEAD, "sentitems"))
    return seen


def _ok(result: Result, *codes: int) -> Result:
    assert result.exit_code in (codes or (0,)), result.output
    assert "Traceback" not in result.output
    return result


def test_graph_lifecycle_with_calendars_readwrite_alone(tenant: Project, monkeypatch) -> None:
    """Plan, apply, answers and a change, with the app README asks for and nothing more (no Mail.*)."""
    _graph(tenant, WRITER, monkeypatch)
    _ok(tenant.cli("plan", "--detailed-exitcode"), 2)
    _ok(tenant.cli("apply", "--auto-approve"))
    assert _sent(tenant)["alice@example.com"] == 1
    _ok(tenant.cli("plan", "--detailed-exitcode"))
    tenant.write("sync.yaml", SYNC.replace("10:00", "11:00"))
    _ok(tenant.cli("apply", "--auto-approve"))
    _ok(tenant.cli("responses"))
    assert _ok(tenant.cli("plan", "--detailed-exitcode")).exit_code == 0


def test_a_read_identity_plans_shows_and_reports_and_its_apply_sends_nothing(tenant, monkeypatch) -> None:
    _graph(tenant, WRITER, monkeypatch)
    _ok(tenant.cli("apply", "--auto-approve"))
    tenant.write("sync.yaml", SYNC.replace("Team sync", "Team sync (moved)"))
    _graph(tenant, READER, monkeypatch)
    planned = json.loads(_ok(tenant.cli("plan", "--format", "json")).stdout)
    assert [c["action"] for c in planned["changes"]] == ["update"]
    assert "Team sync" in _ok(tenant.cli("show", "sync")).output
    _ok(tenant.cli("responses"))
    before = _sent(tenant)
    refused = tenant.cli("apply", "--auto-approve")
    assert refused.exit_code == 1, refused.output
    assert "Calendars.ReadWrite" in refused.output and LEAD in refused.output
    assert "run apply with the identity that holds it" in refused.output
    assert _sent(tenant) == before  # nothing was sent
    subjects = {i.get("item:Subject") for i in tenant.sandbox.store.items(LEAD, "calendar")}
    assert "Team sync (moved)" not in subjects


def test_an_organizer_outside_the_apps_scope_is_named_with_the_fix(tenant, monkeypatch) -> None:
    _graph(tenant, WRITER, monkeypatch)
    _organizers(tenant, LEAD, "other@example.com")
    tenant.write("other.yaml", SYNC.replace("key: sync", "key: other").replace(LEAD, "other@example.com"))
    result = tenant.cli("plan")
    assert result.exit_code == 1, result.output
    assert "mailbox other@example.com is outside the app's mailbox scope" in result.output
    assert "New-ManagementScope" in result.output and "Test-ServicePrincipalAuthorization" in result.output


def test_a_reviewer_delegate_plans_and_its_apply_sends_nothing(tenant, monkeypatch) -> None:
    _ews(tenant, "svc", monkeypatch, "impersonation")
    _ok(tenant.cli("apply", "--auto-approve"))
    tenant.write("sync.yaml", SYNC.replace("Team sync", "Team sync (moved)"))
    _ews(tenant, "reviewer", monkeypatch, "delegate")
    planned = json.loads(_ok(tenant.cli("plan", "--format", "json")).stdout)
    assert [c["action"] for c in planned["changes"]] == ["update"]
    _ok(tenant.cli("responses"))
    before = _sent(tenant)
    refused = tenant.cli("apply", "--auto-approve")
    assert refused.exit_code == 1, refused.output
    assert "apply needs ApplicationImpersonation or Editor on the Calendar folder" in refused.output
    assert _sent(tenant) == before


def test_impersonation_outside_the_scope_is_named(tenant, monkeypatch) -> None:
    _ews(tenant, "svc", monkeypatch, "impersonation")
    _organizers(tenant, LEAD, "other@example.com")
    tenant.write("other.yaml", SYNC.replace("key: sync", "key: other").replace(LEAD, "other@example.com"))
    result = tenant.cli("plan")
    assert result.exit_code == 1, result.output
    assert "the service account may not impersonate mailbox other@example.com" in result.output
    assert "management scope" in result.output


def _as_an_older_version_left_it(project: Project) -> None:
    """The records where versions before this one kept them: saved messages in msgfolderroot."""
    store = project.sandbox.store  # type: ignore[union-attr]
    for item in [i for i in store.items(LEAD, "calendar") if is_record(i)]:
        fields = {k: v for k, v in item.fields.items() if k.startswith(("ext:", "item:Subject", "item:Body"))}
        store.add(LEAD, "msgfolderroot", {**fields, "item:ItemClass": "IPM.Note"})
        store.delete(item.id)


def _legacy(project: Project) -> list[str]:
    store = project.sandbox.store  # type: ignore[union-attr]
    return sorted(i.get("item:Subject") for i in store.items(LEAD, "msgfolderroot") if is_record(i))


def test_an_upgrade_moves_the_records_where_the_rights_allow_and_sends_nothing(tenant, monkeypatch) -> None:
    _ews(tenant, "svc", monkeypatch, "impersonation")
    _ok(tenant.cli("apply", "--auto-approve"))
    _as_an_older_version_left_it(tenant)
    assert _legacy(tenant) == ["reconciler apply lease", "reconciler baseline e2e"]
    before = _sent(tenant)
    planned = _ok(tenant.cli("plan", "--detailed-exitcode"))
    assert "note:" not in planned.output  # impersonation reaches msgfolderroot: the old record is read
    _ok(tenant.cli("apply", "--auto-approve"))
    assert _sent(tenant) == before
    assert _legacy(tenant) == []  # moved: the calendar holds them now
    assert [i.get("item:Subject") for i in tenant.sandbox.store.items(LEAD, "calendar") if is_record(i)] == [
        "reconciler apply lease",
        "reconciler baseline e2e",
    ]
    _ok(tenant.cli("plan", "--detailed-exitcode"))


def test_an_upgrade_with_calendar_rights_alone_is_silent_and_says_so_once(tenant, monkeypatch) -> None:
    _graph(tenant, WRITER, monkeypatch)
    _ok(tenant.cli("apply", "--auto-approve"))
    _as_an_older_version_left_it(tenant)
    before = _sent(tenant)
    planned = _ok(tenant.cli("plan", "--detailed-exitcode"))
    assert planned.output.count("needs mail rights to read") == 1, planned.output
    _ok(tenant.cli("apply", "--auto-approve"))
    assert _sent(tenant) == before
    assert _legacy(tenant) == ["reconciler apply lease", "reconciler baseline e2e"]  # left alone
    again = _ok(tenant.cli("plan", "--detailed-exitcode"))
    assert "note:" not in again.output


@pytest.mark.parametrize(
    ("protocol", "identity", "need", "code", "said"),
    [
        ("graph", WRITER, "write", 0, "lead@example.com +read, write\nscoped: the 3 calendars asked about"),
        ("graph", "tenant-wide-app", "write", 4, "reaches mailboxes that are no organizer's"),
        ("graph", READER, "read", 0, "lead@example.com +read\n"),
        ("graph", READER, "write", 3, "lead@example.com +read\n"),
        ("graph", WRITER, "read", 4, "a plan or drift job should hold a read identity"),
        ("ews", "reviewer", "read", 0, "lead@example.com +read\nscoped:"),
        ("ews", "svc", "write", 0, "lead@example.com +read, write"),
        ("ews", "admin", "write", 4, "limit the account's ApplicationImpersonation to the organizers"),
    ],
)
def test_access_tells_what_the_identity_can_do_and_whether_it_is_scoped(
    tenant, monkeypatch, protocol: str, identity: str, need: str, code: int, said: str
) -> None:
    """`reconciler access`: each organizer's read/write, and attendees' calendars asked about to tell an
    identity scoped to the organizers from a tenant-wide one (exit codes for CI: 0, 3 lacking, 4 wider)."""
    if protocol == "graph":
        _graph(tenant, identity, monkeypatch)
    else:
        _ews(tenant, identity, monkeypatch, "delegate" if identity == "reviewer" else "impersonation")
    result = tenant.cli("access", "--need", need)
    assert result.exit_code == code, result.output
    assert re.search(said, result.output), result.output
    assert "Traceback" not in result.output


def test_an_editor_delegate_applies_and_sends_only_with_send_on_behalf(tmp_path: Path, monkeypatch) -> None:
    """Editor on the Calendar lets a delegate write there; the invitations go out in the organizer's name
    only with -SharingPermissionFlags Delegate ("Delegate access and EWS in Exchange")."""
    editor = {LEAD: {"calendar": "Editor"}}
    accounts = {
        "editor": Account(impersonation=False, folders=editor, send_on_behalf=frozenset({LEAD})),
        "mute-editor": Account(impersonation=False, folders=editor),
        "*": Account(),
    }
    with Sandbox(db=str(tmp_path / "server.sqlite3"), tls=True, directory=Directory(accounts=accounts)) as sb:
        project = Project(tmp_path, sb, CliRunner())
        project.write("sync.yaml", SYNC)
        _ews(project, "mute-editor", monkeypatch, "delegate")
        refused = project.cli("apply", "--auto-approve")
        assert refused.exit_code == 1, refused.output
        assert "but not send meeting messages on its behalf" in refused.output
        assert _sent(project)["alice@example.com"] == 0
        _ews(project, "editor", monkeypatch, "delegate")
        _ok(project.cli("apply", "--auto-approve"))
        assert _sent(project)["alice@example.com"] == 1
        _ok(project.cli("plan", "--detailed-exitcode"))
    exchangelib.close_connections()
