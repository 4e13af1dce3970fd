"""The EWS backend: observes and changes organizers' calendars through exchangelib.

Reads are batched (SyncFolderItems from the snapshot's state, then GetItem of the managed fields that
changed, 100 per request: `sync.py`, `backends/snapshot.py`);
writes use exchangelib's bulk operations, grouped by kind and notification option, and every per-item
result is checked. Every write states its notification option explicitly: exchangelib's default notifies
nobody.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

from exchangelib import (
    BASIC,
    DELEGATE,
    IMPERSONATION,
    NTLM,
    Account,
    Build,
    CalendarItem,
    Configuration,
    Version,
)
from exchangelib.errors import ErrorAccessDenied, ErrorImpersonateUserDenied, ErrorNonExistentMailbox
from exchangelib.folders import Calendar, MsgFolderRoot, Root
from exchangelib.items import (
    MOVE_TO_DELETED_ITEMS,
    SEND_AND_SAVE_COPY,
    SEND_TO_ALL_AND_SAVE_COPY,
    SEND_TO_CHANGED_AND_SAVE_COPY,
    SEND_TO_NONE,
    CancelCalendarItem,
)
from exchangelib.properties import DistinguishedFolderId, Mailbox, OccurrenceItemId, ReferenceItemId

from reconciler.backends import snapshot
from reconciler.backends.base import (
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
from reconciler.backends.ews import availability, baseline, bulk, lease, marker, read, sync
from reconciler.backends.ews.errors import Patient, explain
from reconciler.backends.ews.http import offered_schemes
from reconciler.backends.ews.mapping import (
    READ_FIELDS,
    UPDATE_FIELDS,
    item_fields,
    local_to_ews,
    meeting_from_item,
    responses_of,
)
from reconciler.backends.marker import KEY, NAMESPACE, uid_for
from reconciler.backends.snapshot import Listed, Snapshot
from reconciler.desired.recurrence import occurrence_index, occurrence_start

REFUSALS = (ErrorAccessDenied, ErrorImpersonateUserDenied, ErrorNonExistentMailbox)
"""What a mailbox answers an identity it does not let in (`reach`)."""
OCCURRENCE_FIELDS = ("location", "original_start")
"""A moved occurrence's own fields the model keeps (its times are on the master's list)."""

PAGE = 100
PROTOCOL = "ews"
SEND = {"none": SEND_TO_NONE, "all": SEND_TO_ALL_AND_SAVE_COPY, "changed": SEND_TO_CHANGED_AND_SAVE_COPY}


def with_distinguished_folders(account: Account) -> Account:
    """`account` with its root, calendar and top of the information store addressed by their distinguished
    names (`DistinguishedFolderId` with the mailbox), as EWS allows wherever a folder id goes: exchangelib
    would otherwise fetch each with a GetFolder first, two or three requests per organizer for nothing."""

    def named(name: str) -> DistinguishedFolderId:
        return DistinguishedFolderId(id=name, mailbox=Mailbox(email_address=account.primary_smtp_address))

    root = Root(account=account, _distinguished_id=named("root"))
    account.__dict__.update(
        root=root,
        calendar=Calendar(root=root, _distinguished_id=named("calendar")),
        msg_folder_root=MsgFolderRoot(root=root, _distinguished_id=named("msgfolderroot")),
    )
    return account


class EwsBackend(SpeaksFor):
    """A `CalendarBackend` over EWS. One exchangelib `Account` per organizer (impersonation or delegate)."""

    def __init__(
        self,
        endpoint: str,
        *,
        credentials: Any = None,
        auth_type: str | None = None,
        access: str = "impersonation",
        max_wait: float = 120,
        pin_version: bool = False,
        credentials_hint: str = "the account's credentials",
    ) -> None:
        self.endpoint = endpoint
        self.target = f"ews {endpoint}"
        self.max_wait = max_wait
        self.credentials_hint = credentials_hint
        self.config = Configuration(
            service_endpoint=endpoint,
            credentials=credentials,
            auth_type=auth_type,
            version=Version(Build(15, 1)) if pin_version else None,
            retry_policy=Patient(max_wait=max_wait),
        )
        self.access = IMPERSONATION if access == "impersonation" else DELEGATE
        self.accounts: dict[str, Account] = {}
        marker.register()
        lease.register()
        baseline.register()

    def account(self, organizer: str) -> Account:
        if organizer not in self.accounts:
            account = Account(organizer, config=self.config, autodiscover=False, access_type=self.access)
            self.accounts[organizer] = with_distinguished_folders(account)
        return self.accounts[organizer]

    # -- the apply lease --------------------------------------------------------------------------------

    def lease_items(self, mailbox: str) -> list[LeaseItem]:
        with self.speaking_for(mailbox, writing=True):  # creates the record when there is none
            return lease.lease_items(self.account(mailbox))

    def write_lease(self, mailbox: str, item: LeaseItem, holder: str) -> LeaseItem:
        with self.speaking_for(mailbox, writing=True):
            return lease.write_lease(self.account(mailbox), item, holder)

    def explain(self, exc: BaseException, mailbox: str | None, writing: bool = False) -> str:
        said = explain(exc, self.endpoint, mailbox, self.credentials_hint, self.max_wait, writing)
        if "(HTTP 401)" not in said:
            return said
        mine = {BASIC: "basic", NTLM: "ntlm"}.get(self.config.auth_type or "")
        offered = offered_schemes(self.endpoint) if mine else []
        if offered and mine not in offered:  # not a wrong password: a scheme the server does not speak
            fits = "ntlm" if {"ntlm", "negotiate"} & set(offered) else "basic" if "basic" in offered else ""
            names = ", ".join(
                {"ntlm": "NTLM", "negotiate": "Negotiate", "basic": "Basic"}.get(o, o) for o in offered
            )
            fix = f"set target.auth: {fits}" if fits else "this client cannot use them"
            return f"{self.endpoint} does not offer {mine} authentication: the server offers {names}; {fix}"
        return said

    def raw_item(self, organizer: str, item_id: str) -> dict[str, Any]:
        with self.speaking_for(organizer):
            item = self.account(organizer).calendar.get(id=item_id)
            return {f.name: getattr(item, f.name, None) for f in item.FIELDS}

    def close(self) -> None:
        from exchangelib import close_connections

        close_connections()
        self.accounts.clear()

    # -- observe ------------------------------------------------------------------------------------------

    def observe(
        self, organizer: str, namespace: str, adopt: Collection[str] = (), full: bool = False
    ) -> Observation:
        with self.speaking_for(organizer):
            return self._observe(organizer, namespace, adopt, full)

    def _observe(self, organizer: str, namespace: str, adopt: Collection[str], full: bool) -> Observation:
        """The record first (it holds the snapshot), then what changed since (`sync.py`), then a read of
        the items the snapshot does not know as they are now (`snapshot.py`)."""
        account = self.account(organizer)
        found, requests = baseline.read(account, namespace)
        remembered = None if full or found is None else found.snapshot_for(PROTOCOL)
        listing, state, listed = sync.listing(account, remembered)
        observed, wanted = snapshot.replayed(listing, namespace, remembered)
        items = list(read.read_items(account, [(i, None) for i in wanted], [*READ_FIELDS, *marker.FIELDS]))
        locations = self._occurrence_locations(account, items)
        fresh = []
        for item in items:  # as read now, which may be later than listed
            key = item.properties.get(KEY)
            if not key:  # no longer marked (or released over Graph, which empties the marker)
                listing.pop(item.id, None)
                continue
            listing[item.id] = Listed(item.changekey, item.properties.get(NAMESPACE) or "", key)
            if listing[item.id].namespace == namespace:
                fresh.append(self._managed(item, namespace, organizer, locations))
        for item_id in set(wanted) - {item.id for item in items}:  # gone since it was listed
            listing.pop(item_id, None)
        observed.update((o.item_id, o) for o in fresh)
        mine, duplicates = snapshot.assembled(observed.values())
        managed_uids = {o.uid for o in observed.values()}
        adoptable, extra = self._adoptable(account, organizer, namespace, set(adopt) - managed_uids)
        if found is None:
            found, older = baseline.read_older(account, namespace, bool(mine))
            requests += older
        seen = Snapshot(MappingProxyType(listing), MappingProxyType(observed), state, PROTOCOL)
        kept = replace(found, snapshot=seen)
        gets = math.ceil(len(items) / PAGE) + math.ceil(sum(len(v) for v in locations.values()) / PAGE)
        return Observation(
            organizer,
            tuple(mine),
            tuple(duplicates),
            snapshot.other_namespaces(listing, namespace),
            requests + listed + gets + extra,
            adoptable,
            kept,
            kept.notes(organizer),
        )

    def _managed(
        self, item: Any, namespace: str, organizer: str, locations: dict[str, dict[date, str | None]]
    ) -> ObservedMeeting:
        stamp = item.properties
        key = stamp.get("reconciler-key", "")
        zone = stamp.get("reconciler-timezone")
        meeting = meeting_from_item(item, key, organizer, zone, locations.get(item.id))
        return ObservedMeeting(
            meeting,
            Marker(namespace, key, stamp.get("reconciler-spec-hash", "")),
            item.id,
            item.changekey,
            item.uid,
            unsent=bool(meeting.attendees.all()) and not item.request_was_sent,
            responses=responses_of(item),
            modified=item.last_modified,
            created=item.created,
            modified_by=item.last_modified_by,
        )

    def read_back(
        self, organizer: str, namespace: str, item_ids: Sequence[str]
    ) -> tuple[ObservedMeeting, ...]:
        """The items as they are now, 100 per GetItem, with their moved occurrences' locations (what the
        next plan takes from the snapshot instead of reading them)."""
        with self.speaking_for(organizer):
            account = self.account(organizer)
            items = list(
                read.read_items(account, [(i, None) for i in item_ids], [*READ_FIELDS, *marker.FIELDS])
            )
            locations = self._occurrence_locations(account, items)
            return tuple(self._managed(item, namespace, organizer, locations) for item in items)

    def free_busy(
        self, organizer: str, rooms: Sequence[str], start: datetime, end: datetime
    ) -> dict[str, list[tuple[datetime, datetime]]]:
        with self.speaking_for(organizer):
            return availability.free_busy(self.account(organizer), rooms, start, end)

    def room_answers(self, organizer: str) -> dict[tuple[str, str], str] | None:
        with self.speaking_for(organizer):
            return availability.declines(self.account(organizer))

    def reach(self, mailbox: str) -> Reach:
        """GetFolder of the Calendar with its EffectiveRights (a delegate sees its own rights there)."""
        with self.speaking_for(mailbox):
            try:
                rights = Calendar.get_distinguished(root=self.account(mailbox).root).effective_rights
            except REFUSALS as exc:  # a refusal is the answer asked for
                return Reach(mailbox, False, False, self.explain(exc, mailbox))
        read, create, modify, delete = (
            bool(getattr(rights, name, False)) for name in ("read", "create_contents", "modify", "delete")
        )
        return Reach(mailbox, read, create and modify and delete)

    def caught_up(self, organizer: str, seen: Snapshot) -> Snapshot:
        with self.speaking_for(organizer):
            listing, state, _ = sync.listing(self.account(organizer), seen)
        return replace(seen, listing=MappingProxyType(listing), state=state, since=frozenset())

    def write_baseline(self, organizer: str, namespace: str, kept: Baseline) -> Baseline:
        with self.speaking_for(organizer, writing=True):
            return baseline.write(self.account(organizer), namespace, kept)

    def unmanaged(self, organizer: str, subject_contains: str | None = None) -> tuple[ObservedMeeting, ...]:
        with self.speaking_for(organizer):
            return self._unmanaged(organizer, subject_contains)

    def _unmanaged(self, organizer: str, subject_contains: str | None) -> tuple[ObservedMeeting, ...]:
        account = self.account(organizer)
        query = account.calendar.exclude(reconciler_key__exists=True).exclude(reconciler_lease__exists=True)
        query = query.exclude(reconciler_baseline_namespace__exists=True)  # the records are not meetings
        if subject_contains:
            query = query.filter(subject__icontains=subject_contains)
        items = [
            i
            for i in read.read_items(account, query.values_list("id", "changekey"), READ_FIELDS)
            if i.my_response_type == "Organizer" and not i.is_cancelled
        ]
        locations = self._occurrence_locations(account, items)
        return tuple(
            ObservedMeeting(
                meeting_from_item(i, "", organizer, None, locations.get(i.id)),
                Marker("", "", ""),
                i.id,
                i.changekey,
                i.uid,
            )
            for i in items
        )

    def _adoptable(
        self, account: Account, organizer: str, namespace: str, uids: set[str]
    ) -> tuple[tuple[ObservedMeeting, ...], int]:
        """Unmanaged items with one of `uids` (UIDs cannot be filtered on in EWS: read the ids and UIDs)."""
        if not uids:
            return (), 0
        unmanaged = list(account.calendar.exclude(reconciler_key__exists=True).only("uid"))
        wanted = [i for i in unmanaged if i.uid in uids]
        full = list(read.read_items(account, wanted, READ_FIELDS))
        locations = self._occurrence_locations(account, full)
        out = tuple(
            ObservedMeeting(
                meeting_from_item(i, "", organizer, None, locations.get(i.id)),
                Marker(namespace, "", ""),
                i.id,
                i.changekey,
                i.uid,
            )
            for i in full
        )
        requests = max(1, math.ceil(len(unmanaged) / PAGE)) * 2 + math.ceil(len(wanted) / PAGE)
        return out, requests

    def _occurrence_locations(self, account: Account, items: list) -> dict[str, dict[date, str | None]]:
        """Locations of moved occurrences: one batched GetItem for all of them, only when there are any."""
        wanted = [(item, occ) for item in items for occ in item.modified]
        fetched = read.answers(account, [(occ.item_id, None) for _, occ in wanted], OCCURRENCE_FIELDS)
        out: dict[str, dict[date, str | None]] = {}
        for (item, _), got in zip(wanted, fetched, strict=True):
            if isinstance(got, Exception) or got.original_start is None:
                continue
            tz = item.start_zone
            day = got.original_start.astimezone(tz).date() if tz else got.original_start.date()
            out.setdefault(item.id, {})[day] = got.location
        return out

    # -- apply --------------------------------------------------------------------------------------------

    def apply(self, organizer: str, writes: Sequence[Write]) -> list[WriteResult]:
        account = self.account(organizer)
        results: dict[int, WriteResult] = {}
        groups: dict[tuple[str, str], list[int]] = {}
        for i, write in enumerate(writes):
            groups.setdefault((write.kind, write.send), []).append(i)
        handlers: dict[str, Callable[..., list[Any]]] = {
            "create": self._create,
            "update": self._update,
            "invite": self._update,
            "adopt": self._update,
            "restore": self._update,
            "release": self._release,
            "move": self._move,
            "skip": self._skip,
            "cancel": self._cancel,
        }
        for (kind, send), indexes in groups.items():
            batch = [writes[i] for i in indexes]
            try:
                outcomes = handlers[kind](account, batch, send)
            except Exception as exc:  # a request that failed as a whole fails each of its writes
                outcomes = [exc] * len(batch)
            for i, outcome in zip(indexes, outcomes, strict=True):
                results[i] = self._result(writes[i], outcome, organizer)
        return [results[i] for i in range(len(writes))]

    def _result(self, write: Write, outcome: Any, organizer: str) -> WriteResult:
        if isinstance(outcome, Exception):
            return WriteResult(write, error=self.explain(outcome, organizer, writing=True))
        if isinstance(outcome, tuple):
            return WriteResult(write, item_id=outcome[0], change_key=outcome[1])
        return WriteResult(
            write,
            item_id=getattr(outcome, "id", write.item_id),
            change_key=getattr(outcome, "changekey", None),
        )

    def _marker_fields(self, write: Write) -> dict[str, Any]:
        meeting = write.meeting
        return {
            "reconciler_namespace": write.marker.namespace,
            "reconciler_key": write.marker.key,
            "reconciler_spec_hash": write.marker.spec_hash,
            "reconciler_timezone": meeting.timezone if meeting else None,
        }

    def _create(self, account: Account, writes: list[Write], send: str) -> list[Any]:
        items = []
        for write in writes:
            assert write.meeting is not None
            items.append(
                CalendarItem(
                    account=account,
                    folder=account.calendar,
                    uid=uid_for(write.marker.namespace, write.marker.key),
                    **item_fields(write.meeting),
                    **self._marker_fields(write),
                )
            )
        return bulk.create(account, account.calendar, items, SEND[send])

    def _update(self, account: Account, writes: list[Write], send: str) -> list[Any]:
        pairs = []
        for write in writes:
            assert write.meeting is not None
            fields = item_fields(write.meeting)
            names: list[str] = []
            for model_field in write.fields:
                names += [n for n in UPDATE_FIELDS.get(model_field, ()) if n not in names]
            if write.kind == "restore" and "recurrence" not in names:
                names.append("recurrence")  # re-setting the pattern makes Exchange drop every exception
            values = {n: fields[n] for n in names}
            item = CalendarItem(
                account=account,
                folder=account.calendar,
                id=write.item_id,
                changekey=write.change_key,
                **values,
                **self._marker_fields(write),
            )
            pairs.append((item, [*names, *marker.FIELDS]))
        return bulk.update(account, pairs, SEND[send], conflict_resolution="NeverOverwrite")

    def _release(self, account: Account, writes: list[Write], send: str) -> list[Any]:
        """The marker's properties deleted (UpdateItem's DeleteItemField), nothing else touched or sent."""
        pairs = []
        for write in writes:
            item = CalendarItem(
                account=account, folder=account.calendar, id=write.item_id, changekey=write.change_key
            )
            for name in marker.FIELDS:
                setattr(item, name, None)
            pairs.append((item, list(marker.FIELDS)))
        return bulk.update(account, pairs, SEND[send], conflict_resolution="NeverOverwrite")

    def _occurrences(self, account: Account, writes: list[Write]) -> list[Any]:
        """The occurrence each write addresses (by InstanceIndex), or the error that it has none."""
        out: list[Any] = []
        for write in writes:
            assert write.meeting is not None and write.occurrence is not None
            index = occurrence_index(write.meeting, write.occurrence)
            if index is None:
                out.append(ValueError(f"{write.occurrence} is not an occurrence of {write.key}"))
                continue
            out.append(
                CalendarItem(
                    account=account,
                    folder=account.calendar,
                    _id=OccurrenceItemId(id=write.item_id, changekey=None, instance_index=index),
                )
            )
        return out

    @staticmethod
    def _merge(targets: list[Any], answers: list[Any]) -> list[Any]:
        """Answers for the addressable targets, in place; the targets' own errors elsewhere."""
        it = iter(answers)
        return [t if isinstance(t, Exception) else next(it) for t in targets]

    def _skip(self, account: Account, writes: list[Write], send: str) -> list[Any]:
        targets = self._occurrences(account, writes)
        answers = bulk.delete(
            account,
            [t for t in targets if not isinstance(t, Exception)],
            SEND[send],
            delete_type=MOVE_TO_DELETED_ITEMS,
        )
        return self._merge(targets, answers)

    def _move(self, account: Account, writes: list[Write], send: str) -> list[Any]:
        targets = self._occurrences(account, writes)
        pairs = []
        for write, occ in zip(writes, targets, strict=True):
            if isinstance(occ, Exception):
                continue
            meeting = write.meeting
            assert meeting is not None and write.occurrence is not None
            override = next((m for m in meeting.moves if m.date == write.occurrence), None)  # None: move back
            start = (override.start if override else None) or occurrence_start(meeting, write.occurrence)
            assert start is not None
            occ.start = local_to_ews(start, meeting.timezone)
            occ.end = local_to_ews(
                start + ((override.duration if override else None) or meeting.duration), meeting.timezone
            )
            location = override.location if override else None
            occ.location = location if location is not None else meeting.location
            pairs.append((occ, ["start", "end", "location"]))
        answers = bulk.update(account, pairs, SEND[send], conflict_resolution="AlwaysOverwrite")
        return self._merge(targets, answers)

    def _cancel(self, account: Account, writes: list[Write], send: str) -> list[Any]:
        if send == "none":  # our own duplicates: removed without a message (attendees share the UID)
            return bulk.delete(
                account,
                [(w.item_id, w.change_key) for w in writes],
                SEND_TO_NONE,
                delete_type=MOVE_TO_DELETED_ITEMS,
            )
        items = [
            CancelCalendarItem(
                account=account,
                reference_item_id=ReferenceItemId(id=w.item_id, changekey=w.change_key),
                new_body=w.message,
            )
            for w in writes
        ]
        return bulk.create(account, account.sent, items, SEND_TO_NONE, message_disposition=SEND_AND_SAVE_COPY)
