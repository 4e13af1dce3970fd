"""What Exchange will not send is refused before anything is sent, at the file and line to change."""

from __future__ import annotations

import textwrap
from pathlib import Path

from typer.testing import CliRunner

from reconciler.cli import app

HEAD = """\
key: big
subject: Big
organizer: lead@example.com
timezone: Europe/Amsterdam
start: 2027-01-04T10:00
duration: 30m
"""


def _validate(tmp_path: Path, text: str) -> tuple[int, str]:
    (tmp_path / "meetings").mkdir()
    (tmp_path / "meetings" / "big.yaml").write_text(text)
    result = CliRunner().invoke(app, ["validate", str(tmp_path / "meetings")])
    return result.exit_code, result.output


def test_a_50_mb_body_is_refused_at_validate_with_its_line_and_the_limit(tmp_path: Path) -> None:
    body = ("x" * 99 + "\n") * (50 * 1024 * 1024 // 100)
    code, output = _validate(tmp_path, HEAD + "body: |\n" + textwrap.indent(body, "  "))
    assert code == 1
    assert "big.yaml:7:7: body: the body is 52,428,800 bytes; a meeting message may be at most 4,194,304" in (
        output
    )
    assert len(output) < 1000  # the body is never echoed


def test_a_body_that_fits_alone_but_not_with_its_attendees_is_refused(tmp_path: Path) -> None:
    people = ", ".join(f"p{n}@example.com" for n in range(400))
    body = "y" * (4 * 1024 * 1024 - 1000)
    code, output = _validate(tmp_path, HEAD + f"attendees:\n  required: [{people}]\nbody: {body}\n")
    assert code == 1 and "body: the message would be about" in output
