"""Desired meetings × observed calendars → a `Plan`. Pure: no I/O.

Per meeting: create, update (field-level, and occurrence-level for skips and moves), rename (through
`previous_keys`: an update, never cancel plus create), drift (the calendar differs although the last-applied
hash matches the files: someone edited it in Outlook; restored), cancel (left the files; only reported as
`orphan` when prune is off) and duplicate (a second item with the same key, removed without a message,
because attendees' copies share the UID).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from reconciler.backends.base import Marker, Observation, ObservedMeeting, Send, Write
from reconciler.backends.baseline import Baseline, Entry
from reconciler.config import Settings
from reconciler.desired.canonical import desired_checksum, plain, spec_hash
from reconciler.desired.model import Meeting
from reconciler.desired.schedule import next_occurrences
from reconciler.plan.baseline import MASTER_FIELDS, Comparison, compare, differs
from reconciler.plan.changes import Change, FieldChange, Plan
from reconciler.plan.describe import describe_fields

RESETS_EXCEPTIONS = {"start", "duration", "timezone", "all_day", "recurrence"}
"""Setting these on a series makes Exchange drop its deleted and modified occurrences."""


def field_changes(
    desired: Meeting, observed: Meeting, names: tuple[str, ...] | None = None
) -> tuple[FieldChange, ...]:
    """`names` (default: every field that differs) as changes from the calendar's value to the files'."""
    if names is None:
        names = tuple(f for f in MASTER_FIELDS if differs(f, getattr(desired, f), getattr(observed, f)))
    return tuple(FieldChange(f, plain(getattr(observed, f)), plain(getattr(desired, f))) for f in names)


def _send(setting: str, meeting: Meeting | None, allow_changed: bool = False) -> Send:
    choice = meeting.notify if meeting and meeting.notify else setting
    if choice == "changed" and not allow_changed:
        return "all"
    return choice  # type: ignore[return-value]


def _attendees(meeting: Meeting) -> tuple[str, ...]:
    return tuple(sorted(a.address for a in meeting.attendees.all()))


def _occurrence_writes(
    desired: Meeting, observed: Meeting | None, send: Send, marker: Marker, item_id: str | None, fresh: bool
) -> list[Write]:
    """Skip and move writes that bring the series' occurrences to the desired ones.

    `fresh`: the series has no exceptions yet (just created, restored, or its start or pattern changed).
    """
    have_skip = set() if observed is None or fresh else set(observed.skip)
    have_moves = {} if observed is None or fresh else {m.date: m for m in observed.moves}
    want_moves = {m.date: m for m in desired.moves}
    writes = [
        Write("skip", desired.key, send, marker, desired, item_id, occurrence=d)
        for d in desired.skip
        if d not in have_skip
    ]
    for day in sorted(set(want_moves) | set(have_moves)):
        if want_moves.get(day) != have_moves.get(day):  # changed, added, or moved back (no override)
            writes.append(Write("move", desired.key, send, marker, desired, item_id, occurrence=day))
    return writes


def _messages(
    writes: Sequence[Write], desired: Meeting | None, observed: Meeting | None
) -> tuple[int, int, set]:
    """(messages, deliveries, recipients) the writes will cause, counted as Exchange sends them."""
    now = set(_attendees(desired)) if desired else set()
    before = set(_attendees(observed)) if observed else set()
    messages = deliveries = 0
    recipients: set[str] = set()

    def send(to: set[str]) -> None:
        nonlocal messages, deliveries
        if to:
            messages += 1
            deliveries += len(to)
            recipients.update(to)

    for w in writes:
        if w.send == "none":
            continue
        if w.kind in ("create", "invite", "skip", "move", "restore"):
            send(now)
        elif w.kind == "cancel":
            send(before)
        elif w.kind == "update":
            send(now - before if w.send == "changed" else now)
            send(before - now)
    return messages, deliveries, recipients


def _change(
    action: str,
    desired: Meeting | None,
    observed: ObservedMeeting | None,
    writes: list[Write],
    fields: tuple[FieldChange, ...] = (),
    reason: str = "",
    organizer: str = "",
) -> Change:
    meeting = desired or (observed.meeting if observed else None)
    assert meeting is not None
    messages, deliveries, recipients = _messages(writes, desired, observed.meeting if observed else None)
    return Change(
        action=action,
        key=meeting.key if desired else observed.marker.key,  # type: ignore[union-attr]
        organizer=organizer or meeting.organizer,
        subject=meeting.subject,
        summary=describe_fields(fields, desired, observed.meeting if observed else None),
        reason=reason,
        fields=fields,
        writes=tuple(writes),
        messages=messages,
        recipients=tuple(sorted(recipients)),
        deliveries=deliveries,
        item_id=observed.item_id if observed else None,
        change_key=observed.change_key if observed else None,
    )  # type: ignore[arg-type]


def _release(found: ObservedMeeting) -> Change:
    """Take the marker off, notifying nobody: the meeting stays as it is, its organizer's own again."""
    writes = [Write("release", found.marker.key, "none", found.marker, None, found.item_id, found.change_key)]
    reason = "release: true in its file; the meeting stays in every calendar, no longer managed"
    return _change("release", None, found, writes, reason=reason)


def _create(desired: Meeting, settings: Settings, reason: str = "") -> Change:
    marker = Marker(settings.namespace, desired.key, spec_hash(desired))
    send = _send(settings.policy.notify.create, desired)
    if not desired.skip and not desired.moves:
        return _change(
            "create", desired, None, [Write("create", desired.key, send, marker, desired)], reason=reason
        )
    if settings.target.speaks == "graph":
        # Graph invites on create: the skipped and moved occurrences follow as messages of their own.
        writes = [Write("create", desired.key, send, marker, desired)]
        writes += _occurrence_writes(desired, None, send, marker, None, fresh=True)
        note = "Graph sends the invitation on create, so each skip and move follows as its own message"
        return _change("create", desired, None, writes, reason="; ".join(r for r in (reason, note) if r))
    # Created silently, exceptions put in place, then sent: each attendee gets one invitation.
    writes = [Write("create", desired.key, "none", marker, desired)]
    writes += _occurrence_writes(desired, None, "none", marker, None, fresh=True)
    writes.append(Write("invite", desired.key, send, marker, desired))
    return _change("create", desired, None, writes, reason=reason)


def _update(
    desired: Meeting, observed: ObservedMeeting, settings: Settings, known: Comparison
) -> Change | None:
    marker = Marker(settings.namespace, desired.key, spec_hash(desired))
    fields = field_changes(desired, observed.meeting, known.fields)
    renamed = observed.marker.key != desired.key
    names = tuple(f.field for f in fields)
    only_attendees = names == ("attendees",)
    invite = _send(settings.policy.notify.create, desired)
    # Created silently by an apply that stopped before its invitation: finish that create, the same way
    # (changes and exceptions silently, then one invitation), so nobody hears of it twice.
    owed = observed.unsent and invite != "none"
    send = "none" if owed else _send(settings.policy.notify.update, desired, allow_changed=only_attendees)
    reset = bool(RESETS_EXCEPTIONS & set(names))
    restore = not reset and bool(set(observed.meeting.skip) - set(desired.skip))  # a skip cannot be undone
    occurrence_writes = _occurrence_writes(
        desired, observed.meeting, send, marker, observed.item_id, fresh=reset or restore
    )
    skip_or_move = (desired.skip, desired.moves) != (observed.meeting.skip, observed.meeting.moves)
    stale_marker = observed.marker.spec_hash != marker.spec_hash and not known.accepted
    if not (fields or occurrence_writes or restore or renamed or stale_marker or owed):
        return None
    writes: list[Write] = []
    if fields or restore:
        kind = "update" if fields else "restore"
        writes.append(
            Write(
                kind,
                desired.key,
                send,
                marker,
                desired,
                observed.item_id,
                observed.change_key,
                fields=names + (("recurrence",) if restore and "recurrence" not in names else ()),
            )
        )
    elif renamed or stale_marker:  # re-stamp the marker only: nobody is notified
        writes.append(
            Write("update", desired.key, "none", marker, desired, observed.item_id, observed.change_key)
        )
    writes += occurrence_writes
    if owed:
        writes.append(Write("invite", desired.key, invite, marker, desired, observed.item_id))
    drift = not owed and not renamed and (bool(known.drifted) or (not stale_marker and skip_or_move))
    action = "drift" if drift else "rename" if renamed and not fields and not skip_or_move else "update"
    if owed and not renamed and not (stale_marker and fields):
        action = "finish"  # nothing the files ask for: the invitation the last apply did not get to send
    if owed:
        reason = "finishing the last apply: created but never sent (it stopped before the invitation)"
    elif drift:
        reason = "edited in the calendar; restoring the files' version"
    else:
        reason = f"renamed from {observed.marker.key}" if renamed else ""
    return _change(action, desired, observed, writes, fields, reason)


def _schedule(meeting: Meeting) -> tuple:
    """Who and when, zone-independent: what a renamed meeting keeps (its key is all that changed)."""
    start = meeting.start.replace(tzinfo=ZoneInfo(meeting.timezone)).astimezone(UTC)
    return (meeting.organizer, start, meeting.duration, meeting.all_day, repr(plain(meeting.recurrence)))


def _renames(
    changes: list[Change], desired: dict[str, Meeting], removed: list[ObservedMeeting]
) -> dict[str, str]:
    """Old key → new key, for each create with the organizer and schedule of a meeting removed from the files:
    it looks like a renamed key, which `previous_keys` turns into an update (no cancel and re-invite)."""
    gone: dict[tuple, list[ObservedMeeting]] = {}
    for o in removed:
        gone.setdefault(_schedule(o.meeting), []).append(o)
    out: dict[str, str] = {}
    for c in changes:
        found = gone.get(_schedule(desired[c.key]), []) if c.action == "create" and not c.reason else []
        if found:  # several alike: the one with the same subject, else the first by key
            old = next((o for o in found if o.meeting.subject == c.subject), found[0])
            out[old.marker.key] = c.key
    return out


def _with_upcoming(
    change: Change, desired: dict[str, Meeting], held: dict[str, Meeting], now: datetime
) -> Change:
    if change.action not in ("create", "update", "drift", "cancel", "adopt", "finish"):
        return change
    before = next_occurrences(held.get(change.item_id or ""), now)
    after = () if change.action == "cancel" else next_occurrences(desired.get(change.key), now)
    return replace(change, before=before, after=after)


def diff(
    desired: Sequence[Meeting],
    observations: Sequence[Observation],
    settings: Settings,
    target: str,
    now: datetime | None = None,
    checksum: str | None = None,
) -> Plan:
    """`now`: from when a change's next occurrences are listed (none are listed without it); `checksum`:
    the desired state's, when already known."""
    observed: dict[str, ObservedMeeting] = {}
    duplicates: list[ObservedMeeting] = []
    for obs in observations:
        for o in obs.meetings:
            if o.marker.key in observed:  # the same key under two organizers: the second one is a duplicate
                duplicates.append(o)
            else:
                observed[o.marker.key] = o
        duplicates += obs.duplicates
    adoptable = {(o.meeting.organizer, o.uid): o for obs in observations for o in obs.adoptable}
    remembered = {
        o.marker.key: obs.baseline.entries.get(o.marker.key) for obs in observations for o in obs.meetings
    }
    at = now.isoformat(timespec="seconds") if now else ""
    learned: dict[str, dict[str, Entry | None]] = {obs.organizer: {} for obs in observations}
    changes: list[Change] = []
    claimed: set[str] = set()
    for meeting in sorted(desired, key=lambda m: m.key):
        match = observed.get(meeting.key)
        if match is None:
            match = next(
                (observed[k] for k in meeting.previous_keys if k in observed and k not in claimed), None
            )
        if meeting.release:  # let it go: nothing to create, nothing to cancel
            if match is not None:
                claimed.add(match.marker.key)
                changes.append(_release(match))
            continue
        if match is None and (meeting.organizer, meeting.uid) in adoptable:
            changes.append(_adopt(meeting, adoptable[(meeting.organizer, meeting.uid)], settings))
            continue
        if match is None:
            changes.append(_create(meeting, settings))
            continue
        claimed.add(match.marker.key)
        if (
            match.meeting.organizer != meeting.organizer
        ):  # a meeting moves calendars: cancel there, create here
            changes.append(_cancel(match, settings, f"organizer changed to {meeting.organizer}"))
            changes.append(_create(meeting, settings, f"organizer changed from {match.meeting.organizer}"))
            continue
        known = compare(meeting, match, remembered.get(match.marker.key), at)
        if known.entry is not remembered.get(match.marker.key):
            learned[match.meeting.organizer][match.marker.key] = known.entry
        change = _update(meeting, match, settings, known)
        if change:
            changes.append(change)
    removed = [o for key, o in sorted(observed.items()) if key not in claimed]
    renamed = _renames(changes, {m.key: m for m in desired}, removed)
    hint = {
        new: f"renamed from {old}? add `previous_keys: [{old}]` to keep it" for old, new in renamed.items()
    }
    changes = [
        replace(c, reason=hint[c.key]) if c.action == "create" and c.key in hint else c for c in changes
    ]
    for o in removed:
        reason = "removed from the meeting files"
        if o.marker.key in renamed:
            old, new = o.marker.key, renamed[o.marker.key]
            reason += f"; renamed to {new}? add `previous_keys: [{old}]` there to keep it"
        changes.append(_cancel(o, settings, reason))
    silent = settings.target.speaks == "ews"  # Graph cannot remove a meeting without a cancellation
    for o in duplicates:
        send: Send = "none" if silent else "all"
        writes = [Write("cancel", o.marker.key, send, o.marker, None, o.item_id, o.change_key)]
        changes.append(
            _change(
                "duplicate",
                None,
                o,
                writes,
                reason=(
                    "a second item with the same key; removed without notifying (attendees share its UID)"
                    if silent
                    else "a second item with the same key; removed (Graph sends its attendees a cancellation)"
                ),
                organizer=o.meeting.organizer,
            )
        )
    if now is not None:
        wanted = {m.key: m for m in desired}
        held = {o.item_id: o.meeting for obs in observations for o in (*obs.meetings, *obs.adoptable)}
        changes = [_with_upcoming(c, wanted, held, now) for c in changes]
    managed = len(observed) + len(duplicates)
    baselines = {obs.organizer: _settled(obs, learned.get(obs.organizer, {})) for obs in observations}
    return Plan(
        namespace=settings.namespace,
        target=target,
        changes=tuple(changes),
        desired_checksum=checksum or desired_checksum(sorted(desired, key=lambda m: m.key)),
        managed=managed,
        desired=len(desired),
        other_namespaces=tuple(sorted({n for obs in observations for n in obs.other_namespaces})),
        message_rate_per_minute=settings.policy.message_rate_per_minute,
        observe_requests=sum(obs.requests for obs in observations),
        organizers=tuple(sorted({obs.organizer for obs in observations})),
        notes=tuple(note for obs in observations for note in obs.notes),
        baselines=baselines,
    )


def _settled(observation: Observation, learned: dict[str, Entry | None]) -> Baseline:
    """The organizer's baseline after this plan: what was learned, and no entry for a meeting that is gone."""
    present = {o.marker.key for o in observation.meetings}
    gone = {key: None for key in observation.baseline.entries if key not in present}
    return observation.baseline.updated({**gone, **learned})


def _adopt(desired: Meeting, found: ObservedMeeting, settings: Settings) -> Change:
    """Take over an existing meeting: stamp the marker, notify nobody.

    When the file already asks for something else, the stamped hash is the calendar's own, so the next plan
    shows that difference as an update the files make (not as drift).
    """
    existing = replace(found.meeting, key=desired.key)
    fields = field_changes(desired, existing)
    same = not fields and (desired.skip, desired.moves) == (existing.skip, existing.moves)
    marker = Marker(settings.namespace, desired.key, spec_hash(desired if same else existing))
    write = Write(
        "adopt", desired.key, "none", marker, desired if same else existing, found.item_id, found.change_key
    )
    reason = "existing meeting taken over; sends nothing" + ("" if same else "; the next plan updates it")
    return _change("adopt", desired, found, [write], fields, reason)


def _cancel(o: ObservedMeeting, settings: Settings, reason: str) -> Change:
    if not settings.policy.prune:
        return _change(
            "orphan",
            None,
            o,
            [],
            reason=f"{reason}; prune is off, so it stays",
            organizer=o.meeting.organizer,
        )
    send = _send(settings.policy.notify.cancel, None)
    write = Write(
        "cancel",
        o.marker.key,
        send,
        o.marker,
        None,
        o.item_id,
        o.change_key,
        message=settings.policy.cancellation_message,
    )
    return _change("cancel", None, o, [write], reason=reason, organizer=o.meeting.organizer)
