"""A local stand-in for the part of GitHub's REST API the generated workflows call, on loopback.

It answers as the reference shows (API version 2022-11-28): "Pulls" (list with `state`/`head`/`base`,
create, update) and "Issue comments" (list with `per_page`/`page`, create, update by id), and refuses what
the reference would refuse: a missing or wrong token (401), a call without the JSON media type or the API
version header (415/400 here: stricter than GitHub, to catch a client that forgets them), a create without
`title`, `head` and `base`, or for a head that already has an open pull request (422), a comment body above
65,536 characters (422), an unknown number or id (404). Every request is kept for the test to read.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from tests.standins.serve import JsonHandler, running

TOKEN = "ghs_standin_token"
LIMIT = 65_536


@dataclass
class GitHubStandIn:
    repository: str
    pulls: list[dict[str, Any]] = field(default_factory=list)
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    origin: str = ""


class _Handler(JsonHandler):
    state: GitHubStandIn

    def route(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple:
        s = self.state
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return 401, {"message": "Bad credentials"}
        if self.headers.get("Accept") != "application/vnd.github+json":
            return 415, {"message": "Accept: application/vnd.github+json expected"}
        if self.headers.get("X-GitHub-Api-Version") != "2022-11-28":
            return 400, {"message": "X-GitHub-Api-Version: 2022-11-28 expected"}
        base = f"/repos/{s.repository}"
        if path.startswith(f"{base}/issues/"):
            return self._comments(method, path.removeprefix(f"{base}/issues/"), query, body)
        if method == "GET" and path == f"{base}/pulls":
            owner = s.repository.split("/")[0]
            found = [
                p
                for p in s.pulls
                if p["state"] == query.get("state", "open")
                and ("head" not in query or query["head"] == f"{owner}:{p['head']['ref']}")
                and ("base" not in query or query["base"] == p["base"]["ref"])
            ]
            return 200, found
        if method == "POST" and path == f"{base}/pulls":
            if not isinstance(body, dict) or not all(
                isinstance(body.get(k), str) for k in ("title", "head", "base")
            ):
                return 422, {"message": "Validation Failed: title, head and base are required"}
            if any(p["state"] == "open" and p["head"]["ref"] == body["head"] for p in s.pulls):
                return 422, {"message": f"A pull request already exists for {body['head']}."}
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
            return 201, pull
        if method == "PATCH" and path.startswith(f"{base}/pulls/"):
            number = path.removeprefix(f"{base}/pulls/")
            pull = next((p for p in s.pulls if str(p["number"]) == number), None)
            if pull is None:
                return 404, {"message": "Not Found"}
            pull.update({k: v for k, v in (body or {}).items() if k in ("title", "body", "state", "base")})
            return 200, pull
        return 404, {"message": "Not Found"}

    def _comments(self, method: str, rest: str, query: dict[str, str], body: Any) -> tuple:
        s = self.state
        if method in ("POST", "PATCH") and (
            not isinstance(body, dict) or not isinstance(body.get("body"), str)
        ):
            return 422, {"message": "Validation Failed: body is required"}
        if method in ("POST", "PATCH") and len(body["body"]) > LIMIT:
            return 422, {"message": f"Validation Failed: body is too long (maximum is {LIMIT} characters)"}
        number, _, tail = rest.partition("/")
        if number == "comments" and method == "PATCH":
            found = [c for listed in s.comments.values() for c in listed if str(c["id"]) == tail]
            if not found:
                return 404, {"message": "Not Found"}
            found[0]["body"] = body["body"]
            return 200, found[0]
        if tail != "comments" or not number.isdigit():
            return 404, {"message": "Not Found"}
        listed = s.comments.setdefault(int(number), [])
        if method == "GET":
            size, page = min(int(query.get("per_page", 30)), 100), int(query.get("page", 1))
            return 200, listed[(page - 1) * size : page * size]
        if method == "POST":
            ident = 1000 + sum(len(v) for v in s.comments.values())
            comment = {"id": ident, "body": body["body"], "html_url": f"https://github.example/c/{ident}"}
            listed.append(comment)
            return 201, comment
        return 404, {"message": "Not Found"}


def github(repository: str) -> AbstractContextManager[GitHubStandIn]:
    return running(_Handler, GitHubStandIn(repository))
