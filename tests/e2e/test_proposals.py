"""An attendee proposes a new time with a tentative answer ("Propose a new meeting time by using EWS"): the
organizer's item records it, and `responses` and `show` say it, over EWS and over Graph."""

from __future__ import annotations

import json
from datetime import timedelta

from exchangelib import EWSDateTime
from exchangelib.items import SEND_AND_SAVE_COPY

from tests.calendars import meetings_of


def _applied_and_proposed(p, length: timedelta) -> None:  # type: ignore[no-untyped-def]
    """Apply, then Carol answers tentatively, proposing 15:00 UTC on the review's day for `length`."""
    assert p.cli("apply", "--auto-approve").exit_code == 0
    carol = p.account("carol@example.com")
    [copy] = [i for i in meetings_of(carol) if i.subject == "Design review"]
    start = EWSDateTime.from_string("2027-01-06T15:00:00Z")
    copy.tentatively_accept(
        proposed_start=start, proposed_end=start + length, message_disposition=SEND_AND_SAVE_COPY
    )


def test_a_proposed_new_time_is_shown_by_responses_and_show(either) -> None:
    p = either
    _applied_and_proposed(p, timedelta(hours=1))
    said = p.cli("responses")
    assert said.exit_code == 0, said.output
    assert "carol@example.com proposes 2027-01-06 15:00–16:00 UTC" in said.output
    shown = p.cli("show", "review")
    assert "tentative" in shown.output and "proposes 2027-01-06 15:00–16:00 UTC" in shown.output
    data = json.loads(p.cli("responses", "--format", "json").stdout)
    [review] = [m for m in data if m["key"] == "review"]
    [answer] = [r for r in review["responses"] if r["address"] == "carol@example.com"]
    assert answer["answer"] == "tentative" and answer["proposed"][0].startswith("2027-01-06T15:00")
    assert p.cli("plan", "--detailed-exitcode").exit_code == 0  # an answer is no change to the meeting


def test_pull_proposals_writes_the_proposed_time_for_review(either) -> None:
    p = either
    _applied_and_proposed(p, timedelta(minutes=30))
    before = (p.root / "meetings" / "review.yaml").read_text()
    assert "Nothing drifted" in p.cli("pull").output  # a proposal is no edit of the meeting
    assert (p.root / "meetings" / "review.yaml").read_text() == before
    pulled = p.cli("pull", "--proposals")
    assert pulled.exit_code == 0, pulled.output
    assert "review: start, duration as carol@example.com proposed" in pulled.output
    after = (p.root / "meetings" / "review.yaml").read_text()
    assert "start: 2027-01-06T16:00  # proposed by carol@example.com (tentative); merge to accept" in after
    assert "duration: 30m" in after and after.count("\n") == before.count("\n")
    plan = p.plan_json()  # merging it would move the meeting: an update the files make
    assert [(c["action"], c["key"]) for c in plan["changes"]] == [("update", "review")]
