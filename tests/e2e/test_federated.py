"""No secret in the repository: plan and apply over Graph with a CI system's OIDC token for the app's token.

The test is its own OIDC issuer on loopback (its own RSA key pair; its keys as a JWKS; a token endpoint that
answers the `ACTIONS_ID_TOKEN_REQUEST_URL` protocol as GitHub Actions does), and the sandbox's directory
holds an app whose federated identity credential trusts that issuer for one subject
(`sandbox/graph/federation.py` checks it as Entra does).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import exchangelib
import jwt
import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric import rsa
from typer.testing import CliRunner

from reconciler.sandbox import Sandbox
from reconciler.sandbox.directory import Directory
from reconciler.sandbox.faults import FaultOptions
from reconciler.sandbox.rights import App, Federated
from tests.e2e.conftest import REVIEW, SYNC, Project, _config

MAIN = "repo:acme/meetings:ref:refs/heads/main"
REQUEST_TOKEN = "the-runners-request-token-0123456789"
APP = "apply-app"
CONNECTION = "5f0c-reconciler-write"


@dataclass
class Issuer:
    """An OIDC issuer as GitHub Actions' is to a job: `url` issues tokens for `subject`."""

    url: str = ""
    subject: str = MAIN
    issued: list[str] = field(default_factory=list)
    key: rsa.RSAPrivateKey = field(default_factory=lambda: rsa.generate_private_key(65537, 2048))

    def jwks(self) -> dict:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]}

    def token(self, audience: str) -> str:
        now = int(time.time())
        claims = {
            "iss": self.url,
            "sub": self.subject,
            "aud": audience,
            "iat": now,
            "nbf": now,
            "exp": now + 300,
        }
        issued = jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": "k1"})
        self.issued.append(issued)
        return issued


@pytest.fixture
def issuer() -> Iterator[Issuer]:
    found = Issuer()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path == "/jwks":
                return self._json(200, found.jwks())
            if parts.path == "/token" and self.headers.get("Authorization") == f"bearer {REQUEST_TOKEN}":
                audience = parse_qs(parts.query).get("audience", [""])[-1]
                return self._json(200, {"value": found.token(audience)})
            return self._json(401, {"message": "Bad credentials"})

        def do_POST(self) -> None:
            """Azure Pipelines' OIDC token API: the connection's token for the job's access token."""
            parts = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            authorized = self.headers.get("Authorization") == f"Bearer {REQUEST_TOKEN}"
            if parts.path != "/oidctoken" or not authorized or query.get("api-version") != "7.1":
                return self._json(401, {"message": "TF400813: not authorized"})
            if query.get("serviceConnectionId") != CONNECTION:
                return self._json(404, {"message": "service connection not found"})
            return self._json(200, {"oidcToken": found.token("api://AzureADTokenExchange")})

        def _json(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    found.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield found
    server.shutdown()
    server.server_close()


@pytest.fixture
def project(tmp_path: Path, issuer: Issuer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    trusted = App(frozenset({"Calendars.ReadWrite"}), federated=(Federated(issuer.url, MAIN),))
    directory = Directory(
        apps={APP: trusted, "*": App(frozenset({"Calendars.ReadWrite", "Mail.ReadWrite"}))},
        issuers={issuer.url: f"{issuer.url}/jwks"},
    )
    with Sandbox(db=str(tmp_path / "server.sqlite3"), tls=True, directory=directory) as sb:
        assert sb.ca_path is not None
        monkeypatch.setenv("GRAPH_TENANT", "contoso")
        monkeypatch.setenv("GRAPH_CLIENT", APP)
        monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_URL", f"{issuer.url}/token?api-version=2.0")
        monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", REQUEST_TOKEN)
        _config(
            tmp_path,
            {
                "kind": "graph",
                "endpoint": sb.graph_endpoint,
                "authority": sb.authority,
                "tenant_id_env": "GRAPH_TENANT",
                "client_id_env": "GRAPH_CLIENT",
                "federated": "github",
                "ca_bundle": str(sb.ca_path),
                "max_wait_seconds": 10,
            },
        )
        p = Project(tmp_path, sb, CliRunner())
        p.write("sync.yaml", SYNC)
        p.write("review.yaml", REVIEW)
        yield p
    exchangelib.close_connections()


def _federated(project: Project, kind: str) -> None:
    """The project's target takes its CI token from `kind` (`target.federated`)."""
    data = yaml.safe_load(project.config.read_text())
    data["target"]["federated"] = kind
    project.config.write_text(yaml.safe_dump(data))


def _secret_free(output: str, issuer: Issuer) -> str:
    assert REQUEST_TOKEN not in output
    assert not any(token in output for token in issuer.issued)
    assert "Traceback" not in output
    return output


def test_plan_and_apply_with_a_federated_credential_only(project: Project, issuer: Issuer, caplog) -> None:
    """Nothing the runner or the issuer hands out reaches the output, or any log record (at every level)."""
    caplog.set_level(logging.DEBUG)
    planned = project.cli("plan", "--detailed-exitcode")
    assert planned.exit_code == 2, _secret_free(planned.output, issuer)
    applied = project.cli("apply", "--auto-approve")
    assert applied.exit_code == 0, _secret_free(applied.output, issuer)
    _secret_free(applied.output, issuer)
    assert len(project.sandbox.store.items("alice@example.com", "inbox")) == 1  # type: ignore[union-attr]
    again = project.cli("plan", "--detailed-exitcode")
    assert again.exit_code == 0, _secret_free(again.output, issuer)
    assert issuer.issued, "the app's token came from the CI token"
    _secret_free(caplog.text, issuer)
    access_tokens = list(project.sandbox.server.tokens.issued)  # type: ignore[union-attr]
    assert access_tokens and not any(t in caplog.text + applied.output for t in access_tokens)


def test_a_wrong_subject_fails_in_one_line_naming_the_subject_to_add(
    project: Project, issuer: Issuer
) -> None:
    issuer.subject = "repo:acme/meetings:pull_request"
    result = project.cli("plan")
    assert result.exit_code == 1
    lines = _secret_free(result.output, issuer).strip().splitlines()
    assert len(lines) == 1, result.output
    assert f"app {APP}" in lines[0] and "subject 'repo:acme/meetings:pull_request'" in lines[0]
    assert "az ad app federated-credential create --id apply-app" in lines[0]


def test_a_token_that_expires_during_a_long_apply_is_fetched_again(project: Project, issuer: Issuer) -> None:
    """The app's tokens live 2 s here and each request takes 150 ms: the apply outlives several tokens, and
    each new one is asked for with a new CI token."""
    assert project.sandbox is not None
    project.sandbox.server.tokens.lifetime = 2
    for n in range(12):
        project.write(f"m{n}.yaml", SYNC.replace("key: sync", f"key: m{n}").replace("Team sync", f"Sync {n}"))
    project.sandbox.set_faults(FaultOptions(latency_ms=150))
    applied = project.cli("apply", "--auto-approve")
    assert applied.exit_code == 0, _secret_free(applied.output, issuer)
    assert len(issuer.issued) >= 2
    project.sandbox.set_faults(FaultOptions())
    assert project.cli("plan", "--detailed-exitcode").exit_code == 0


def test_a_token_file_serves_as_well(project: Project, issuer: Issuer, monkeypatch, tmp_path: Path) -> None:
    """`federated: token-file`: the file a platform keeps current (GitLab's id_tokens, Kubernetes), named by
    AZURE_FEDERATED_TOKEN_FILE as azure-identity reads it; without the variable, one line says what to set."""
    _federated(project, "token-file")
    monkeypatch.delenv("AZURE_FEDERATED_TOKEN_FILE", raising=False)
    missing = project.cli("plan")
    assert missing.exit_code == 1 and "needs $AZURE_FEDERATED_TOKEN_FILE" in missing.output
    (tmp_path / "ci-token").write_text(issuer.token("api://AzureADTokenExchange"))
    monkeypatch.setenv("AZURE_FEDERATED_TOKEN_FILE", str(tmp_path / "ci-token"))
    planned = project.cli("plan", "--detailed-exitcode")
    assert planned.exit_code == 2, _secret_free(planned.output, issuer)


def test_azure_pipelines_oidc_token_api_serves_as_well(project: Project, issuer: Issuer, monkeypatch) -> None:
    """`federated: azure-devops`: the service connection's token from Azure Pipelines' OIDC token API, asked
    with the job's access token; without the variables, one line says where to run the reconciler."""
    _federated(project, "azure-devops")
    missing = project.cli("plan")
    assert missing.exit_code == 1
    assert "AzureCLI@2" in missing.output and "SYSTEM_ACCESSTOKEN" in missing.output
    monkeypatch.setenv("SYSTEM_OIDCREQUESTURI", f"{issuer.url}/oidctoken")
    monkeypatch.setenv("AZURESUBSCRIPTION_SERVICE_CONNECTION_ID", CONNECTION)
    monkeypatch.setenv("SYSTEM_ACCESSTOKEN", REQUEST_TOKEN)
    planned = project.cli("plan", "--detailed-exitcode")
    assert planned.exit_code == 2, _secret_free(planned.output, issuer)
    monkeypatch.setenv("AZURESUBSCRIPTION_SERVICE_CONNECTION_ID", "another")
    refused = project.cli("plan")
    assert refused.exit_code == 1 and "service connection another (HTTP 404)" in refused.output


def test_a_gitlab_id_token_serves_as_well(project: Project, issuer: Issuer, monkeypatch) -> None:
    _federated(project, "gitlab")
    monkeypatch.delenv("GRAPH_ID_TOKEN", raising=False)
    missing = project.cli("plan")
    assert missing.exit_code == 1 and "id_tokens: GRAPH_ID_TOKEN" in missing.output
    monkeypatch.setenv("GRAPH_ID_TOKEN", issuer.token("api://AzureADTokenExchange"))
    planned = project.cli("plan", "--detailed-exitcode")
    assert planned.exit_code == 2, _secret_free(planned.output, issuer)
