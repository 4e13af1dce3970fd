"""The sandbox's Windows authentication as IIS offers it, driven by exchangelib's own NTLM client."""

from __future__ import annotations

import exchangelib
import pytest
import requests
from exchangelib import IMPERSONATION, NTLM, Account, Build, Configuration, Credentials, Version
from exchangelib.errors import UnauthorizedError

from reconciler.sandbox import Sandbox


def _account(sb: Sandbox, user: str, password: str) -> Account:
    config = Configuration(
        service_endpoint=sb.endpoint,
        credentials=Credentials(user, password),
        auth_type=NTLM,
        version=Version(Build(15, 1)),
    )
    return Account("lead@example.com", config=config, autodiscover=False, access_type=IMPERSONATION)


@pytest.fixture
def sb():  # type: ignore[no-untyped-def]
    with Sandbox(password="s3cret", auth=("negotiate", "ntlm")) as sandbox:
        yield sandbox
    exchangelib.close_connections()


def test_exchangelib_completes_an_ntlm_handshake_as_domain_user_or_upn(sb: Sandbox) -> None:
    for user in ("CONTOSO\\svc", "svc@example.com"):
        assert _account(sb, user, "s3cret").root.name == "Root"
        exchangelib.close_connections()


def test_a_wrong_password_is_refused_after_the_handshake(sb: Sandbox) -> None:
    with pytest.raises(UnauthorizedError):
        _account(sb, "CONTOSO\\svc", "wrong").root  # noqa: B018


def test_anonymous_requests_get_the_schemes_iis_announces(sb: Sandbox) -> None:
    answer = requests.post(sb.endpoint, data=b"<not even xml", timeout=10)
    assert answer.status_code == 401  # before the body is read as EWS
    assert answer.headers["WWW-Authenticate"] == "Negotiate, NTLM"


def test_ntlm_needs_a_password_to_check() -> None:
    with pytest.raises(ValueError, match="NTLM and Negotiate need a password"):
        Sandbox(auth=("ntlm",))
