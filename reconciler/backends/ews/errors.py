"""What went wrong talking to Exchange, in one line a user can act on; and a retry policy that never waits
on a credential error.

exchangelib's `FaultTolerance` treats HTTP 401 as throttling ("EWS sometimes throws 401's when it wants us
to throttle") and backs off until `max_wait`, so a wrong password used to wait minutes and end in
`RateLimitError`. `Patient` fails a 401 at once; throttling (ErrorServerBusy with BackOffMilliseconds,
503) is still retried up to `max_wait_seconds`.
"""

from __future__ import annotations

from exchangelib.errors import (
    CASError,
    ErrorAccessDenied,
    ErrorImpersonateUserDenied,
    ErrorImpersonationDenied,
    ErrorMailboxStoreUnavailable,
    ErrorNonExistentMailbox,
    ErrorSendAsDenied,
    ErrorServerBusy,
    ErrorTimeoutExpired,
    MalformedResponseError,
    RateLimitError,
    RedirectError,
    TransportError,
    UnauthorizedError,
)
from exchangelib.protocol import FaultTolerance

from reconciler.backends import access
from reconciler.backends.base import NOT_RETRYABLE
from reconciler.backends.connection import reason, says, tls_problem, unreachable_problem


class Patient(FaultTolerance):
    """Retries throttling and transient faults up to `max_wait`; fails authentication errors at once."""

    def raise_response_errors(self, response):  # type: ignore[no-untyped-def]
        if response.status_code == 401:
            raise UnauthorizedError(f"HTTP 401 from {response.url}")
        if response.status_code == 403:
            raise UnauthorizedError(f"HTTP 403 from {response.url}")
        return super().raise_response_errors(response)


def explain(
    exc: BaseException,
    endpoint: str,
    mailbox: str | None,
    credentials: str,
    max_wait: float,
    writing: bool = False,
) -> str:
    """One line: what failed, naming the endpoint or mailbox, and the likely fix. Never a secret."""
    who = f"mailbox {mailbox}" if mailbox else endpoint
    if isinstance(exc, UnauthorizedError) or says(exc, "HTTP 401", "Invalid credentials"):
        if says(exc, "HTTP 403"):  # the status, not any 403: a port number may hold one
            return (
                f"{endpoint} forbids this account (HTTP 403): check that EWS is enabled for it "
                "(Set-CASMailbox -EwsEnabled) and that no EWS application policy blocks this client"
            )
        return (
            f"{endpoint} refused the credentials (HTTP 401): check {credentials}, "
            "and that the account is neither locked nor expired"
        )
    if says(exc, "HTTP 413", "status code 413", "ErrorMessageSizeExceeded", "Request Entity Too Large"):
        return (
            f"{endpoint} refused the request for {who} as too large (HTTP 413 / message size limit): "
            f"shorten the meeting's body or its attendee list (`reconciler validate` checks Exchange's "
            f"limits); {NOT_RETRYABLE}"
        )
    if isinstance(exc, ErrorNonExistentMailbox):
        return (
            f"{who} does not exist on {endpoint}: check the address under `organizers:` and in the "
            "meeting files"
        )
    if mailbox and isinstance(exc, ErrorImpersonateUserDenied | ErrorImpersonationDenied):
        return access.ews(mailbox, access.IMPERSONATE, type(exc).__name__)
    if mailbox and isinstance(exc, ErrorSendAsDenied):
        return access.ews(mailbox, access.SEND, "ErrorSendAsDenied")
    if mailbox and isinstance(exc, ErrorAccessDenied):
        return access.ews(mailbox, access.WRITE if writing else access.READ, "ErrorAccessDenied")
    if isinstance(exc, RateLimitError | ErrorServerBusy) or says(exc, "ErrorServerBusy", "back off"):
        return (
            f"{endpoint} kept throttling requests for {who} beyond target.max_wait_seconds ({max_wait:g} s): "
            "run again later, or raise max_wait_seconds"
        )
    if (problem := tls_problem(exc, endpoint)) is not None:
        return problem
    if says(exc, "RemoteDisconnected", "Connection aborted", "Connection reset"):
        return (
            f"the connection to {endpoint} dropped before its answer ({reason(exc)}): the request may or "
            "may not have taken effect; a re-run converges"
        )
    if (problem := unreachable_problem(exc, endpoint)) is not None:
        return problem
    if isinstance(exc, ErrorMailboxStoreUnavailable | CASError | RedirectError):
        return f"{endpoint} could not serve {who} ({type(exc).__name__}: {exc}); run again later"
    if isinstance(exc, ErrorTimeoutExpired | MalformedResponseError | TransportError):
        return f"{endpoint} gave an unusable answer for {who} ({type(exc).__name__}: {_short(exc)})"
    return f"{type(exc).__name__} from {endpoint} for {who}: {_short(exc)}"


def _short(exc: BaseException, limit: int = 300) -> str:
    text = str(exc)
    return text if len(text) <= limit else text[: limit - 1] + "…"
