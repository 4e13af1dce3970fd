"""The repository's files stay inside it: a link to a file outside is named and refused, never read."""

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
SECRET = "root:$6$saltsalt$hashedpasswordhashedpassword:20228:0:99999:7:::\nsvc:*:20228:0:99999:7:::\n"


def _repo(tmp_path: Path) -> tuple[Path, Path]:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "meetings").mkdir()
    (repo / "meetings" / "sync.yaml").write_text(MEETING)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "shadow").write_text(SECRET)
    return repo, outside


def test_a_groups_file_linked_outside_the_repository_is_named_and_not_read(tmp_path: Path) -> None:
    repo, outside = _repo(tmp_path)
    (repo / "meetings" / "_groups.yaml").symlink_to(outside / "shadow")
    result = CliRunner().invoke(app, ["validate", str(repo / "meetings")])
    assert result.exit_code == 1
    assert "_groups.yaml:1:1: is a link to a file outside the repository" in result.output
    assert "saltsalt" not in result.output and "hashedpassword" not in result.output
    assert "svc" not in result.output and "99999" not in result.output


def test_a_meeting_linked_from_outside_is_refused_not_counted(tmp_path: Path) -> None:
    repo, outside = _repo(tmp_path)
    (outside / "extra.yaml").write_text(MEETING.replace("key: sync", "key: extra"))
    (repo / "meetings" / "extra.yaml").symlink_to(outside / "extra.yaml")
    (repo / "meetings" / "_defaults.yaml").symlink_to(outside / "shadow")
    result = CliRunner().invoke(app, ["validate", str(repo / "meetings")])
    assert result.exit_code == 1
    assert "extra.yaml:1:1: is a link to a file outside the repository" in result.output
    assert "_defaults.yaml:1:1: is a link to a file outside the repository" in result.output
    assert "svc" not in result.output


def test_a_link_inside_the_repository_is_fine(tmp_path: Path) -> None:
    repo, _ = _repo(tmp_path)
    (repo / "shared").mkdir()
    (repo / "shared" / "review.yaml").write_text(MEETING.replace("key: sync", "key: review"))
    (repo / "meetings" / "review.yaml").symlink_to(repo / "shared" / "review.yaml")
    result = CliRunner().invoke(app, ["validate", str(repo / "meetings")])
    assert result.exit_code == 0, result.output
