"""The CLI starts and lists its commands."""

from typer.testing import CliRunner

from reconciler.cli import app


def test_help_lists_commands() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("validate", "schema", "schedule", "sandbox"):
        assert command in result.output
