"""Open the configured target: the embedded sandbox (started in-process) or an EWS endpoint.

Credentials come only from the environment variables the configuration names; a missing one is an error
that names the variable, never its value.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from reconciler import __version__
from reconciler.backends.base import BackendError
from reconciler.backends.ews import EwsBackend
from reconciler.config import Settings, is_loopback

__all__ = ["BackendError", "open_backend"]


def _env(name: str | None, what: str) -> str:
    if not name:
        raise BackendError(f"target.{what}_env is not set in the configuration")
    value = os.environ.get(name)
    if not value:
        raise BackendError(f"environment variable {name} ({what}) is not set")
    return value


@contextmanager
def open_backend(settings: Settings) -> Iterator[EwsBackend]:
    target = settings.target
    if target.kind == "sandbox":
        from exchangelib.transport import NOAUTH

        from reconciler.sandbox import Sandbox
        from reconciler.sandbox.requestlog import RequestLog

        if target.path != ":memory:":
            Path(target.path).parent.mkdir(parents=True, exist_ok=True)
        log_path = os.environ.get("SANDBOX_LOG")  # one line per request, for troubleshooting
        with ExitStack() as stack:
            lines = stack.enter_context(open(log_path, "a", encoding="utf-8")) if log_path else None
            request_log = RequestLog(lines) if lines else None
            sandbox = stack.enter_context(Sandbox(db=target.path, request_log=request_log))
            backend = EwsBackend(
                sandbox.endpoint, auth_type=NOAUTH, pin_version=True, max_wait=target.max_wait_seconds
            )
            backend.target = f"embedded sandbox ({target.path})"
            try:
                yield backend
            finally:
                backend.close()
        return
    if target.kind == "graph":
        raise BackendError(
            "target kind graph (Microsoft Graph for Exchange Online) is not built in this version "
            f"({__version__}); use kind: ews against an Exchange server, or kind: sandbox to try plans"
        )
    yield from _ews(settings)


def _ews(settings: Settings) -> Iterator[EwsBackend]:
    from exchangelib import BASIC, NTLM, OAUTH2, Credentials, OAuth2Credentials
    from exchangelib.protocol import BaseProtocol
    from exchangelib.transport import NOAUTH

    from reconciler.backends.ews_http import adapter_class

    target = settings.target
    assert target.endpoint is not None
    credentials = None
    hint = "the account's credentials"
    if target.auth in ("basic", "ntlm"):
        hint = f"the user name and password in ${target.username_env} and ${target.password_env}"
        credentials = Credentials(
            _env(target.username_env, "username"), _env(target.password_env, "password")
        )
    elif target.auth == "oauth2":
        hint = f"the app's id and secret in ${target.client_id_env} and ${target.client_secret_env}"
        credentials = OAuth2Credentials(
            client_id=_env(target.client_id_env, "client_id"),
            client_secret=_env(target.client_secret_env, "client_secret"),
            tenant_id=_env(target.tenant_id_env, "tenant_id"),
        )
    adapter = BaseProtocol.HTTP_ADAPTER_CLS  # exchangelib's adapter is a class attribute: restored below
    if not target.verify_tls and not is_loopback(target.endpoint):
        raise BackendError("TLS verification can only be switched off for loopback endpoints")
    try:
        BaseProtocol.HTTP_ADAPTER_CLS = adapter_class(target.ca_bundle, target.verify_tls)
    except FileNotFoundError as exc:
        raise BackendError(str(exc)) from None
    auth = {"basic": BASIC, "ntlm": NTLM, "oauth2": OAUTH2, "none": NOAUTH}[target.auth]
    # Without credentials exchangelib cannot probe the server version (its probe is unauthenticated), so
    # `auth: none` (impersonation without credentials, e.g. a sandbox served on loopback) pins Exchange 2016.
    backend = EwsBackend(
        target.endpoint,
        credentials=credentials,
        auth_type=auth,
        access=target.access,
        max_wait=target.max_wait_seconds,
        pin_version=target.auth == "none",
        credentials_hint=hint,
    )
    try:
        yield backend
    finally:
        backend.close()
        BaseProtocol.HTTP_ADAPTER_CLS = adapter
