"""A local stand-in for the part of Azure DevOps' REST API the generated pipeline calls (Git: pull requests
and their threads, api-version 7.1), on loopback, for one collection, project and repository.

It answers as the reference shows: "Pull Request Threads" (list `{"value": [...], "count": n}`, create with
`comments` and `status`), "Pull Request Thread Comments - Update" (`content`), "Pull Requests" (get with
`searchCriteria.sourceRefName/targetRefName/status`, create with `sourceRefName`, `targetRefName`, `title`,
update). It refuses what the service refuses: no or a wrong bearer token (401), no `api-version=7.1` (400),
a thread without a first comment (`parentCommentId` 0 and `content`), a ref that is not `refs/heads/...`, a
description above 4,000 characters (400), a second active pull request for the same branches (409,
TF401179), an unknown id (404). Every request is kept for the test to read.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from tests.standins.serve import JsonHandler, running

TOKEN = "azure-pipelines-system-access-token"
DESCRIPTION_LIMIT = 4_000


@dataclass
class AzureDevOpsStandIn:
    organization: str
    project: str
    repository: str
    threads: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    pulls: list[dict[str, Any]] = field(default_factory=list)
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    origin: str = ""

    @property
    def collection(self) -> str:
        return f"{self.origin}/{self.organization}/"


def _error(status: int, text: str) -> tuple:
    return status, {"$id": "1", "message": text, "typeKey": "InvalidArgumentValueException"}


class _Handler(JsonHandler):
    state: AzureDevOpsStandIn

    def route(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple:
        s = self.state
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return 401, {"message": "TF400813: The user is not authorized to access this resource."}
        if query.get("api-version") != "7.1":
            return _error(400, "VssInvalidPreviewVersionException: api-version=7.1 expected")
        base = f"/{s.organization}/{s.project}/_apis/git/repositories/{s.repository}/"
        if not path.startswith(base):
            return _error(404, f"TF401019: no repository at {path}")
        parts = path.removeprefix(base).split("/")
        if parts[0] == "pullRequests" and len(parts) >= 3 and parts[2] == "threads":
            return self._threads(method, parts[1], parts[3:], body)
        if parts[0] == "pullrequests":
            return self._pulls(method, parts[1:], query, body)
        return _error(404, "not found")

    def _threads(self, method: str, pull: str, rest: list[str], body: Any) -> tuple:
        s = self.state
        if not pull.isdigit() or not any(str(p["pullRequestId"]) == pull for p in s.pulls):
            return _error(404, f"TF401180: pull request {pull} not found")
        threads = s.threads.setdefault(int(pull), [])
        if method == "GET" and not rest:
            return 200, {"value": threads, "count": len(threads)}
        if method == "POST" and not rest:
            comments = body.get("comments") if isinstance(body, dict) else None
            first = comments[0] if isinstance(comments, list) and comments else {}
            if first.get("parentCommentId") != 0 or not isinstance(first.get("content"), str):
                return _error(400, "a thread starts with a comment: parentCommentId 0 and content")
            ident = 1 + sum(len(v) for v in s.threads.values())
            thread = {
                "id": ident,
                "status": body.get("status"),
                "isDeleted": False,
                "comments": [{"id": 1, "parentCommentId": 0, **first}],
            }
            threads.append(thread)
            return 200, thread
        if method == "PATCH" and len(rest) == 3 and rest[1] == "comments":
            thread = next((t for t in threads if str(t["id"]) == rest[0]), None)
            comment = next((c for c in (thread or {}).get("comments", []) if str(c["id"]) == rest[2]), None)
            if comment is None:
                return _error(404, "comment not found")
            if not isinstance(body, dict) or not isinstance(body.get("content"), str):
                return _error(400, "content is required")
            comment["content"] = body["content"]
            return 200, comment
        return _error(404, "not found")

    def _pulls(self, method: str, rest: list[str], query: dict[str, str], body: Any) -> tuple:
        s = self.state
        web = f"{s.collection}{s.project}/_git/{s.repository}"
        if method == "GET" and not rest:
            found = [
                p
                for p in s.pulls
                if p["status"] == query.get("searchCriteria.status", "active")
                and p["sourceRefName"] == query.get("searchCriteria.sourceRefName", p["sourceRefName"])
                and p["targetRefName"] == query.get("searchCriteria.targetRefName", p["targetRefName"])
            ]
            return 200, {"value": found, "count": len(found)}
        if (
            method in ("POST", "PATCH")
            and len(str((body or {}).get("description") or "")) > DESCRIPTION_LIMIT
        ):
            return _error(400, f"The description can be at most {DESCRIPTION_LIMIT} characters.")
        if method == "POST" and not rest:
            refs = [
                body.get(k) if isinstance(body, dict) else None for k in ("sourceRefName", "targetRefName")
            ]
            if not all(isinstance(r, str) and r.startswith("refs/heads/") for r in refs):
                return _error(400, "sourceRefName and targetRefName must be refs/heads/...")
            if not isinstance(body.get("title"), str):
                return _error(400, "title is required")
            if any(
                p["status"] == "active" and [p["sourceRefName"], p["targetRefName"]] == refs for p in s.pulls
            ):
                return _error(
                    409, "TF401179: An active pull request for the source and target branch already exists."
                )
            pull = {
                "pullRequestId": len(s.pulls) + 1,
                "status": "active",
                "sourceRefName": refs[0],
                "targetRefName": refs[1],
                "title": body["title"],
                "description": body.get("description", ""),
                "repository": {"id": s.repository, "webUrl": web},
            }
            s.pulls.append(pull)
            return 201, pull
        if method == "PATCH" and len(rest) == 1:
            pull = next((p for p in s.pulls if str(p["pullRequestId"]) == rest[0]), None)
            if pull is None:
                return _error(404, f"TF401180: pull request {rest[0]} not found")
            pull.update({k: v for k, v in (body or {}).items() if k in ("title", "description", "status")})
            return 200, pull
        return _error(404, "not found")


def azure_devops(
    organization: str, project: str, repository: str
) -> AbstractContextManager[AzureDevOpsStandIn]:
    return running(_Handler, AzureDevOpsStandIn(organization, project, repository))
