"""Bad input ends in one line that says what to change, never a traceback; long problem lists are capped."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from reconciler.cli import app

MEETING = """\
key: sync
subject: Sync
organizer: lead@example.com
timezone: Europe/Amsterdam
start: 2027-01-04T10:00
duration: 30m
"""


def test_export_ics_to_a_place_it_cannot_write(tmp_path: Path) -> None:
    (tmp_path / "meetings").mkdir()
    (tmp_path / "meetings" / "sync.yaml").write_text(MEETING)
    (tmp_path / "reconciler.yaml").write_text(
        "namespace: x\nmeetings: meetings\norganizers: [lead@example.com]\n"
    )
    blocker = tmp_path / "taken"
    blocker.write_text("a file, not a folder")
    result = CliRunner().invoke(
        app, ["export", "ics", "--config", str(tmp_path / "reconciler.yaml"), "--out", str(blocker)]
    )
    assert (result.exit_code == 1 and result.exception is None) or isinstance(result.exception, SystemExit)
    assert f"cannot write {blocker}" in result.output and "Traceback" not in result.output


def test_a_file_that_is_not_a_sandbox_database(tmp_path: Path) -> None:
    bogus = tmp_path / "not.sqlite3"
    bogus.write_text("not a database at all, but long enough to look like a file" * 10)
    for args in (
        ["mailbox", "alice@example.com"],
        ["respond", "alice@example.com", "accept", "--subject", "x"],
    ):
        result = CliRunner().invoke(app, ["sandbox", *args, "--db", str(bogus)])
        assert result.exit_code == 1, result.output
        assert f"{bogus} is not a sandbox database" in result.output and "Traceback" not in result.output


def test_thousands_of_problems_are_capped_with_a_count(tmp_path: Path) -> None:
    (tmp_path / "meetings").mkdir()
    for n in range(450):
        (tmp_path / "meetings" / f"m{n:03d}.yaml").write_text("\n")
    result = CliRunner().invoke(app, ["validate", str(tmp_path / "meetings")])
    lines = result.output.splitlines()
    assert result.exit_code == 1 and len(lines) == 202
    assert lines[-2] == "… and 250 more not shown (fix these first)"
    assert lines[-1] == "450 problems found; nothing was changed."
