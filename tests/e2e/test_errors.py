"""Errors a user can act on: one line naming the endpoint or mailbox and the likely fix, exit 1, never a
traceback and never the secret. Each is produced by the real exchangelib client against a real server (the
sandbox, set up as the failing Exchange would be) or a closed port."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import exchangelib
import pytest
import yaml
from typer.testing import CliRunner

from reconciler.cli import app
from reconciler.sandbox import Sandbox
from reconciler.sandbox.directory import Directory
from reconciler.sandbox.faults import FaultOptions
from tests.e2e.conftest import SYNC

SECRET = "s3cret-Password!"


def _project(tmp_path: Path, target: dict, organizers: tuple[str, ...] = ("lead@example.com",)) -> Path:
    (tmp_path / "meetings").mkdir(exist_ok=True)
    (tmp_path / "meetings" / "sync.yaml").write_text(SYNC)
    config = tmp_path / "reconciler.yaml"
    config.write_text(yaml.safe_dump({"namespace": "err", "organizers": list(organizers), "target": target}))
    return config


def _plan(config: Path, monkeypatch: pytest.MonkeyPatch, password: str = SECRET) -> tuple[int, str]:
    monkeypatch.setenv("EWS_USERNAME", "svc@example.com")
    monkeypatch.setenv("EWS_PASSWORD", password)
    result = CliRunner().invoke(app, ["plan", "--config", str(config)])
    exchangelib.close_connections()
    assert "Traceback" not in result.output and password not in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    return result.exit_code, result.output


BASIC = {"auth": "basic", "username_env": "EWS_USERNAME", "password_env": "EWS_PASSWORD"}


def test_unreachable_endpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    endpoint = f"http://127.0.0.1:{port}/EWS/Exchange.asmx"
    code, out = _plan(_project(tmp_path, {"kind": "ews", "endpoint": endpoint, **BASIC}), monkeypatch)
    assert code == 1
    assert out.startswith(f"cannot reach {endpoint} (connection refused): check target.endpoint")


def test_wrong_password_fails_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With an hour of retry budget, a 401 treated as throttling would hang here until the test timeout."""
    with Sandbox(password=SECRET) as sb:
        target = {"kind": "ews", "endpoint": sb.endpoint, **BASIC, "max_wait_seconds": 3600}
        code, out = _plan(_project(tmp_path, target), monkeypatch, password="wrong-" + SECRET)
    assert code == 1
    assert out.startswith(
        f"{sb.endpoint} refused the credentials (HTTP 401): check the user name and password in "
        "$EWS_USERNAME and $EWS_PASSWORD"
    )


def test_unknown_mailbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Sandbox(directory=Directory(mailboxes=frozenset({"lead@example.com", "svc@example.com"}))) as sb:
        target = {"kind": "ews", "endpoint": sb.endpoint, **BASIC}
        config = _project(tmp_path, target, ("lead@example.com", "gone@example.com"))
        code, out = _plan(config, monkeypatch)
    assert code == 1
    assert out.startswith(f"mailbox gone@example.com does not exist on {sb.endpoint}: check the address")


def test_missing_impersonation_right(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Sandbox(directory=Directory(impersonation=False)) as sb:
        code, out = _plan(_project(tmp_path, {"kind": "ews", "endpoint": sb.endpoint, **BASIC}), monkeypatch)
    assert code == 1
    assert out.startswith(
        "the service account may not impersonate mailbox lead@example.com: grant it the "
        "ApplicationImpersonation role"
    )


def test_throttled_beyond_the_retry_budget(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Sandbox(faults=FaultOptions(busy_rate=1.0, busy_backoff_ms=5000)) as sb:
        target = {"kind": "ews", "endpoint": sb.endpoint, **BASIC, "max_wait_seconds": 1}
        code, out = _plan(_project(tmp_path, target), monkeypatch)
    assert code == 1
    assert out.startswith(
        f"{sb.endpoint} kept throttling requests for mailbox lead@example.com beyond "
        "target.max_wait_seconds (1 s)"
    )


def test_tls_failure_names_ca_bundle_and_a_private_ca_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Sandbox(tls=True) as sb:  # a certificate from a private CA the client does not know yet
        assert sb.ca_path is not None
        shutil.copy(sb.ca_path, tmp_path / "ca.pem")
        endpoint = sb.endpoint
        target = {"kind": "ews", "endpoint": endpoint, **BASIC}
        code, out = _plan(_project(tmp_path, target), monkeypatch)
        assert code == 1
        assert out.startswith(f"TLS verification of {endpoint} failed: ") and "target.ca_bundle" in out
        config = _project(tmp_path, {**target, "ca_bundle": "ca.pem"})
        monkeypatch.setenv("EWS_USERNAME", "lead@example.com")
        result = CliRunner().invoke(app, ["plan", "--config", str(config)])
        exchangelib.close_connections()
    assert result.exit_code == 0, result.output
    assert "+ create    sync" in result.output


def test_graph_tls_failure_names_ca_bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Over Graph too (tokens first, then requests), an untrusted certificate says what to do."""
    from tests.e2e.conftest import sandbox_target

    with Sandbox(tls=True) as sb:
        target = {k: v for k, v in sandbox_target(sb, monkeypatch).items() if k != "ca_bundle"}
        code, out = _plan(_project(tmp_path, target), monkeypatch)
    assert code == 1
    assert (
        out.startswith(f"TLS verification of {sb.authority}/sandbox failed: ") and "target.ca_bundle" in out
    )
