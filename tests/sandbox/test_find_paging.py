"""FindItem paging over more than 1,000 items, as exchangelib's pager drives it."""

from __future__ import annotations

from exchangelib.items import SEND_TO_NONE

from tests.sandbox.conftest import dt, meeting


def test_paging_over_1050_items(sandbox, account, key_property) -> None:
    lead = account("lead@example.com")
    items = [meeting(lead, f"P{i:04d}", dt(2027, 2, 1, 9), test_key=f"k{i}") for i in range(1050)]
    results = lead.bulk_create(folder=lead.calendar, items=items, send_meeting_invitations=SEND_TO_NONE)
    assert sum(1 for r in results if not isinstance(r, Exception)) == 1050
    before = sandbox.request_counts().get("FindItem", 0)
    assert lead.calendar.all().count() == 1050
    subjects = [i.subject for i in lead.calendar.all().only("subject")]
    assert subjects == [f"P{i:04d}" for i in range(1050)]
    assert sandbox.request_counts()["FindItem"] - before >= 11  # 100 per page
    keyed = list(lead.calendar.filter(test_key__exists=True).only("test_key"))
    assert len(keyed) == 1050 and {i.test_key for i in keyed} == {f"k{i}" for i in range(1050)}
    assert [i.subject for i in lead.calendar.all().order_by("-subject")[:3]] == ["P1049", "P1048", "P1047"]
