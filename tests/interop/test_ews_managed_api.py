"""The EWS Managed API's TypeScript port (`ews-javascript-api` from npm) against the sandbox (`make interop`).

`ews_js/lifecycle.js` drives a meeting's lifecycle the Managed API's way (zone in the TimeZoneContext header,
Bind/Update/BindToOccurrence/CancelMeeting/Accept/Decline) and prints what the client read back; this test
checks it, and the sandbox's store behind it. `make interop` installs the client with `npm ci`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.sandbox import Sandbox

pytestmark = [pytest.mark.interop, pytest.mark.timeout(300)]
HERE = Path(__file__).parent / "ews_js"


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as sb:
        yield sb


def _run(sb: Sandbox) -> dict:
    node = shutil.which("node")
    assert node, "make interop needs Node.js (apt-get install nodejs npm)"
    assert (HERE / "node_modules" / "ews-javascript-api").is_dir(), "run `make interop` (it runs npm ci)"
    done = subprocess.run(
        [node, str(HERE / "lifecycle.js"), sb.endpoint], capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout)


def test_a_meeting_lifecycle_through_the_managed_api(sandbox: Sandbox) -> None:
    seen = _run(sandbox)
    assert seen["single"] == {
        "subject": "JS single",
        "start": "2027-03-15T13:00:00Z",
        "required": ["alice@example.com"],
        "optional": ["bob@example.com"],
        "organizer": "lead@example.com",
        "startZone": "W. Europe Standard Time",  # read from the zone's definition, which Exchange answers
        "timeZone": "W. Europe Standard Time",  # AllProperties' TimeZone, "GetItem operation (calendar item)"
    }
    weekly = [(o["start"], o["type"]) for o in seen["series"]]
    assert weekly == [  # 09:00 in Amsterdam each Monday, before and after the change to summer time
        ("2027-03-22T08:00:00Z", "Occurrence"),
        ("2027-03-29T07:00:00Z", "Occurrence"),
        ("2027-04-05T07:00:00Z", "Occurrence"),
        ("2027-04-12T07:00:00Z", "Occurrence"),
    ]
    assert seen["updated"] == "JS single (moved room)"
    assert [(o["start"], o["type"]) for o in seen["afterOccurrenceChanges"]] == [
        ("2027-03-22T08:00:00Z", "Occurrence"),
        ("2027-03-29T08:00:00Z", "Exception"),  # moved an hour later
        ("2027-04-12T07:00:00Z", "Occurrence"),  # 04-05 cancelled on its own
    ]
    assert seen["aliceInbox"] == ["JS single", "JS single (moved room)", "JS weekly", "JS weekly"]
    assert [o["start"] for o in seen["aliceView"]] == ["2027-03-22T08:00:00Z", "2027-03-29T08:00:00Z"]
    # A request's t:ResponseObjects: what it may be answered with; accepting it answers with the calendar
    # item and the request moved to Deleted Items ("Propose a new meeting time by using EWS").
    assert seen["offered"] == ["Accept", "TentativelyAccept", "Decline", "Reply", "ReplyAll", "Forward"]
    assert seen["acceptResults"] == {
        "appointment": "JS single (moved room)",
        "meetingRequest": "JS single (moved room)",
    }
    assert seen["tracked"] == [["alice@example.com", "Accept"]]
    assert seen["leadInbox"] == ["Accepted: JS single (moved room)", "Declined: JS weekly"]
    assert seen["afterCancel"] == ["JS weekly"] * 3
    assert seen["aliceCancellations"] == ["Canceled: JS single (moved room)", "Canceled: JS weekly"]

    bob = [i for i in sandbox.store.items("bob@example.com", "inbox")]
    assert [i.get("item:Subject") for i in bob] == [
        "JS single",
        "JS single (moved room)",
        "Canceled: JS single (moved room)",
    ]
    assert [r["email"] for r in bob[0].get("message:CcRecipients")] == ["bob@example.com"]
