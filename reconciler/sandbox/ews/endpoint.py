"""The EWS front door: one SOAP request in, one answer out.

Every answer is a SOAP envelope with ServerVersionInfo (401s and faults included), so exchangelib's auth
and version probes work with nothing pinned; Basic auth or impersonation names the acting mailbox. Each
operation runs in one store transaction; faults are injected around it; internal errors become SOAP faults,
never stack traces.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass, replace
from typing import Any

from lxml import etree

from reconciler.sandbox.ews import conformance, soap, targets, xsd
from reconciler.sandbox.ews.context import EwsContext
from reconciler.sandbox.ews.items import schema_violation
from reconciler.sandbox.ews.operations import OPERATIONS
from reconciler.sandbox.ews.windows_auth import offers
from reconciler.sandbox.recurrence import zone_from_xml
from reconciler.sandbox.rights import FULL, Rights
from reconciler.sandbox.service import Service

PATH = "/ews/exchange.asmx"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reply:
    """What the HTTP layer sends: a status and SOAP body, or a dropped connection (`reset`)."""

    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    reset: bool = False
    mailbox: str = ""
    operation: str = ""


def not_found(path: str) -> Reply:
    return Reply(404, soap.fault("ErrorInvalidRequest", f"No EWS endpoint at {path}."))


def not_allowed() -> Reply:
    refusal = soap.fault("ErrorInvalidRequest", "EWS accepts POST requests only.")
    return Reply(405, refusal, (("Allow", "POST"),))


def refusal(status: int, text: str) -> Reply:
    """A request refused before it is read as EWS (too large, malformed HTTP), as a SOAP fault."""
    return Reply(status, soap.fault("ErrorInvalidRequest", text))


def serve(service: Service, authorization: str, body: bytes, session: dict[str, Any] | None = None) -> Reply:
    """One POST to the EWS endpoint; `session`: what the connection carries (a Windows authentication)."""
    reply = _reply(service, authorization, body, session)
    if conformance.enabled():
        conformance.check_answer(reply.operation, reply.body)
    return reply


def _reply(service: Service, authorization: str, body: bytes, session: dict[str, Any] | None) -> Reply:
    anonymous = not authorization and not (session or {}).get("user")
    if anonymous and "basic" not in service.auth:  # IIS asks for credentials before EWS reads anything
        required = soap.fault("ErrorAccessDenied", "Authentication is required.")
        return Reply(401, required, offers(service.auth))
    try:
        request = soap.parse_request(body)
    except soap.SoapError as exc:
        return Reply(exc.status, soap.fault(exc.code, exc.message))
    caller = _authenticate(service, authorization, request, {} if session is None else session)
    if isinstance(caller, Reply):  # a step of a Windows handshake
        return caller
    if caller is None:
        required = soap.fault("ErrorAccessDenied", "Authentication is required.")
        return Reply(401, required, offers(service.auth))
    user, mailbox = caller
    service.requests[request.name] += 1
    impersonating = request.impersonated is not None
    if not impersonating:  # a delegate names the owner's folders, or the owner's items' ids
        mailbox = targets.owner(service.store, request.operation) or mailbox
    refused = service.directory.refusal(user, mailbox, impersonating)
    if refused:
        return Reply(500, soap.fault(*refused), mailbox=mailbox, operation=request.name)
    rights = FULL if impersonating or user is None else service.directory.account(user).rights(user, mailbox)
    delegate = user if not impersonating and user and user != mailbox else ""
    return _serve(service, request, mailbox, rights, delegate)


def _acting(user: str, request: soap.Request) -> tuple[str, str]:
    """(the user without its domain, the mailbox acted for: the impersonated one, else the user's own)."""
    user = user.split("\\")[-1].lower()
    return user, (request.impersonated or user).lower()


def _authenticate(
    service: Service, header: str, request: soap.Request, session: dict[str, Any]
) -> tuple[str | None, str] | Reply | None:
    """(authenticated user or None, acting mailbox); a 401 carrying the next handshake token; or None when
    the caller must authenticate."""
    if session.get("user"):  # Windows authentication holds for the connection, as in IIS
        return _acting(session["user"], request)
    scheme, _, token = header.partition(" ")
    scheme = scheme.lower()
    if scheme == "basic" and "basic" in service.auth:
        try:
            user, _, password = base64.b64decode(token).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            user, password = "", ""
        if user and (service.password is None or password == service.password):
            return _acting(user, request)
    elif scheme in ("ntlm", "negotiate") and scheme in service.auth and service.windows is not None:
        user, answer = service.windows.step(session, scheme, token.strip())
        if user:
            session["user"] = user
            return _acting(user, request)
        if answer:
            challenge = (
                ("WWW-Authenticate", f"{scheme.upper() if scheme == 'ntlm' else 'Negotiate'} {answer}"),
            )
            return Reply(401, soap.fault("ErrorAccessDenied", "Authentication continues."), challenge)
    elif not header and request.impersonated and "basic" in service.auth:
        return None, request.impersonated  # the sandbox's default: impersonation on loopback, no password
    return None


def _serve(service: Service, request: soap.Request, mailbox: str, rights: Rights, actor: str) -> Reply:
    def text() -> str:
        return etree.tostring(request.operation, encoding="unicode")

    def done(status: int, body: bytes, headers: tuple[tuple[str, str], ...] = ()) -> Reply:
        return Reply(status, body, headers, mailbox=mailbox, operation=request.name)

    try:
        fault, answer = service.faults.around(
            request.name, mailbox, text, lambda: _answer(service, request, mailbox, rights, actor)
        )
    except Exception as exc:  # never a stack trace on the wire
        log.exception("sandbox failed on %s", request.name)
        return done(500, soap.fault("ErrorInternalServerError", f"The sandbox failed: {type(exc).__name__}"))
    unsupported = answer is not None and answer[0] == 500  # answered as such, whatever the dice say
    if fault and not unsupported:  # before: nothing happened; after: it happened, the client never hears
        return replace(_fault(service, fault), mailbox=mailbox, operation=request.name)
    assert answer is not None
    return done(*answer)


def _answer(
    service: Service, request: soap.Request, mailbox: str, rights: Rights, actor: str
) -> tuple[int, bytes]:
    """(status, SOAP body) of one operation, run in one store transaction."""
    handler = OPERATIONS.get(request.name)
    if handler is None:
        message = f"The operation {request.name} is not supported by the sandbox."
        return 500, soap.fault("ErrorInvalidRequest", message)
    refused = _schema_refusal(request)
    if refused is not None:
        return 500, refused
    store = service.store
    zone = zone_from_xml(f'<x Id="{request.time_zone}"/>') if request.time_zone else None
    with store.transaction():
        ctx = service.context(mailbox, EwsContext, request=request, rights=rights, actor=actor)
        if zone is not None:
            ctx.zone = zone
        messages = handler(ctx)
    service.faults.record_messages(ctx.messages_sent)
    return 200, soap.response(request.name, messages)


def _schema_refusal(request: soap.Request) -> bytes | None:
    """Exchange's answer to a request its schemas refuse, or None: the whole request against messages.xsd
    when `EWS_SCHEMAS` names them (`xsd.py`), else the sandbox's own check of item elements."""
    schemas = xsd.installed()
    if schemas is None:
        invalid = schema_violation(request.operation)
        return soap.fault("ErrorSchemaValidation", invalid) if invalid else None
    for element in (*request.header_elements, request.operation):
        violation = schemas.violation(element)
        if violation is not None:
            conformance.record("request", request.name, violation)
            return soap.schema_fault(violation.text, violation.line, violation.column)
    conformance.record("request", request.name, None)
    return None


def _fault(service: Service, fault: str) -> Reply:
    """The answer to an injected fault: busy, unavailable, or a dropped connection."""
    if fault == "reset":
        return Reply(0, reset=True)  # the caller adds the mailbox and operation
    if fault == "unavailable":
        busy = soap.fault("ErrorServerBusy", "The service is unavailable.")
        return Reply(503, busy, (("Retry-After", "1"),))
    backoff = service.faults.options.busy_backoff_ms
    return Reply(
        500,
        soap.fault(
            "ErrorServerBusy",
            "The server cannot service this request right now. Try again later.",
            back_off_ms=backoff,
        ),
    )
