"""Fixtures for the Graph front-end: the sandbox over https, and plain HTTP clients with a token.

The requests are written from Microsoft's Graph reference (URLs, JSON bodies, headers), not through the
reconciler's own client, so the sandbox is judged by what Graph documents.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from reconciler.sandbox import Sandbox
from reconciler.sandbox.directory import Directory
from reconciler.sandbox.rewrites import Rewrites
from reconciler.sandbox.rights import App

KEY = "String {00020329-0000-0000-C000-000000000046} Name reconciler-key"


class Http(requests.Session):
    """A session that trusts the sandbox's CA on every request (REQUESTS_CA_BUNDLE cannot override it)."""

    def __init__(self, base: str, ca: str, token: str | None) -> None:
        super().__init__()
        self.base, self.ca = base, ca
        if token:
            self.headers["Authorization"] = f"Bearer {token}"

    def request(self, method, url, *args, **kwargs):  # type: ignore[no-untyped-def, override]
        kwargs.setdefault("verify", self.ca)
        kwargs.setdefault("timeout", 30)
        return super().request(method, url if url.startswith("http") else self.base + url, *args, **kwargs)


TEST_CLIENT = "app-1"
MAIL_READER = App(frozenset({"Calendars.ReadWrite", "Mail.ReadWrite"}))
DIRECTORY = Directory(apps={TEST_CLIENT: MAIL_READER, "*": App()})
"""`app-1` is the tests' own client, which reads attendees' mail as an administrator's tool would; any other
client id (the reconciler's) is an app holding exactly README's Calendars.ReadWrite."""


@pytest.fixture
def graph_sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """The sandbox as a tenant behaves; `@pytest.mark.echo`: keeping what clients send (no rewrite rule)."""
    echo = request.node.get_closest_marker("echo") is not None
    with Sandbox(tls=True, rewrites=Rewrites.echo() if echo else None, directory=DIRECTORY) as sb:
        yield sb


def token_for(sb: Sandbox, secret: str = "any") -> requests.Response:
    return requests.post(
        f"{sb.authority}/tenant-1/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": TEST_CLIENT,
            "client_secret": secret,
            "scope": "https://graph.microsoft.com/.default",
        },
        verify=str(sb.ca_path),
        timeout=30,
    )


@pytest.fixture
def http(graph_sandbox: Sandbox) -> Http:
    token = token_for(graph_sandbox).json()["access_token"]
    return Http(graph_sandbox.graph_endpoint, str(graph_sandbox.ca_path), token)


def event(subject: str = "Sync", **extra: object) -> dict:
    body = {
        "subject": subject,
        "start": {"dateTime": "2027-01-04T10:00:00", "timeZone": "Europe/Amsterdam"},
        "end": {"dateTime": "2027-01-04T10:30:00", "timeZone": "Europe/Amsterdam"},
        "attendees": [
            {"type": "required", "emailAddress": {"address": "alice@example.com", "name": "Alice"}}
        ],
    }
    body.update(extra)
    return body


WEEKLY = {
    "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["monday"], "firstDayOfWeek": "monday"},
    "range": {"type": "numbered", "startDate": "2027-01-04", "numberOfOccurrences": 4},
}
