"""`reconciler validate` and `reconciler schedule`: the shell around loading (beside `run.py`, which is plan's
and apply's): load, print problems or a summary, give the exit code."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import typer

from reconciler.config import ConfigError, Policy, config_path, load_config
from reconciler.desired.load import LoadResult, every_core, load_meetings
from reconciler.desired.problems import Problem, capped, format_path
from reconciler.desired.recurrence import occurrences
from reconciler.desired.schedule import render_schedule
from reconciler.plan.conflicts import conflict_text, conflicts_of
from reconciler.plan.safety import target_refusals
from reconciler.wording import counted, did_you_mean


def github_annotation(problem: Problem) -> str:
    """A GitHub Actions error annotation on the problem's file and line."""

    def esc(text: str) -> str:
        return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    where = f"file={esc(problem.file)},line={problem.line},col={problem.column}"
    what = f"{format_path(problem.path)}: {problem.message}" if problem.path else problem.message
    return f"::error {where}::{esc(what)}"


def _failed(lines: list[str]) -> int:
    """Print each problem and their count; the exit code of a failed check."""
    for line in capped(lines):
        typer.echo(line)
    typer.echo(f"{counted(len(lines), 'problem')} found; nothing was changed.")
    return 1


def _problems(result: LoadResult, fmt: str = "text") -> int:
    return _failed([github_annotation(p) if fmt == "github" else str(p) for p in result.problems])


def summary(result: LoadResult, now: datetime, days: int = 30) -> str:
    """`N meetings, M organizers, K occurrences in the next D days`."""
    horizon = now + timedelta(days=days)
    count = sum(len(occurrences(m, now, horizon)) for m in result.meetings)
    organizers = len({m.organizer for m in result.meetings})
    return (
        f"{counted(len(result.meetings), 'meeting')}, {counted(organizers, 'organizer')}, "
        f"{counted(count, 'occurrence')} in the next {counted(days, 'day')}"
    )


def run_validate(path: Path, fmt: str = "text", config: Path | None = None, conflicts: bool = False) -> int:
    """Exit 1 on a problem; `conflicts` lists double bookings too (exit 1 under `conflicts: error`)."""
    settings = None
    if config is not None or config_path(None).is_file():
        try:
            settings = load_config(config)
        except ConfigError as exc:
            return _problems(LoadResult((), tuple(exc.problems)), fmt)
    result = load_meetings(path, settings.organizers if settings else None, every_core())
    if not result.ok:
        return _problems(result, fmt)
    if settings is not None:
        refused = target_refusals(result.meetings, result.sources, settings.target)
        if refused:
            return _failed(refused)
    policy = settings.policy if settings else Policy()
    if not conflicts and policy.conflicts != "error":
        typer.echo(f"ok: {summary(result, datetime.now(UTC))}")
        return 0
    # Under `conflicts: error` plan refuses double bookings, so validate always looks for them: plan never
    # refuses what validate passed.
    found = conflicts_of(result.meetings, policy, datetime.now(UTC))
    refused = bool(found) and policy.conflicts == "error"
    if not refused:
        typer.echo(f"ok: {summary(result, datetime.now(UTC))}")
    if found:
        typer.echo(conflict_text(found, result.sources, limit=None))
    if refused:
        typer.echo(
            f"{counted(len(found), 'double booking')} and policy.conflicts is error; nothing was changed."
        )
    return 1 if refused else 0


def run_schedule(path: Path, days: int, keys: Sequence[str] = ()) -> int:
    result = load_meetings(path)
    if not result.ok:
        return _problems(result)
    known = {m.key for m in result.meetings}
    unknown = sorted(set(keys) - known)
    if unknown:
        hint = did_you_mean(unknown, known)
        typer.echo(f"no meeting with key {', '.join(unknown)} in {path}{hint}", err=True)
        return 1
    shown = [m for m in result.meetings if not keys or m.key in keys]
    today = datetime.now(UTC).date()
    typer.echo(render_schedule(shown, today, days))
    typer.echo(f"\n{summary(result, datetime.now(UTC), days)}")
    return 0
