"""The Microsoft Graph backend: observes and changes organizers' calendars through Graph v1.0.

Reads: one paged `GET /users/{organizer}/events` filtered on the marker (`$select` of the model's fields,
`$expand` of the marker properties, 1,000 per page), then the instances of each series in `$batch`es of
20 (v1.0 has no exception list on the master), only for the series the snapshot does not know at their
change key (`backends/snapshot.py`). Request bound per organizer: ⌈managed/1000⌉ (at least 1) + ⌈series
read/20⌉, plus one more page for a series with over 1,000 occurrences in its window.

Writes (`write.py` says which request each is) go in `$batch`es of 20, after one batched `instances`
lookup for the occurrences that skips and moves address. Graph always sends invitations on create and
decides itself whom an update reaches (`sandbox/graph/events.py` says how, as Microsoft documents it), so
the `send` of a write is honoured by what the plan allows on a graph target rather than by a request
option.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from types import MappingProxyType
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from reconciler.backends import marker, snapshot
from reconciler.backends.base import (
    BackendError,
    LeaseItem,
    Marker,
    Observation,
    ObservedMeeting,
    Reach,
    SpeaksFor,
    Write,
    WriteResult,
)
from reconciler.backends.baseline import Baseline
from reconciler.backends.graph import baseline, lease
from reconciler.backends.graph.http import Call, GraphClient, GraphFailure, explain_reply
from reconciler.backends.graph.mapping import (
    INSTANCE_SELECT,
    SELECT,
    join_url,
    meeting_from_event,
    responses_of,
    series_window,
    utc,
    with_exceptions,
)
from reconciler.backends.graph.write import (
    carrying,
    expanding,
    instances_call,
    occurrence_lookup,
    query_string,
    request_for,
    schedule_call,
    user_path,
)
from reconciler.backends.snapshot import Listed, Snapshot
from reconciler.desired.model import Meeting

PAGE = 1000
PROTOCOL = "graph"
ROOMS_PER_CALL = 100
SCHEDULE_WINDOW = timedelta(days=42)
NAMES = (*marker.MEETING_NAMES, *marker.RECORD_NAMES)
"""The marker's names, and the records': what an event is told by (the records are not meetings)."""
MARKER = expanding(*NAMES)


def _marker_of(event: dict[str, Any]) -> dict[str, str]:
    found = ((marker.graph_name(p.get("id")), p) for p in event.get("singleValueExtendedProperties") or [])
    return {name: p.get("value") or "" for name, p in found if name in NAMES}


def _unmanaged(event: dict[str, Any]) -> bool:
    """No marker, or a released meeting's: Graph cannot remove an extended property, so release empties it."""
    return not _marker_of(event).get(marker.KEY)


class GraphBackend(SpeaksFor):
    """A `CalendarBackend` over Microsoft Graph (app-only access to each organizer's calendar)."""

    def __init__(self, client: GraphClient, now: datetime | None = None) -> None:
        self.client = client
        self.endpoint = client.endpoint
        self.target = f"graph {client.endpoint}"
        self.now = now
        self.written: dict[str, dict[str, Any]] = {}
        """Events as the last write of this run answered them, by id: what `read_back` needs, unread."""

    # -- helpers ------------------------------------------------------------------------------------------

    def _events(self, mailbox: str, filter_: str | None, top: int = PAGE) -> str:
        params = {"$select": SELECT, "$expand": MARKER, "$top": str(top)}
        if filter_:
            params["$filter"] = filter_
        return f"{user_path(mailbox)}/events?{query_string(params)}"

    def explain(self, exc: BaseException, mailbox: str | None, writing: bool = False) -> str:
        who = f"mailbox {mailbox}" if mailbox else self.endpoint
        if isinstance(exc, BackendError):
            return str(exc)
        if isinstance(exc, GraphFailure):
            return explain_reply(exc.reply, self.endpoint, mailbox, self.client.credential_hint, "", writing)
        return f"{who} on {self.endpoint}: {type(exc).__name__}: {exc}"

    def raw_item(self, organizer: str, item_id: str) -> dict[str, Any]:
        with self.speaking_for(organizer):
            url = (
                f"{user_path(organizer)}/events/{quote(item_id, safe='')}?{query_string({'$expand': MARKER})}"
            )
            reply = self.client.call(Call("GET", url))
            if not reply.ok:
                raise GraphFailure(reply, url)
            return dict(reply.body)

    def close(self) -> None:
        self.client.close()

    # -- the apply lease ----------------------------------------------------------------------------------

    def lease_items(self, mailbox: str) -> list[LeaseItem]:
        with self.speaking_for(mailbox, writing=True):  # creates the record when there is none
            return lease.lease_items(self.client, user_path(mailbox))

    def write_lease(self, mailbox: str, item: LeaseItem, holder: str) -> LeaseItem:
        with self.speaking_for(mailbox, writing=True):
            return lease.write_lease(self.client, user_path(mailbox), item, holder)

    # -- observe ------------------------------------------------------------------------------------------

    def observe(
        self, organizer: str, namespace: str, adopt: Collection[str] = (), full: bool = False
    ) -> Observation:
        with self.speaking_for(organizer):
            return self._observe(organizer, namespace, adopt, full)

    def _observe(self, organizer: str, namespace: str, adopt: Collection[str], full: bool) -> Observation:
        """The marked events (their change keys say what changed) and the record with the snapshot, in one
        batch; then the model and the instances of only the series the snapshot does not know as they are
        (`snapshot.py`): calendarView/delta would report only one window's instances, without the marker,
        so an edit of a meeting outside that window would go unseen."""
        before = self.client.thread_requests()
        first, record = self.client.batch(
            [
                Call("GET", self._events(organizer, carrying(marker.KEY))),
                baseline.read_call(user_path(organizer), namespace),
            ]
        )
        if not first.ok:
            raise GraphFailure(first, "events")
        events = list(first.body.get("value", []))
        if first.body.get("@odata.nextLink"):
            events += self.client.pages(first.body["@odata.nextLink"])
        listing = {}
        for event in events:
            found = _marker_of(event)
            if not found.get(marker.KEY):  # released (Graph empties the marker it cannot remove)
                continue
            listing[event["id"]] = Listed(
                event.get("changeKey") or "", found.get(marker.NAMESPACE) or "", found.get(marker.KEY, "")
            )
        ours = any(e.namespace == namespace for e in listing.values())
        remembered = baseline.from_reply(self.client, user_path(organizer), namespace, record, ours)
        seen = None if full else remembered.snapshot_for(PROTOCOL)
        observed, wanted = snapshot.replayed(listing, namespace, seen)
        reading = set(wanted)  # other namespaces' series are not expanded, nor those the snapshot knows
        for event, meeting in self._meetings(organizer, [e for e in events if e["id"] in reading]):
            observed[event["id"]] = self._observed(event, meeting, self._marker(event, namespace))
        mine, duplicates = snapshot.assembled(observed.values())
        adoptable = self._adoptable(organizer, namespace, set(adopt) - {o.uid for o in observed.values()})
        now_seen = Snapshot(MappingProxyType(listing), MappingProxyType(observed), protocol=PROTOCOL)
        kept = replace(remembered, snapshot=now_seen)
        return Observation(
            organizer,
            tuple(mine),
            tuple(duplicates),
            snapshot.other_namespaces(listing, namespace),
            self.client.thread_requests() - before,
            adoptable,
            kept,
            kept.notes(organizer),
        )

    @staticmethod
    def _marker(event: dict[str, Any], namespace: str) -> Marker:
        found = _marker_of(event)
        return Marker(namespace, found.get(marker.KEY, ""), found.get(marker.SPEC_HASH, ""))

    def read_back(
        self, organizer: str, namespace: str, item_ids: Sequence[str]
    ) -> tuple[ObservedMeeting, ...]:
        """The items as this run's writes left them, with their series' instances (what the next plan takes
        from the snapshot instead of reading them): from the write answers when they carry the marker
        (Graph answers a create or a PATCH with the event), else read in batches of 20."""
        with self.speaking_for(organizer):
            events = {i: self.written.pop(i, None) for i in item_ids}
            missing = [i for i, e in events.items() if e is None or marker.KEY not in _marker_of(e)]
            calls = [
                Call(
                    "GET",
                    f"{user_path(organizer)}/events/{quote(i, safe='')}?"
                    + query_string({"$select": SELECT, "$expand": MARKER}),
                )
                for i in missing
            ]
            for item_id, reply in zip(missing, self.client.batch(calls), strict=True):
                events[item_id] = reply.body if reply.ok else None
            found = [e for e in events.values() if e]
            return tuple(
                self._observed(event, meeting, self._marker(event, namespace))
                for event, meeting in self._meetings(organizer, found)
            )

    def free_busy(
        self, organizer: str, rooms: Sequence[str], start: datetime, end: datetime
    ) -> dict[str, list[tuple[datetime, datetime]]]:
        """getSchedule for up to 100 rooms and 42 days a call, the calls in `$batch`es of 20."""
        with self.speaking_for(organizer):
            calls = []
            for first in range(0, len(rooms), ROOMS_PER_CALL):
                chunk = list(rooms[first : first + ROOMS_PER_CALL])
                begin = start
                while begin < end:
                    until = min(end, begin + SCHEDULE_WINDOW)
                    calls.append(schedule_call(organizer, chunk, begin, until))
                    begin = until
            out: dict[str, list[tuple[datetime, datetime]]] = {room: [] for room in rooms}
            for reply in self.client.batch(calls):
                if not reply.ok:
                    raise GraphFailure(reply, "calendar/getSchedule")
                for info in reply.body.get("value", []):
                    room = str(info.get("scheduleId", "")).lower()
                    for item in info.get("scheduleItems") or []:
                        if item.get("status") in ("busy", "tentative", "oof") and room in out:
                            out[room].append((utc(item["start"]), utc(item["end"])))
            return out

    def room_answers(self, organizer: str) -> dict[tuple[str, str], str] | None:
        """The rooms' declines in the organizer's inbox (one request): (room, subject) → their text; None
        when the app may not read mail (403: Calendars.* alone)."""
        with self.speaking_for(organizer):
            query = query_string(
                {
                    "$filter": "startswith(subject,'Declined:')",
                    "$select": "subject,from,body",
                    "$top": str(PAGE),
                }
            )
            try:
                found = self.client.pages(f"{user_path(organizer)}/mailFolders/inbox/messages?{query}")
            except GraphFailure as exc:
                if exc.reply.status == 403:
                    return None
                raise
            out = {}
            for message in found:
                sender = ((message.get("from") or {}).get("emailAddress") or {}).get("address") or ""
                subject = str(message.get("subject") or "").removeprefix("Declined: ")
                text = str((message.get("body") or {}).get("content") or "")
                out[(sender.lower(), subject)] = " ".join(text.split())
            return out

    def reach(self, mailbox: str) -> Reach:
        """`GET /users/{id}/calendar` and its `canEdit`: what the app's permissions give it there."""
        with self.speaking_for(mailbox):
            reply = self.client.call(Call("GET", f"{user_path(mailbox)}/calendar?$select=canEdit"))
            if reply.status in (403, 404):  # a refusal is the answer asked for
                hint = self.client.credential_hint
                return Reach(mailbox, False, False, explain_reply(reply, self.endpoint, mailbox, hint))
            if not reply.ok:
                raise GraphFailure(reply, "calendar")
            return Reach(mailbox, True, bool(reply.body.get("canEdit")))

    def caught_up(self, organizer: str, seen: Snapshot) -> Snapshot:
        return seen  # no state: every plan lists the change keys

    def write_baseline(self, organizer: str, namespace: str, kept: Baseline) -> Baseline:
        with self.speaking_for(organizer, writing=True):
            return baseline.write(self.client, user_path(organizer), namespace, kept)

    def _meetings(self, organizer: str, events: list[dict[str, Any]]) -> list[tuple[dict, Meeting]]:
        """Each event with its model, skips and moves read from the instances of series (batched)."""
        now = self.now or datetime.now(UTC)
        out = []
        for event in events:
            found = _marker_of(event)
            out.append(
                (
                    event,
                    meeting_from_event(
                        event, found.get(marker.KEY, ""), organizer, found.get(marker.TIMEZONE)
                    ),
                )
            )
        series = {e["id"]: (i, series_window(m, now)) for i, (e, m) in enumerate(out) if m.recurrence}
        calls = [
            instances_call(organizer, event_id, start, end, select=INSTANCE_SELECT, top=str(PAGE))
            for event_id, (_, (start, end)) in series.items()
        ]
        for (i, (_, end)), reply in zip(series.values(), self.client.batch(calls), strict=True):
            if not reply.ok:
                raise GraphFailure(reply, "instances")
            values = list(reply.body.get("value", []))
            if reply.body.get("@odata.nextLink"):
                values += self.client.pages(reply.body["@odata.nextLink"])
            event, bare = out[i]
            out[i] = (event, with_exceptions(bare, values, end))
        return out

    @staticmethod
    def _observed(event: dict[str, Any], meeting: Meeting, found: Marker) -> ObservedMeeting:
        return ObservedMeeting(
            meeting,
            found,
            event["id"],
            event.get("changeKey") or "",
            event.get("iCalUId"),
            unsent=bool(event.get("isDraft")) and bool(meeting.attendees.all()),
            responses=responses_of(event),
            join_url=join_url(event),
            modified=utc(event["lastModifiedDateTime"]) if event.get("lastModifiedDateTime") else None,
            created=utc(event["createdDateTime"]) if event.get("createdDateTime") else None,
        )

    def unmanaged(self, organizer: str, subject_contains: str | None = None) -> tuple[ObservedMeeting, ...]:
        with self.speaking_for(organizer):
            events = [
                e
                for e in self.client.pages(self._events(organizer, None))
                if _unmanaged(e)
                and not set(marker.RECORD_NAMES) & set(_marker_of(e))  # the records, whatever they hold
                and e.get("isOrganizer")
                and not e.get("isCancelled")
                and (not subject_contains or subject_contains.lower() in (e.get("subject") or "").lower())
            ]
            return tuple(
                self._observed(event, meeting, Marker("", "", ""))
                for event, meeting in self._meetings(organizer, events)
            )

    def _adoptable(self, organizer: str, namespace: str, uids: set[str]) -> tuple[ObservedMeeting, ...]:
        """Unmanaged events with one of `uids` (one filtered request per UID, 20 per batch)."""
        if not uids:
            return ()
        wanted = sorted(uids)
        calls = [
            Call("GET", self._events(organizer, "iCalUId eq '" + u.replace("'", "''") + "'")) for u in wanted
        ]
        events = []
        for reply in self.client.batch(calls):
            if not reply.ok:
                raise GraphFailure(reply, "events")
            events += [e for e in reply.body.get("value", []) if _unmanaged(e)]
        return tuple(
            self._observed(event, meeting, Marker(namespace, "", ""))
            for event, meeting in self._meetings(organizer, events)
        )

    # -- apply --------------------------------------------------------------------------------------------

    def apply(self, organizer: str, writes: Sequence[Write]) -> list[WriteResult]:
        try:
            occurrences = self._occurrence_ids(organizer, writes)
        except Exception as exc:  # the lookup failed as a whole: so does every write needing it
            return [WriteResult(w, error=self.explain(exc, organizer, writing=True)) for w in writes]
        calls: list[Call | str] = []
        for write in writes:
            try:
                calls.append(request_for(organizer, write, occurrences))
            except ValueError as exc:
                calls.append(str(exc))
        real = [c for c in calls if isinstance(c, Call)]
        try:
            replies = iter(self.client.batch(real))
        except Exception as exc:  # a request that failed as a whole fails each of its writes
            return [WriteResult(w, error=self.explain(exc, organizer, writing=True)) for w in writes]
        results = []
        for write, call in zip(writes, calls, strict=True):
            if isinstance(call, str):
                results.append(WriteResult(write, error=call))
                continue
            reply = next(replies)
            if reply.ok:
                body = reply.body if isinstance(reply.body, dict) else {}
                if body.get("id") and body.get("type") in (None, "singleInstance", "seriesMaster"):
                    self.written[body["id"]] = body
                results.append(
                    WriteResult(
                        write, item_id=body.get("id", write.item_id), change_key=body.get("changeKey")
                    )
                )
            else:
                results.append(
                    WriteResult(
                        write,
                        error=explain_reply(
                            reply, self.endpoint, organizer, self.client.credential_hint, write.key, True
                        ),
                    )
                )
        return results

    def _occurrence_ids(self, organizer: str, writes: Sequence[Write]) -> dict[tuple[str, date], str]:
        """The instance id of each occurrence a skip or move addresses (one lookup per date, batched)."""
        wanted = sorted(
            {
                (w.item_id, w.occurrence, w.meeting.timezone)
                for w in writes
                if w.kind in ("skip", "move") and w.item_id and w.occurrence and w.meeting
            }
        )
        calls = [occurrence_lookup(organizer, item_id, day, tz) for item_id, day, tz in wanted]
        out: dict[tuple[str, date], str] = {}
        for (item_id, day, tz), reply in zip(wanted, self.client.batch(calls), strict=True):
            if not reply.ok:
                raise GraphFailure(reply, "instances")
            for inst in reply.body.get("value", []):
                original = utc(inst.get("originalStart") or inst["start"]).astimezone(ZoneInfo(tz)).date()
                if original == day:
                    out[(item_id, day)] = inst["id"]
        return out
