"""exchangelib connects with its probes (no auth type, no version), with Basic, and with impersonation."""

from __future__ import annotations

import exchangelib
import pytest
from exchangelib import BASIC, Account, Configuration, Credentials
from exchangelib.errors import UnauthorizedError

from reconciler.sandbox import Sandbox


def test_probes_find_basic_and_the_server_version() -> None:
    with Sandbox() as sb:
        config = Configuration(
            service_endpoint=sb.endpoint, credentials=Credentials("lead@example.com", "pw")
        )
        account = Account("lead@example.com", config=config, autodiscover=False)
        assert account.protocol.auth_type == BASIC
        assert account.version.build.major_version == 15 and account.version.build.minor_version == 1
        assert account.version.api_version == "Exchange2016"
        assert account.calendar.name == "Calendar"
    exchangelib.close_connections()


def test_explicit_basic_with_checked_password() -> None:
    with Sandbox(password="secret") as sb:
        good = Configuration(
            service_endpoint=sb.endpoint,
            credentials=Credentials("lead@example.com", "secret"),
            auth_type=BASIC,
        )
        assert Account("lead@example.com", config=good, autodiscover=False).inbox.name == "Inbox"
        exchangelib.close_connections()
        bad = Configuration(
            service_endpoint=sb.endpoint,
            credentials=Credentials("lead@example.com", "wrong"),
            auth_type=BASIC,
            version=exchangelib.Version(exchangelib.Build(15, 1)),
        )
        with pytest.raises(UnauthorizedError):
            Account("lead@example.com", config=bad, autodiscover=False).inbox.all().count()
    exchangelib.close_connections()


def test_impersonation_acts_for_each_mailbox(account) -> None:
    lead, bob = account("lead@example.com"), account("bob@example.com")
    assert lead.calendar.id != bob.calendar.id
    assert {f.name for f in (lead.inbox, lead.sent, lead.trash, lead.drafts)} == {
        "Inbox",
        "Sent Items",
        "Deleted Items",
        "Drafts",
    }


def test_unauthenticated_request_gets_401_with_basic_challenge(sandbox) -> None:
    import requests

    body = (
        '<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"><s:Body>'
        "<m:GetFolder/></s:Body></s:Envelope>"
    )
    r = requests.post(sandbox.endpoint, data=body, timeout=5)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Basic realm=")
    assert "ServerVersionInfo" in r.text
