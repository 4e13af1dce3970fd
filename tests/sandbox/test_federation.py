"""The sandbox's token endpoint checks a federated client assertion as Entra does: the app's federated
identity credentials (issuer, subject, audience, exactly), the issuer's keys, RS256 and the time range, and
answers each mismatch with its AADSTS code ("Workload identity federation" troubleshooting)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from reconciler.sandbox import Sandbox
from reconciler.sandbox.directory import Directory
from reconciler.sandbox.rights import App, Federated

ISSUER = "https://token.actions.githubusercontent.com"
SUBJECT = "repo:acme/meetings:environment:production"
KEY = rsa.generate_private_key(65537, 2048)
OTHER_KEY = rsa.generate_private_key(65537, 2048)


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key()))
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": [{**jwk, "kid": "k1"}]}))
    apps = {
        "federated-app": App(federated=(Federated(ISSUER, SUBJECT),)),
        "plain-app": App(),
    }
    directory = Directory(apps=apps, issuers={ISSUER: str(tmp_path / "jwks.json")})
    with Sandbox(tls=True, directory=directory) as sb:
        yield sb


def _assertion(key: rsa.RSAPrivateKey = KEY, **claims: object) -> str:
    now = int(time.time())
    body = {"iss": ISSUER, "sub": SUBJECT, "aud": "api://AzureADTokenExchange", "nbf": now, "exp": now + 300}
    return jwt.encode({**body, **claims}, key, algorithm="RS256", headers={"kid": "k1"})


def _token(sb: Sandbox, assertion: str, client: str = "federated-app") -> tuple[int, list[int]]:
    answer = requests.post(
        f"{sb.authority}/contoso/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client,
            "scope": "https://graph.microsoft.com/.default",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
        },
        verify=str(sb.ca_path),
        timeout=30,
    )
    return answer.status_code, answer.json().get("error_codes", [])


def test_an_assertion_matching_a_federated_credential_gets_a_token(sandbox) -> None:
    assert _token(sandbox, _assertion()) == (200, [])


@pytest.mark.parametrize(
    ("assertion", "code"),
    [
        (lambda: _assertion(sub="repo:acme/meetings:pull_request"), 700213),
        (lambda: _assertion(sub=SUBJECT.upper()), 700213),  # compared exactly, case included
        (lambda: _assertion(iss="https://gitlab.example.com"), 700211),
        (lambda: _assertion(aud="api://something-else"), 700212),
        (lambda: _assertion(exp=int(time.time()) - 60), 700024),
        (lambda: _assertion(nbf=int(time.time()) + 600), 700024),
        (lambda: _assertion(OTHER_KEY), 700027),
    ],
)
def test_each_mismatch_is_answered_with_its_aadsts_code(sandbox, assertion, code: int) -> None:
    assert _token(sandbox, assertion()) == (401, [code])


def test_an_app_without_federated_credentials_refuses_an_external_token(sandbox) -> None:
    assert _token(sandbox, _assertion(), client="plain-app") == (401, [70025])
