"""The HTTP side of the sandbox: loopback only, plain http or TLS, and three front doors on one port.

- `/EWS/Exchange.asmx`: EWS (`ews/endpoint.py`).
- `/v1.0/...`: Microsoft Graph (`graph/router.py`), with bearer tokens from
- `/{tenant}/oauth2/v2.0/token` and its OpenID configuration (`graph/identity.py`).
This module knows HTTP only: it reads a request, hands it to its front door with the shared `Service`, and
writes the answer (or drops the connection when a fault says so); every request is logged when asked.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import socket
import ssl
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from reconciler.sandbox.directory import Directory
from reconciler.sandbox.ews import endpoint
from reconciler.sandbox.faults import Faults
from reconciler.sandbox.graph import identity, router
from reconciler.sandbox.requestlog import RequestLog
from reconciler.sandbox.rewrites import Rewrites
from reconciler.sandbox.service import Service
from reconciler.sandbox.store import Store

MAX_BODY = 10 * 2**20
log = logging.getLogger(__name__)


def check_loopback(host: str) -> None:
    """Refuse to serve anywhere but loopback: the sandbox has no real authentication."""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except socket.gaierror:
        raise ValueError(f"cannot resolve {host!r}") from None
    if not addresses or not all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses):
        raise ValueError(f"the sandbox only serves loopback addresses (127.0.0.1), not {host!r}")


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        host: str,
        port: int,
        store: Store,
        faults: Faults,
        password: str | None,
        directory: Directory | None = None,
        request_log: RequestLog | None = None,
        tls: ssl.SSLContext | None = None,
        rewrites: Rewrites | None = None,
    ) -> None:
        check_loopback(host)
        self.request_log = request_log
        self.tokens = identity.Tokens(password)
        self.service = Service(
            store, faults, directory or Directory(), password, rewrites=rewrites or Rewrites()
        )
        super().__init__((host, port), Handler)
        self.scheme = "https" if tls else "http"
        if tls:  # the handshake happens on first read, in the request's own thread
            self.socket = tls.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)

    @property
    def directory(self) -> Directory:
        return self.service.directory

    @directory.setter
    def directory(self, directory: Directory) -> None:
        """Who exists, changed while serving (a test of a mailbox that does not exist)."""
        self.service.directory = directory

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that drops the connection or refuses the certificate is logged, not printed."""
        log.debug("connection from %s ended with an error", client_address, exc_info=True)

    @property
    def origin(self) -> str:
        host, port = self.server_address[:2]
        return f"{self.scheme}://{host}:{port}"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: SandboxServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without TCP_NODELAY, Nagle plus delayed ACKs would add
        # ~40 ms to every keep-alive request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: object) -> None:  # quiet: the CLI prints the endpoint only
        log.debug(format, *args)

    def _send(
        self,
        status: int,
        body: bytes,
        headers: dict[str, str] | None = None,
        content_type: str = "text/xml; charset=utf-8",
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _reset(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _send_json(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode() if body is not None else b""
        self._send(status, data, headers, "application/json; charset=utf-8")

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def do_PATCH(self) -> None:
        self._route("PATCH")

    def do_DELETE(self) -> None:
        self._route("DELETE")

    def _route(self, method: str) -> None:
        path = self.path.split("?")[0]
        if path.lower().startswith(router.PREFIX + "/"):
            self._graph(method)
        elif found := identity.TOKEN_PATH.match(path):
            status, body = identity.token(self.server.tokens, self._body() if method == "POST" else b"")
            self._send_json(status, body, {"Cache-Control": "no-store"})
        elif found := identity.OPENID_PATH.match(path):
            self._send_json(200, identity.openid_configuration(self.server.origin, found.group(1)))
        elif method == "POST":
            self._ews()
        else:
            reply = endpoint.not_allowed()
            self._send(reply.status, reply.body, dict(reply.headers))

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ValueError(f"Request bodies are limited to {MAX_BODY} bytes.")
        return self.rfile.read(length)

    def _graph(self, method: str) -> None:
        started = time.perf_counter()
        try:
            raw = self._body()
        except ValueError as exc:
            self.close_connection = True
            self._send_json(413, router.error_body("RequestEntityTooLarge", str(exc)))
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        reply = router.serve(
            self.server.service, self.server.tokens, method, self.path, headers, raw, self.server.origin
        )
        if reply.reset:
            self._reset()
        else:
            self._send_json(reply.status, reply.body, reply.headers)
        if self.server.request_log is not None:
            answer = json.dumps(reply.body).encode() if reply.body is not None else b""
            self.server.request_log.record(
                reply.mailbox,
                reply.operation or method,
                reply.status,
                raw,
                answer,
                time.perf_counter() - started,
            )

    def _ews(self) -> None:
        started = time.perf_counter()
        body = b""
        if self.path.split("?")[0].lower() != endpoint.PATH:
            reply = endpoint.not_found(self.path)
        elif int(self.headers.get("Content-Length") or 0) > MAX_BODY:
            self.close_connection = True
            reply = endpoint.too_large(MAX_BODY)
        else:
            body = self._body()
            reply = endpoint.serve(self.server.service, self.headers.get("Authorization", ""), body)
        if reply.reset:
            self._reset()
        else:
            self._send(reply.status, reply.body, dict(reply.headers))
        if self.server.request_log is not None:
            answer = b"" if reply.reset else reply.body
            status = 0 if reply.reset else reply.status  # a dropped connection logs status 0
            self.server.request_log.record(
                reply.mailbox, reply.operation, status, body, answer, time.perf_counter() - started
            )
