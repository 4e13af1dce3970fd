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


def test_unknown_distinguished_folder_is_a_per_item_error(sandbox) -> None:
    body = RAW.format(
        "<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>"
        '<m:FolderIds><t:DistinguishedFolderId Id="nowhere"/></m:FolderIds></m:GetFolder>'
    )
    r = post(sandbox, body)
    assert r.status_code == 200 and "ErrorFolderNotFound" in r.text


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "example.com"])
def test_non_loopback_hosts_are_refused(host: str) -> None:
    with pytest.raises(ValueError, match=r"loopback|resolve"):
        Sandbox(host=host)


def test_serve_command_refuses_non_loopback() -> None:
    result = CliRunner().invoke(app, ["sandbox", "serve", "--host", "0.0.0.0", "--db", ":memory:"])
    assert result.exit_code == 1 and "only serves loopback" in result.output
