"""What every stand-in for a system's REST API shares: a loopback server that stops with its `with` block,
JSON in and out, and the list of requests it was sent (method, path with query, body) for a test to read."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit


class JsonHandler(BaseHTTPRequestHandler):
    """Subclasses answer `route(method, path, query, body)` with (status, data) or (status, data, headers)."""

    requests: list[tuple[str, str, Any]]

    def log_message(self, *args: object) -> None:
        pass

    def route(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple:
        raise NotImplementedError

    def _handle(self, method: str) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if raw and not (self.headers.get("Content-Type") or "").startswith("application/json"):
            self._answer(415, {"message": "Content-Type: application/json expected"}, {})
            return
        body = json.loads(raw) if raw else None
        self.requests.append((method, self.path, body))
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        status, data, *headers = self.route(method, url.path, query, body)
        self._answer(status, data, headers[0] if headers else {})

    def _answer(self, status: int, data: Any, headers: dict[str, str]) -> None:
        raw = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(raw)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_PUT(self) -> None:
        self._handle("PUT")


S = TypeVar("S")


@contextmanager
def running(handler: type[JsonHandler], standin: S) -> Iterator[S]:
    """`standin` served by `handler` on loopback, its `origin` set, until the `with` block ends."""
    with serve(handler, standin) as origin:
        standin.origin = origin  # type: ignore[attr-defined]
        yield standin


@contextmanager
def serve(handler: type[JsonHandler], state: object) -> Iterator[str]:
    """Serve `handler` (given `state` and its request list as class attributes) on loopback: its origin."""
    bound = type("Bound", (handler,), {"state": state, "requests": state.requests})  # type: ignore[attr-defined]
    server = ThreadingHTTPServer(("127.0.0.1", 0), bound)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
