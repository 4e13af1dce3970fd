"""A local stand-in for the part of GitHub's REST API the drift workflow calls (pull requests), on loopback.

It answers as the reference shows ("Pulls": list with `state`/`head`/`base`, create, update; API version
2022-11-28) and refuses what the reference would refuse: a missing or wrong token (401), a call without the
JSON media type or the API version header (415/400 here: stricter than GitHub, to catch a client that
forgets them), a create without `title`, `head` and `base`, or for a head that already has an open pull
request (422), an update of an unknown number (404). Every request is kept for the test to read.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN = "ghs_standin_token"


@dataclass
class GitHubStandIn:
    repository: str
    pulls: list[dict[str, Any]] = field(default_factory=list)
    requests: list[tuple[str, str, dict[str, Any] | None]] = field(default_factory=list)
    origin: str = ""


class _Handler(BaseHTTPRequestHandler):
    standin: GitHubStandIn

    def log_message(self, *args: object) -> None:
        pass

    def _answer(self, status: int, data: Any) -> None:
        raw = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _handle(self, method: str) -> None:
        s = self.standin
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        s.requests.append((method, self.path, body))
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._answer(401, {"message": "Bad credentials"})
        if self.headers.get("Accept") != "application/vnd.github+json":
            return self._answer(415, {"message": "Accept: application/vnd.github+json expected"})
        if self.headers.get("X-GitHub-Api-Version") != "2022-11-28":
            return self._answer(400, {"message": "X-GitHub-Api-Version: 2022-11-28 expected"})
        base = f"/repos/{s.repository}/pulls"
        if method == "GET" and url.path == base:
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            owner = s.repository.split("/")[0]
            found = [
                p
                for p in s.pulls
                if p["state"] == query.get("state", "open")
                and ("head" not in query or query["head"] == f"{owner}:{p['head']['ref']}")
                and ("base" not in query or query["base"] == p["base"]["ref"])
            ]
            return self._answer(200, found)
        if method == "POST" and url.path == base:
            if not isinstance(body, dict) or not all(
                isinstance(body.get(k), str) for k in ("title", "head", "base")
            ):
                return self._answer(422, {"message": "Validation Failed: title, head and base are required"})
            if any(p["state"] == "open" and p["head"]["ref"] == body["head"] for p in s.pulls):
                return self._answer(422, {"message": f"A pull request already exists for {body['head']}."})
            number = len(s.pulls) + 1
            pull = {
                "number": number,
                "state": "open",
                "title": body["title"],
                "body": body.get("body"),
                "head": {"ref": body["head"]},
                "base": {"ref": body["base"]},
                "html_url": f"https://github.example/{s.repository}/pull/{number}",
            }
            s.pulls.append(pull)
            return self._answer(201, pull)
        if method == "PATCH" and url.path.startswith(base + "/"):
            number = url.path.removeprefix(base + "/")
            pull = next((p for p in s.pulls if str(p["number"]) == number), None)
            if pull is None:
                return self._answer(404, {"message": "Not Found"})
            pull.update({k: v for k, v in (body or {}).items() if k in ("title", "body", "state", "base")})
            return self._answer(200, pull)
        return self._answer(404, {"message": "Not Found"})

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PATCH(self) -> None:
        self._handle("PATCH")


@contextmanager
def github(repository: str) -> Iterator[GitHubStandIn]:
    standin = GitHubStandIn(repository)
    handler = type("Handler", (_Handler,), {"standin": standin})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    standin.origin = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield standin
    finally:
        server.shutdown()
        server.server_close()
