"""What popular Graph clients do that the reconciler does not: answer as an attendee, reach events through
the calendar, read invitations as messages, chain batch requests, and read token errors."""

from __future__ import annotations

from tests.calendars import meetings_in
from tests.graph.conftest import event, token_for

USER = "/users/lead@example.com"
ALICE = "/users/alice@example.com"


def _alices_copy(http) -> dict:
    [copy] = http.get(f"{ALICE}/calendar/events").json()["value"]
    return copy


def _alices_answer(http, made: dict) -> str:
    got = http.get(f"{USER}/events/{made['id']}").json()
    return next(
        a["status"]["response"] for a in got["attendees"] if a["emailAddress"]["address"].startswith("alice")
    )


def test_an_attendee_accepts_and_declines_over_graph(http) -> None:
    made = http.post(f"{USER}/events", json=event()).json()
    copy = _alices_copy(http)
    accepted = http.post(
        f"{ALICE}/events/{copy['id']}/accept", json={"comment": "see you", "sendResponse": True}
    )
    assert accepted.status_code == 202 and not accepted.content
    assert _alices_answer(http, made) == "accepted"
    mail = http.get(f"{USER}/messages").json()["value"]  # the answer in the inbox, the invitation sent
    assert sorted((m["meetingMessageType"], m["subject"]) for m in mail) == [
        ("meetingAccepted", "Accepted: Sync"),
        ("meetingRequest", "Sync"),
    ]
    assert any("see you" in m["body"]["content"] for m in mail)
    tentative = http.post(f"{ALICE}/events/{copy['id']}/tentativelyAccept", json={"sendResponse": True})
    assert tentative.status_code == 202 and _alices_answer(http, made) == "tentativelyAccepted"
    quiet = http.post(f"{ALICE}/events/{copy['id']}/decline", json={"sendResponse": False})
    assert quiet.status_code == 202
    assert _alices_answer(http, made) == "tentativelyAccepted"  # the organizer was not told
    assert http.get(f"{ALICE}/calendar/events").json()["value"] == []  # a declined copy leaves the calendar


def test_the_organizer_cannot_answer_their_own_meeting(http) -> None:
    made = http.post(f"{USER}/events", json=event()).json()
    refused = http.post(f"{USER}/events/{made['id']}/accept", json={})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "ErrorInvalidRequest"


def test_events_are_reached_through_the_calendar_paths(http) -> None:
    made = http.post(f"{USER}/calendar/events", json=event()).json()
    calendar = http.get(f"{USER}/calendar").json()
    assert calendar["isDefaultCalendar"] is True and calendar["name"] == "Calendar"
    assert calendar["@odata.context"].endswith("/calendar/$entity")
    assert [c["id"] for c in http.get(f"{USER}/calendars").json()["value"]] == [calendar["id"]]
    window = {"startDateTime": "2027-01-04T00:00:00Z", "endDateTime": "2027-01-05T00:00:00Z"}
    for path in (
        f"{USER}/events",
        f"{USER}/calendar/events",
        f"{USER}/calendars/{calendar['id']}/events",
    ):
        assert [e["id"] for e in http.get(path).json()["value"]] == [made["id"]], path
    for path in (f"{USER}/calendar/calendarView", f"{USER}/calendars/{calendar['id']}/calendarView"):
        assert [e["id"] for e in http.get(path, params=window).json()["value"]] == [made["id"]], path
    one = http.get(f"{USER}/calendar/events/{made['id']}")
    assert one.status_code == 200 and one.json()["subject"] == "Sync"
    unknown = http.get(f"{USER}/calendars/AQMk{'B' * 40}/events")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "ErrorItemNotFound"


def test_invitations_are_event_messages_in_the_attendees_mail(http) -> None:
    http.post(f"{USER}/events", json=event())
    everywhere = http.get(f"{ALICE}/messages").json()["value"]
    in_inbox = http.get(f"{ALICE}/mailFolders/inbox/messages").json()["value"]
    assert [m["id"] for m in everywhere] == [m["id"] for m in in_inbox]
    [invitation] = everywhere
    assert invitation["@odata.type"] == "#microsoft.graph.eventMessage"
    assert invitation["meetingMessageType"] == "meetingRequest" and invitation["subject"] == "Sync"
    read = http.get(f"{ALICE}/messages/{invitation['id']}")
    assert read.status_code == 200 and read.json()["meetingMessageType"] == "meetingRequest"
    assert http.patch(f"{ALICE}/messages/{invitation['id']}", json={"subject": "x"}).status_code == 404


def test_a_batch_request_whose_dependency_failed_is_not_run(http, graph_sandbox) -> None:
    answer = http.post(
        "/$batch",
        json={
            "requests": [
                {"id": "1", "method": "GET", "url": f"{USER}/events/AAMk{'A' * 150}"},
                {
                    "id": "2",
                    "dependsOn": ["1"],
                    "method": "POST",
                    "url": f"{USER}/events",
                    "headers": {"Content-Type": "application/json"},
                    "body": event("Depends"),
                },
                {"id": "3", "dependsOn": ["2"], "method": "GET", "url": f"{USER}/events"},
            ]
        },
    )
    assert answer.status_code == 200
    statuses = {r["id"]: r["status"] for r in answer.json()["responses"]}
    assert statuses == {"1": 404, "2": 424, "3": 424}
    assert meetings_in(graph_sandbox.store, "lead@example.com") == []


def test_a_batch_with_repeated_or_unknown_ids_is_refused_whole(http, graph_sandbox) -> None:
    create = {
        "method": "POST",
        "url": f"{USER}/events",
        "body": event(),
        "headers": {"Content-Type": "application/json"},
    }
    repeated = http.post("/$batch", json={"requests": [{"id": "1", **create}, {"id": "1", **create}]})
    assert repeated.status_code == 400 and "repeated" in repeated.json()["error"]["message"]
    unknown = http.post("/$batch", json={"requests": [{"id": "1", "dependsOn": ["9"], **create}]})
    assert unknown.status_code == 400
    assert meetings_in(graph_sandbox.store, "lead@example.com") == []


def test_token_errors_carry_the_ids_a_support_case_needs(graph_sandbox) -> None:
    refused = token_for(graph_sandbox, secret=None)  # type: ignore[arg-type]
    body = refused.json()
    assert refused.status_code == 401 and body["error"] == "invalid_client"
    assert body["trace_id"] and body["correlation_id"] and body["trace_id"] != body["correlation_id"]
    assert f"Trace ID: {body['trace_id']}" in body["error_description"]
    assert f"Correlation ID: {body['correlation_id']}" in body["error_description"]
    assert body["error_codes"] == [7000218]


def test_an_attendee_declines_one_instance_over_graph(http) -> None:
    from tests.graph.conftest import WEEKLY

    http.post(f"{USER}/events", json=event(recurrence=WEEKLY))
    series = _alices_copy(http)
    window = {"startDateTime": "2027-01-01T00:00:00Z", "endDateTime": "2027-02-01T00:00:00Z"}
    instances = http.get(f"{ALICE}/events/{series['id']}/instances", params=window).json()["value"]
    declined = http.post(f"{ALICE}/events/{instances[1]['id']}/decline", json={"sendResponse": True})
    assert declined.status_code == 202
    left = http.get(f"{ALICE}/calendarView", params=window).json()["value"]
    assert [e["start"]["dateTime"][:10] for e in left] == ["2027-01-04", "2027-01-18", "2027-01-25"]
    [answer] = http.get(f"{USER}/mailFolders/inbox/messages").json()["value"]
    assert answer["meetingMessageType"] == "meetingDeclined"


def test_an_event_has_the_shape_graph_documents(http) -> None:
    """The event resource as Microsoft's reference shows it: context on a single entity, seven-digit
    timestamps, webLink, locations with their private ids, and iCalUId in Exchange's GlobalObjectId form."""
    import re

    made = http.post(f"{USER}/events", json=event(location={"displayName": "Room Oak"})).json()
    got = http.get(f"{USER}/events/{made['id']}").json()
    for one in (made, got):
        assert one["@odata.context"].endswith("/$metadata#users('lead@example.com')/events/$entity")
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z", one["createdDateTime"])
        assert re.fullmatch(r"040000008200E00074C5B7101A82E008[0-9A-F]{80}", one["iCalUId"])
        assert one["webLink"].startswith("https://outlook.office365.com/owa/?itemid=")
        assert (one["hasAttachments"], one["hideAttendees"], one["onlineMeetingUrl"]) == (False, False, None)
        assert one["location"] == {
            "displayName": "Room Oak",
            "locationType": "default",
            "uniqueId": "Room Oak",
            "uniqueIdType": "private",
            "address": {},
        }
        assert one["locations"] == [one["location"]]
    selected = http.get(f"{USER}/events/{made['id']}", params={"$select": "subject"}).json()
    assert set(selected) == {"@odata.context", "@odata.etag", "id", "subject"}


def test_extended_properties_of_any_set_and_filters_spelled_either_way(http) -> None:
    """ "Outlook extended properties overview": `{type} {guid} Name {name}`, `{type} {guid} Id {id}` and
    `{type} {tag}`, any property set. Ids come back in the tenant's spelling (GUID in lower case); the
    type and the GUID match in any case, the name exactly; `ep/Id`/`ep/Value` are read like `ep/id`."""
    custom = "String {66F5A359-4659-4830-9070-00047EC6AC6E} Name Color"
    by_id = "Integer {00062002-0000-0000-C000-000000000046} Id 0x8233"
    tag = "String 0x007D"
    props = [{"id": custom, "value": "Green"}, {"id": by_id, "value": "7"}, {"id": tag, "value": "hdr"}]
    made = http.post(f"{USER}/events", json=event(singleValueExtendedProperties=props)).json()
    expand = f"singleValueExtendedProperties($filter=id eq '{custom}' or id eq '{by_id}' or id eq '{tag}')"
    got = http.get(f"{USER}/events/{made['id']}", params={"$expand": expand}).json()
    assert sorted((p["id"], p["value"]) for p in got["singleValueExtendedProperties"]) == [
        ("Integer {00062002-0000-0000-c000-000000000046} Id 0x8233", "7"),
        ("String 0x007d", "hdr"),
        ("String {66f5a359-4659-4830-9070-00047ec6ac6e} Name Color", "Green"),
    ]
    for spelled in (
        f"singleValueExtendedProperties/Any(ep: ep/Id eq '{custom}' and ep/Value eq 'green')",
        f"singleValueExtendedProperties/any(ep: ep/id eq '{custom.lower().replace('color', 'Color')}')",
    ):
        assert [e["id"] for e in http.get(f"{USER}/events", params={"$filter": spelled}).json()["value"]] == [
            made["id"]
        ], spelled
    other_name = f"singleValueExtendedProperties/any(ep: ep/id eq '{custom.replace('Color', 'color')}')"
    assert http.get(f"{USER}/events", params={"$filter": other_name}).json()["value"] == []
    refused = http.post(
        f"{USER}/events", json=event(singleValueExtendedProperties=[{"id": "Name x", "value": ""}])
    )
    assert refused.status_code == 400


def test_an_attendee_proposes_a_new_time_with_a_tentative_answer(http) -> None:
    """`proposedNewTime` on tentativelyAccept: the organizer's attendee entry carries it and the response in
    the organizer's inbox proposes it; accept takes none, and a whole series takes none (MS-OXOCAL)."""
    made = http.post(f"{USER}/events", json=event()).json()
    copy = _alices_copy(http)
    slot = {
        "start": {"dateTime": "2027-01-04T11:00:00", "timeZone": "UTC"},
        "end": {"dateTime": "2027-01-04T11:30:00", "timeZone": "UTC"},
    }
    refused = http.post(f"{ALICE}/events/{copy['id']}/accept", json={"proposedNewTime": slot})
    assert refused.status_code == 400
    answered = http.post(f"{ALICE}/events/{copy['id']}/tentativelyAccept", json={"proposedNewTime": slot})
    assert answered.status_code == 202
    got = http.get(f"{USER}/events/{made['id']}").json()
    [alice] = [a for a in got["attendees"] if a["emailAddress"]["address"].startswith("alice")]
    assert alice["status"]["response"] == "tentativelyAccepted"
    assert alice["proposedNewTime"]["start"]["dateTime"].startswith("2027-01-04T11:00:00")
    assert alice["proposedNewTime"]["end"]["dateTime"].startswith("2027-01-04T11:30:00")
    mail = http.get(f"{USER}/messages").json()["value"]
    assert "New Time Proposed: Sync" in [m["subject"] for m in mail]
    series = http.post(
        f"{USER}/events",
        json={
            **event(),
            "recurrence": {
                "pattern": {"type": "daily", "interval": 1},
                "range": {"type": "numbered", "startDate": "2027-01-04", "numberOfOccurrences": 3},
            },
        },
    ).json()
    theirs = [e for e in http.get(f"{ALICE}/calendar/events").json()["value"] if e["type"] == "seriesMaster"]
    assert series["id"] and theirs
    whole = http.post(f"{ALICE}/events/{theirs[0]['id']}/tentativelyAccept", json={"proposedNewTime": slot})
    assert whole.status_code == 400
