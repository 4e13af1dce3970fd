"""The identity endpoint a Graph client needs: OpenID configuration and the client credentials grant.

`POST /{tenant}/oauth2/v2.0/token` with `grant_type=client_credentials`, the client id of an app the
directory registers (`rights.App`; by default any client id is one), a `scope` ending in `/.default`, and a
client secret (the app's own when the directory gives one, else only the sandbox's `--password` when one is
set) or a client assertion (a certificate-signed JWT; accepted without checking its signature, and refused
when a password is set). A token stands for its app: the Graph door checks the app's permissions and mailbox
scope on every request. Answers as the identity platform does:
`{"token_type": "Bearer", "expires_in": 3599, "access_token": ...}`, or `{"error", "error_description",
"error_codes", "timestamp", "trace_id", "correlation_id", "error_uri"}` with 400/401. Tokens are opaque and
live in the server's memory for an hour.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from reconciler.sandbox.directory import Directory
from reconciler.sandbox.graph import federation

LIFETIME = 3599
TOKEN_PATH = re.compile(r"^/([^/]+)/oauth2/v2\.0/token$")
OPENID_PATH = re.compile(r"^/([^/]+)/v2\.0/\.well-known/openid-configuration$")
INSTANCE_PATH = "/common/discovery/instance"


@dataclass
class Tokens:
    """Issued access tokens and when they expire (monotonic seconds)."""

    password: str | None = None
    lifetime: float = LIFETIME
    """Seconds a token lives (the identity platform's hour; shorter in a test of refreshing)."""
    issued: dict[str, tuple[float, str]] = field(default_factory=dict)
    """Token → (when it expires, the client id it was issued to)."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def issue(self, client_id: str) -> str:
        token = "sandbox." + secrets.token_urlsafe(32)
        with self.lock:
            self.issued[token] = (time.monotonic() + self.lifetime, client_id)
        return token

    def check(self, header: str) -> tuple[str | None, str]:
        """(None, the app's client id) when the `Authorization` header carries a live token; otherwise
        (what is wrong, "")."""
        if not header.lower().startswith("bearer "):
            return "Access token is empty.", ""
        with self.lock:
            expires, client_id = self.issued.get(header[7:].strip(), (None, ""))
        if expires is None:
            return "Invalid JWT token. The token is not known to this sandbox (issued by another run?).", ""
        if expires < time.monotonic():
            return "Lifetime validation failed, the token is expired.", ""
        return None, client_id


def _error(status: int, error: str, code: int, text: str) -> tuple[int, dict[str, Any]]:
    """The identity platform's error body: the ids a support case asks for, in the fields and the text."""
    trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
    stamp = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime())
    return status, {
        "error": error,
        "error_description": f"AADSTS{code}: {text} Trace ID: {trace} Correlation ID: {correlation} "
        f"Timestamp: {stamp}",
        "error_codes": [code],
        "timestamp": stamp,
        "trace_id": trace,
        "correlation_id": correlation,
        "error_uri": f"https://login.microsoftonline.com/error?code={code}",
    }


def token(tokens: Tokens, body: bytes, directory: Directory, tenant: str) -> tuple[int, dict[str, Any]]:
    form = {k: v[-1] for k, v in parse_qs(body.decode(errors="replace")).items()}
    if form.get("grant_type") != "client_credentials":
        return _error(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.")
    if not form.get("client_id"):
        return _error(400, "invalid_request", 900144, "The request body must contain client_id.")
    if not form.get("scope", "").endswith("/.default"):
        return _error(
            400, "invalid_scope", 1002012, "The provided value for scope is not valid: use RESOURCE/.default."
        )
    app = directory.app(form["client_id"])
    if app is None:
        return _error(
            400,
            "unauthorized_client",
            700016,
            f"Application with identifier '{form['client_id']}' was not found in the directory '{tenant}'.",
        )
    secret, assertion = form.get("client_secret"), form.get("client_assertion")
    expected = app.secret if app.secret is not None else tokens.password
    if secret is not None:
        if expected is not None and secret != expected:
            return _error(401, "invalid_client", 7000215, "Invalid client secret provided.")
    elif assertion and federation.is_federated(assertion, form["client_id"]):
        try:
            federation.check(assertion, form["client_id"], app, directory.issuers)
        except federation.Refused as refused:
            return _error(401, "invalid_client", refused.code, refused.text)
    elif assertion:
        if tokens.password is not None or assertion.count(".") != 2:
            return _error(401, "invalid_client", 700027, "Client assertion failed signature validation.")
    else:
        return _error(
            401, "invalid_client", 7000218, "The request body must contain client_assertion or client_secret."
        )
    return 200, {
        "token_type": "Bearer",
        "expires_in": int(tokens.lifetime),
        "ext_expires_in": int(tokens.lifetime),
        "access_token": tokens.issue(form["client_id"]),
    }


def openid_configuration(origin: str, tenant: str) -> dict[str, Any]:
    base = f"{origin}/{tenant}"
    return {
        "token_endpoint": f"{base}/oauth2/v2.0/token",
        "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
        "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
        "issuer": f"{base}/v2.0",
        "jwks_uri": f"{base}/discovery/v2.0/keys",
        "token_endpoint_auth_methods_supported": [
            "client_secret_post",
            "private_key_jwt",
            "client_secret_basic",
        ],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "tenant_region_scope": "WW",
    }
