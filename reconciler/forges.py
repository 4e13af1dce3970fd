"""Pull requests on the system a team keeps its repository in (`reconciler ci pull-request`).

The drift workflow pushes what `pull` wrote to one branch and opens one pull request from it, or updates
the one already open (found by its head branch), so a team reviews calendar edits as any other change.
Each system is a small class with the same method, speaking that system's documented REST calls; only
GitHub's is built so far (`POST/PATCH /repos/{owner}/{repo}/pulls`, found with `GET ...?head=owner:branch`,
API version 2022-11-28). The token comes from the environment and is never printed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

import requests

BODY_LIMIT = 65_536
"""Characters GitHub takes in a pull request's description."""
TIMEOUT = 30
SYSTEMS = ("github", "azure-devops", "gitlab")


class ForgeError(Exception):
    """The system refused or could not be reached; the message names the call and the likely fix."""


class Forge(Protocol):
    def open_or_update(self, head: str, base: str, title: str, body: str) -> tuple[str, str]:
        """("opened" or "updated", the pull request's address)."""
        ...


@dataclass(frozen=True)
class GitHub:
    api: str
    repository: str
    token: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> GitHub:
        """As a GitHub Actions runner sets them: GITHUB_API_URL, GITHUB_REPOSITORY, and the token in
        GH_TOKEN (the workflow passes `github.token`, which needs `pull-requests: write`)."""
        missing = [n for n in ("GITHUB_REPOSITORY", "GH_TOKEN") if not env.get(n)]
        if missing:
            raise ForgeError(
                f"{' and '.join(missing)} not set: run this in a GitHub Actions job (see README)"
            )
        api = env.get("GITHUB_API_URL") or "https://api.github.com"
        return cls(api.rstrip("/"), env["GITHUB_REPOSITORY"], env["GH_TOKEN"])

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        url = f"{self.api}/repos/{self.repository}{path}"
        headers = {
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {self.token}",
            "X-GitHub-Api-Version": "2022-11-28",
        }
        try:
            answer = requests.request(method, url, headers=headers, timeout=TIMEOUT, **kwargs)
        except requests.RequestException as exc:
            raise ForgeError(f"{method} {url}: {type(exc).__name__}; is GITHUB_API_URL right?") from None
        if answer.status_code >= 400:
            hint = (
                " (the job needs `permissions: pull-requests: write`)"
                if answer.status_code in (401, 403)
                else ""
            )
            raise ForgeError(f"{method} {url}: HTTP {answer.status_code}{hint}: {answer.text[:300]}")
        return answer.json()

    def open_or_update(self, head: str, base: str, title: str, body: str) -> tuple[str, str]:
        owner = self.repository.split("/")[0]
        body = _fitted(body)
        found = self._call("GET", "/pulls", params={"state": "open", "head": f"{owner}:{head}", "base": base})
        if found:
            number = found[0]["number"]
            updated = self._call("PATCH", f"/pulls/{quote(str(number))}", json={"title": title, "body": body})
            return "updated", str(updated.get("html_url", ""))
        opened = self._call("POST", "/pulls", json={"title": title, "head": head, "base": base, "body": body})
        return "opened", str(opened.get("html_url", ""))


def _fitted(body: str) -> str:
    if len(body) <= BODY_LIMIT:
        return body
    note = "\n\n… cut to fit; the drift job's summary has all of it."
    return body[: BODY_LIMIT - len(note)] + note


def forge(system: str, env: Mapping[str, str] | None = None) -> Forge:
    """The system's client from the pipeline's environment, or ForgeError saying what is not built."""
    env = os.environ if env is None else env
    if system == "github":
        return GitHub.from_env(env)
    if system in SYSTEMS:
        raise ForgeError(f"pull requests on {system} are not built yet; only github is")
    raise ForgeError(f"unknown system {system!r}: one of {', '.join(SYSTEMS)}")
