"""A local stand-in for the part of GitLab's REST API (v4) the generated pipeline calls, on loopback, for one
project.

It answers as the reference shows: "Notes" on a merge request (list paginated by `per_page`/`page` with
`X-Next-Page`, system notes among them; create and modify with `body`) and "Merge requests" (list with
`state`, `source_branch`, `target_branch`; create with `source_branch`, `target_branch`, `title`; update),
and refuses what GitLab refuses: no or a wrong `PRIVATE-TOKEN` (401), a note body above 1,000,000
characters (400), a second open merge request from the same branch (409), an unknown id (404). Every
request is kept for the test to read.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from tests.standins.serve import JsonHandler, running

TOKEN = "glpat-standin-project-token"
NOTE_LIMIT = 1_000_000


@dataclass
class GitLabStandIn:
    project_id: str
    notes: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    merge_requests: list[dict[str, Any]] = field(default_factory=list)
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    origin: str = ""

    @property
    def api(self) -> str:
        return f"{self.origin}/api/v4"


class _Handler(JsonHandler):
    state: GitLabStandIn

    def route(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple:
        s = self.state
        if self.headers.get("PRIVATE-TOKEN") != TOKEN:
            return 401, {"message": "401 Unauthorized"}
        base = f"/api/v4/projects/{s.project_id}/merge_requests"
        if not (path == base or path.startswith(base + "/")):
            return 404, {"message": "404 Project Not Found"}
        parts = [p for p in path.removeprefix(base).split("/") if p]
        if len(parts) >= 2 and parts[1] == "notes":
            return self._notes(method, parts[0], parts[2:], query, body)
        return self._merge_requests(method, parts, query, body)

    def _notes(self, method: str, iid: str, rest: list[str], query: dict[str, str], body: Any) -> tuple:
        s = self.state
        if not any(str(m["iid"]) == iid for m in s.merge_requests):
            return 404, {"message": "404 Not found"}
        notes = s.notes.setdefault(int(iid), [])
        if method in ("POST", "PUT"):
            if not isinstance(body, dict) or not isinstance(body.get("body"), str):
                return 400, {"error": "body is missing"}
            if len(body["body"]) > NOTE_LIMIT:
                return 400, {"message": {"note": [f"is too long (maximum is {NOTE_LIMIT} characters)"]}}
        if method == "GET" and not rest:
            size, page = min(int(query.get("per_page", 20)), 100), int(query.get("page", 1))
            ordered = notes if query.get("sort") == "asc" else list(reversed(notes))
            shown = ordered[(page - 1) * size : page * size]
            more = len(ordered) > page * size
            return 200, shown, {"X-Next-Page": str(page + 1) if more else "", "X-Page": str(page)}
        if method == "POST" and not rest:
            note = {"id": 5000 + sum(len(v) for v in s.notes.values()), "body": body["body"], "system": False}
            notes.append(note)
            return 201, note
        if method == "PUT" and len(rest) == 1:
            note = next((n for n in notes if str(n["id"]) == rest[0]), None)
            if note is None:
                return 404, {"message": "404 Note Not Found"}
            if note["system"]:
                return 403, {"message": "403 Forbidden"}
            note["body"] = body["body"]
            return 200, note
        return 404, {"message": "404 Not found"}

    def _merge_requests(self, method: str, rest: list[str], query: dict[str, str], body: Any) -> tuple:
        s = self.state
        if method == "GET" and not rest:
            found = [
                m
                for m in s.merge_requests
                if m["state"] == query.get("state", m["state"])
                and m["source_branch"] == query.get("source_branch", m["source_branch"])
                and m["target_branch"] == query.get("target_branch", m["target_branch"])
            ]
            return 200, found
        if method == "POST" and not rest:
            if not isinstance(body, dict) or not all(
                isinstance(body.get(k), str) for k in ("source_branch", "target_branch", "title")
            ):
                return 400, {"error": "source_branch, target_branch, title are missing"}
            opened = [m for m in s.merge_requests if m["state"] == "opened"]
            if any(m["source_branch"] == body["source_branch"] for m in opened):
                return 409, {"message": ["Another open merge request already exists for this source branch"]}
            iid = len(s.merge_requests) + 1
            request = {
                "iid": iid,
                "state": "opened",
                "source_branch": body["source_branch"],
                "target_branch": body["target_branch"],
                "title": body["title"],
                "description": body.get("description"),
                "web_url": f"https://gitlab.example/meetings/-/merge_requests/{iid}",
            }
            s.merge_requests.append(request)
            return 201, request
        if method == "PUT" and len(rest) == 1:
            request = next((m for m in s.merge_requests if str(m["iid"]) == rest[0]), None)
            if request is None:
                return 404, {"message": "404 Not found"}
            request.update(
                {k: v for k, v in (body or {}).items() if k in ("title", "description", "state_event")}
            )
            return 200, request
        return 404, {"message": "404 Not found"}


def gitlab(project_id: str) -> AbstractContextManager[GitLabStandIn]:
    return running(_Handler, GitLabStandIn(project_id))
