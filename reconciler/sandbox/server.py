"""The HTTP side of the sandbox: loopback only, plain http or TLS, and three front doors on one port.

- `/EWS/Exchange.asmx`: EWS. Every answer is a SOAP envelope with ServerVersionInfo (401s and faults
  included), so exchangelib's auth and version probes work with nothing pinned; Basic auth or impersonation.
- `/v1.0/...`: Microsoft Graph (`graph/router.py`), with bearer tokens from
- `/{tenant}/oauth2/v2.0/token` and its OpenID configuration (`graph/identity.py`).
Internal errors become SOAP faults or Graph error bodies, never stack traces.
"""

from __future__ import annotations

import base64
import contextlib
import ipaddress
import json
import logging
import socket
import ssl
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from lxml import etree

from reconciler.sandbox import soap
from reconciler.sandbox.context import Context
from reconciler.sandbox.directory import Directory
from reconciler.sandbox.faults import Faults
from reconciler.sandbox.graph import identity, router
from reconciler.sandbox.ops import OPERATIONS
from reconciler.sandbox.recurrence import zone_from_xml
from reconciler.sandbox.requestlog import RequestLog
from reconciler.sandbox.store import Store

PATH = "/ews/exchange.asmx"
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
    ) -> None:
        check_loopback(host)
        self.request_log = request_log
        self.tokens = identity.Tokens(password)
        self.store = store
        self.faults = faults
        self.password = password
        self.directory = directory or Directory()
        self.requests: Counter[str] = Counter()
        super().__init__((host, port), Handler)
        self.scheme = "https" if tls else "http"
        if tls:  # the handshake happens on first read, in the request's own thread
            self.socket = tls.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)

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
        self.answered = (status, body)
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
            self._send(
                405, soap.fault("ErrorInvalidRequest", "EWS accepts POST requests only."), {"Allow": "POST"}
            )

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
        reply = router.serve(self.server, method, self.path, headers, raw, self.server.origin)
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
        self.answered: tuple[int, bytes] = (0, b"")  # a dropped connection logs status 0
        self.seen: tuple[str, str, bytes] = ("", "", b"")
        try:
            self._post()
        finally:
            log = self.server.request_log
            if log is not None:
                mailbox, operation, body = self.seen
                status, answer = self.answered
                log.record(mailbox, operation, status, body, answer, time.perf_counter() - started)

    def _post(self) -> None:
        if self.path.split("?")[0].lower() != PATH:
            self._send(404, soap.fault("ErrorInvalidRequest", f"No EWS endpoint at {self.path}."))
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.close_connection = True
            self._send(
                413, soap.fault("ErrorInvalidRequest", f"Request bodies are limited to {MAX_BODY} bytes.")
            )
            return
        body = self.rfile.read(length)
        self.seen = ("", "", body)
        try:
            request = soap.parse_request(body)
        except soap.SoapError as exc:
            self._send(exc.status, soap.fault(exc.code, exc.message))
            return
        caller = self._authenticate(request)
        if caller is None:
            return
        user, mailbox = caller
        self.seen = (mailbox, request.name, body)
        self.server.requests[request.name] += 1
        refused = self.server.directory.refusal(user, mailbox)
        if refused:
            self._send(500, soap.fault(*refused))
            return
        self._serve(request, mailbox)

    def _authenticate(self, request: soap.Request) -> tuple[str | None, str] | None:
        """(authenticated user or None, acting mailbox); None after answering 401."""
        header = self.headers.get("Authorization", "")
        if header.lower().startswith("basic "):
            try:
                user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                user, password = "", ""
            if user and (self.server.password is None or password == self.server.password):
                user = user.split("\\")[-1].lower()
                return user, (request.impersonated or user).lower()
        elif request.impersonated:
            return None, request.impersonated
        self._send(
            401,
            soap.fault("ErrorAccessDenied", "Authentication is required."),
            {"WWW-Authenticate": 'Basic realm="reconciler-sandbox"'},
        )
        return None

    def _serve(self, request: soap.Request, mailbox: str) -> None:
        def text() -> str:
            return etree.tostring(request.operation, encoding="unicode")

        try:
            fault, answer = self.server.faults.around(
                request.name, mailbox, text, lambda: self._answer(request, mailbox)
            )
        except Exception as exc:  # never a stack trace on the wire
            log.exception("sandbox failed on %s", request.name)
            self._send(
                500, soap.fault("ErrorInternalServerError", f"The sandbox failed: {type(exc).__name__}")
            )
            return
        unsupported = answer is not None and answer[0] == 500  # answered as such, whatever the dice say
        if fault and not unsupported:  # before: nothing happened; after: it happened, the client never hears
            self._fault(fault)
            return
        assert answer is not None
        self._send(*answer)

    def _answer(self, request: soap.Request, mailbox: str) -> tuple[int, bytes]:
        """(status, SOAP body) of one operation, run in one store transaction."""
        handler = OPERATIONS.get(request.name)
        if handler is None:
            message = f"The operation {request.name} is not supported by the sandbox."
            return 500, soap.fault("ErrorInvalidRequest", message)
        store = self.server.store
        zone = zone_from_xml(f'<x Id="{request.time_zone}"/>') if request.time_zone else None
        with store.transaction():
            store.ensure_mailbox(mailbox)
            ctx = Context(store, request, mailbox)
            if zone is not None:
                ctx.zone = zone
            messages = handler(ctx)
        self.server.faults.record_messages(ctx.messages_sent)
        return 200, soap.response(request.name, messages)

    def _fault(self, fault: str) -> None:
        if fault == "reset":
            self._reset()
        elif fault == "unavailable":
            self._send(
                503, soap.fault("ErrorServerBusy", "The service is unavailable."), {"Retry-After": "1"}
            )
        else:
            backoff = self.server.faults.options.busy_backoff_ms
            self._send(
                500,
                soap.fault(
                    "ErrorServerBusy",
                    "The server cannot service this request right now. Try again later.",
                    back_off_ms=backoff,
                ),
            )
