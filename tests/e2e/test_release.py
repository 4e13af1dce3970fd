"""`release: true`: a meeting leaves management without a cancellation, over EWS and over Graph.

The marker goes (EWS deletes its properties; Graph, which cannot remove an extended property, empties them),
nothing is sent, the meeting stays as it was in the organizer's and the attendees' calendars, and later plans
no longer see it, with the file or without.
"""

from __future__ import annotations

import json

from reconciler.sandbox.store import Store
from tests.calendars import meetings_in
from tests.e2e.conftest import REVIEW

KEY = "ext:PublicStrings:reconciler-key:String"
PEOPLE = ("lead@example.com", "carol@example.com", "room-oak@example.com")


def _store(project) -> Store:  # type: ignore[no-untyped-def]
    return project.sandbox.store if project.sandbox is not None else project.store()


def _held(project) -> dict[str, list[tuple[str, str, str]]]:  # type: ignore[no-untyped-def]
    """Each person's copies of the review: (subject, start, location), and what is in their inboxes."""
    store = _store(project)
    out = {}
    for person in PEOPLE:
        out[person] = [
            (i.get("item:Subject"), str(i.get("calendar:Start")), i.get("calendar:Location"))
            for i in meetings_in(store, person)
            if i.get("item:Subject") == "Design review"
        ]
        out[person + " inbox"] = [str(i.get("item:Subject")) for i in store.items(person, "inbox")]
    return out


def test_a_released_meeting_stays_everywhere_unmanaged_and_nothing_is_sent(either) -> None:
    p = either
    assert p.cli("apply", "--auto-approve").exit_code == 0
    before = _held(p)
    assert before["lead@example.com"] and before["carol@example.com"]
    p.write("review.yaml", REVIEW + "release: true\n")
    plan = json.loads(p.cli("plan", "--format", "json").stdout)
    assert [(c["action"], c["key"], c["messages"]) for c in plan["changes"]] == [("release", "review", 0)]
    assert plan["summary"]["release"] == 1 and plan["summary"]["cancel"] == 0
    shown = p.cli("plan").output
    assert "= release   review" in shown and "unmanaged, sends nothing" in shown
    applied = p.cli("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert _held(p) == before  # the same meeting in every calendar, and no message anywhere
    lead = meetings_in(_store(p), "lead@example.com")
    review = [i for i in lead if i.get("item:Subject") == "Design review"]
    assert len(review) == 1 and not review[0].get(KEY)  # no marker (Graph leaves it empty)
    assert p.cli("plan", "--detailed-exitcode").exit_code == 0
    p.remove("review.yaml")  # the file can go: nothing is cancelled
    assert p.cli("plan", "--detailed-exitcode").exit_code == 0
    assert _held(p) == before
    # it belongs to its organizer again: `import` finds it, and a file may adopt it back
    imported = p.cli("import", "--organizer", "lead@example.com", "--subject-contains", "Design review")
    assert imported.exit_code == 0, imported.output
    assert [c["action"] for c in p.plan_json()["changes"]] == ["adopt"]
