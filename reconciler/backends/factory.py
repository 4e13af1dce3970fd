"""Open the configured target: the embedded sandbox (started in-process, spoken to over EWS or Graph), an
EWS endpoint, or Microsoft Graph.

Credentials come only from the environment variables the configuration names; a missing one is an error
that names the variable, never its value.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from reconciler.backends.base import BackendError, CalendarBackend
from reconciler.backends.ews.backend import EwsBackend
from reconciler.config import Settings, Target, is_loopback

__all__ = ["BackendError", "open_backend"]


def _env(name: str | None, what: str) -> str:
    if not name:
        raise BackendError(f"target.{what}_env is not set in the configuration")
    value = os.environ.get(name)
    if not value:
        raise BackendError(f"environment variable {name} ({what}) is not set")
    return value


@contextmanager
def open_backend(settings: Settings) -> Iterator[CalendarBackend]:
    target = settings.target
    if target.kind == "sandbox" and target.speaks == "graph":
        yield from _sandbox_graph(settings)
        return
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
            sandbox = stack.enter_context(
                Sandbox(db=target.path, request_log=request_log, directory=_directory(target))
            )
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
        yield from _graph(settings)
        return
    yield from _ews(settings)


def _directory(target: Target):  # type: ignore[no-untyped-def]
    """The embedded sandbox's directory: from `target.directory` when set (display names, rooms)."""
    from reconciler.sandbox.directory import Directory, DirectoryError, load_directory

    if not target.directory:
        return Directory()
    try:
        return load_directory(Path(target.directory))
    except DirectoryError as exc:
        raise BackendError(f"target.directory: {exc}") from None


def _sandbox_graph(settings: Settings) -> Iterator[CalendarBackend]:
    """The embedded sandbox over https with a private CA, through the real token flow (any secret works)."""
    from reconciler.backends.graph.backend import GraphBackend
    from reconciler.backends.graph.http import GraphClient
    from reconciler.sandbox import Sandbox

    target = settings.target
    if target.path != ":memory:":
        Path(target.path).parent.mkdir(parents=True, exist_ok=True)
    with Sandbox(db=target.path, tls=True, directory=_directory(target)) as sandbox:
        client = GraphClient(
            sandbox.graph_endpoint,
            sandbox.authority,
            "sandbox",
            "reconciler",
            "sandbox",
            "the sandbox's client secret",
            ca_bundle=str(sandbox.ca_path),
            max_wait=target.max_wait_seconds,
        )
        backend = GraphBackend(client)
        backend.target = f"embedded sandbox over graph ({target.path})"
        try:
            yield backend
        finally:
            backend.close()


def _certificate(path: str) -> dict[str, str]:
    """msal's certificate credential from a PEM holding the certificate and its private key."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import rsa

    try:
        pem = Path(path).read_bytes()
        cert = x509.load_pem_x509_certificate(pem)
    except (OSError, ValueError) as exc:
        raise BackendError(f"cannot read the certificate {path}: {exc}") from None
    if b"PRIVATE KEY" not in pem:
        raise BackendError(f"{path} holds no private key: the PEM needs the certificate and its key")
    if not isinstance(cert.public_key(), rsa.RSAPublicKey):
        raise BackendError(
            f"{path}: the certificate's key must be RSA (the client assertion is signed RS256)"
        )
    return {"private_key": pem.decode(), "thumbprint": cert.fingerprint(hashes.SHA1()).hex()}


def _graph(settings: Settings) -> Iterator[CalendarBackend]:
    from reconciler.backends.graph import federated
    from reconciler.backends.graph.backend import GraphBackend
    from reconciler.backends.graph.http import GraphClient

    target = settings.target
    assert target.endpoint is not None
    if target.federated:
        fetch = federated.source(target.federated, target.federated_token_file_env)
        credential: str | dict[str, object] = {"client_assertion": fetch}
        hint = "the app's federated identity credentials"
    elif target.certificate_path_env:
        credential = _certificate(_env(target.certificate_path_env, "certificate_path"))
        hint = f"the certificate in ${target.certificate_path_env} (registered with the app)"
    else:
        credential = _env(target.client_secret_env, "client_secret")
        hint = f"the client secret in ${target.client_secret_env}"
    if target.ca_bundle and not Path(target.ca_bundle).is_file():
        raise BackendError(f"ca_bundle {target.ca_bundle} does not exist")
    client = GraphClient(
        target.endpoint,
        target.authority,
        _env(target.tenant_id_env, "tenant_id"),
        _env(target.client_id_env, "client_id"),
        credential,
        hint,
        ca_bundle=target.ca_bundle,
        max_wait=target.max_wait_seconds,
    )
    backend = GraphBackend(client)
    try:
        yield backend
    finally:
        backend.close()


def _ews(settings: Settings) -> Iterator[EwsBackend]:
    from exchangelib import BASIC, NTLM, OAUTH2, Credentials, OAuth2Credentials
    from exchangelib.protocol import BaseProtocol
    from exchangelib.transport import NOAUTH

    from reconciler.backends.ews.http import adapter_class

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
