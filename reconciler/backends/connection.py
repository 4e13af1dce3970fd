"""Why a connection to a target failed and what to do about it: one wording for EWS and Graph alike.

Both protocols reach their servers through requests/urllib3, whose exceptions wrap each other; the cause
is read from the whole chain's names and texts.
"""

from __future__ import annotations

UNREACHABLE = (
    "Connection refused",
    "Name or service not known",
    "nodename nor servname",
    "Temporary failure in name resolution",
    "Failed to establish a new connection",
    "timed out",
    "Max retries exceeded",
)
REASONS = (
    "Connection refused",
    "Name or service not known",
    "Temporary failure in name resolution",
    "timed out",
    "Connection reset",
    "RemoteDisconnected",
)


def chain(exc: BaseException) -> list[BaseException]:
    """`exc` and what caused it, outermost first (each once)."""
    out: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and seen not in out:
        out.append(seen)
        seen = (
            seen.__cause__
            or seen.__context__
            or (seen.args[0] if seen.args and isinstance(seen.args[0], BaseException) else None)
        )
    return out


def says(exc: BaseException, *words: str) -> bool:
    text = " ".join(f"{type(e).__name__} {e}" for e in chain(exc)).lower()
    return any(w.lower() in text for w in words)


def reason(exc: BaseException) -> str:
    return next((phrase.lower() for phrase in REASONS if says(exc, phrase)), "no connection")


def tls_problem(exc: BaseException, endpoint: str) -> str | None:
    """What to do when `endpoint`'s certificate was not trusted; None for other failures."""
    if not says(exc, "SSLError", "CERTIFICATE_VERIFY_FAILED", "certificate verify failed"):
        return None
    return (
        f"TLS verification of {endpoint} failed: if the server's certificate comes from a private CA, "
        "set target.ca_bundle to that CA's PEM file (verification is never switched off)"
    )


def unreachable_problem(exc: BaseException, endpoint: str, setting: str = "target.endpoint") -> str | None:
    """What to do when no connection to `endpoint` could be made; None for other failures."""
    if not says(exc, *UNREACHABLE):
        return None
    return (
        f"cannot reach {endpoint} ({reason(exc)}): check {setting}, that the server is up, "
        "and any proxy or firewall between"
    )


def connection_problem(exc: BaseException, endpoint: str, setting: str = "target.endpoint") -> str | None:
    """Either of the above, TLS first (an untrusted certificate also ends the connection)."""
    return tls_problem(exc, endpoint) or unreachable_problem(exc, endpoint, setting)
