"""SyncFolderItems as exchangelib's `Folder.sync_items()` uses it ("SyncFolderItems operation"): the first
call reports every item as created, later ones only what changed since the state they were given, a page at
a time; an occurrence's change is an update of its master; a state the server does not know is refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from exchangelib.errors import ErrorInvalidSyncStateData

from tests.sandbox.conftest import dt, meeting


def _sync(folder, state, page: int = 100):
    changes = list(folder.sync_items(sync_state=state, max_changes_returned=page, only_fields=["subject"]))
    said = [(kind, getattr(item, "subject", None) or item.id) for kind, item in changes]
    return said, folder.item_sync_state


def test_sync_reports_creates_then_only_what_changed(account) -> None:
    lead = account("lead@example.com")
    items = [meeting(lead, f"M{n}", dt(2027, 1, 4 + n, 9)) for n in range(5)]
    for item in items:
        item.save(send_meeting_invitations="SendToNone")
    first, state = _sync(lead.calendar, None, page=2)  # three pages of at most two
    assert sorted(first) == [("create", f"M{n}") for n in range(5)]
    assert _sync(lead.calendar, state)[0] == []  # nothing since
    items[1].subject = "M1 moved"
    items[1].save(update_fields=["subject"], send_meeting_invitations="SendToNone")
    gone = items[4].id
    items[4].delete(send_meeting_cancellations="SendToNone")
    meeting(lead, "M5", dt(2027, 1, 20, 9)).save(send_meeting_invitations="SendToNone")
    changes, state = _sync(lead.calendar, state)
    assert sorted(changes) == sorted([("create", "M5"), ("update", "M1 moved"), ("delete", gone)])
    assert _sync(lead.calendar, state)[0] == []


def test_a_changed_occurrence_is_an_update_of_its_master(account) -> None:
    from exchangelib.recurrence import DailyPattern, Recurrence

    lead = account("lead@example.com")
    series = meeting(lead, "Daily", dt(2027, 1, 4, 9))
    series.recurrence = Recurrence(pattern=DailyPattern(interval=1), start=dt(2027, 1, 4).date(), number=5)
    series.save(send_meeting_invitations="SendToNone")
    _, state = _sync(lead.calendar, None)
    occurrence = lead.calendar.view(start=dt(2027, 1, 5, 0), end=dt(2027, 1, 6, 0))[0]
    occurrence.start += timedelta(hours=1)
    occurrence.end += timedelta(hours=1)
    occurrence.save(update_fields=["start", "end"], send_meeting_invitations="SendToNone")
    assert _sync(lead.calendar, state)[0] == [("update", "Daily")]


def test_an_unknown_state_is_refused(account) -> None:
    lead = account("lead@example.com")
    with pytest.raises(ErrorInvalidSyncStateData):
        _sync(lead.calendar, "rsync1.not-a-state-this-server-gave")
    _, inbox_state = _sync(lead.inbox, None)
    with pytest.raises(ErrorInvalidSyncStateData):  # another folder's state
        _sync(lead.calendar, inbox_state)
