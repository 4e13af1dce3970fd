"""The sandbox's Graph v1.0 front-end, with plain HTTP shaped as Microsoft's reference documents it."""

from __future__ import annotations

import requests

from reconciler.sandbox.faults import FaultOptions
from tests.calendars import meetings_in
from tests.graph.conftest import KEY, WEEKLY, Http, event, token_for

USER = "/users/lead@example.com"


def inbox(sb, address: str) -> list[tuple[str, str | None]]:
    return [
        (i.get("item:ItemClass"), i.get("meetingRequest:MeetingRequestType"))
        for i in sb.store.items(address, "inbox")
    ]


def test_token_flow_and_refusals(graph_sandbox) -> None:
    answer = token_for(graph_sandbox)
    assert answer.status_code == 200
    body = answer.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3599 and body["access_token"]
    config = requests.get(
        f"{graph_sandbox.authority}/tenant-1/v2.0/.well-known/openid-configuration",
        verify=str(graph_sandbox.ca_path),
        timeout=30,
    ).json()
    assert config["token_endpoint"] == f"{graph_sandbox.authority}/tenant-1/oauth2/v2.0/token"
    anonymous = Http(graph_sandbox.graph_endpoint, str(graph_sandbox.ca_path), None)
    refused = anonymous.get(f"{USER}/events")
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "InvalidAuthenticationToken"
    forged = Http(graph_sandbox.graph_endpoint, str(graph_sandbox.ca_path), "sandbox.forged")
    assert forged.get(f"{USER}/events").status_code == 401


def test_only_the_password_is_a_valid_secret() -> None:
    from reconciler.sandbox import Sandbox

    with Sandbox(tls=True, password="s3cret") as sb:
        wrong = token_for(sb, "wrong")
        assert wrong.status_code == 401
        assert (
            wrong.json()["error"] == "invalid_client" and "AADSTS7000215" in wrong.json()["error_description"]
        )
        assert token_for(sb, "s3cret").status_code == 200


def test_plain_http_client_cannot_skip_the_certificate(graph_sandbox) -> None:
    try:
        requests.get(f"{graph_sandbox.graph_endpoint}/users/x/events", verify=True, timeout=10)
    except requests.exceptions.SSLError:
        return
    raise AssertionError("the sandbox's certificate was trusted without its CA")


def test_create_invites_and_transaction_id_prevents_a_duplicate(http, graph_sandbox) -> None:
    body = event(transactionId="tx-1", singleValueExtendedProperties=[{"id": KEY, "value": "sync"}])
    first = http.post(f"{USER}/events", json=body)
    assert first.status_code == 201
    created = first.json()
    assert created["type"] == "singleInstance" and created["isOrganizer"] and created["iCalUId"]
    assert "/" not in created["id"] and "+" not in created["id"]  # REST ids are URL-safe
    again = http.post(f"{USER}/events", json=body)
    assert again.status_code == 201 and again.json()["id"] == created["id"]
    assert inbox(graph_sandbox, "alice@example.com") == [
        ("IPM.Schedule.Meeting.Request", "NewMeetingRequest")
    ]
    assert len(meetings_in(graph_sandbox.store, "lead@example.com")) == 1


def test_filter_select_expand_and_paging(http) -> None:
    for n in range(5):
        props = [{"id": KEY, "value": f"k{n}"}] if n % 2 == 0 else []
        assert http.post(f"{USER}/events", json=event(f"E{n}", singleValueExtendedProperties=props)).ok
    params = {
        "$filter": f"singleValueExtendedProperties/Any(ep: ep/id eq '{KEY}')",
        "$select": "subject",
        "$expand": f"singleValueExtendedProperties($filter=id eq '{KEY}')",
        "$top": "2",
    }
    page = http.get(f"{USER}/events", params=params).json()
    assert [e["subject"] for e in page["value"]] == ["E0", "E2"]
    assert set(page["value"][0]) == {"@odata.etag", "id", "subject", "singleValueExtendedProperties"}
    rest = http.get(page["@odata.nextLink"]).json()
    assert [e["subject"] for e in rest["value"]] == ["E4"] and "@odata.nextLink" not in rest
    one = {"$filter": f"singleValueExtendedProperties/any(ep: ep/id eq '{KEY}' and ep/value eq 'K2')"}
    assert [e["subject"] for e in http.get(f"{USER}/events", params=one).json()["value"]] == ["E2"]
    wrong_case = {"$filter": f"singleValueExtendedProperties/any(ep: ep/id eq '{KEY.upper()}')"}
    assert http.get(f"{USER}/events", params=wrong_case).json()["value"] == []  # names are case-sensitive
    bad = http.get(f"{USER}/events", params={"$filter": "start/dateTime ge '2027-01-01'"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "BadRequest"


def test_times_come_in_the_preferred_zone(http) -> None:
    created = http.post(f"{USER}/events", json=event()).json()
    utc = http.get(f"{USER}/events/{created['id']}").json()
    assert utc["start"] == {"dateTime": "2027-01-04T09:00:00.0000000", "timeZone": "UTC"}
    assert utc["originalStartTimeZone"] == "W. Europe Standard Time"
    local = http.get(
        f"{USER}/events/{created['id']}", headers={"Prefer": 'outlook.timezone="Europe/Amsterdam"'}
    ).json()
    assert local["start"]["dateTime"] == "2027-01-04T10:00:00.0000000"


def test_series_instances_cancel_and_move_of_one_occurrence(http, graph_sandbox) -> None:
    master = http.post(f"{USER}/events", json=event(recurrence=WEEKLY)).json()
    assert master["type"] == "seriesMaster" and master["recurrence"]["pattern"]["daysOfWeek"] == ["monday"]
    window = {"startDateTime": "2027-01-01T00:00:00Z", "endDateTime": "2027-03-01T00:00:00Z"}
    assert http.get(f"{USER}/events/{master['id']}/instances").status_code == 400  # the window is required
    occurrences = http.get(f"{USER}/events/{master['id']}/instances", params=window).json()["value"]
    assert [o["type"] for o in occurrences] == ["occurrence"] * 4
    assert all(o["seriesMasterId"] == master["id"] for o in occurrences)
    assert (
        http.post(f"{USER}/events/{occurrences[1]['id']}/cancel", json={"Comment": "holiday"}).status_code
        == 202
    )
    moved = http.patch(
        f"{USER}/events/{occurrences[2]['id']}",
        json={
            "start": {"dateTime": "2027-01-19T11:00:00", "timeZone": "Europe/Amsterdam"},
            "end": {"dateTime": "2027-01-19T11:30:00", "timeZone": "Europe/Amsterdam"},
        },
    )
    assert moved.status_code == 200 and moved.json()["type"] == "exception"
    after = http.get(f"{USER}/events/{master['id']}/instances", params=window).json()["value"]
    assert [(o["type"], o["originalStart"]) for o in after] == [
        ("occurrence", "2027-01-04T09:00:00Z"),
        ("exception", "2027-01-18T09:00:00Z"),
        ("occurrence", "2027-01-25T09:00:00Z"),
    ]
    view = http.get(f"{USER}/calendarView", params=window).json()["value"]
    assert len(view) == 3
    kinds = inbox(graph_sandbox, "alice@example.com")
    assert kinds == [
        ("IPM.Schedule.Meeting.Request", "NewMeetingRequest"),
        ("IPM.Schedule.Meeting.Canceled", None),
        ("IPM.Schedule.Meeting.Request", "FullUpdate"),
    ]


def test_patch_sends_by_what_changed_and_if_match_guards(http, graph_sandbox) -> None:
    created = http.post(f"{USER}/events", json=event()).json()
    url = f"{USER}/events/{created['id']}"
    marker_only = http.patch(url, json={"singleValueExtendedProperties": [{"id": KEY, "value": "k"}]})
    assert marker_only.status_code == 200
    assert len(inbox(graph_sandbox, "alice@example.com")) == 1  # extended properties notify nobody
    added = created["attendees"] + [{"type": "optional", "emailAddress": {"address": "bob@example.com"}}]
    assert http.patch(url, json={"attendees": added}).ok
    assert len(inbox(graph_sandbox, "alice@example.com")) == 1  # only the added attendee hears of it
    assert inbox(graph_sandbox, "bob@example.com") == [("IPM.Schedule.Meeting.Request", "NewMeetingRequest")]
    stale = http.patch(url, json={"subject": "x"}, headers={"If-Match": created["@odata.etag"]})
    assert stale.status_code == 412 and stale.json()["error"]["code"] == "ErrorIrresolvableConflict"
    current = http.get(url).json()
    assert http.patch(url, json={"subject": "New"}, headers={"If-Match": current["@odata.etag"]}).ok
    assert inbox(graph_sandbox, "alice@example.com")[-1] == (
        "IPM.Schedule.Meeting.Request",
        "InformationalUpdate",
    )


def test_cancel_is_for_organizers_and_delete_cancels_without_comment(http, graph_sandbox) -> None:
    created = http.post(f"{USER}/events", json=event()).json()
    copy = http.get("/users/alice@example.com/events").json()["value"][0]
    refused = http.post(f"/users/alice@example.com/events/{copy['id']}/cancel", json={"Comment": "x"})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "ErrorAccessDenied"
    assert http.delete(f"{USER}/events/{created['id']}").status_code == 204
    assert inbox(graph_sandbox, "alice@example.com")[-1] == ("IPM.Schedule.Meeting.Canceled", None)
    assert http.get(f"{USER}/events").json()["value"] == []
    missing = http.get(f"{USER}/events/AAMk{'A' * 150}")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "ErrorItemNotFound"


def test_batch_answers_each_request_and_limits_to_twenty(http) -> None:
    created = http.post(f"{USER}/events", json=event()).json()
    answer = http.post(
        "/$batch",
        json={
            "requests": [
                {"id": "1", "method": "GET", "url": f"{USER}/events/{created['id']}?$select=subject"},
                {
                    "id": "2",
                    "method": "PATCH",
                    "url": f"{USER}/events/{created['id']}",
                    "headers": {"Content-Type": "application/json"},
                    "body": {"categories": ["x"]},
                },
                {"id": "3", "method": "GET", "url": "/users/lead@example.com/events/nope"},
            ]
        },
    ).json()
    by_id = {r["id"]: r for r in answer["responses"]}
    assert by_id["1"]["status"] == 200 and by_id["1"]["body"]["subject"] == "Sync"
    assert by_id["2"]["status"] == 200 and by_id["2"]["body"]["categories"] == ["x"]
    assert by_id["3"]["status"] == 400 and by_id["3"]["body"]["error"]["code"] == "ErrorInvalidIdMalformed"
    too_many = {"requests": [{"id": str(n), "method": "GET", "url": f"{USER}/events"} for n in range(21)]}
    assert http.post("/$batch", json=too_many).status_code == 400


def test_faults_answer_429_with_retry_after_also_inside_a_batch(http, graph_sandbox) -> None:
    graph_sandbox.set_faults(
        FaultOptions(busy_rate=1.0, busy_backoff_ms=2000, operations=frozenset({"graph.GET.events"}))
    )
    alone = http.get(f"{USER}/events")
    assert alone.status_code == 429 and alone.headers["Retry-After"] == "2"
    batched = http.post("/$batch", json={"requests": [{"id": "1", "method": "GET", "url": f"{USER}/events"}]})
    assert batched.status_code == 200
    inner = batched.json()["responses"][0]
    assert inner["status"] == 429 and inner["headers"]["Retry-After"] == "2"
    graph_sandbox.set_faults(FaultOptions(unavailable_rate=1.0, operations=frozenset({"graph.GET.events"})))
    assert http.get(f"{USER}/events").status_code == 503


def test_a_meeting_made_over_ews_is_read_and_cancelled_over_graph(http, graph_sandbox) -> None:
    from exchangelib import (
        IMPERSONATION,
        Account,
        Attendee,
        Build,
        CalendarItem,
        Configuration,
        EWSDateTime,
        EWSTimeZone,
        Mailbox,
        Version,
        close_connections,
    )
    from exchangelib.protocol import BaseProtocol
    from exchangelib.transport import NOAUTH

    from reconciler.backends.ews.http import adapter_class

    saved = BaseProtocol.HTTP_ADAPTER_CLS
    BaseProtocol.HTTP_ADAPTER_CLS = adapter_class(str(graph_sandbox.ca_path), True)
    try:
        config = Configuration(
            service_endpoint=graph_sandbox.endpoint, auth_type=NOAUTH, version=Version(Build(15, 1))
        )
        account = Account("lead@example.com", config=config, autodiscover=False, access_type=IMPERSONATION)
        tz = EWSTimeZone("Europe/Amsterdam")
        CalendarItem(
            account=account,
            folder=account.calendar,
            subject="Made over EWS",
            start=EWSDateTime(2027, 2, 1, 9, tzinfo=tz),
            end=EWSDateTime(2027, 2, 1, 10, tzinfo=tz),
            required_attendees=[Attendee(mailbox=Mailbox(email_address="carol@example.com"))],
        ).save(send_meeting_invitations="SendToAllAndSaveCopy")
    finally:
        BaseProtocol.HTTP_ADAPTER_CLS = saved
        close_connections()
    [found] = http.get(f"{USER}/events").json()["value"]
    assert (
        found["subject"] == "Made over EWS"
        and found["attendees"][0]["emailAddress"]["address"] == "carol@example.com"
    )
    assert http.post(f"{USER}/events/{found['id']}/cancel", json={"Comment": "bye"}).status_code == 202
    assert inbox(graph_sandbox, "carol@example.com") == [
        ("IPM.Schedule.Meeting.Request", "NewMeetingRequest"),
        ("IPM.Schedule.Meeting.Canceled", None),
    ]


def test_an_online_meeting_gets_a_teams_join_url_and_keeps_it(http) -> None:
    created = http.post(
        f"{USER}/events", json=event(isOnlineMeeting=True, onlineMeetingProvider="teamsForBusiness")
    ).json()
    assert created["isOnlineMeeting"] and created["onlineMeetingProvider"] == "teamsForBusiness"
    url = created["onlineMeeting"]["joinUrl"]
    assert (
        url.startswith("https://teams.microsoft.com/l/meetup-join/19%3ameeting_")
        and "%40thread.v2/0?context=" in url
    )
    patched = http.patch(f"{USER}/events/{created['id']}", json={"subject": "Renamed"}).json()
    assert patched["onlineMeeting"]["joinUrl"] == url
    off = http.patch(f"{USER}/events/{created['id']}", json={"isOnlineMeeting": False}).json()
    assert off["isOnlineMeeting"] is False and off["onlineMeeting"] is None
    other = http.post(
        f"{USER}/events", json=event(isOnlineMeeting=True, onlineMeetingProvider="skypeForConsumer")
    )
    assert other.status_code == 400


def test_a_room_answers_and_its_answer_shows_on_the_organizers_event(http) -> None:
    """A free room accepts; the same room asked again for the same time declines (Graph JSON)."""
    room = {"type": "resource", "emailAddress": {"address": "room-oak@example.com"}}
    first = http.post(f"{USER}/events", json=event("First", attendees=[room])).json()
    second = http.post(f"{USER}/events", json=event("Second", attendees=[room])).json()

    def answer(made: dict) -> str:
        got = http.get(f"{USER}/events/{made['id']}").json()
        return next(a["status"]["response"] for a in got["attendees"] if a["type"] == "resource")

    assert (answer(first), answer(second)) == ("accepted", "declined")
    declines = http.get(
        f"{USER}/mailFolders/inbox/messages", params={"$filter": "startswith(subject,'Declined:')"}
    ).json()["value"]
    assert [m["meetingMessageType"] for m in declines] == ["meetingDeclined"]
    assert declines[0]["from"]["emailAddress"]["address"] == "room-oak@example.com"
    assert "already booked" in declines[0]["body"]["content"]
