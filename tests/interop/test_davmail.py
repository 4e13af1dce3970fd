"""DavMail, a real EWS client this project did not write, against the sandbox (`make interop`).

DavMail (the Debian package `davmail-server`) speaks EWS to the sandbox and CalDAV to the python `caldav`
client: the events the reconciler created are listed with the right subjects and start times, an event
PUT over CalDAV lands in the organizer's calendar, and a CalDAV DELETE removes it.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import Served

pytestmark = [pytest.mark.interop, pytest.mark.timeout(300)]
JAR = Path("/usr/share/davmail/davmail.jar")
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
SEEDED = {
    "Interop single": datetime(2027, 2, 3, 14, 0, tzinfo=AMSTERDAM),
    "Interop weekly": datetime(2027, 2, 1, 9, 30, tzinfo=AMSTERDAM),
}
PUT = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//reconciler interop//EN
BEGIN:VEVENT
UID:interop-put-1
DTSTAMP:20261124T120000Z
DTSTART:20270301T100000Z
DTEND:20270301T110000Z
SUMMARY:Created through DavMail
END:VEVENT
END:VCALENDAR
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def davmail(served: Served, tmp_path: Path) -> Iterator[str]:
    """DavMail in EWS mode pointed at the served sandbox; its CalDAV base URL."""
    java = shutil.which("java")
    assert java and JAR.is_file(), "DavMail is missing: `make interop` installs davmail-server"
    port = _free_port()
    props = tmp_path / "davmail.properties"
    props.write_text(
        "\n".join(
            [
                "davmail.server=true",
                "davmail.mode=EWS",
                f"davmail.url={served.endpoint}",
                f"davmail.caldavPort={port}",
                "davmail.imapPort=",
                "davmail.ldapPort=",
                "davmail.popPort=",
                "davmail.smtpPort=",
                "davmail.allowRemote=false",
                "davmail.bindAddress=127.0.0.1",
                "davmail.disableUpdateCheck=true",
                "davmail.caldavPastDelay=0",
                f"davmail.logFilePath={tmp_path / 'davmail.log'}",
            ]
        )
        + "\n"
    )
    process = subprocess.Popen(
        [java, "-jar", str(JAR), "-server", str(props)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert process.poll() is None, "DavMail exited at start"
            time.sleep(0.2)
        else:
            raise AssertionError("DavMail did not open its CalDAV port within 90 s")
        yield f"http://127.0.0.1:{port}/users/lead@example.com/"
    finally:
        process.kill()
        process.wait(timeout=30)


def _seed(served: Served) -> None:
    served.write(
        "single.yaml",
        "key: single\nsubject: Interop single\norganizer: lead@example.com\ntimezone: Europe/Amsterdam\n"
        "attendees: {required: [alice@example.com]}\nstart: 2027-02-03T14:00\nduration: 45m\n",
    )
    served.write(
        "weekly.yaml",
        "key: weekly\nsubject: Interop weekly\norganizer: lead@example.com\ntimezone: Europe/Amsterdam\n"
        "attendees: {required: [alice@example.com]}\nstart: 2027-02-01T09:30\nduration: 30m\n"
        "repeat: {every: week, days: [mon], count: 6}\n",
    )
    applied = served.run("apply", "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr


def _calendar_listing(served: Served) -> str:
    return served.run(
        "sandbox", "mailbox", "lead@example.com", "--folder", "calendar", "--db", str(served.db)
    ).stdout


def test_davmail_lists_creates_and_deletes_events(served: Served, davmail: str) -> None:
    import caldav

    _seed(served)
    client = caldav.DAVClient(url=davmail, username="lead@example.com", password="any")
    calendar = caldav.Calendar(client=client, url=davmail + "calendar/")

    listed = {}
    for event in calendar.events():
        component = event.icalendar_component
        listed[str(component["SUMMARY"])] = component.decoded("DTSTART")
    assert len(listed) >= 2, f"DavMail listed {len(listed)} event(s)"
    for subject, start in SEEDED.items():
        assert subject in listed, listed
        assert listed[subject] == start, (subject, listed[subject])
    weekly = next(e for e in calendar.events() if str(e.icalendar_component["SUMMARY"]) == "Interop weekly")
    assert dict(weekly.icalendar_component["RRULE"])["FREQ"] == ["WEEKLY"]

    created = calendar.save_event(PUT)
    assert "'Created through DavMail' · 2027-03-01T10:00:00+00:00" in _calendar_listing(served)

    created.delete()
    assert "Created through DavMail" not in _calendar_listing(served)
    assert {str(e.icalendar_component["SUMMARY"]) for e in calendar.events()} >= set(SEEDED)
