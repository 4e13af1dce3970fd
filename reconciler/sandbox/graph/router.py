"""Graph requests in: token check, the mailbox, faults, one store transaction, the resource, JSON out.

`/v1.0/users/{id}/events...`, `/calendarView`, `/calendar...` (`calendars.py`),
`/mailFolders/{folder}/messages`, `/messages...` and `/v1.0/$batch` (at most 20 requests, each answered on
its own, throttling included; one whose `dependsOn` failed is answered 424 and not run). Faults answer as
Graph does: 429 with `Retry-After` (seconds) when busy, 503 with `Retry-After` when unavailable, or a dropped
connection. At most 4 requests per mailbox are served at once (Outlook's limit per app and mailbox);
beyond that, 429 `ApplicationThrottled`.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from reconciler.sandbox import rights
from reconciler.sandbox.context import Context, ItemError
from reconciler.sandbox.graph import calendars, events, messages, schedule
from reconciler.sandbox.graph.errors import GraphError, error_body
from reconciler.sandbox.graph.identity import Tokens
from reconciler.sandbox.graph.request import Answer, GraphRequest
from reconciler.sandbox.rights import App
from reconciler.sandbox.service import Service

PREFIX = "/v1.0"
MAX_BATCH = 20
MAILBOX_CONCURRENCY = 4
log = logging.getLogger(__name__)
_ACTIONS = ("cancel", "instances", "delta", "messages", "getSchedule", *events.RESPONSES)
_STATUS = {"ErrorItemNotFound": 404, "ErrorInvalidIdMalformed": 400, "ErrorAccessDenied": 403}


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    reset: bool = False
    mailbox: str = ""
    operation: str = ""


def _operation(method: str, parts: list[str]) -> str:
    """A name for faults and logs: `graph.GET.events`, `graph.POST.cancel`, `graph.GET.instances` (the same
    for a calendar-scoped path: `/calendar/events` is `events`)."""
    if parts[:1] == ["calendars"] and len(parts) > 2:
        parts = parts[2:]
    elif parts[:1] == ["calendar"] and parts[1:2] in (["events"], ["calendarView"]):
        parts = parts[1:]
    resource = parts[-1] if parts and parts[-1] in _ACTIONS else (parts[0] if parts else "")
    return f"graph.{method}.{resource}"


def _fault_reply(service: Service, fault: str, inner: bool) -> Reply:
    seconds = str(max(1, math.ceil(service.faults.options.busy_backoff_ms / 1000)))
    if fault == "busy":
        return Reply(
            429,
            error_body("ApplicationThrottled", "Application is over its MailboxConcurrency limit."),
            {"Retry-After": seconds},
        )
    if fault == "unavailable" or inner:  # a batch's inner request cannot drop the connection
        return Reply(
            503,
            error_body("ServiceUnavailable", "The service is temporarily unavailable."),
            {"Retry-After": seconds},
        )
    return Reply(0, reset=True)


def serve(
    service: Service,
    tokens: Tokens,
    method: str,
    target: str,
    headers: dict[str, str],
    raw: bytes,
    origin: str,
) -> Reply:
    """One request to `/v1.0/...` (authentication included)."""
    problem, client_id = tokens.check(headers.get("authorization", ""))
    app = service.directory.app(client_id) if not problem else None
    if app is None:
        problem = problem or "The app the token was issued to is no longer registered."
        return Reply(
            401,
            error_body("InvalidAuthenticationToken", problem),
            {"WWW-Authenticate": 'Bearer realm="", error="invalid_token"'},
        )
    try:
        body = json.loads(raw) if raw.strip() else None
    except ValueError:
        return Reply(400, error_body("BadRequest", "The request body is not JSON."))
    split = urlsplit(target)
    path = split.path[len(PREFIX) :]
    html = service.rewrites.on("html-document")
    request = GraphRequest(method, path, split.query, headers, body, origin + PREFIX, html)
    if path == "/$batch" and method == "POST":
        return _batch(service, app, request, raw)
    return _single(service, app, request, raw, inner=False)


def _single(service: Service, app: App, request: GraphRequest, raw: bytes, inner: bool) -> Reply:
    parts = [unquote(p) for p in request.path.strip("/").split("/") if p]
    if len(parts) < 3 or parts[0].lower() != "users":
        return Reply(400, error_body("BadRequest", f"Resource not found for the segment {request.path!r}."))
    mailbox, parts = parts[1].lower(), parts[2:]
    operation = _operation(request.method, parts)
    service.requests[operation] += 1
    faults = service.faults
    refusal = service.directory.refusal(None, mailbox)
    if refusal:
        return Reply(
            404,
            error_body("ErrorInvalidUser", f"The requested user '{mailbox}' is invalid."),
            mailbox=mailbox,
            operation=operation,
        )
    resource = "getSchedule" if "getSchedule" in parts else parts[0]
    denied = app.refusal(mailbox, rights.needs(resource, request.method))
    if denied:  # the app's permissions, or its mailbox scope, do not cover this request
        return Reply(403, error_body("ErrorAccessDenied", denied), mailbox=mailbox, operation=operation)
    fault, answer = faults.around(
        operation,
        mailbox,
        lambda: raw.decode(errors="replace"),
        lambda: _resource(service, request, mailbox, parts, app.rights()),
        limit=MAILBOX_CONCURRENCY,
        delay=not inner,  # added latency stands for a network round trip: one per HTTP request
    )
    if fault:  # before: nothing happened; after: done, but the client does not hear about it
        return _fault_reply(service, fault, inner)
    assert answer is not None
    return Reply(answer.status, answer.body, answer.headers, mailbox=mailbox, operation=operation)


def _resource(
    service: Service, request: GraphRequest, mailbox: str, parts: list[str], granted: rights.Rights
) -> Answer:
    store = service.store
    try:
        with store.transaction():
            ctx = service.context(mailbox, rights=granted)
            answer = _dispatch(ctx, request, parts)
        service.faults.record_messages(ctx.messages_sent)
        return answer
    except GraphError as exc:
        return Answer(exc.status, error_body(exc.code, exc.message))
    except ItemError as exc:
        return Answer(_STATUS.get(exc.code, 400), error_body(exc.code, exc.text))
    except Exception as exc:  # never a stack trace on the wire
        log.exception("sandbox failed on %s %s", request.method, request.path)
        return Answer(500, error_body("InternalServerError", f"The sandbox failed: {type(exc).__name__}"))


def _dispatch(ctx: Context, request: GraphRequest, parts: list[str]) -> Answer:
    """The resource module a path under `/users/{id}/` belongs to."""
    if parts[0] in ("calendar", "calendars") and parts[1:2] != ["getSchedule"]:
        routed = calendars.route(ctx, request, parts)
        if isinstance(routed, Answer):
            return routed
        parts = routed
    if parts[0] in ("events", "calendarView"):
        return events.handle(ctx, request, parts)
    if parts[:2] == ["calendar", "getSchedule"] and request.method == "POST":
        return schedule.get_schedule(ctx, request)
    if parts[0] in ("mailFolders", "messages"):
        return messages.handle(ctx, request, parts)
    raise GraphError(400, "BadRequest", f"Resource not found for the segment {parts[0]!r}.")


def _batch(service: Service, app: App, request: GraphRequest, raw: bytes) -> Reply:
    body = request.body if isinstance(request.body, dict) else {}
    requests = body.get("requests")
    if not isinstance(requests, list) or not requests:
        return Reply(400, error_body("BadRequest", "A batch needs a non-empty requests array."))
    if len(requests) > MAX_BATCH:
        return Reply(
            400, error_body("BadRequest", f"Number of requests in a batch cannot exceed {MAX_BATCH}.")
        )
    refusal = _batch_refusal(requests)
    if refusal:
        return Reply(400, error_body("BadRequest", refusal))
    service.requests["graph.$batch"] += 1
    fault = service.faults.pick("graph.$batch", lambda: raw.decode(errors="replace"))
    service.faults.delay()
    if fault and service.faults.options.phase == "before":
        return _fault_reply(service, fault, inner=False)
    responses = []
    failed: set[str] = set()
    for entry in requests:
        if failed & set(_depends_on(entry)):  # not run: what it needs did not happen
            failed.add(str(entry.get("id")))
            responses.append(_failed_dependency(entry))
            continue
        url = str(entry.get("url") or "")
        url = url if url.startswith("/") else "/" + url
        split = urlsplit(url)
        headers = {k.lower(): str(v) for k, v in (entry.get("headers") or {}).items()}
        for name in ("prefer",):
            headers.setdefault(name, request.headers.get(name, ""))
        inner = GraphRequest(
            str(entry.get("method") or "GET").upper(),
            split.path,
            split.query,
            headers,
            entry.get("body"),
            request.base,
            request.bodies_as_html,
        )
        inner_raw = json.dumps(entry.get("body")).encode() if entry.get("body") is not None else b""
        reply = _single(service, app, inner, inner_raw, inner=True)
        answer: dict[str, Any] = {
            "id": str(entry.get("id")),
            "status": reply.status,
            "headers": {"Content-Type": "application/json", **reply.headers},
        }
        if reply.body is not None:
            answer["body"] = reply.body
        if reply.status >= 400:
            failed.add(answer["id"])
        responses.append(answer)
    if fault:  # phase "after": every request in it was served, the client does not hear about it
        return _fault_reply(service, fault, inner=False)
    return Reply(200, {"responses": responses}, operation="graph.$batch")


def _depends_on(entry: dict[str, Any]) -> list[str]:
    return [str(d) for d in entry.get("dependsOn") or []]


def _batch_refusal(requests: list[Any]) -> str | None:
    """Why a batch is refused whole (400): an entry that is not an object, a repeated id, or a `dependsOn`
    naming no earlier request (JSON batching runs a dependent request after what it names)."""
    seen: set[str] = set()
    for entry in requests:
        if not isinstance(entry, dict) or entry.get("id") in (None, ""):
            return "Each request in a batch needs an id."
        request_id = str(entry["id"])
        if request_id in seen:
            return f"Request id {request_id!r} is repeated: ids must be unique within a batch."
        unknown = [d for d in _depends_on(entry) if d not in seen]
        if unknown:
            return f"Request {request_id!r} depends on {unknown[0]!r}, not an earlier request of the batch."
        seen.add(request_id)
    return None


def _failed_dependency(entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(entry.get("id")),
        "status": 424,
        "headers": {"Content-Type": "application/json"},
        "body": error_body("FailedDependency", "The request this one depends on failed; it was not run."),
    }
