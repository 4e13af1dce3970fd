"""Talking to Microsoft Graph: app-only tokens through msal, retries that honour `Retry-After`, `$batch`.

- Tokens: the client credentials grant (a secret, or a certificate's private key) at
  `{authority}/{tenant}`, cached by msal until they expire. A refused credential fails at once, naming the
  environment variable to check; it is never retried and never printed.
- Retries: `429` and `503` wait `Retry-After` seconds (for a batch, the longest of its throttled responses,
  and only those are sent again); a dropped connection is retried after a short back-off. All of it within
  `max_wait` seconds. A request that was retried after a dropped connection may have been carried out
  already: its `If-Match` is left off, and a cancel or delete that then finds the item gone counts as done.
  An endpoint no connection can be made to is not retried: the error says it cannot be reached.
- TLS: verification is always on; `ca_bundle` adds a private CA. The bundle is passed with every request,
  because requests lets `REQUESTS_CA_BUNDLE` override a session's own setting.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import msal
import requests
import urllib3

from reconciler.backends import access
from reconciler.backends.base import NOT_RETRYABLE, BackendError
from reconciler.backends.connection import chain, connection_problem
from reconciler.backends.graph import federated

MAX_BATCH = 20
TIMEOUT = 60
PREFER_UTC = 'outlook.timezone="UTC"'
GONE = {"ErrorItemNotFound", "ErrorCalendarOccurrenceIsDeletedFromRecurrence", "ErrorCalendarIsNotOrganizer"}
"""Error codes a cancel or delete gets when an earlier attempt, whose answer was lost, did it."""


class Session(requests.Session):
    """A session whose TLS setting holds for every request (see the module docstring)."""

    def __init__(self, verify: str | bool) -> None:
        super().__init__()
        self.tls = verify

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("verify", self.tls)
        kwargs.setdefault("timeout", TIMEOUT)
        return super().request(method, url, *args, **kwargs)


@dataclass(frozen=True)
class Reply:
    """One answer: status, headers and JSON body (None when there is none)."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def code(self) -> str:
        return ((self.body or {}).get("error") or {}).get("code", "") if isinstance(self.body, dict) else ""

    @property
    def message(self) -> str:
        return (
            ((self.body or {}).get("error") or {}).get("message", "") if isinstance(self.body, dict) else ""
        )


@dataclass(frozen=True)
class Call:
    """One request, on its own or inside a `$batch`. `url` is relative to the endpoint (`/users/...`)."""

    method: str
    url: str
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def removes(self) -> bool:
        return self.method == "DELETE" or (
            self.method == "POST" and self.url.split("?")[0].endswith("/cancel")
        )


def _wait(reply: Reply, attempt: int) -> float:
    try:
        return max(0.0, float(reply.headers.get("Retry-After") or reply.headers.get("retry-after") or ""))
    except ValueError:
        return min(2.0**attempt, 30.0)


class GraphClient:
    def __init__(
        self,
        endpoint: str,
        authority: str,
        tenant: str,
        client_id: str,
        credential: str | dict[str, Any],
        credential_hint: str,
        ca_bundle: str | None = None,
        max_wait: float = 120,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.authority = f"{authority.rstrip('/')}/{tenant}"
        self.client_id = client_id
        self.credential_hint = credential_hint
        self.max_wait = max_wait
        self.sleep = sleep
        self.session = Session(ca_bundle or True)
        adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=16)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        parts = urlsplit(self.endpoint)
        self.scope = f"{parts.scheme}://{parts.netloc}/.default"
        self.counts = threading.local()
        loopback = (urlsplit(authority).hostname or "") in ("127.0.0.1", "localhost", "::1")
        self.asserted: dict[str, object] = {}
        """The claims of the last federated assertion sent (issuer, subject, audience; never the token)."""
        if isinstance(credential, dict) and callable(credential.get("client_assertion")):
            fetch = credential["client_assertion"]

            def assertion() -> str:
                token = fetch()
                self.asserted = federated.claims(token)
                return token

            credential = {"client_assertion": assertion}
        try:
            self.app = msal.ConfidentialClientApplication(
                client_id,
                client_credential=credential,
                authority=self.authority,
                http_client=self.session,
                instance_discovery=False if loopback else None,
            )
        except (ValueError, requests.RequestException) as exc:
            raise BackendError(
                connection_problem(exc, self.authority, "target.authority")
                or f"the identity platform at {self.authority} cannot be used: {_short(exc)}"
            ) from None

    # -- tokens ---------------------------------------------------------------------------------------------

    def token(self) -> str:
        try:
            result = self.app.acquire_token_for_client(scopes=[self.scope])
        except requests.RequestException as exc:
            raise BackendError(
                connection_problem(exc, self.authority, "target.authority")
                or f"cannot reach the identity platform at {self.authority}: {_short(exc)}"
            ) from None
        if "access_token" not in result:
            text = result.get("error_description") or result.get("error") or "no token"
            codes = result.get("error_codes") or []
            if self.asserted and codes:
                raise BackendError(federated.explain(int(codes[0]), self.asserted, self.client_id))
            raise BackendError(
                f"{self.authority} refused a token for app {self.client_id}: {text.splitlines()[0]} "
                f"(check {self.credential_hint}, the tenant id and the client id)"
            )
        return str(result["access_token"])

    # -- requests -------------------------------------------------------------------------------------------

    def _send(self, call: Call) -> Reply:
        url = call.url if call.url.startswith("http") else self.endpoint + call.url
        headers = {"Authorization": f"Bearer {self.token()}", "Prefer": PREFER_UTC, **call.headers}
        self.counts.n = self.thread_requests() + 1
        response = self.session.request(call.method, url, json=call.body, headers=headers)
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = None
        return Reply(response.status_code, body, dict(response.headers))

    def thread_requests(self) -> int:
        """Requests this thread has sent (observes of several organizers run side by side)."""
        return getattr(self.counts, "n", 0)

    def call(self, call: Call) -> Reply:
        """One request, retried as the module docstring says."""
        return self._retrying(lambda c: [self._send(c[0])], [call])[0]

    def batch(self, calls: Sequence[Call]) -> list[Reply]:
        """Many requests, 20 per `$batch`; one reply per call, in order."""
        out: list[Reply] = []
        for i in range(0, len(calls), MAX_BATCH):
            out += self._retrying(self._send_batch, list(calls[i : i + MAX_BATCH]))
        return out

    def _send_batch(self, calls: list[Call]) -> list[Reply]:
        if len(calls) == 1:
            return [self._send(calls[0])]
        body = {
            "requests": [
                {
                    "id": str(n),
                    "method": c.method,
                    "url": c.url,
                    "headers": {
                        "Prefer": PREFER_UTC,
                        **({"Content-Type": "application/json"} if c.body is not None else {}),
                        **c.headers,
                    },
                    **({"body": c.body} if c.body is not None else {}),
                }
                for n, c in enumerate(calls)
            ]
        }
        reply = self._send(Call("POST", "/$batch", body))
        if not reply.ok:
            return [reply] * len(calls)
        by_id = {str(r.get("id")): r for r in (reply.body or {}).get("responses", [])}
        out = []
        for n in range(len(calls)):
            r = by_id.get(str(n), {"status": 500, "body": None})
            out.append(Reply(int(r.get("status", 500)), r.get("body"), dict(r.get("headers") or {})))
        return out

    def _retrying(self, send: Callable[[list[Call]], list[Reply]], calls: list[Call]) -> list[Reply]:
        """Send `calls`; re-send those throttled or lost until they are answered or `max_wait` is spent."""
        started = time.monotonic()
        replies: list[Reply | None] = [None] * len(calls)
        pending = list(range(len(calls)))
        dropped: set[int] = set()
        attempt = 0
        while pending:
            todo = [calls[i] if i not in dropped else _after_drop(calls[i]) for i in pending]
            try:
                got = send(todo)
            except requests.RequestException as exc:
                if _unreachable(exc):
                    raise BackendError(
                        connection_problem(exc, self.endpoint)
                        or f"cannot reach {self.endpoint}: {_short(exc)}"
                    ) from None
                wait = min(2.0**attempt * 0.5, 8.0)
                if time.monotonic() - started + wait > self.max_wait:
                    raise BackendError(
                        f"{self.endpoint} kept dropping the connection for {self.max_wait:.0f} s: "
                        f"{_short(exc)}"
                    ) from None
                dropped.update(pending)
                attempt += 1
                self.sleep(wait)
                continue
            retry, wait = [], 0.0
            for i, reply in zip(pending, got, strict=True):
                if reply.status in (429, 503):
                    retry.append(i)
                    wait = max(wait, _wait(reply, attempt))
                    replies[i] = reply
                elif i in dropped and calls[i].removes and reply.status in (400, 404) and reply.code in GONE:
                    replies[i] = Reply(204)  # done by the attempt whose answer was lost
                else:
                    replies[i] = reply
            if retry and time.monotonic() - started + wait <= self.max_wait:
                attempt += 1
                self.sleep(wait)
                pending = retry
            else:
                pending = []
        return [r if r is not None else Reply(599) for r in replies]

    def pages(self, url: str) -> list[dict[str, Any]]:
        """Every item of a collection, following `@odata.nextLink`."""
        out: list[dict[str, Any]] = []
        next_url: str | None = url
        while next_url:
            reply = self.call(Call("GET", next_url))
            if not reply.ok:
                raise GraphFailure(reply, next_url)
            out += reply.body.get("value", [])
            next_url = reply.body.get("@odata.nextLink")
        return out

    def close(self) -> None:
        self.session.close()


def _unreachable(exc: requests.RequestException) -> bool:
    """No connection could be made (refused, unknown host, TLS refused): retrying will not help.

    A connection that was made and then dropped is a different failure: that request is retried.
    """
    if isinstance(exc, (requests.exceptions.SSLError, requests.exceptions.ConnectTimeout)):
        return True
    return any(
        isinstance(e, urllib3.exceptions.NewConnectionError | urllib3.exceptions.NameResolutionError)
        for e in chain(exc)
    )


def _after_drop(call: Call) -> Call:
    """A call sent again after its connection dropped: no `If-Match` (the first attempt may have landed)."""
    headers = {k: v for k, v in call.headers.items() if k.lower() != "if-match"}
    return Call(call.method, call.url, call.body, headers)


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) < 200 else text[:200] + "…"


class GraphFailure(Exception):
    """A request Graph refused; `reply` holds its status and error body."""

    def __init__(self, reply: Reply, url: str) -> None:
        super().__init__(f"HTTP {reply.status} {reply.code}: {reply.message} ({url.split('?')[0]})")
        self.reply = reply


def explain_reply(
    reply: Reply, endpoint: str, mailbox: str | None, credentials: str, key: str = "", writing: bool = False
) -> str:
    """One line: what Graph refused, naming the mailbox or endpoint, and the likely fix. Never a secret.
    `writing`: the refused request was a write (a 403 then names the write permission)."""
    who = f"mailbox {mailbox}" if mailbox else endpoint
    what = f"{key}: " if key else ""
    detail = f"{reply.code}: {reply.message}" if reply.code else f"HTTP {reply.status}"
    if reply.status == 401:
        return f"{what}{endpoint} refused the app's token (HTTP 401, {detail}): check {credentials}"
    if reply.status == 403 and mailbox:
        refused = (
            access.SCOPE if "OData is disabled" in reply.message else access.WRITE if writing else access.READ
        )
        return what + access.graph(mailbox, refused, f"HTTP 403, {detail}")
    if reply.status == 404 and reply.code in ("ErrorInvalidUser", "MailboxNotEnabledForRESTAPI"):
        return (
            f"{what}{who} does not exist on {endpoint}: check the address under `organizers:` and in the "
            "meeting files"
        )
    if reply.status == 413 or reply.code in ("ErrorMessageSizeExceeded", "RequestEntityTooLarge"):
        return (
            f"{what}{endpoint} refused the request for {who} as too large (HTTP {reply.status}, {detail}): "
            f"shorten the meeting's body or its attendee list; {NOT_RETRYABLE}"
        )
    if reply.status == 412 or reply.code == "ErrorIrresolvableConflict":
        return f"{what}the item changed in {who} since it was read (stale plan): plan again"
    if reply.status in (429, 503):
        return (
            f"{what}{endpoint} kept throttling {who} (HTTP {reply.status}); try again later, or raise "
            "target.max_wait_seconds"
        )
    return f"{what}{who} on {endpoint}: {detail}"
