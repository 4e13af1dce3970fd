"""`calendarView/delta` written from Microsoft's reference ("event: delta", v1.0): a window's events page by
page, then only what changed since the delta token, what is gone marked `@removed`."""

from __future__ import annotations

from tests.graph.conftest import WEEKLY, event

LEAD = "/users/lead@example.com"
WINDOW = "startDateTime=2027-01-01T00:00:00Z&endDateTime=2027-02-01T00:00:00Z"


def _round(http, url: str, page: int = 2) -> tuple[list[dict], str]:
    """Every page of one round (following nextLinks), and the deltaLink it ends with."""
    seen: list[dict] = []
    while True:
        answer = http.get(url, headers={"Prefer": f"odata.maxpagesize={page}"})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        seen += body["value"]
        assert len(body["value"]) <= page
        if "@odata.deltaLink" in body:
            return seen, body["@odata.deltaLink"]
        url = body["@odata.nextLink"]
        assert "$skiptoken=" in url


def test_delta_reports_the_window_then_only_its_changes(http) -> None:
    ids = [http.post(f"{LEAD}/events", json=event(f"E{n}")).json()["id"] for n in range(3)]
    series = http.post(f"{LEAD}/events", json=event("Weekly", recurrence=WEEKLY)).json()["id"]
    first, link = _round(http, f"{LEAD}/calendarView/delta?{WINDOW}")
    subjects = sorted(e["subject"] for e in first)
    assert subjects == ["E0", "E1", "E2", *["Weekly"] * 4]  # the series' 4 occurrences, not its master
    assert {e.get("seriesMasterId") for e in first if e["subject"] == "Weekly"} == {series}
    assert "$deltatoken=" in link
    assert _round(http, link)[0] == []  # nothing since

    http.patch(f"{LEAD}/events/{ids[0]}", json={"subject": "E0 moved"})
    http.delete(f"{LEAD}/events/{ids[1]}")
    http.post(f"{LEAD}/events", json=event("E3"))
    changes, link = _round(http, link)
    assert sorted(e.get("subject", "") for e in changes if "@removed" not in e) == ["E0 moved", "E3"]
    assert [e["id"] for e in changes if "@removed" in e] == [ids[1]]
    assert _round(http, link)[0] == []


def test_delta_refuses_select_and_an_unknown_token(http) -> None:
    assert http.get(f"{LEAD}/calendarView/delta?{WINDOW}&$select=subject").status_code == 400
    gone = http.get(f"{LEAD}/calendarView/delta?$deltatoken=rsync1.not-given-here")
    assert gone.status_code == 410 and gone.json()["error"]["code"] == "SyncStateNotFound"
    assert http.get(f"{LEAD}/calendarView/delta").status_code == 400  # the first round needs its window


def test_the_oldest_tokens_expire_from_a_cache_of_bounded_size(http) -> None:
    """ "Token duration" for Outlook entities: no fixed lifetime, the oldest tokens deleted once the cache is
    full. A token stays good while fewer than `CACHE` newer ones have been given; then it is 410 and the
    client starts over."""
    from reconciler.sandbox.graph.delta import CACHE

    http.post(f"{LEAD}/events", json=event("E0"))
    kept = _round(http, f"{LEAD}/calendarView/delta?{WINDOW}")[1]
    for _ in range(CACHE - 1):  # CACHE tokens given in all: `kept` is the oldest
        _round(http, kept)
    assert _round(http, kept)[0] == []  # still in the cache; the token this round gives pushes it out
    expired = http.get(kept)
    assert expired.status_code == 410 and expired.json()["error"]["code"] == "SyncStateNotFound"
    again, link = _round(http, f"{LEAD}/calendarView/delta?{WINDOW}")  # starting over reports everything
    assert [e["subject"] for e in again] == ["E0"] and _round(http, link)[0] == []
