"""Rights as a tenant enforces them (`sandbox/rights.py`), asked the way Microsoft's references describe:
plain Graph HTTP with app tokens, and EWS SOAP as a delegate (no impersonation header, the owner's
mailbox named in `DistinguishedFolderId`) or impersonating."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
import requests
from lxml import etree

from reconciler.sandbox import Sandbox
from reconciler.sandbox.directory import Directory
from reconciler.sandbox.rights import Account, App
from tests.sandbox.test_fidelity import M, T

LEAD = "lead@example.com"
APPS = {
    "calendar-reader": App(frozenset({"Calendars.Read"})),
    "calendar-writer": App(frozenset({"Calendars.ReadWrite"}), mailboxes=frozenset({LEAD})),
}
ACCOUNTS = {
    "reviewer": Account(impersonation=False, folders={LEAD: {"calendar": "Reviewer"}}),
    "scoped": Account(impersonation=frozenset({LEAD})),
    "assistant": Account(impersonation=False, folders={LEAD: {"calendar": "Editor"}}),
}


@pytest.fixture
def tenant() -> Iterator[Sandbox]:
    with Sandbox(tls=True, directory=Directory(apps=APPS, accounts=ACCOUNTS)) as sb:
        yield sb


def _token(sb: Sandbox, client: str) -> requests.Response:
    form = {
        "grant_type": "client_credentials",
        "client_id": client,
        "client_secret": "x",
        "scope": "https://graph.microsoft.com/.default",
    }
    return requests.post(f"{sb.authority}/t/oauth2/v2.0/token", data=form, verify=str(sb.ca_path), timeout=30)


def _graph(sb: Sandbox, client: str, method: str, path: str, body: object = None) -> requests.Response:
    token = _token(sb, client).json()["access_token"]
    return requests.request(
        method,
        sb.graph_endpoint + path,
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        verify=str(sb.ca_path),
        timeout=30,
    )


EVENT = {
    "subject": "Sync",
    "start": {"dateTime": "2027-01-04T10:00:00", "timeZone": "UTC"},
    "end": {"dateTime": "2027-01-04T10:30:00", "timeZone": "UTC"},
}


def test_an_app_not_in_the_directory_gets_no_token(tenant) -> None:
    """AADSTS700016: the identity platform knows no application with that client id in the tenant."""
    refused = _token(tenant, "someone-else")
    assert refused.status_code == 400 and refused.json()["error_codes"] == [700016]


def test_each_resource_checks_the_permission_its_reference_lists(tenant) -> None:
    """Graph's "Permissions" sections: reading events needs Calendars.Read (or ReadWrite), creating one
    Calendars.ReadWrite, messages and mail folders Mail.*; a missing one is 403 ErrorAccessDenied."""
    assert _graph(tenant, "calendar-reader", "GET", f"/users/{LEAD}/events").status_code == 200
    denied = _graph(tenant, "calendar-reader", "POST", f"/users/{LEAD}/events", EVENT)
    error = denied.json()["error"]
    assert denied.status_code == 403 and error["code"] == "ErrorAccessDenied"
    assert error["message"] == "Access is denied. Check credentials and try again."
    for path in ("/mailFolders/inbox/messages", "/mailFolders/msgfolderroot/messages"):
        assert _graph(tenant, "calendar-writer", "GET", f"/users/{LEAD}{path}").status_code == 403
    assert _graph(tenant, "calendar-writer", "POST", f"/users/{LEAD}/events", EVENT).status_code == 201
    canedit = {c: _graph(tenant, c, "GET", f"/users/{LEAD}/calendar").json()["canEdit"] for c in APPS}
    assert canedit == {"calendar-reader": False, "calendar-writer": True}


def test_a_mailbox_outside_the_apps_scope_is_disabled_for_it(tenant) -> None:
    """RBAC for Applications / an application access policy: outside the scope, 403 "Access to OData is
    disabled." whatever the permission."""
    answer = _graph(tenant, "calendar-writer", "GET", "/users/alice@example.com/events")
    assert answer.status_code == 403 and answer.json()["error"]["message"] == "Access to OData is disabled."


def test_a_batch_checks_each_request_on_its_own(tenant) -> None:
    """JSON batching: each request of a `$batch` is authorized (and answered) on its own."""
    batch = {
        "requests": [
            {"id": "1", "method": "GET", "url": f"/users/{LEAD}/events"},
            {"id": "2", "method": "GET", "url": f"/users/{LEAD}/mailFolders/inbox/messages"},
            {"id": "3", "method": "GET", "url": "/users/alice@example.com/events"},
        ]
    }
    answer = _graph(tenant, "calendar-writer", "POST", "/$batch", batch).json()["responses"]
    assert [r["status"] for r in sorted(answer, key=lambda r: r["id"])] == [200, 403, 403]


def _ews(sb: Sandbox, user: str, body: str, impersonate: str | None = None) -> etree._Element:
    header = (
        f"<t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>{impersonate}</t:PrimarySmtpAddress>"
        "</t:ConnectingSID></t:ExchangeImpersonation>"
        if impersonate
        else ""
    )
    envelope = (
        f'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="{M}" xmlns:t="{T}">'
        f"<s:Header>{header}</s:Header><s:Body>{body}</s:Body></s:Envelope>"
    )
    basic = base64.b64encode(f"{user}:password".encode()).decode()
    answer = requests.post(
        sb.endpoint,
        data=envelope,
        headers={"Content-Type": "text/xml", "Authorization": f"Basic {basic}"},
        verify=str(sb.ca_path),
        timeout=10,
    )
    return etree.fromstring(answer.content)


def _folder(name: str, mailbox: str = LEAD) -> str:
    return (
        f"<m:GetFolder><m:FolderShape><t:BaseShape>AllProperties</t:BaseShape></m:FolderShape><m:FolderIds>"
        f'<t:DistinguishedFolderId Id="{name}"><t:Mailbox><t:EmailAddress>{mailbox}</t:EmailAddress>'
        "</t:Mailbox></t:DistinguishedFolderId></m:FolderIds></m:GetFolder>"
    )


def _code(answer: etree._Element) -> str:
    return answer.findtext(f".//{{{M}}}ResponseCode") or answer.findtext(".//faultcode") or ""


def test_a_reviewer_delegate_reads_the_calendar_and_nothing_else(tenant) -> None:
    """Add-MailboxFolderPermission -AccessRights Reviewer on Calendar: FolderVisible and ReadItems there;
    the folder's EffectiveRights say so; msgfolderroot and the inbox are ErrorAccessDenied."""
    calendar = _ews(tenant, "reviewer", _folder("calendar"))
    assert _code(calendar) == "NoError"
    rights = calendar.find(f".//{{{T}}}EffectiveRights")
    said = {etree.QName(e).localname: e.text for e in rights}
    assert said["Read"] == "true" and said["CreateContents"] == "false" and said["Modify"] == "false"
    for folder in ("msgfolderroot", "inbox"):
        assert _code(_ews(tenant, "reviewer", _folder(folder))) == "ErrorAccessDenied"
    created = _ews(
        tenant,
        "reviewer",
        '<m:CreateItem SendMeetingInvitations="SendToNone"><m:SavedItemFolderId>'
        f'<t:DistinguishedFolderId Id="calendar"><t:Mailbox><t:EmailAddress>{LEAD}</t:EmailAddress>'
        "</t:Mailbox></t:DistinguishedFolderId></m:SavedItemFolderId><m:Items><t:CalendarItem>"
        "<t:Subject>Not mine to add</t:Subject><t:Start>2027-01-04T10:00:00Z</t:Start>"
        "<t:End>2027-01-04T10:30:00Z</t:End></t:CalendarItem></m:Items></m:CreateItem>",
    )
    assert _code(created) == "ErrorAccessDenied"
    assert tenant.store.items(LEAD, "calendar") == []


def test_impersonation_reaches_only_its_management_scope(tenant) -> None:
    """ApplicationImpersonation with -CustomRecipientWriteScope: outside the scope the whole request is
    refused with ErrorImpersonateUserDenied."""
    assert _code(_ews(tenant, "scoped", _folder("inbox"), impersonate=LEAD)) == "NoError"
    outside = _ews(tenant, "scoped", _folder("inbox", "alice@example.com"), impersonate="alice@example.com")
    assert "ErrorImpersonateUserDenied" in _code(outside)


def test_a_directory_file_sets_up_apps_accounts_and_issuers(tmp_path) -> None:
    """`sandbox serve --directory FILE`: the tenant's apps and accounts as README shows them; a mistake is
    named with the file and what to change."""
    from reconciler.sandbox.directory import DirectoryError, load_directory

    path = tmp_path / "directory.yaml"
    path.write_text(
        "apps:\n"
        "  reconciler-plan: {permissions: [Calendars.Read], mailboxes: [Lead@example.com]}\n"
        "  reconciler-apply:\n"
        "    permissions: [Calendars.ReadWrite]\n"
        "    federated:\n"
        "      - {issuer: 'https://token.actions.githubusercontent.com', subject: 'repo:a/b:pull_request'}\n"
        "accounts:\n"
        "  svc: {impersonation: [lead@example.com]}\n"
        "  planner: {folders: {lead@example.com: {calendar: Reviewer}}}\n"
        "issuers: {'https://token.actions.githubusercontent.com': keys.json}\n"
    )
    directory = load_directory(path)
    plan, apply = directory.app("reconciler-plan"), directory.app("reconciler-apply")
    assert plan is not None and plan.refusal(LEAD, ("Calendars.ReadWrite",)) is not None
    assert plan.refusal("alice@example.com", ("Calendars.Read",)) == "Access to OData is disabled."
    assert apply is not None and apply.federated[0].subject == "repo:a/b:pull_request"
    assert directory.app("someone-else") is None  # only the apps the file lists exist
    assert directory.account("svc").may_impersonate(LEAD) and not directory.account("svc").may_impersonate(
        "x@y"
    )
    assert directory.account("planner").rights("planner", LEAD).allows("calendar", "read")
    assert not directory.account("planner").rights("planner", LEAD).allows("inbox", "read")
    path.write_text("accounts:\n  planner: {folders: {lead@example.com: {calendar: Boss}}}\n")
    with pytest.raises(
        DirectoryError, match=r"directory.yaml: accounts: planner: folders: .*Boss is not one of"
    ):
        load_directory(path)


def _last_modified_name(sb: Sandbox, item_id: str) -> str | None:
    got = _ews(
        sb,
        "scoped",
        "<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>"
        '<t:FieldURI FieldURI="item:LastModifiedName"/></t:AdditionalProperties></m:ItemShape>'
        f'<m:ItemIds><t:ItemId Id="{item_id}"/></m:ItemIds></m:GetItem>',
        impersonate=LEAD,
    )
    return got.findtext(f".//{{{T}}}LastModifiedName")


def test_an_item_names_who_saved_it_last(tenant) -> None:
    """LastModifiedName: "the display name of the last user to modify an item". A delegate's edit names
    the delegate; an impersonating account acts as the owner, so its edit names the owner."""
    created = _ews(
        tenant,
        "assistant",
        '<m:CreateItem SendMeetingInvitations="SendToNone"><m:SavedItemFolderId>'
        f'<t:DistinguishedFolderId Id="calendar"><t:Mailbox><t:EmailAddress>{LEAD}</t:EmailAddress>'
        "</t:Mailbox></t:DistinguishedFolderId></m:SavedItemFolderId><m:Items><t:CalendarItem>"
        "<t:Subject>Booked by the assistant</t:Subject><t:Start>2027-01-04T10:00:00Z</t:Start>"
        "<t:End>2027-01-04T10:30:00Z</t:End></t:CalendarItem></m:Items></m:CreateItem>",
    )
    assert _code(created) == "NoError"
    item = created.find(f".//{{{T}}}ItemId")
    assert item is not None
    assert _last_modified_name(tenant, item.get("Id", "")) == "Assistant"
    updated = _ews(
        tenant,
        "scoped",
        '<m:UpdateItem ConflictResolution="AlwaysOverwrite" '
        'SendMeetingInvitationsOrCancellations="SendToNone">'
        f'<m:ItemChanges><t:ItemChange><t:ItemId Id="{item.get("Id")}"/><t:Updates><t:SetItemField>'
        '<t:FieldURI FieldURI="item:Subject"/><t:CalendarItem><t:Subject>Moved by the lead</t:Subject>'
        "</t:CalendarItem></t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>",
        impersonate=LEAD,
    )
    assert _code(updated) == "NoError"
    assert _last_modified_name(tenant, item.get("Id", "")) == "Lead"
