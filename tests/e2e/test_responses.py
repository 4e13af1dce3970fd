"""Attendees' answers, made with `reconciler sandbox respond`, read back by `responses` and `show`."""

from __future__ import annotations

import json

import pytest


def respond(project, address: str, answer: str, subject: str, db: str) -> None:
    from reconciler.cli import app

    result = project.runner.invoke(
        app, ["sandbox", "respond", address, answer, "--subject", subject, "--db", db]
    )
    assert result.exit_code == 0, result.output


@pytest.fixture(params=["ews", "graph"])
def answered(request):
    """Both meetings applied, alice accepted and bob declined the sync, carol tentatively took the review."""
    p = request.getfixturevalue("project" if request.param == "ews" else "graph_project")
    db = str(p.sandbox.store.path) if request.param == "ews" else str(p.db)
    assert p.cli("apply", "--auto-approve").exit_code == 0
    respond(p, "alice@example.com", "accept", "Team sync", db)
    respond(p, "bob@example.com", "decline", "Team sync", db)
    respond(p, "carol@example.com", "tentative", "Design review", db)
    return p


def test_responses_counts_and_who_declined(answered) -> None:
    text = answered.cli("responses")
    assert text.exit_code == 0, text.output
    lines = text.output.splitlines()
    assert lines[0].startswith("review") and "accepted 0 · tentative 1 · declined 0 · no answer 0" in lines[0]
    assert "accepted 1 · tentative 0 · declined 1 · no answer 0  · declined: bob@example.com" in lines[1]
    markdown = answered.cli("responses", "sync", "--format", "markdown").output
    assert markdown.splitlines()[2].startswith("| `sync` Team sync | 1 | 0 | 1 | 0 | bob@")
    data = json.loads(answered.cli("responses", "--format", "json").output)
    review = next(d for d in data if d["key"] == "review")
    assert review["counts"] == {
        "accepted": 0,
        "tentative": 1,
        "declined": 0,
        "none": 0,
    }  # the room is no person
    assert {r["address"]: r["answer"] for r in review["responses"]} == {
        "carol@example.com": "tentative",
        "room-oak@example.com": "accepted",  # the room's booking attendant answered for itself
    }
    assert next(r for r in review["responses"] if r["answer"] == "tentative")["at"]
    missing = answered.cli("responses", "nope")
    assert missing.exit_code == 1 and "no managed meeting with key nope" in missing.output


def test_show_is_for_people_and_tools(answered) -> None:
    shown = answered.cli("show", "sync")
    assert shown.exit_code == 0, shown.output
    assert "Meeting(" not in shown.output and "Attendees(" not in shown.output
    assert "every week on Mon" in shown.output or "Mon 10:00–10:30" in shown.output
    lines = shown.output.splitlines()
    assert any(line.split()[:3] == ["alice@example.com", "required", "accepted"] for line in lines)
    assert any(line.split()[:3] == ["bob@example.com", "required", "declined"] for line in lines)
    data = json.loads(answered.cli("show", "sync", "--format", "json").output)
    assert data["differences"] == [] and len(data["next_occurrences"]) == 5
    assert {r["address"]: r["answer"] for r in data["responses"]} == {
        "alice@example.com": "accepted",
        "bob@example.com": "declined",
    }
