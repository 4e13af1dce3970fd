"""reconciler.yaml: defaults, validation with positions, and the TLS/http rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.config import ConfigError, load_config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "reconciler.yaml"
    path.write_text(text)
    return path


def test_defaults_and_relative_paths(tmp_path: Path) -> None:
    s = load_config(write(tmp_path, "namespace: team\norganizers: [a@example.com]\n"))
    assert s.namespace == "team" and s.meetings == tmp_path / "meetings"
    assert s.target.kind == "sandbox" and s.target.path == str(tmp_path / ".reconciler/sandbox.sqlite3")
    assert s.policy.prune and s.policy.notify.update == "all" and s.policy.message_rate_per_minute == 30


def test_environment_variable_selects_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = "namespace: from-env\norganizers: [a@example.com]\n"
    monkeypatch.setenv("RECONCILER_CONFIG", str(write(tmp_path, text)))
    assert load_config().namespace == "from-env"


@pytest.mark.parametrize(
    "text,expected",
    [
        (
            "namespace: team\norganizers: [a@example.com]\npolcy: {}\n",
            "reconciler.yaml:3:1: polcy: unknown key; did you mean 'policy'?",
        ),
        ("namespace: Team X\n", "reconciler.yaml:1:12: namespace: 'Team X' is not lower-case letters"),
        ("namespace: team\n", "reconciler.yaml:1:1: missing required key 'organizers'"),
        (
            "namespace: team\norganizers: [lead]\n",
            "reconciler.yaml:2:14: organizers[0]: 'lead' is not an e-mail address",
        ),
        (
            "namespace: t\norganizers: [a@example.com]\ntarget: {kind: ews, endpoint: 'http://mail.example.com/EWS/Exchange.asmx'}\n",
            "target.endpoint: plain http is allowed only for loopback; use https",
        ),
        (
            "namespace: t\norganizers: [a@example.com]\ntarget: {kind: ews, endpoint: 'https://mail.example.com/EWS',\n"
            "  verify_tls: false}\n",
            "target.verify_tls: TLS verification cannot be switched off for a non-loopback endpoint",
        ),
        (
            "namespace: t\norganizers: [a@example.com]\ntarget: {kind: ews}\n",
            "target: missing required key 'endpoint'",
        ),
        (
            "namespace: t\norganizers: [a@example.com]\npolicy: {notify: {cancel: changed}}\n",
            "policy.notify.cancel: 'changed' is not allowed",
        ),
    ],
)
def test_bad_configuration(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(write(tmp_path, text))
    assert expected in str(raised.value)


def test_loopback_http_is_allowed(tmp_path: Path) -> None:
    s = load_config(
        write(
            tmp_path,
            "namespace: t\norganizers: [a@example.com]\ntarget: {kind: ews, endpoint: 'http://127.0.0.1:8765/EWS/"
            "Exchange.asmx', auth: none, verify_tls: false}\n",
        )
    )
    assert s.target.endpoint.startswith("http://127.0.0.1") and not s.target.verify_tls


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no configuration file"):
        load_config(tmp_path / "nope.yaml")


def test_a_secret_where_a_variable_name_belongs_is_refused_without_echoing_it(tmp_path: Path) -> None:
    from reconciler.config import ConfigError, load_config

    config = tmp_path / "reconciler.yaml"
    config.write_text(
        "namespace: x\ntarget:\n  kind: ews\n  endpoint: https://mail.example.com/EWS/Exchange.asmx\n"
        "  username_env: EWS_USER\n  password_env: 'Hunter2-MyRealPassword!'\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    message = str(caught.value)
    assert "Hunter2" not in message
    assert "target.password_env: is not the name of an environment variable" in message
