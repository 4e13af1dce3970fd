"""The sandbox's three front doors as one WSGI application (served by `server.py`).

- `/EWS/Exchange.asmx`: EWS (`ews/endpoint.py`).
- `/v1.0/...`: Microsoft Graph (`graph/router.py`), with bearer tokens from
- `/{tenant}/oauth2/v2.0/token` and its OpenID configuration (`graph/identity.py`).

HTTP hygiene lives here, the same for every door: a request carrying both Content-Length and
Transfer-Encoding is refused (400) and its connection closed (RFC 9112 §6.3: a server may reject it and must
close the connection; it is the shape request smuggling takes); a body over `MAX_BODY` is refused (413)
before it is read; a body that does not arrive in time (a Content-Length that lies, a client that dribbles)
ends the connection (408). Every request is logged when asked; a fault that drops the connection raises
`DropConnection` for the server to close it unanswered.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from reconciler.sandbox.ews import endpoint
from reconciler.sandbox.graph import identity, router
from reconciler.sandbox.requestlog import RequestLog
from reconciler.sandbox.service import Service

MAX_BODY = 10 * 2**20
XML = "text/xml; charset=utf-8"
JSON = "application/json; charset=utf-8"
StartResponse = Callable[..., Any]


class DropConnection(Exception):
    """The connection is to be closed without an answer (an injected fault)."""

    def __init__(self, mailbox: str = "", operation: str = "") -> None:
        super().__init__("the connection is dropped unanswered")
        self.mailbox = mailbox
        self.operation = operation


class BodyNotReceived(Exception):
    """The request's body did not arrive whole in time."""


@dataclass
class Answer:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    """In order; a name may come more than once (`WWW-Authenticate: Negotiate`, `WWW-Authenticate: NTLM`)."""
    content_type: str = XML
    close: bool = False
    mailbox: str = ""
    operation: str = ""


@dataclass
class Doors:
    """The WSGI application: routes each request to its door and writes the answer."""

    service: Service
    tokens: identity.Tokens
    origin: Callable[[], str]
    request_log: RequestLog | None = None

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        body = b""
        try:
            answer, body = self._answer(environ)
        except DropConnection as drop:
            self._log(environ, Answer(0, mailbox=drop.mailbox, operation=drop.operation), body, started)
            raise
        headers = [("Content-Type", answer.content_type), ("Content-Length", str(len(answer.body)))]
        headers += answer.headers
        if answer.close:
            headers.append(("Connection", "close"))
        start_response(f"{answer.status} {HTTPStatus(answer.status).phrase}", headers)
        self._log(environ, answer, body, started)
        return [answer.body]

    def _answer(self, environ: dict[str, Any]) -> tuple[Answer, bytes]:
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "") or "/"
        graph = path.lower().startswith(router.PREFIX + "/")
        if environ.get("HTTP_TRANSFER_ENCODING") and environ.get("CONTENT_LENGTH"):
            both = "A request may not carry both Content-Length and Transfer-Encoding."
            return self._refusal(graph, 400, both), b""
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > MAX_BODY:
            return self._refusal(graph, 413, f"Request bodies are limited to {MAX_BODY} bytes."), b""
        try:
            body = _read(environ, length)
        except BodyNotReceived:
            return self._refusal(graph, 408, "The request body did not arrive in time."), b""
        if graph:
            return self._graph(environ, method, body), body
        if found := identity.TOKEN_PATH.match(path):
            form = body if method == "POST" else b""
            status, answer = identity.token(self.tokens, form, self.service.directory, found.group(1))
            return _json(status, answer, {"Cache-Control": "no-store"}), body
        if found := identity.OPENID_PATH.match(path):
            return _json(200, identity.openid_configuration(self.origin(), found.group(1))), body
        if method != "POST":
            return _ews(endpoint.not_allowed()), body
        if path.lower() != endpoint.PATH:
            return _ews(endpoint.not_found(path)), body
        authorization = environ.get("HTTP_AUTHORIZATION", "")
        session = environ.get("sandbox.session")
        return _ews(endpoint.serve(self.service, authorization, body, session)), body

    def _graph(self, environ: dict[str, Any], method: str, body: bytes) -> Answer:
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        query = environ.get("QUERY_STRING", "")
        target = environ.get("PATH_INFO", "") + (f"?{query}" if query else "")
        reply = router.serve(self.service, self.tokens, method, target, headers, body, self.origin())
        if reply.reset:
            raise DropConnection(reply.mailbox, reply.operation)
        answer = _json(reply.status, reply.body, reply.headers)
        answer.mailbox, answer.operation = reply.mailbox, reply.operation or f"graph.{method}"
        return answer

    @staticmethod
    def _refusal(graph: bool, status: int, text: str) -> Answer:
        if graph:
            code = {400: "BadRequest", 408: "RequestTimeout", 413: "RequestEntityTooLarge"}[status]
            answer = _json(status, router.error_body(code, text))
        else:
            answer = _ews(endpoint.refusal(status, text))
        answer.close = True
        return answer

    def _log(self, environ: dict[str, Any], answer: Answer, body: bytes, started: float) -> None:
        """One line per request (status 0: the connection was dropped unanswered)."""
        if self.request_log is None:
            return
        self.request_log.record(
            answer.mailbox,
            answer.operation or environ.get("REQUEST_METHOD", ""),
            answer.status,
            body,
            answer.body,
            time.perf_counter() - started,
        )


def _read(environ: dict[str, Any], length: int) -> bytes:
    """The whole body (`length` bytes, or a chunked body to its end); `BodyNotReceived` when it stops."""
    stream = environ["wsgi.input"]
    try:
        if environ.get("HTTP_TRANSFER_ENCODING"):
            data = stream.read()
        else:
            data = stream.read(length) if length else b""
    except OSError as exc:  # a socket timeout: the client stopped sending
        raise BodyNotReceived from exc
    if not environ.get("HTTP_TRANSFER_ENCODING") and len(data) < length:
        raise BodyNotReceived
    mark = environ.get("sandbox.body_read")
    if mark is not None:
        mark()
    return data


def _json(status: int, body: object, headers: dict[str, str] | None = None) -> Answer:
    data = json.dumps(body).encode() if body is not None else b""
    return Answer(status, data, list((headers or {}).items()), JSON)


def _ews(reply: endpoint.Reply) -> Answer:
    if reply.reset:
        raise DropConnection(reply.mailbox, reply.operation)
    answer = Answer(reply.status, reply.body, list(reply.headers), XML)
    answer.mailbox, answer.operation = reply.mailbox, reply.operation
    return answer
