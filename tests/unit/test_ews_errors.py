"""One-line explanations of EWS failures (`backends/ews/errors.py`)."""

from __future__ import annotations

from exchangelib.errors import UnauthorizedError

from reconciler.backends.ews.errors import explain


def test_a_401_is_refused_credentials_whatever_the_port_holds() -> None:
    """The status decides, not a 403 somewhere in the address (port 35403)."""
    endpoint = "https://127.0.0.1:35403/EWS/Exchange.asmx"
    said = explain(UnauthorizedError(f"HTTP 401 from {endpoint}"), endpoint, None, "$EWS_PASSWORD", 10)
    assert "refused the credentials (HTTP 401)" in said
    forbidden = explain(UnauthorizedError(f"HTTP 403 from {endpoint}"), endpoint, None, "$EWS_PASSWORD", 10)
    assert "forbids this account (HTTP 403)" in forbidden
