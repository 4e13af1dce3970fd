"""The HTTP edge: wrong paths, methods, bodies and operations get proper SOAP errors; loopback only."""

from __future__ import annotations

import pytest
import requests
from typer.testing import CliRunner

from reconciler.cli import app
from reconciler.sandbox import Sandbox
from reconciler.sandbox.server import MAX_BODY
from tests.sandbox.test_items import RAW


def post(sandbox, body: str | bytes, path: str | None = None) -> requests.Response:
    url = sandbox.endpoint if path is None else sandbox.endpoint.rsplit("/EWS", 1)[0] + path
    return requests.post(url, data=body, timeout=10)


def test_path_is_matched_case_insensitively(sandbox) -> None:
    body = RAW.format(
        "<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>"
        '<m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>'
    )
    r = post(sandbox, body, "/ews/EXCHANGE.asmx")
    assert r.status_code == 200 and 'ResponseClass="Success"' in r.text


def test_wrong_path_is_404_with_soap_body(sandbox) -> None:
    r = post(sandbox, RAW.format("<m:GetFolder/>"), "/owa/")
    assert r.status_code == 404 and "ServerVersionInfo" in r.text


@pytest.mark.parametrize(
    "body,code",
    [
        (b"<not xml", "ErrorSchemaValidation"),
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', "ErrorSchemaValidation"),
        (b"<x/>", "ErrorSchemaValidation"),
        (RAW.format("<m:SubscribeToEverything/>").encode(), "ErrorInvalidRequest"),
    ],
)
def test_bad_requests_get_soap_faults(sandbox, body: bytes, code: str) -> None:
    r = post(sandbox, body)
    assert r.status_code == 500
    assert "<s:Fault>" in r.text and code in r.text and "Traceback" not in r.text
    assert "ServerVersionInfo" in r.text


def test_oversized_body_is_refused(sandbox) -> None:
    r = post(sandbox, b"x" * (MAX_BODY + 1))
    assert r.status_code == 413 and "ServerVersionInfo" in r.text


def test_get_is_not_allowed(sandbox) -> None:
    r = requests.get(sandbox.endpoint, timeout=10)
    assert r.status_code == 405


UNKNOWN_FOLDER = RAW.format(
    "<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>"
    '<m:FolderIds><t:DistinguishedFolderId Id="nowhere"/></m:FolderIds></m:GetFolder>'
)


def test_unknown_distinguished_folder_fails_schema_validation(sandbox, ews_conformance) -> None:
    """types.xsd DistinguishedFolderIdNameType is an enumeration: Exchange refuses a name outside it before
    reading the request, as a SOAP fault naming the attribute (with the schemas at hand)."""
    r = post(sandbox, UNKNOWN_FOLDER)
    assert r.status_code == 500 and "a:ErrorSchemaValidation" in r.text
    assert "The 'Id' attribute is invalid" in r.text
    assert "The Enumeration constraint failed" in r.text


def test_unknown_distinguished_folder_without_the_schemas_is_a_per_item_error(sandbox, monkeypatch) -> None:
    """Without Microsoft's schemas the sandbox reads the request and answers the folder as not found."""
    monkeypatch.delenv("EWS_SCHEMAS", raising=False)
    r = post(sandbox, UNKNOWN_FOLDER)
    assert r.status_code == 200 and "ErrorFolderNotFound" in r.text


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "example.com"])
def test_non_loopback_hosts_are_refused(host: str) -> None:
    with pytest.raises(ValueError, match=r"loopback|resolve"):
        Sandbox(host=host)


def test_serve_command_refuses_non_loopback() -> None:
    result = CliRunner().invoke(app, ["sandbox", "serve", "--host", "0.0.0.0", "--db", ":memory:"])
    assert result.exit_code == 1 and "only serves loopback" in result.output


def _raw(sandbox, data: bytes, wait: float = 10) -> bytes:
    """What the server sends back on one connection for raw bytes, until it closes it (or `wait` passes)."""
    import socket

    host, port = sandbox.server.server_address
    with socket.create_connection((host, port), timeout=wait) as conn:
        conn.sendall(data)
        out = b""
        try:
            while chunk := conn.recv(65536):
                out += chunk
        except TimeoutError:
            out += b"<still open>"
    return out


def test_content_length_with_transfer_encoding_is_refused_and_the_connection_closed(sandbox) -> None:
    """RFC 9112 §6.3: a server may reject such a request and must close the connection: the request
    smuggled after it is never answered."""
    smuggled = (
        b"POST /EWS/Exchange.asmx HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n"
        b"\r\n0\r\n\r\nGET /v1.0/users/x/events HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    answer = _raw(sandbox, smuggled)
    assert answer.startswith(b"HTTP/1.1 400 ") and answer.count(b"HTTP/1.1") == 1
    assert b"<still open>" not in answer and b"Transfer-Encoding" in answer


def test_a_lying_content_length_is_timed_out(monkeypatch) -> None:
    from reconciler.sandbox import server

    monkeypatch.setattr(server, "TIMEOUT", 1.0)
    with Sandbox() as sb:
        answer = _raw(sb, b"POST /EWS/Exchange.asmx HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nshort")
        assert answer.startswith(b"HTTP/1.1 408 ") or answer == b""
        assert b"<still open>" not in answer
        assert requests.get(sb.endpoint, timeout=10).status_code == 405  # still serving


def test_slow_clients_are_cut_off_and_others_served_meanwhile(monkeypatch) -> None:
    """Ten clients sending a request a byte at a time, steadily enough that no single read times out."""
    import socket
    import threading
    import time

    from reconciler.sandbox import server

    monkeypatch.setattr(server, "RECEIVE_DEADLINE", 2.0)
    closed_after: list[float] = []
    with Sandbox() as sb:
        host, port = sb.server.server_address

        def dribble() -> None:
            start = time.monotonic()
            with socket.create_connection((host, port), timeout=10) as conn:
                try:
                    for byte in b"POST /EWS/Exchange.asmx HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 60:
                        conn.sendall(bytes([byte]))
                        time.sleep(0.2)
                        conn.setblocking(False)
                        try:
                            if conn.recv(1) == b"":
                                break
                        except BlockingIOError:
                            pass
                        finally:
                            conn.setblocking(True)
                except OSError:
                    pass
            closed_after.append(time.monotonic() - start)

        slow = [threading.Thread(target=dribble) for _ in range(10)]
        for t in slow:
            t.start()
        time.sleep(1.0)
        started = time.monotonic()
        assert requests.get(sb.endpoint, timeout=10).status_code == 405
        assert time.monotonic() - started < 1.0  # served while the slow ones dribble
        for t in slow:
            t.join(timeout=30)
    assert len(closed_after) == 10 and max(closed_after) < 6, closed_after


def test_a_dtd_is_refused_whatever_the_encoding(sandbox) -> None:
    body = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>'
    r = post(sandbox, body.encode("utf-16"))
    assert r.status_code == 500 and "Document type declarations are not allowed" in r.text
