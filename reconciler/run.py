"""`reconciler plan` and `reconciler apply`: the imperative shell around the pure pipeline.

load → validate → model (desired) · observe (backend) · diff → plan · safety · render · apply. Exit codes
follow Terraform's `-detailed-exitcode`: 0 nothing to do, 1 error, 2 changes present (plan only, when asked).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from reconciler.apply import Guard, MailboxPacers, Outcome, Pacer, apply_plan
from reconciler.backends.base import NOT_RETRYABLE, BackendError, CalendarBackend, Observation
from reconciler.config import ConfigError, Settings, load_config
from reconciler.desired.load import LoadResult, Reading, every_core, has_meeting_files, load_meetings
from reconciler.desired.model import Meeting
from reconciler.desired.problems import capped
from reconciler.desired.recurrence import occurrences
from reconciler.plan import rooms, safety, stale
from reconciler.plan.changes import Plan
from reconciler.plan.conflicts import SHOWN, Conflict, conflict_text, conflicts_of
from reconciler.plan.diff import diff
from reconciler.plan.render import render_json, render_markdown, render_text
from reconciler.plan.rooms import RoomWarning
from reconciler.plan.shards import MergedPlan, Shard, load_plan, merge
from reconciler.stopping import Stop
from reconciler.wording import counted

Echo = Callable[[str], None]
READERS = 4
"""Organizers read at once by a plan (Graph allows 4 concurrent requests per mailbox; EWS 27 per account)."""
SEPARATE_LOAD = 1000
"""Meeting files from which a plan loads them in a child process (see `Loading`)."""


class RunError(Exception):
    """Stops the run before anything is written; the message says why and what to do."""


@dataclass(frozen=True)
class Planned:
    plan: Plan
    refusals: list[safety.Refusal]
    desired: LoadResult
    conflicts: tuple[Conflict, ...] = ()
    rooms: tuple[RoomWarning, ...] = ()
    """What rooms will decline (before sending) or did decline or leave unanswered (after)."""
    observations: tuple[Observation, ...] = ()
    """The calendars as read for this plan (`pull` writes their edits into the files)."""


def settings_for(config: Path | None) -> Settings:
    try:
        return load_config(config)
    except ConfigError as exc:
        raise RunError(str(exc)) from None


def load_desired(settings: Settings) -> LoadResult:
    return _checked(load_meetings(settings.meetings, settings.organizers))


def _checked(result: LoadResult) -> LoadResult:
    if not result.ok:
        lines = [str(p) for p in result.problems]
        raise RunError(
            "\n".join(
                [
                    *capped(lines),
                    f"{counted(len(lines), 'problem')} in the meeting files; nothing was planned.",
                ]
            )
        )
    return result


class Loading:
    """The meeting files being loaded while the calendars are read.

    With SEPARATE_LOAD files or more, other processes start reading their shares at once (reading YAML,
    the schema check and the model are CPU work: on other cores they overlap the calendar reads instead of
    sharing the GIL with them), and `result()` reads this process's share; each meeting's spec hash is
    computed where it is read. With fewer, starting a process costs more than it saves and `result()`
    loads them in place.
    """

    def __init__(self, settings: Settings, full_read: bool = False) -> None:
        self.settings = settings
        self._reading: Reading | None = None
        path = settings.meetings
        if path.is_dir() and has_meeting_files(path, SEPARATE_LOAD):
            # Read incrementally, the calendars leave the cores to the files, which are then read on every
            # core, as `validate` reads them, this process reading half a share beside the calendars (their
            # answers and snapshots share its GIL); a full read parses every answer here, so one other
            # process reads them all.
            workers = 1 if full_read else every_core()
            here = 0.0 if full_read else 0.5
            self._reading = Reading(path, settings.organizers, workers, hashed=True, here=here)

    @property
    def separate(self) -> bool:
        """Whether other processes read the files (so reading calendars meanwhile gains a core)."""
        return self._reading is not None

    def result(self) -> LoadResult:
        """The desired state, or RunError naming every problem in the files."""
        if self._reading is None:
            return load_desired(self.settings)
        loaded = _checked(self._reading.result())
        loaded.remember_spec_hashes()
        return loaded

    def close(self) -> None:
        if self._reading is not None:
            self._reading.close()


@contextmanager
def loading(settings: Settings, full_read: bool = False) -> Iterator[Loading]:
    """Start loading the files; a backend failing to open still reports the files' problems first."""
    files = Loading(settings, full_read)
    try:
        yield files
    except BackendError:
        files.result()
        raise
    finally:
        files.close()


def _refuse_organizers(organizers: list[str], settings: Settings) -> None:
    refused = safety.organizer_refusals(set(organizers), settings)
    if refused:
        raise RunError("\n".join(r.message for r in refused) + "\nnothing was planned.")


def make_plan(
    settings: Settings,
    backend: CalendarBackend,
    desired: LoadResult | Loading,
    shard: Shard | None = None,
    conflicts_shown: int | None = SHOWN,
    full_read: bool = False,
) -> Planned:
    """Observe every listed organizer and diff against the files.

    The configuration lists the organizers, so the set read never depends on what one machine remembers:
    an organizer whose files were all deleted is still read, and their meetings are planned for cancellation.
    Given files `Loading` in a child process, the listed calendars are read meanwhile; an organizer with
    meetings to adopt is read again afterwards, since which unmanaged items to look for is known only from
    the files. Files loaded in place are loaded first: a repository with a mistake in its files is not
    read at all. Every read started is waited for, also when the files or a read fail: a read
    left running would use connections the caller closes (exchangelib's session pool then never answers).
    With `shard`, only that shard's organizers are read and planned (double bookings still count every
    file); the thresholds are left to the merged plan of all shards. Each calendar is read only where it
    changed since the last apply (`backends/snapshot.py`); with `full_read`, all of it.
    """
    _refuse_organizers(sorted(settings.organizers), settings)
    listed = sorted(o for o in settings.organizers if shard is None or shard.owns(o))

    def observe(organizer: str, adopt: Collection[str] = ()) -> Observation:
        return backend.observe(organizer, settings.namespace, adopt, full_read)

    # Organizers are read side by side: each read is a chain of round trips, so with several organizers
    # the wait overlaps. READERS stays far below EWS's 27 concurrent requests per account.
    pool = ThreadPoolExecutor(max_workers=max(1, min(READERS, len(listed))))
    try:
        early: dict[str, Future[Observation]] = {}
        if isinstance(desired, Loading):
            if desired.separate:
                early = {o: pool.submit(observe, o) for o in listed}
            desired = desired.result()
        mine = [m for m in desired.meetings if shard is None or shard.owns(m.organizer)]
        to_read = sorted(set(listed) | {m.organizer for m in mine})
        _refuse_organizers(to_read, settings)
        refused = safety.target_refusals(desired.meetings, desired.sources, settings.target)
        if refused:
            raise RunError("\n".join(refused) + "\nnothing was planned.")
        adopt = {o: {m.uid for m in mine if m.uid and m.organizer == o} for o in to_read}
        reads = [
            early[o] if o in early and not adopt[o] else pool.submit(observe, o, adopt[o]) for o in to_read
        ]
        observations = [read.result() for read in reads]
    finally:
        pool.shutdown(cancel_futures=True)
    now = datetime.now(UTC)
    plan = diff(mine, observations, settings, backend.target, now, desired.checksum)
    found = conflicts_of(desired.meetings, settings.policy, now, conflicts_shown)
    rooms = room_warnings(settings, backend, mine, observations, plan, now)
    if shard is not None:  # the whole repository's checksum and count, as every shard sees; the merge shows
        plan = replace(plan, shard=str(shard), desired=len(desired.meetings), room_warnings=rooms)
    refusals = safety.check(plan, settings, found, rooms, thresholds=shard is None)
    return Planned(plan, refusals, desired, found, rooms, tuple(observations))


TIMES = {"start", "duration", "timezone", "all_day", "recurrence"}
"""Fields whose change moves a meeting (its rooms' free/busy is read again)."""


def room_warnings(
    settings: Settings,
    backend: CalendarBackend,
    meetings: Sequence[Meeting],
    observations: Sequence[Observation],
    plan: Plan,
    now: datetime,
) -> tuple[RoomWarning, ...]:
    """Before sending: what the rooms of meetings the plan sends will decline by Exchange's defaults, and
    which rooms of meetings it creates or moves are already taken (their free/busy, a bounded number of
    requests); after sending: rooms that declined or never answered, with the reason they gave."""
    if settings.policy.rooms == "ignore":
        sending, moving = set(), set()
    else:
        sending = {
            c.key for c in plan.active if c.messages and c.action in ("create", "update", "drift", "finish")
        }
        moving = {
            c.key
            for c in plan.active
            if c.action == "create"
            or {f.field for f in c.fields} & TIMES
            or any(w.kind == "move" for w in c.writes)
        } & sending
    window = settings.policy.room_booking_window_days
    wanted = [m for m in meetings if m.key in sending]
    busy = free_busy(backend, [m for m in wanted if m.key in moving], meetings, observations, now, window)
    before = rooms.before_sending(wanted, now, window, busy, moving)
    observed = [o for obs in observations for o in obs.meetings if o.marker.key not in sending]
    reasons: dict[tuple[str, str], str] = {}
    for obs in observations:
        if any(r.kind == "resource" and r.answer == "declined" for o in obs.meetings for r in o.responses):
            answers = backend.room_answers(obs.organizer)
            reasons.update(
                rooms.reasons_out_of_reach(obs.meetings, obs.organizer) if answers is None else answers
            )
    return tuple(before + rooms.after_sending(observed, reasons))


def free_busy(
    backend: CalendarBackend,
    moving: Sequence[Meeting],
    meetings: Sequence[Meeting],
    observations: Sequence[Observation],
    now: datetime,
    window: int,
) -> dict[str, list[tuple[datetime, datetime]]]:
    """Each room's bookings other than this repository's own meetings, for the meetings in `moving`."""
    by_organizer: dict[str, set[str]] = {}
    for m in moving:
        by_organizer.setdefault(m.organizer, set()).update(a.address for a in m.attendees.resources)
    if not by_organizer:
        return {}
    horizon = now + timedelta(days=window)
    ours = {(o.start, o.end) for m in meetings if m.attendees.resources for o in occurrences(m, now, horizon)}
    ours |= {
        (o.start, o.end)
        for obs in observations
        for seen in obs.meetings
        if seen.meeting.attendees.resources
        for o in occurrences(seen.meeting, now, horizon)
    }
    out: dict[str, list[tuple[datetime, datetime]]] = {}
    for organizer, wanted in sorted(by_organizer.items()):
        found = backend.free_busy(organizer, sorted(wanted), now, horizon)
        for room, spans in found.items():
            out.setdefault(room, []).extend(s for s in spans if s not in ours)
    return out


def render(plan: Plan, fmt: str, color: bool) -> str:
    if fmt == "markdown":
        return render_markdown(plan)
    if fmt == "json":
        return render_json(plan)
    return render_text(plan, color=color)


def render_planned(planned: Planned, fmt: str, color: bool, limit: int | None = None) -> str:
    """The plan with its double-booking and room warnings under it (in JSON: `conflicts` and `rooms` lists
    beside the plan). Markdown carries the week chart and, with `limit`, stays within that many characters."""
    sources = planned.desired.sources
    if fmt == "json":
        import json

        data = json.loads(render_json(planned.plan))
        data["conflicts"] = [c.to_data(sources) for c in planned.conflicts]
        data["rooms"] = [w.to_data(sources) for w in planned.rooms]
        return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    markdown = fmt == "markdown"
    warnings = [
        w
        for w in (
            conflict_text(planned.conflicts, sources, markdown=markdown),
            rooms.warning_text(planned.rooms, sources, markdown=markdown),
        )
        if w
    ]
    if markdown:
        durations = {m.key: int(m.duration.total_seconds()) for m in planned.desired.meetings}
        return render_markdown(planned.plan, warnings, limit, durations)
    return "\n".join([render_text(planned.plan, color=color), *warnings])


def refusal_text(refusals: list[safety.Refusal], force: bool) -> list[str]:
    out = []
    for r in refusals:
        tag = "refused" if not r.forceable else ("overridden by --force" if force else "needs --force")
        out.append(f"{tag}: {r.message}")
    return out


def _touches(plan: Plan) -> set[tuple[str, str, str | None, str | None]]:
    return {(c.action, c.key, c.item_id, c.change_key) for c in plan.active}


def same_writes(shown: Plan, fresh: Plan) -> bool:
    """Whether a plan made again would write exactly what `shown` would (same items, same versions)."""
    return _touches(shown) == _touches(fresh)


def check_saved_plan(saved: Plan, fresh: Plan, desired: LoadResult) -> None:
    """Refuse a saved plan when the files or any item it touches changed since it was made."""
    if desired.checksum != saved.desired_checksum:
        moved = stale.differences(saved, fresh)
        since = f" (planned otherwise now: {moved})" if moved else ""
        raise RunError(
            f"the meeting files changed since this plan was made{since}; run `reconciler plan` again"
        )
    now = _touches(fresh)
    for change in saved.active:
        if (change.action, change.key, change.item_id, change.change_key) not in now:
            raise RunError(
                f"the calendar changed since this plan was made ({change.key}: planned against "
                f"change key {change.change_key or 'none'}); run `reconciler plan` again"
            )


def saved_plan(path: Path, shard: Shard | None) -> tuple[Plan, Plan | None]:
    """The plan file to apply, and the whole plan whose thresholds it is checked against (a merged file's
    whole; None for a single plan, which is checked on its own). A shard's plan applies only as that shard."""
    try:
        found = load_plan(path.read_text())
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RunError(f"cannot use plan file {path}: {exc}") from None
    if isinstance(found, MergedPlan):
        if shard is None:
            n = found.count
            raise RunError(
                f"{path} holds the plans of {n} shards: apply it with --shard K/{n}, once for each K"
            )
        try:
            return found.part(shard), found.whole
        except ValueError as exc:
            raise RunError(f"{path}: {exc}") from None
    if found.shard != (str(shard) if shard else ""):
        made = f"the plan of shard {found.shard}" if found.shard else "a plan of every organizer (no --shard)"
        fix = f"--shard {found.shard}" if found.shard else "no --shard"
        raise RunError(f"{path} is {made}; nothing was applied: apply it with {fix}")
    return found, None


def merged_plan(
    settings: Settings, paths: Sequence[Path], conflicts_shown: int | None = SHOWN
) -> tuple[Planned, MergedPlan]:
    """The shard plans `paths` as one: rendered as one plan, the thresholds applied to the whole, double
    bookings found in the files (which must be the files the shards planned)."""
    try:
        merged = merge([Plan.from_json(p.read_text()) for p in paths])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RunError(f"cannot merge the plans: {exc}") from None
    desired = load_desired(settings)
    whole = merged.whole
    if desired.checksum != whole.desired_checksum:
        raise RunError("the meeting files differ from the ones the shards planned; merge on the same commit")
    found = conflicts_of(desired.meetings, settings.policy, datetime.now(UTC), conflicts_shown)
    rooms = tuple(w for part in merged.parts for w in part.room_warnings)
    return Planned(whole, safety.check(whole, settings, found, rooms), desired, found, rooms), merged


def replan_under_lease(
    settings: Settings,
    backend: CalendarBackend,
    shown: Planned,
    saved: Plan | None,
    auto_approve: bool,
    echo: Echo,
    shard: Shard | None = None,
    full_read: bool = False,
) -> Planned:
    """Plan again now that the lease is held: another apply may have written since the plan was shown.

    A saved plan, or one a person confirmed, is applied only if nothing changed; with --auto-approve the
    fresh plan (shown first) replaces it.
    """
    fresh = make_plan(settings, backend, shown.desired, shard, full_read=full_read)
    # What the calendars hold now (under the lease) is what the baselines start from.
    current = replace(shown, plan=replace(shown.plan, baselines=fresh.plan.baselines))
    if saved is not None:
        check_saved_plan(saved, fresh.plan, shown.desired)
        return current
    if same_writes(shown.plan, fresh.plan):
        return current
    if not auto_approve:
        raise RunError(
            "the calendars changed since the plan was shown (another apply ran meanwhile); nothing was "
            "applied: run `reconciler apply` again"
        )
    echo("The calendars changed while waiting for the lease; planned again:")
    echo(render(fresh.plan, "text", color=stdout_is_tty()))
    if safety.blocking(fresh.refusals, False):
        raise RunError("\n".join(refusal_text(fresh.refusals, False)) + "\nnothing was applied.")
    return fresh


def report_outcome(echo: Echo) -> Callable[[Outcome], None]:
    def show(outcome: Outcome) -> None:
        c = outcome.change
        mark = "ok  " if outcome.ok else "FAIL"
        detail = (
            f" · {outcome.error}"
            if outcome.error
            else f" · {counted(c.messages, 'message')}"
            if c.messages
            else ""
        )
        echo(f"{mark} {c.action:<9} {c.key}{detail}")

    return show


def run_apply(
    settings: Settings,
    backend: CalendarBackend,
    planned: Planned,
    echo: Echo,
    pacers: Callable[[str], Pacer] | None = None,
    progress: Callable[[Outcome], None] | None = None,
    guard: Guard = lambda organizer: None,
    stop: Stop | None = None,
) -> int:
    """Apply and say how it went; the exit code (1 when a write failed, 130/143 when a signal stopped it)."""
    stop = stop or Stop()

    def guarded(organizer: str) -> None:
        guard(organizer)
        stop.check(organizer)

    rate = settings.policy.message_rate_per_minute
    with stop.while_writing():
        outcomes = apply_plan(
            planned.plan,
            backend,
            pacers or MailboxPacers(lambda: Pacer(rate, sleep=stop.sleep)),
            progress or report_outcome(echo),
            guarded,
        )
    if not planned.plan.active:
        learned = ", ".join(planned.plan.learns)
        echo(f"nothing to send; kept what the calendars hold, for the next plans ({learned})")
        return 0
    stopped = [o for o in outcomes if o.stopped]
    failed = [o for o in outcomes if not o.ok and not o.stopped]
    done = len(outcomes) - len(failed) - len(stopped)
    summary = f"applied {done} of {counted(len(outcomes), 'change')}"
    if failed:
        converges = all(NOT_RETRYABLE not in (o.error or "") for o in failed)
        summary += f"; {len(failed)} failed" + (" (a re-run converges)" if converges else "")
    if stopped:
        summary = (
            f"stopped by {stop.name}: {summary}; {len(stopped)} not finished, nothing more was sent; "
            "`reconciler apply` finishes them"
        )
    echo(summary)
    return stop.code if stopped or stop.requested else 1 if failed else 0


def stdout_is_tty() -> bool:
    return sys.stdout.isatty()


@contextmanager
def progress_bar(total: int) -> Iterator[Callable[[Outcome], None]]:
    """On a terminal: a progress bar with each outcome printed above it."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    lines: list[str] = []
    with Progress(TextColumn("applying"), BarColumn(), MofNCompleteColumn()) as bar:
        task = bar.add_task("apply", total=total)
        show = report_outcome(lines.append)

        def advance(outcome: Outcome) -> None:
            show(outcome)
            bar.console.print(lines.pop(), markup=False, highlight=False)
            bar.advance(task)

        yield advance
