"""The one small interface between the engine and a calendar service.

The engine never sees exchangelib: it reads an `Observation` per organizer and hands the backend a batch of
`Write`s. A Microsoft Graph backend implements the same two methods. Everything here is plain data.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal, Protocol

from reconciler.backends.baseline import Baseline
from reconciler.backends.observed import Answer as Answer
from reconciler.backends.observed import Marker, ObservedMeeting
from reconciler.backends.observed import Response as Response
from reconciler.backends.snapshot import Snapshot
from reconciler.desired.model import Meeting

Send = Literal["none", "all", "changed"]
"""Who is notified by a write: nobody (save only), every attendee, or only added/removed attendees.

Backends map these explicitly (EWS: SendToNone, SendToAllAndSaveCopy, SendToChangedAndSaveCopy); there is
no implicit default, because exchangelib's default notifies nobody.
"""

WriteKind = Literal[
    "create",  # new item, marker set in the same request, deterministic UID
    "update",  # change `fields` of the series master (or single meeting)
    "cancel",  # cancel the whole meeting, with cancellations to attendees
    "skip",  # cancel one occurrence (`occurrence`), with cancellations for that occurrence
    "move",  # change one occurrence (`occurrence`) to the desired override
    "restore",  # undo a skip or move the files no longer ask for (re-states the series)
    "adopt",  # stamp the marker on an existing unmanaged item, notifying nobody
    "invite",  # send a meeting that was created silently (so its skips and moves were in place first)
    "release",  # take the marker off an item, notifying nobody: it stays, no longer managed
]


@dataclass(frozen=True)
class Observation:
    """Everything the engine needs to know about one organizer's calendar for one namespace."""

    organizer: str
    meetings: tuple[ObservedMeeting, ...]
    duplicates: tuple[ObservedMeeting, ...] = ()
    """Further items carrying a key already seen in `meetings` (repairs cancel them)."""
    other_namespaces: tuple[str, ...] = ()
    """Namespaces of other repositories found in the same calendar: reported, never touched."""
    requests: int = 0
    """Service requests the observation took (the plan shows it; benchmarks compare it)."""
    adoptable: tuple[ObservedMeeting, ...] = ()
    """Unmanaged items whose UID a meeting file names (`uid:`): adopted without sending anything."""
    baseline: Baseline = field(default_factory=Baseline)
    """How the server kept what the reconciler last wrote (`backends/baseline.py`), read with the calendar."""
    notes: tuple[str, ...] = ()
    """What the plan says once about this calendar (a record out of reach, reasons that need mail rights)."""


@dataclass(frozen=True)
class Write:
    """One change for the backend to make. `change_key` is what the plan saw; a mismatch is a conflict."""

    kind: WriteKind
    key: str
    send: Send
    marker: Marker
    meeting: Meeting | None = None  # desired state (all kinds but cancel)
    item_id: str | None = None  # existing item (all kinds but create)
    change_key: str | None = None
    fields: tuple[str, ...] = ()  # model field names to update (update)
    occurrence: date | None = None  # original date of the occurrence (skip, move)
    message: str | None = None  # text sent with a cancellation


@dataclass(frozen=True)
class WriteResult:
    """The outcome of one `Write`, in request order. `error` is None on success."""

    write: Write
    error: str | None = None
    item_id: str | None = None
    change_key: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class LeaseItem:
    """One lease record in a mailbox, as read: its id, its version (EWS ChangeKey, Graph ETag) and content.

    `holder` is the JSON the holder wrote, or "" when the lease is free.
    """

    item_id: str
    version: str
    holder: str
    created: str = ""
    """Server creation time (ISO 8601), to agree on one record when two were created at once."""


@dataclass(frozen=True)
class Reach:
    """What the configured identity may do with one mailbox's calendar, as the service says (`reconciler
    access`): Graph's `canEdit` on the calendar, EWS's EffectiveRights on the Calendar folder."""

    mailbox: str
    read: bool
    write: bool
    refusal: str = ""
    """Why it may not read, with the fix (empty when it may)."""


NOT_RETRYABLE = "running again will not help"
"""Said in a write's error when the server refuses it for what it is (too large, a mailbox that does not
exist, rights the account lacks): the summary then does not promise that a re-run converges."""


class LeaseConflict(Exception):
    """The lease record changed since it was read (a compare-and-swap lost)."""


class BackendError(Exception):
    """The target cannot be reached, configured or used; the message names where, and the likely fix."""


class SpeaksFor:
    """Turns any failure talking to the service for a mailbox into a `BackendError` a user can act on."""

    def explain(self, exc: BaseException, mailbox: str | None, writing: bool = False) -> str:
        """`writing`: the failure was of a write (a refusal then names the write right, not the read)."""
        raise NotImplementedError

    @contextmanager
    def speaking_for(self, mailbox: str, writing: bool = False) -> Iterator[None]:
        try:
            yield
        except LeaseConflict:
            raise
        except Exception as exc:
            raise BackendError(self.explain(exc, mailbox, writing)) from exc


class CalendarBackend(Protocol):
    """A calendar service that can list and change an organizer's managed meetings."""

    target: str
    """Human-readable target for plan headers, e.g. `ews http://127.0.0.1:8765/EWS/Exchange.asmx`."""

    def observe(
        self, organizer: str, namespace: str, adopt: Collection[str] = (), full: bool = False
    ) -> Observation:
        """Read the organizer's managed items of `namespace`, batched (no request per meeting): only those
        changed since the snapshot the record keeps (`snapshot.py`), every one with `full`.

        `adopt`: UIDs of unmanaged items to report as adoptable (costs one more pass over the calendar).
        """
        ...

    def unmanaged(self, organizer: str, subject_contains: str | None = None) -> tuple[ObservedMeeting, ...]:
        """Meetings the organizer organizes that carry no reconciler marker (for `reconciler import`)."""
        ...

    def apply(self, organizer: str, writes: Sequence[Write]) -> list[WriteResult]:
        """Carry out writes for one organizer, batched where possible; one result per write, in order.

        A failure of one write is reported in its result and never prevents the others.
        """
        ...

    def read_back(
        self, organizer: str, namespace: str, item_ids: Sequence[str]
    ) -> tuple[ObservedMeeting, ...]:
        """The managed items `item_ids` as the calendar holds them now (after this run's writes), batched."""
        ...

    def caught_up(self, organizer: str, seen: Snapshot) -> Snapshot:
        """`seen` (the snapshot an apply keeps after its writes) with its synchronisation state moved past
        them: what others changed meanwhile is then to be read by the next plan, and the plan does not replay
        this run's own writes (EWS: SyncFolderItems from the state; Graph, which keeps none: `seen`)."""
        ...

    def write_baseline(self, organizer: str, namespace: str, baseline: Baseline) -> Baseline:
        """Keep `baseline` in the organizer's mailbox (creating its record the first time); the record as
        written. The caller holds the organizer's apply lease."""
        ...

    def free_busy(
        self, organizer: str, rooms: Sequence[str], start: datetime, end: datetime
    ) -> dict[str, list[tuple[datetime, datetime]]]:
        """Each room's busy blocks between `start` and `end`, read as `organizer` (batched: up to 100 rooms
        and a few weeks per request)."""
        ...

    def room_answers(self, organizer: str) -> dict[tuple[str, str], str] | None:
        """(room, meeting subject) → the text of each decline a room sent the organizer; None when the
        identity may not read the organizer's inbox (calendar rights alone: the declines themselves are
        the rooms' attendee status, read with the meetings)."""
        ...

    def lease_items(self, mailbox: str) -> list[LeaseItem]:
        """The mailbox's lease records (normally one), creating a free one when there is none."""
        ...

    def write_lease(self, mailbox: str, item: LeaseItem, holder: str) -> LeaseItem:
        """Replace `item`'s holder if its version is still `item.version`; `LeaseConflict` otherwise."""
        ...

    def reach(self, mailbox: str) -> Reach:
        """What the identity may do with `mailbox`'s calendar (one request; a refusal is an answer)."""
        ...

    def raw_item(self, organizer: str, item_id: str) -> dict[str, Any]:
        """One calendar item's fields as the service returns them (`show --raw`, for troubleshooting)."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...
