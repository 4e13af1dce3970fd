"""`reconciler show KEY`: files and calendar side by side, differences marked, next occurrences."""

from __future__ import annotations

from exchangelib.items import SEND_TO_NONE


def test_show_marks_differences(project) -> None:
    assert project.cli("apply", "--auto-approve").exit_code == 0
    item = project.account("lead@example.com").calendar.get(subject="Design review")
    item.location = "Roof"
    item.save(update_fields=["location"], send_meeting_invitations=SEND_TO_NONE)
    result = project.cli("show", "review")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("review: in the files · in lead@example.com's calendar")
    [location] = [line for line in lines if " location " in line]
    assert location.startswith("! location") and "Oak room" in location and location.endswith("Roof")
    assert [line for line in lines if line.startswith("!")] == [location]
    assert lines[-1] == "next occurrences: Wed 2027-01-06 14:00"
    raw = project.cli("show", "review", "--raw")
    assert "the calendar item as the target returns it:" in raw.output
    assert "reconciler_key: 'review'" in raw.output


def test_show_unknown_key(project) -> None:
    result = project.cli("show", "nope")
    assert result.exit_code == 1 and "no meeting with key 'nope'" in result.output
