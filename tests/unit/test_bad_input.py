"""Every bad input produces exactly the expected problems, at the exact file, line and column."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from reconciler.cli import app
from reconciler.desired.load import load_meetings
from tests.unit.bad_inputs import CASES


@pytest.mark.parametrize("name", sorted(CASES))
def test_problem_position_and_message(name: str, meetings_dir) -> None:
    files, expected = CASES[name]
    root = meetings_dir(files)
    result = load_meetings(root)
    assert [str(p) for p in result.problems] == expected
    assert not result.ok


@pytest.mark.parametrize("name", sorted(CASES))
def test_cli_reports_without_traceback(name: str, meetings_dir) -> None:
    files, expected = CASES[name]
    root = meetings_dir(files)
    result = CliRunner().invoke(app, ["validate", str(root)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    for line in expected:
        assert line in result.output


def test_at_least_forty_cases() -> None:
    assert len(CASES) >= 40
