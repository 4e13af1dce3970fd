"""Answers Microsoft's clients read, held to types.xsd, and the suite's schema check itself.

Every answer of the suite is validated against Microsoft's schemas (`tests/ews_conformance.py`); the tests
here pin the answers the EWS Managed API rejected, each with the reference it follows, and prove the check
fails when one element is out of place.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from exchangelib.items import MeetingRequest
from exchangelib.recurrence import Recurrence, WeeklyPattern
from lxml import etree

from reconciler.sandbox.ews import conformance, item_types
from tests.ews_conformance import RUN
from tests.sandbox.conftest import dt, meeting
from tests.sandbox.test_fidelity import T, soap

ROOT = Path(__file__).resolve().parents[2]
XS = "{http://www.w3.org/2001/XMLSchema}"


def _get(
    sandbox, mailbox: str, ids: list[str], base: str = "AllProperties", extra: str = ""
) -> etree._Element:
    shape = f"<t:AdditionalProperties>{extra}</t:AdditionalProperties>" if extra else ""
    items = "".join(f'<t:ItemId Id="{i}"/>' for i in ids)
    return soap(
        sandbox,
        f"<m:GetItem><m:ItemShape><t:BaseShape>{base}</t:BaseShape>{shape}</m:ItemShape>"
        f"<m:ItemIds>{items}</m:ItemIds></m:GetItem>",
        mailbox=mailbox,
    )


def _children(element: etree._Element | None) -> list[str]:
    assert element is not None
    return [etree.QName(c).localname for c in element]


def test_a_cancelled_series_lists_recurrence_before_calendar_item_type(account, sandbox) -> None:
    """types.xsd MeetingCancellationMessageType: Start, End, Location, Recurrence, CalendarItemType,
    EnhancedLocation, in that order (exchangelib's model puts Recurrence last)."""
    lead = account("lead@example.com")
    series = meeting(lead, "Weekly", dt(2027, 1, 4, 9), attendees=("alice@example.com",))
    series.recurrence = Recurrence(
        pattern=WeeklyPattern(interval=1, weekdays=[1]), start=dt(2027, 1, 4).date(), number=4
    )
    series.save(send_meeting_invitations="SendToAllAndSaveCopy")
    series.cancel()
    inbox = account("alice@example.com").inbox.all()
    answer = _get(sandbox, "alice@example.com", [m.id for m in inbox])
    order = _children(answer.find(f".//{{{T}}}MeetingCancellation"))
    assert order.index("Start") < order.index("Recurrence") < order.index("CalendarItemType"), order


def test_all_properties_of_a_calendar_item_name_its_time_zone(account, sandbox) -> None:
    """ "GetItem operation (calendar item)": AllProperties carries TimeZone, a text description of the
    start zone (the reference's sample: "Pacific Standard Time"), after Duration; the Managed API reads it
    on every bind."""
    lead = account("lead@example.com")
    item = meeting(lead, "Zoned", dt(2027, 1, 5, 9))
    item.save(send_meeting_invitations="SendToNone")
    found = _get(sandbox, "lead@example.com", [item.id]).find(f".//{{{T}}}CalendarItem")
    assert found is not None and found.findtext(f"{{{T}}}TimeZone") == "W. Europe Standard Time"
    order = _children(found)
    assert order.index("Duration") < order.index("TimeZone") < order.index("StartTimeZone")


def test_a_meeting_request_offers_its_answers(account, sandbox) -> None:
    """ "Propose a new meeting time by using EWS": a request bound with item:ResponseObjects lists the
    response objects it takes (Accept, TentativelyAccept, Decline; ProposeNewTime as the organizer allows),
    and the organizer's own meeting offers CancelCalendarItem instead."""
    lead = account("lead@example.com")
    item = meeting(lead, "Offered", dt(2027, 1, 5, 9), attendees=("alice@example.com",))
    item.save(send_meeting_invitations="SendToAllAndSaveCopy")
    [request] = [m for m in account("alice@example.com").inbox.all() if isinstance(m, MeetingRequest)]
    extra = '<t:FieldURI FieldURI="item:ResponseObjects"/><t:FieldURI FieldURI="item:Subject"/>'
    offered = _get(sandbox, "alice@example.com", [request.id], "IdOnly", extra)
    objects = offered.find(f".//{{{T}}}MeetingRequest/{{{T}}}ResponseObjects")
    assert {"AcceptItem", "TentativelyAcceptItem", "DeclineItem", "ProposeNewTime"} <= set(_children(objects))
    own = _get(sandbox, "lead@example.com", [item.id], "IdOnly", extra)
    objects = own.find(f".//{{{T}}}CalendarItem/{{{T}}}ResponseObjects")
    assert "CancelCalendarItem" in _children(objects) and "AcceptItem" not in _children(objects)


def test_item_types_follow_microsofts_schema(ews_conformance) -> None:
    """`item_types.py` lists types.xsd's sequences; each one is the file's, and no element name repeats in an
    answered element's chain of types (so an element has one place)."""
    doc = etree.parse(os.path.join(os.environ["EWS_SCHEMAS"], "types.xsd"))
    declared = {el.get("name"): el for el in doc.getroot().iter(f"{XS}complexType")}
    for element, chain in item_types.TYPES.items():
        names: list[str] = []
        for type_name, listed in chain:
            sequence = declared[type_name].find(f".//{XS}sequence")
            assert sequence is not None, type_name
            own = [el.get("name") or el.get("ref", "").split(":")[-1] for el in sequence.iter(f"{XS}element")]
            assert list(listed) == own, type_name
            names += own
        assert len(names) == len(set(names)), element
        assert len(item_types.positions(element)) == len(set(names)), element


def test_an_answer_with_one_element_moved_is_named(ews_conformance, sandbox, account) -> None:
    """The check names the operation and the element: a real GetItem answer with Subject moved behind the
    item's last element is invalid at Subject."""
    lead = account("lead@example.com")
    item = meeting(lead, "Moved", dt(2027, 1, 5, 9))
    item.save(send_meeting_invitations="SendToNone")
    answer = _get(sandbox, "lead@example.com", [item.id])
    ews_conformance.new_lines()  # the real answer above was valid and is this test's own
    found = answer.find(f".//{{{T}}}CalendarItem")
    subject = found.find(f"{{{T}}}Subject")
    found.remove(subject)
    found.append(subject)
    conformance.check_answer("GetItem", etree.tostring(answer.getroottree()))
    [line] = ews_conformance.take_invalid_answers()
    assert line["operation"] == "GetItem" and line["element"].endswith("/t:CalendarItem/t:Subject"), line
    assert "has invalid child element 'Subject'" in line["text"]


def test_the_run_fails_naming_the_test_that_saw_an_invalid_answer(ews_conformance, tmp_path: Path) -> None:
    """A test whose sandbox answers out of schema order fails at its teardown, naming itself, the operation
    and the element: the sandbox is told to put Subject after every other element of an item."""
    (tmp_path / "test_inner.py").write_text(
        textwrap.dedent(
            """
            from exchangelib import IMPERSONATION, Account, Build, CalendarItem, Configuration, Version
            from exchangelib.transport import NOAUTH
            from exchangelib import Message
            from reconciler.sandbox import Sandbox
            from reconciler.sandbox.ews import item_types

            def test_subject_last(monkeypatch):
                real = item_types.positions
                monkeypatch.setattr(item_types, "positions", lambda e: {**real(e), "Subject": 10**6})
                with Sandbox() as sb:
                    config = Configuration(service_endpoint=sb.endpoint, auth_type=NOAUTH,
                                           version=Version(Build(15, 1)))
                    acct = Account("lead@example.com", config=config, autodiscover=False,
                                   access_type=IMPERSONATION)
                    Message(account=acct, folder=acct.drafts, subject="Hi", body="x").save()
                    assert [m.subject for m in acct.drafts.all()] == ["Hi"]
            """
        )
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for inherited in ("PYTEST_ADDOPTS", "PYTEST_XDIST_WORKER", RUN):  # a run of its own, not a worker's
        env.pop(inherited, None)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.ews_conformance", "."],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert run.returncode != 0, run.stdout
    assert "ERROR test_inner.py::test_subject_last" in run.stdout, run.stdout
    assert "answered" in run.stdout and "t:Message/t:Subject" in run.stdout, run.stdout
    assert "has invalid child element 'Subject'" in run.stdout, run.stdout
