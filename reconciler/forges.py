"""The systems a team keeps its repository in: one small class each, the same few calls (`reconciler ci`).

A pipeline comments the plan on its pull (merge) request, one comment that each run rewrites, and the drift
job opens or updates one pull request with what `pull` wrote. Each class speaks its system's documented
REST calls, reads the pipeline's own variables (`from_env`), and knows where git pushes and how a job
authenticates there:

- GitHub (API version 2022-11-28): comments `GET/POST /repos/{o}/{r}/issues/{n}/comments`, `PATCH
  .../issues/comments/{id}`; pull requests `GET/POST /repos/{o}/{r}/pulls` (found by `head=owner:branch`),
  `PATCH .../pulls/{n}`; the job's `github.token` (`pull-requests: write`, `contents: write` to push).
- Azure DevOps (Azure Repos, api-version 7.1): a comment is the first comment of a thread, `GET/POST
  {collection}{project}/_apis/git/repositories/{repo}/pullRequests/{id}/threads`, updated in place by
  `PATCH .../threads/{thread}/comments/{comment}`; pull requests `GET .../pullrequests?searchCriteria...`,
  `POST .../pullrequests`, `PATCH .../pullrequests/{id}`; `Authorization: Bearer $(System.AccessToken)`
  (the build service needs "Contribute to pull requests", and "Contribute" and "Force push" on the branch).
- GitLab (REST v4): notes `GET/POST /projects/:id/merge_requests/:iid/notes`, `PUT .../notes/:note_id`;
  merge requests `GET/POST /projects/:id/merge_requests`, `PUT .../merge_requests/:iid`; a project access
  token with the `api` scope in `GITLAB_TOKEN` (the job token may not write notes), sent as `PRIVATE-TOKEN`.

A token is never printed: errors name the call (without the token), the status and the likely fix.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import quote

import requests

TIMEOUT = 30


class ForgeError(Exception):
    """The system refused or could not be reached; the message names the call and the likely fix."""


@dataclass(frozen=True)
class Remote:
    """Where the drift job pushes its branch, and the HTTP header that lets it (never printed)."""

    url: str
    header: str


BOT = ("reconciler", "reconciler@users.noreply.invalid")
"""Who commits the drift branch where the system has no bot identity of its own to name."""


class Forge(Protocol):
    name: str
    committer: tuple[str, str]
    """(name, e-mail) the drift branch's commit is made as."""
    comment_limit: int
    """Characters the system takes in one comment."""
    description_limit: int
    """Characters the system takes in a pull request's description."""

    def run_url(self) -> str:
        """The address of the run, for a comment to point at."""
        ...

    def remote(self) -> Remote: ...

    def comment(self, marker: str, body: str) -> tuple[str, str]:
        """Rewrite the request's comment that starts with `marker`, or add it: ("created" or "updated",
        its address)."""
        ...

    def open_or_update(self, head: str, base: str, title: str, body: str) -> tuple[str, str]:
        """("opened" or "updated", the pull request's address)."""
        ...


def _needed(env: Mapping[str, str], names: tuple[str, ...], where: str) -> None:
    missing = [n for n in names if not env.get(n)]
    if missing:
        raise ForgeError(f"{' and '.join(missing)} not set: {where} (see README)")


def _call(method: str, url: str, headers: dict[str, str], hint: str, **kwargs: Any) -> requests.Response:
    try:
        answer = requests.request(method, url, headers=headers, timeout=TIMEOUT, **kwargs)
    except requests.RequestException as exc:
        raise ForgeError(f"{method} {url}: {type(exc).__name__}; is the API address right?") from None
    if answer.status_code >= 400:
        why = f" ({hint})" if answer.status_code in (401, 403) else ""
        raise ForgeError(f"{method} {url}: HTTP {answer.status_code}{why}: {answer.text[:300]}")
    return answer


def _json(answer: requests.Response) -> Any:
    try:
        return answer.json()
    except ValueError:
        raise ForgeError(f"{answer.request.method} {answer.url}: the answer is not JSON") from None


def _basic(user: str, token: str) -> str:
    return "AUTHORIZATION: basic " + base64.b64encode(f"{user}:{token}".encode()).decode()


@dataclass(frozen=True)
class GitHub:
    api: str
    repository: str
    token: str = field(repr=False)
    server: str = "https://github.com"
    number: str = ""
    run_id: str = ""
    name: str = "github"
    committer: tuple[str, str] = (
        "github-actions[bot]",
        "41898282+github-actions[bot]@users.noreply.github.com",
    )
    comment_limit: int = 65_536
    description_limit: int = 65_536

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> GitHub:
        """As a GitHub Actions runner sets them (GITHUB_API_URL, GITHUB_REPOSITORY, GITHUB_REF of a pull
        request `refs/pull/N/merge`), the token in GH_TOKEN (the workflow passes `github.token`)."""
        _needed(env, ("GITHUB_REPOSITORY", "GH_TOKEN"), "run this in a GitHub Actions job")
        found = re.fullmatch(r"refs/pull/(\d+)/(?:merge|head)", env.get("GITHUB_REF", ""))
        return cls(
            (env.get("GITHUB_API_URL") or "https://api.github.com").rstrip("/"),
            env["GITHUB_REPOSITORY"],
            env["GH_TOKEN"],
            (env.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/"),
            found.group(1) if found else "",
            env.get("GITHUB_RUN_ID", ""),
        )

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {self.token}",
            "X-GitHub-Api-Version": "2022-11-28",
        }
        hint = "the job needs `permissions: pull-requests: write`"
        return _json(_call(method, f"{self.api}/repos/{self.repository}{path}", headers, hint, **kwargs))

    def run_url(self) -> str:
        return f"{self.server}/{self.repository}/actions/runs/{self.run_id}"

    def remote(self) -> Remote:
        return Remote(f"{self.server}/{self.repository}.git", _basic("x-access-token", self.token))

    def comment(self, marker: str, body: str) -> tuple[str, str]:
        if not self.number:
            raise ForgeError("GITHUB_REF is not a pull request's (refs/pull/N/merge): run it on pull_request")
        page, mine = 1, None
        while mine is None:
            found = self._call(
                "GET", f"/issues/{self.number}/comments", params={"per_page": 100, "page": page}
            )
            mine = next((c for c in found if str(c.get("body") or "").startswith(marker)), None)
            if len(found) < 100:
                break
            page += 1
        if mine is not None:
            done = self._call("PATCH", f"/issues/comments/{quote(str(mine['id']))}", json={"body": body})
            return "updated", str(done.get("html_url", ""))
        done = self._call("POST", f"/issues/{self.number}/comments", json={"body": body})
        return "created", str(done.get("html_url", ""))

    def open_or_update(self, head: str, base: str, title: str, body: str) -> tuple[str, str]:
        owner = self.repository.split("/")[0]
        found = self._call("GET", "/pulls", params={"state": "open", "head": f"{owner}:{head}", "base": base})
        if found:
            number = found[0]["number"]
            updated = self._call("PATCH", f"/pulls/{quote(str(number))}", json={"title": title, "body": body})
            return "updated", str(updated.get("html_url", ""))
        opened = self._call("POST", "/pulls", json={"title": title, "head": head, "base": base, "body": body})
        return "opened", str(opened.get("html_url", ""))


@dataclass(frozen=True)
class AzureDevOps:
    collection: str
    """`https://dev.azure.com/{organization}/` or a server's `https://host/{collection}/`."""
    project: str
    repository: str
    """The repository's id (BUILD_REPOSITORY_ID)."""
    token: str = field(repr=False)
    repository_url: str = ""
    number: str = ""
    build_id: str = ""
    name: str = "azure-devops"
    committer: tuple[str, str] = BOT
    comment_limit: int = 65_536
    """Not confirmed in Microsoft's reference: kept at GitHub's size, which Azure DevOps takes."""
    description_limit: int = 4_000
    """A longer description is refused with 400 "A description for a pull request must not be longer than
    4000 characters" (InvalidArgumentValueException, as the service answers tools that hit it)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> AzureDevOps:
        """As Azure Pipelines sets them (System.CollectionUri, System.TeamProject, Build.Repository.Id,
        System.PullRequest.PullRequestId), the token mapped by the pipeline (`SYSTEM_ACCESSTOKEN:
        $(System.AccessToken)`: secret variables reach a script only when mapped)."""
        where = "run this in an Azure Pipelines job that maps SYSTEM_ACCESSTOKEN: $(System.AccessToken)"
        _needed(env, ("SYSTEM_COLLECTIONURI", "SYSTEM_TEAMPROJECT", "BUILD_REPOSITORY_ID"), where)
        _needed(env, ("SYSTEM_ACCESSTOKEN",), where)
        provider = env.get("BUILD_REPOSITORY_PROVIDER", "TfsGit")
        if provider != "TfsGit":
            raise ForgeError(
                f"the repository is on {provider}, not Azure Repos: use that system's own (--system github)"
            )
        collection = env["SYSTEM_COLLECTIONURI"].rstrip("/") + "/"
        return cls(
            collection,
            env["SYSTEM_TEAMPROJECT"],
            env["BUILD_REPOSITORY_ID"],
            env["SYSTEM_ACCESSTOKEN"],
            env.get("BUILD_REPOSITORY_URI", ""),
            env.get("SYSTEM_PULLREQUEST_PULLREQUESTID", ""),
            env.get("BUILD_BUILDID", ""),
        )

    def _base(self) -> str:
        return f"{self.collection}{quote(self.project)}/_apis/git/repositories/{quote(self.repository)}"

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        hint = (
            'the project\'s build service needs "Contribute to pull requests" on the repository, and the '
            "job SYSTEM_ACCESSTOKEN: $(System.AccessToken)"
        )
        params = {**kwargs.pop("params", {}), "api-version": "7.1"}
        return _json(_call(method, self._base() + path, headers, hint, params=params, **kwargs))

    def run_url(self) -> str:
        return f"{self.collection}{quote(self.project)}/_build/results?buildId={self.build_id}"

    def remote(self) -> Remote:
        if not self.repository_url:
            raise ForgeError("BUILD_REPOSITORY_URI not set: run this in an Azure Pipelines job")
        return Remote(self.repository_url, f"AUTHORIZATION: bearer {self.token}")

    def _web(self, pull: dict[str, Any]) -> str:
        web = str((pull.get("repository") or {}).get("webUrl") or "")
        return f"{web}/pullrequest/{pull.get('pullRequestId')}" if web else ""

    def comment(self, marker: str, body: str) -> tuple[str, str]:
        if not self.number:
            raise ForgeError(
                "SYSTEM_PULLREQUEST_PULLREQUESTID not set: the run is not a pull request's (Azure Repos "
                "starts those from a Build Validation branch policy, not from `pr:`)"
            )
        threads = self._call("GET", f"/pullRequests/{self.number}/threads").get("value", [])
        for thread in threads:
            first = (thread.get("comments") or [{}])[0]
            if not thread.get("isDeleted") and str(first.get("content") or "").startswith(marker):
                path = f"/pullRequests/{self.number}/threads/{thread['id']}/comments/{first['id']}"
                self._call("PATCH", path, json={"content": body})
                return "updated", ""
        # Status 4 (closed): the plan informs a review; it never holds a merge under a policy that asks
        # every comment to be resolved.
        thread = {"comments": [{"parentCommentId": 0, "content": body, "commentType": 1}], "status": 4}
        self._call("POST", f"/pullRequests/{self.number}/threads", json=thread)
        return "created", ""

    def open_or_update(self, head: str, base: str, title: str, body: str) -> tuple[str, str]:
        criteria = {
            "searchCriteria.sourceRefName": f"refs/heads/{head}",
            "searchCriteria.targetRefName": f"refs/heads/{base}",
            "searchCriteria.status": "active",
        }
        found = self._call("GET", "/pullrequests", params=criteria).get("value", [])
        if found:
            pull_id = found[0]["pullRequestId"]
            change = {"title": title, "description": body}
            updated = self._call("PATCH", f"/pullrequests/{pull_id}", json=change)
            return "updated", self._web(updated)
        pull = {
            "sourceRefName": f"refs/heads/{head}",
            "targetRefName": f"refs/heads/{base}",
            "title": title,
            "description": body,
        }
        return "opened", self._web(self._call("POST", "/pullrequests", json=pull))


@dataclass(frozen=True)
class GitLab:
    api: str
    project: str
    token: str = field(repr=False)
    server: str = ""
    project_path: str = ""
    number: str = ""
    pipeline_url: str = ""
    name: str = "gitlab"
    committer: tuple[str, str] = BOT
    comment_limit: int = 1_000_000
    """A note's body is limited to 1,000,000 characters (Notes API)."""
    description_limit: int = 1_000_000

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> GitLab:
        """As GitLab CI sets them (CI_API_V4_URL, CI_PROJECT_ID, CI_MERGE_REQUEST_IID, CI_SERVER_URL,
        CI_PROJECT_PATH, CI_PIPELINE_URL), the token in GITLAB_TOKEN (a masked CI/CD variable)."""
        where = "run this in a GitLab CI job with a project access token (api scope) in GITLAB_TOKEN"
        _needed(env, ("CI_API_V4_URL", "CI_PROJECT_ID", "GITLAB_TOKEN"), where)
        return cls(
            env["CI_API_V4_URL"].rstrip("/"),
            env["CI_PROJECT_ID"],
            env["GITLAB_TOKEN"],
            env.get("CI_SERVER_URL", "").rstrip("/"),
            env.get("CI_PROJECT_PATH", ""),
            env.get("CI_MERGE_REQUEST_IID", ""),
            env.get("CI_PIPELINE_URL", ""),
        )

    def _call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"PRIVATE-TOKEN": self.token, "Accept": "application/json"}
        hint = "GITLAB_TOKEN needs the api scope and at least the Developer role"
        url = f"{self.api}/projects/{quote(self.project, safe='')}{path}"
        return _call(method, url, headers, hint, **kwargs)

    def run_url(self) -> str:
        return self.pipeline_url

    def remote(self) -> Remote:
        if not (self.server and self.project_path):
            raise ForgeError("CI_SERVER_URL and CI_PROJECT_PATH not set: run this in a GitLab CI job")
        return Remote(f"{self.server}/{self.project_path}.git", _basic("oauth2", self.token))

    def comment(self, marker: str, body: str) -> tuple[str, str]:
        if not self.number:
            raise ForgeError("CI_MERGE_REQUEST_IID not set: run this in a merge request pipeline")
        notes = f"/merge_requests/{self.number}/notes"
        page: str | None = "1"
        while page:
            answer = self._call("GET", notes, params={"per_page": 100, "page": page, "sort": "asc"})
            for note in _json(answer):
                if not note.get("system") and str(note.get("body") or "").startswith(marker):
                    self._call("PUT", f"{notes}/{note['id']}", json={"body": body})
                    return "updated", ""
            page = answer.headers.get("X-Next-Page") or None
        self._call("POST", notes, json={"body": body})
        return "created", ""

    def open_or_update(self, head: str, base: str, title: str, body: str) -> tuple[str, str]:
        query = {"state": "opened", "source_branch": head, "target_branch": base}
        found = _json(self._call("GET", "/merge_requests", params=query))
        if found:
            iid = found[0]["iid"]
            change = {"title": title, "description": body}
            done = _json(self._call("PUT", f"/merge_requests/{iid}", json=change))
            return "updated", str(done.get("web_url", ""))
        request = {"source_branch": head, "target_branch": base, "title": title, "description": body}
        return "opened", str(_json(self._call("POST", "/merge_requests", json=request)).get("web_url", ""))


CLIENTS: dict[str, Any] = {"github": GitHub, "azure-devops": AzureDevOps, "gitlab": GitLab}
SYSTEMS = tuple(CLIENTS)


def forge(system: str, env: Mapping[str, str] | None = None) -> Forge:
    """The system's client from the pipeline's environment."""
    if system not in CLIENTS:
        raise ForgeError(f"unknown system {system!r}: one of {', '.join(SYSTEMS)}")
    return CLIENTS[system].from_env(os.environ if env is None else env)  # type: ignore[no-any-return]
