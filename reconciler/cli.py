"""The `reconciler` command line: thin. It parses arguments, calls the pipeline and renders results.

Heavy imports (exchangelib, jsonschema) happen inside the commands so that `--help` stays fast.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import typer

from reconciler.collecting import collected_enough, fewer_collections
from reconciler.sandbox.cli import app as sandbox_app
from reconciler.stopping import Interrupted, Stop, Stopped
from reconciler.wording import counted, did_you_mean

if TYPE_CHECKING:
    from reconciler.plan.shards import Shard

T = TypeVar("T")


def _flags_take_no_value() -> None:
    """typer's rich help prints a flag's type as `<bool>` (`--help <bool>`), which reads as if the flag took a
    value; a flag's type column stays empty, every other option keeps its type."""
    from typer.core import TyperOption

    shown = TyperOption.display_type_rich
    if getattr(shown, "flags_take_no_value", False):
        return

    def display_type_rich(self: TyperOption, ctx: typer.Context) -> str | None:
        return None if self.is_flag else shown(self, ctx)

    display_type_rich.flags_take_no_value = True  # type: ignore[attr-defined]
    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]


_flags_take_no_value()

app = typer.Typer(
    name="reconciler",
    help="Declarative meeting reconciler: meetings in YAML, applied to Exchange calendars.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(sandbox_app, name="sandbox")
export_app = typer.Typer(
    help="The desired schedule in other formats (read-only previews).", no_args_is_help=True
)
app.add_typer(export_app, name="export")
ci_app = typer.Typer(
    help="Steps of the generated pipelines: the plan comment, the drift pull request.", no_args_is_help=True
)
app.add_typer(ci_app, name="ci")


def version_line() -> str:
    """The installed versions that matter when reporting a problem, on one line."""
    import platform
    from importlib import metadata

    from reconciler import __version__

    try:
        exchangelib = metadata.version("exchangelib")
    except metadata.PackageNotFoundError:
        exchangelib = "not installed"
    return f"reconciler {__version__} (exchangelib {exchangelib}, Python {platform.python_version()})"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(version_line())
        raise typer.Exit(0)


@app.callback()
def _main(
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Declarative meeting reconciler: meetings in YAML, applied to Exchange calendars."""


@app.command()
def init(
    directory: Path = typer.Argument(Path("."), help="The repository to start (created when missing)."),
    namespace: str | None = typer.Option(
        None, help="Stamped on every managed meeting (default: from the directory's name)."
    ),
    organizer: str = typer.Option("organizer@example.com", help="Whose calendar the example meeting uses."),
    target: str | None = typer.Option(
        None,
        help="Where the calendars live: sandbox (try it here) | ews (Exchange Server) | graph (Exchange "
        "Online). Asked on a terminal; sandbox otherwise.",
    ),
    timezone: str = typer.Option("UTC", help="IANA time zone for the meetings (e.g. Europe/Amsterdam)."),
    shards: int = typer.Option(
        1, min=1, max=64, help="CI jobs to spread the organizers over (plan, apply, drift: job matrices)."
    ),
    ci: str | None = typer.Option(
        None,
        "--ci",
        help="Where the repository lives: github (GitHub Actions) | azure-devops (Azure Pipelines) | gitlab "
        "(GitLab CI). Asked on a terminal; github otherwise.",
    ),
) -> None:
    """Start a team's meetings repository: configuration, example meeting, pipelines, pre-commit hook."""
    from datetime import date

    from reconciler.scaffold import github_repository, identities_text, namespace_for, option_problems
    from reconciler.scaffold import init as scaffold

    ns = namespace or namespace_for(directory)
    if target is None:
        target = "sandbox"
        if sys.stdin.isatty():
            target = typer.prompt(
                "Where do the calendars live? sandbox (try it here), ews (Exchange Server) or graph "
                "(Exchange Online)",
                default="sandbox",
            ).strip()
    if ci is None:
        ci = "github"
        if sys.stdin.isatty():
            ci = typer.prompt(
                "Where does the repository live? github, azure-devops or gitlab", default="github"
            ).strip()
    problems = option_problems(ns, organizer.lower(), target, timezone, ci, shards)
    if problems:
        raise _fail("\n".join(problems))
    try:
        result = scaffold(directory, ns, organizer.lower(), target, timezone, date.today(), shards, ci)
    except OSError as exc:
        raise _fail(f"cannot write the new repository in {directory}: {exc.strerror or exc}") from None
    for path in result.written:
        typer.echo(f"wrote   {path}")
    for path in result.skipped:
        typer.echo(f"skipped {path} (exists; left as it is)")
    if target == "sandbox":
        typer.echo(
            "The pipelines skip, each with a notice, while reconciler.yaml targets the sandbox (a runner "
            "starts it empty): set target: to your Exchange and add its identities (README: month one)."
        )
    else:
        typer.echo(identities_text(target, github_repository(directory), ci))
    typer.echo(
        f"namespace {ns}, target {target}. Next: `reconciler validate`, then `reconciler plan`"
        + (f" (in {directory})" if directory != Path(".") else "")
    )


ConfigOption = typer.Option(
    None, "--config", envvar="RECONCILER_CONFIG", help="Configuration file (default: ./reconciler.yaml)."
)


@app.command()
def validate(
    path: Path = typer.Argument(Path("meetings"), help="Meetings directory or a single meeting file."),
    fmt: str = typer.Option("text", "--format", help="text | github (GitHub Actions annotations)"),
    config: Path | None = ConfigOption,
    conflicts: bool = typer.Option(
        False, "--conflicts", help="Also list double bookings (exit 1 when policy.conflicts is error)."
    ),
) -> None:
    """Check meeting files; report every problem as FILE:LINE:COL: message.

    When the configuration exists (./reconciler.yaml, --config or $RECONCILER_CONFIG), it is checked too,
    and every meeting's organizer must be listed under its `organizers:`.
    """
    from reconciler.report import run_validate

    if fmt not in ("text", "github"):
        typer.echo("--format must be text or github", err=True)
        raise typer.Exit(1)
    raise typer.Exit(run_validate(path, fmt, config, conflicts))


@app.command()
def schema(
    name: str = typer.Argument("meeting", help="meeting | config"),
) -> None:
    """Print a JSON Schema (for editors and other tools)."""
    from reconciler.desired.schemas import schema_text

    try:
        text = schema_text(name)
    except KeyError:
        typer.echo(f"unknown schema {name!r}: choose meeting or config", err=True)
        raise typer.Exit(1) from None
    typer.echo(text)


@app.command()
def schedule(
    path: Path = typer.Argument(Path("meetings"), help="Meetings directory or a single meeting file."),
    days: int = typer.Option(14, help="How many days ahead to list occurrences."),
    keys: list[str] | None = typer.Option(None, "--key", "-k", help="Only these meetings (repeatable)."),
) -> None:
    """Print the desired schedule: each meeting and its next occurrences."""
    from reconciler.report import run_schedule

    raise typer.Exit(run_schedule(path, days=days, keys=keys or ()))


@app.command()
def target(
    config: Path | None = ConfigOption,
    kind: bool = typer.Option(False, "--kind", help="Print only the kind: sandbox, ews or graph."),
) -> None:
    """Say which calendars the configuration points at, without connecting (the CI action reads `--kind` to
    skip the embedded sandbox, which a fresh runner starts empty)."""
    from reconciler import run

    try:
        chosen = run.settings_for(config).target
    except run.RunError as exc:
        raise _fail(str(exc)) from None
    if kind:
        typer.echo(chosen.kind)
        return
    where = chosen.path if chosen.kind == "sandbox" else chosen.endpoint
    typer.echo(f"{chosen.kind} over {chosen.speaks}: {where}")


def _only(keys: list[str] | None, items: list[T], key_of: Callable[[T], str], missing: str) -> list[T]:
    """The items with one of `keys` (all without keys); a key none has fails, `missing` naming it."""
    if not keys:
        return items
    known = {key_of(i) for i in items}
    unknown = sorted(set(keys) - known)
    if unknown:
        raise _fail(missing.format(", ".join(unknown)) + did_you_mean(unknown, known))
    return [i for i in items if key_of(i) in keys]


def _shard(text: str | None) -> Shard | None:
    from reconciler.plan.shards import Shard

    try:
        return Shard.parse(text) if text else None
    except ValueError as exc:
        raise _fail(str(exc)) from None


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(1)


@app.command()
def plan(
    config: Path | None = ConfigOption,
    fmt: str = typer.Option("text", "--format", help="text | markdown | json"),
    out: Path | None = typer.Option(None, "--out", help="Save the plan here, to apply exactly it later."),
    detailed_exitcode: bool = typer.Option(
        False, "--detailed-exitcode", help="Exit 0 when there is nothing to do, 2 when there are changes."
    ),
    max_chars: int = typer.Option(
        60_000,
        "--max-chars",
        help="markdown: stay under this many characters (a GitHub comment takes 65,536); 0: no limit.",
    ),
    full_out: Path | None = typer.Option(
        None, "--full-out", help="Also write the whole plan, nothing left out, here (for a job summary)."
    ),
    shard_text: str | None = typer.Option(
        None, "--shard", help="K/N: plan only shard K of N of the organizers (one CI job each; see --merge)."
    ),
    merge: bool = typer.Option(
        False, "--merge", help="Put the shard plans PLANS together: one plan, thresholds on the whole."
    ),
    plans: list[Path] | None = typer.Argument(
        None, help="With --merge: every shard's plan (--shard K/N --out)."
    ),
    full_read: bool = typer.Option(
        False,
        "--full-read",
        envvar="RECONCILER_FULL_READ",
        help="Read every managed meeting, not only what changed since the last apply (a scheduled pipeline "
        "sets RECONCILER_FULL_READ=true once a day).",
    ),
) -> None:
    """Show what apply would do: invitations, updates and cancellations, and to whom."""
    from reconciler import run
    from reconciler.backends.factory import BackendError, open_backend
    from reconciler.plan.conflicts import SHOWN

    if fmt not in ("text", "markdown", "json"):
        raise _fail("--format must be text, markdown or json")
    if plans and not merge:
        raise _fail("plan files are read only with --merge (to apply one: `reconciler apply PLANFILE`)")
    shard = _shard(shard_text)
    saved = None
    try:
        settings = run.settings_for(config)
        shown = None if fmt == "json" else SHOWN  # JSON lists every double booking; text counts the rest
        if merge:
            planned, saved = run.merged_plan(settings, plans or [], shown)
        else:
            with (
                Stop().handling(),
                run.loading(settings, full_read) as files,
                open_backend(settings) as backend,
            ):
                planned = run.make_plan(settings, backend, files, shard, shown, full_read)
    except Interrupted as exc:
        typer.echo(f"{exc}; nothing was planned", err=True)
        raise typer.Exit(exc.code) from None
    except (run.RunError, BackendError) as exc:
        raise _fail(str(exc)) from None
    except Exception as exc:  # the service failed: say so, without a traceback
        raise _fail(f"cannot plan against the target: {type(exc).__name__}: {exc}") from None
    limit = max_chars if fmt == "markdown" and max_chars > 0 else None
    typer.echo(run.render_planned(planned, fmt, color=run.stdout_is_tty(), limit=limit), nl=fmt == "text")
    if full_out:
        full_out.parent.mkdir(parents=True, exist_ok=True)
        full_out.write_text(run.render_planned(planned, fmt, color=False) + "\n" * (fmt == "text"))
    for line in run.refusal_text(planned.refusals, force=False):
        typer.echo(line, err=True)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(saved.to_json() if saved else planned.plan.to_json())
        how = f" --shard K/{saved.count}, once for each K" if saved else f" --shard {shard}" if shard else ""
        typer.echo(f"plan saved to {out}; apply it with `reconciler apply {out}{how}`", err=True)
    if any(not r.forceable for r in planned.refusals):
        raise typer.Exit(1)
    raise typer.Exit(2 if detailed_exitcode and planned.plan.active else 0)


@app.command()
def apply(
    planfile: Path | None = typer.Argument(None, help="A plan saved with `plan --out`: applied exactly."),
    config: Path | None = ConfigOption,
    auto_approve: bool = typer.Option(False, "--auto-approve", help="Do not ask for confirmation."),
    force: bool = typer.Option(
        False, "--force", help="Go past the safety thresholds (not the absolute ones)."
    ),
    lock_timeout: float = typer.Option(
        300, "--lock-timeout", help="Seconds to wait for another apply's lease on a mailbox to be released."
    ),
    shard_text: str | None = typer.Option(
        None, "--shard", help="K/N: apply only shard K's organizers (of a merged plan: its part K)."
    ),
    full_read: bool = typer.Option(
        False, "--full-read", help="Read every managed meeting, not only what changed since the last apply."
    ),
) -> None:
    """Make the calendars match the files: send the invitations, updates and cancellations planned.

    Writes happen under a lease on each organizer's mailbox, kept in the mailbox itself: a second apply
    (another machine, repository or CI system) waits for it, then plans again before writing.
    """
    from reconciler import lease, run
    from reconciler.backends.factory import BackendError, open_backend
    from reconciler.plan import safety

    def say(line: str) -> None:
        typer.echo(line, err=True)

    stop = Stop()
    shard = _shard(shard_text)
    try:
        settings = run.settings_for(config)
        saved, whole = run.saved_plan(planfile, shard) if planfile else (None, None)
        with (
            stop.handling(),
            run.loading(settings, full_read=full_read) as files,
            open_backend(settings) as backend,
        ):
            planned = run.make_plan(settings, backend, files, shard, full_read=full_read)
            desired = planned.desired
            if saved is not None:
                run.check_saved_plan(saved, planned.plan, desired)
                refusals = safety.check(whole or saved, settings, planned.conflicts, planned.rooms)
                planned = run.Planned(saved, refusals, desired, planned.conflicts, planned.rooms)
            typer.echo(run.render_planned(planned, "text", color=run.stdout_is_tty()))
            if not planned.plan.active and not planned.plan.learns:
                typer.echo("Nothing to apply.")
                raise typer.Exit(0)
            for line in run.refusal_text(planned.refusals, force):
                say(line)
            if safety.blocking(planned.refusals, force):
                raise _fail("nothing was applied.")
            if saved is None and not auto_approve and planned.plan.active:
                if not sys.stdin.isatty():
                    raise _fail("not a terminal: pass --auto-approve to apply without confirmation")
                if not typer.confirm("Apply these changes?"):
                    raise _fail("nothing was applied.")
            mailboxes = sorted({c.organizer for c in planned.plan.active} | set(planned.plan.learns))
            ttl = settings.policy.lease_ttl_seconds
            with (
                stop.while_writing(),
                lease.holding(
                    backend, mailboxes, settings.namespace, ttl, lock_timeout, say, stop.sleep
                ) as leases,
            ):
                stop.check()
                planned = run.replan_under_lease(
                    settings, backend, planned, saved, auto_approve, typer.echo, shard, full_read
                )
                stop.check()
                if not planned.plan.active and not planned.plan.learns:
                    typer.echo("Nothing to apply.")
                    raise typer.Exit(0)
                unleased = {c.organizer for c in planned.plan.active} - set(mailboxes)
                if unleased:
                    raise run.RunError(
                        f"the calendars changed while waiting (now also {', '.join(sorted(unleased))}); "
                        "run `reconciler apply` again"
                    )
                bar = run.progress_bar(len(planned.plan.active)) if run.stdout_is_tty() else nullcontext()
                with bar as progress:  # a progress bar on a terminal, one line per outcome otherwise
                    code = run.run_apply(
                        settings,
                        backend,
                        planned,
                        typer.echo,
                        progress=progress,
                        guard=leases.check,
                        stop=stop,
                    )
    except (Interrupted, Stopped) as exc:
        typer.echo(f"{exc} before anything was sent; the lease is released", err=True)
        raise typer.Exit(exc.code if isinstance(exc, Interrupted) else stop.code) from None
    except (run.RunError, BackendError, lease.LeaseHeld) as exc:
        raise _fail(str(exc)) from None
    except typer.Exit:
        raise
    except Exception as exc:
        raise _fail(f"the target failed: {type(exc).__name__}: {exc}; a re-run converges") from None
    raise typer.Exit(code)


@app.command()
def access(
    config: Path | None = ConfigOption,
    need: str = typer.Option("read", "--need", help="read (plan, drift, show, responses) | write (apply)"),
) -> None:
    """What the configured identity can do with each organizer's calendar, and whether it reaches further.

    Exit 0 when every organizer allows what `--need` says and nothing beyond is reached; 3 when an organizer
    does not allow it; 4 when the identity reaches more than it needs (mailboxes beyond the organizers, or
    writing when the job only reads). A CI job runs it before its plan or apply.
    """
    from reconciler import reach, run
    from reconciler.backends.access import SCOPING
    from reconciler.backends.factory import BackendError, open_backend

    if need not in ("read", "write"):
        raise _fail("--need must be read or write")
    try:
        settings = run.settings_for(config)
        desired = run.load_desired(settings)
        organizers = sorted({*settings.organizers, *(m.organizer for m in desired.meetings)})
        others = {a.address for m in desired.meetings for a in m.attendees.all()}
        with open_backend(settings) as backend:
            report = reach.check(backend, organizers, sorted(others), need)
    except (run.RunError, BackendError) as exc:
        raise _fail(str(exc)) from None
    except Exception as exc:
        raise _fail(f"the target failed: {type(exc).__name__}: {exc}") from None
    typer.echo(reach.render(report, SCOPING[settings.target.speaks]))
    raise typer.Exit(report.exit_code)


@app.command()
def unlock(
    organizer: str = typer.Argument(..., help="The mailbox whose apply lease to break."),
    config: Path | None = ConfigOption,
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
) -> None:
    """Break a stale apply lease on a mailbox (as `terraform force-unlock`): only when its apply is gone."""
    from reconciler import lease, run
    from reconciler.backends.factory import BackendError, open_backend

    mailbox = organizer.lower()
    try:
        settings = run.settings_for(config)
        with open_backend(settings) as backend:
            holders = lease.current_holders(backend, mailbox)
            if not holders:
                typer.echo(f"no apply holds a lease on {mailbox}")
                raise typer.Exit(0)
            for holder in holders:
                typer.echo(f"lease on {mailbox} held by {holder.describe()}")
            if not yes:
                if not sys.stdin.isatty():
                    raise _fail("not a terminal: pass --yes to break the lease without confirmation")
                if not typer.confirm("Break it? Only do so when that apply is no longer running"):
                    raise _fail("the lease was left as it is.")
            broken = lease.break_lease(backend, mailbox)
    except (run.RunError, BackendError) as exc:
        raise _fail(str(exc)) from None
    except typer.Exit:
        raise
    except Exception as exc:
        raise _fail(f"the target failed: {type(exc).__name__}: {exc}") from None
    typer.echo(
        f"broke {counted(len(broken), 'lease')} on {mailbox}; the next apply plans again before writing"
    )


@app.command()
def show(
    key: str = typer.Argument(..., help="The meeting's key."),
    config: Path | None = ConfigOption,
    raw: bool = typer.Option(False, "--raw", help="Add the calendar item as the target returns it."),
    fmt: str = typer.Option("text", "--format", help="text (tables on a terminal) | json"),
) -> None:
    """One meeting: the files, the calendar, their differences, the next occurrences, who answered what."""
    import json

    from reconciler import run
    from reconciler import show as showing
    from reconciler.backends.factory import BackendError, open_backend
    from reconciler.responses import reasons_for

    if fmt not in ("text", "json"):
        raise _fail("--format must be text or json")
    try:
        settings = run.settings_for(config)
        desired = run.load_desired(settings)
        meeting = next((m for m in desired.meetings if m.key == key), None)
        with open_backend(settings) as backend:
            organizers = {meeting.organizer} if meeting else set(settings.organizers)
            observed, entry = None, None
            keys = {m.key for m in desired.meetings}
            for organizer in sorted(organizers):
                observation = backend.observe(organizer, settings.namespace)
                keys.update(o.marker.key for o in observation.meetings)
                found = next((o for o in observation.meetings if o.marker.key == key), None)
                if found is not None:
                    observed, entry = found, observation.baseline.entries.get(key)
            if meeting is None and observed is None:
                missing = f"no meeting with key {key!r} in the files or the calendars read"
                raise run.RunError(missing + did_you_mean([key], keys))
            reasons = reasons_for(backend, [observed] if observed else [])
            if fmt == "json":
                data = showing.to_data(key, meeting, observed, entry, reasons)
                typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
                return
            if run.stdout_is_tty():
                showing.print_rich(key, meeting, observed, entry, reasons)
            else:
                typer.echo(showing.render(key, meeting, observed, entry, reasons))
            if raw and observed is not None:
                item = backend.raw_item(observed.meeting.organizer, observed.item_id)
                typer.echo("the calendar item as the target returns it:\n" + showing.raw_fields(item))
    except (run.RunError, BackendError) as exc:
        raise _fail(str(exc)) from None
    except Exception as exc:
        raise _fail(f"the target failed: {type(exc).__name__}: {exc}") from None


@app.command()
def pull(
    config: Path | None = ConfigOption,
    proposals: bool = typer.Option(
        False, "--proposals", help="Also write attendees' proposed new times (for review; merging accepts)."
    ),
) -> None:
    """Write edits made in the calendars (drift) into the meeting files; nothing is sent or written there.

    Review the changed files and commit them: the next plan is then empty. Without `pull`, the next apply
    restores the files' version instead. With --proposals, a single meeting an attendee proposed another
    time for gets that time, the attendee named in a comment: merging accepts it (the apply sends the update).
    """
    from datetime import UTC

    from reconciler import pull as pulling
    from reconciler import run
    from reconciler.backends.factory import BackendError, open_backend

    try:
        settings = run.settings_for(config)
        with run.loading(settings) as files, open_backend(settings) as backend:
            planned = run.make_plan(settings, backend, files)
        pulled = pulling.pull(planned, settings, proposals)
    except (run.RunError, BackendError, pulling.PullError) as exc:
        raise _fail(f"{exc}") from None
    except Exception as exc:
        raise _fail(f"cannot pull from the target: {type(exc).__name__}: {exc}") from None
    if not pulled:
        typer.echo("Nothing drifted: the calendars hold what the files say.")
        return
    for meeting in pulled:
        how = f"as {meeting.proposed_by} proposed" if meeting.proposed_by else "as in the calendar"
        changed = meeting.changed.astimezone(UTC) if meeting.changed else None
        by = f" by {meeting.changed_by}" if meeting.changed_by else ""
        when = f" (changed there {changed:%Y-%m-%d %H:%M} UTC{by})" if changed else ""
        typer.echo(f"{meeting.file}: {meeting.key}: {', '.join(meeting.fields)} {how}{when}")
        for note in meeting.notes:
            typer.echo(f"  note: {note}")
    files_written = len({m.file for m in pulled})
    typer.echo(
        f"{counted(len(pulled), 'meeting')} pulled into {counted(files_written, 'file')}; nothing was sent. "
        "Review and commit them: the next plan is then empty."
    )


SystemOption = typer.Option(
    "github", "--system", help="Where the repository lives: github | azure-devops | gitlab."
)


@ci_app.command("run", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def ci_run(
    ctx: typer.Context,
    command: str = typer.Argument(..., help="The reconciler command (validate, plan, apply, pull, ...)."),
    config: str = typer.Option(
        "reconciler.yaml", "--config", envvar="RECONCILER_CONFIG", help="Configuration file."
    ),
    system: str = SystemOption,
) -> None:
    """Run one command as a pipeline step: output kept for the next steps, 2 (changes) not a failure, and
    calendar commands skipped with a notice while the configuration targets the sandbox."""
    from reconciler.ci import run, step_dir

    raise typer.Exit(run(system, command, list(ctx.args), config, step_dir()))


@ci_app.command("comment")
def ci_comment(
    exitcode: str | None = typer.Option(
        None,
        "--plan-exitcode",
        help="The plan step's exit code (empty: it never ran; the files have problems). Default: what "
        "`ci run plan` kept.",
    ),
    plan_file: str | None = typer.Option(None, "--plan-file", help="What the plan printed (markdown)."),
    errors_file: str | None = typer.Option(None, "--errors-file", help="What the plan said on failing."),
    system: str = SystemOption,
) -> None:
    """Post the plan as one comment on the pull request, rewritten by each run (a failed plan says so)."""
    from reconciler.ci import chosen, post_plan
    from reconciler.forges import ForgeError, forge

    plan, errors = chosen(plan_file, "plan", "out"), chosen(errors_file, "plan", "err")
    try:
        typer.echo(post_plan(forge(system), exitcode, plan, errors))
    except ForgeError as exc:
        raise _fail(str(exc)) from None


@ci_app.command("pull-request")
def ci_pull_request(
    pulled: str | None = typer.Option(
        None, "--pull-output", help="What `reconciler pull` printed (default: what `ci run pull` kept)."
    ),
    plan_file: str | None = typer.Option(
        None, "--plan-output", help="What the drift plan printed (default: what `ci run plan` kept)."
    ),
    base: str = typer.Option("main", "--base", help="The branch to merge into (the default branch)."),
    meetings: str = typer.Option("meetings", "--meetings", help="The folder `pull` wrote into."),
    system: str = SystemOption,
) -> None:
    """Commit what `pull` wrote to one branch, push it, and open one pull request from it or update the open
    one; nothing when the files already say what the calendars hold."""
    from reconciler.ci import chosen, propose_edits
    from reconciler.forges import ForgeError, forge

    pull_out, plan = chosen(pulled, "pull", "out"), chosen(plan_file, "plan", "out")
    try:
        if pull_out is None:
            raise ForgeError("--pull-output is empty: the pull step did not run")
        typer.echo(propose_edits(forge(system), Path.cwd(), meetings, base, pull_out, plan))
    except ForgeError as exc:
        raise _fail(str(exc)) from None


@app.command()
def responses(
    keys: list[str] = typer.Argument(None, help="Meeting keys (default: every managed meeting)."),
    config: Path | None = ConfigOption,
    fmt: str = typer.Option("text", "--format", help="text | markdown (a CI job summary) | json"),
) -> None:
    """Who accepted, who is tentative, who declined and who has not answered, per managed meeting.

    Read with the same batched requests as a plan (the organizers' calendars, no request per meeting).
    """
    import json

    from reconciler import responses as answers
    from reconciler import run
    from reconciler.backends.factory import BackendError, open_backend

    if fmt not in ("text", "markdown", "json"):
        raise _fail("--format must be text, markdown or json")
    try:
        settings = run.settings_for(config)
        with open_backend(settings) as backend:
            found = [
                o
                for organizer in sorted(settings.organizers)
                for o in backend.observe(organizer, settings.namespace).meetings
            ]
            found = _only(
                keys, found, lambda o: o.marker.key, "no managed meeting with key {} in the calendars read"
            )
            reasons = answers.reasons_for(backend, found)
    except (run.RunError, BackendError) as exc:
        raise _fail(str(exc)) from None
    except typer.Exit:
        raise
    except Exception as exc:
        raise _fail(f"the target failed: {type(exc).__name__}: {exc}") from None
    found.sort(key=lambda o: o.marker.key)
    if fmt == "json":
        typer.echo(json.dumps(answers.to_data(found, reasons), indent=2, ensure_ascii=False))
    elif fmt == "markdown":
        typer.echo(answers.render_markdown(found, reasons), nl=False)
    else:
        typer.echo(answers.render_text(found, reasons))


@app.command("import")
def import_(
    organizer: str = typer.Option(..., help="Whose existing meetings to import."),
    subject_contains: str | None = typer.Option(None, help="Only meetings whose subject contains this text."),
    out: Path | None = typer.Option(None, help="Folder for the new files (default: <meetings>/imported)."),
    config: Path | None = ConfigOption,
) -> None:
    """Write an organizer's existing, unmanaged meetings as meeting files; the next apply adopts them."""
    from reconciler import run
    from reconciler.backends.factory import BackendError, open_backend
    from reconciler.desired.load import load_meetings
    from reconciler.importer import import_meetings

    try:
        settings = run.settings_for(config)
        desired = run.load_desired(settings)
        with open_backend(settings) as backend:
            found = backend.unmanaged(organizer.lower(), subject_contains)
        root = settings.source.parent if settings.source else Path(".")
        result = import_meetings(found, desired.meetings, out or settings.meetings / "imported", root)
    except (run.RunError, BackendError) as exc:
        raise _fail(str(exc)) from None
    except Exception as exc:
        raise _fail(f"the target failed: {type(exc).__name__}: {exc}") from None
    for path in result.written:
        typer.echo(f"wrote {path}")
    for subject in result.skipped:
        typer.echo(f"skipped {subject!r}: a meeting file already names its UID")
    check = load_meetings(settings.meetings, settings.organizers)
    if not check.ok:
        raise _fail("\n".join(str(p) for p in check.problems))
    typer.echo(f"{counted(len(result.written), 'meeting')} imported; `reconciler plan` shows them as adopt")


@export_app.command("ics")
def export_ics(
    keys: list[str] = typer.Argument(None, help="Meeting keys (default: every meeting in the files)."),
    out: Path | None = typer.Option(
        None,
        "--out",
        help="A FILE.ics for one calendar, or a folder for one FILE per meeting (default: stdout).",
    ),
    config: Path | None = ConfigOption,
) -> None:
    """The desired schedule as iCalendar: a read-only preview to import or subscribe to.

    It is never sent to anyone and is no way to invite: no organizer or attendee properties, and UIDs of its
    own, so importing it cannot touch the real invitations.
    """
    from reconciler import run
    from reconciler.desired.ical_export import to_ical

    try:
        settings = run.settings_for(config)
        meetings = list(run.load_desired(settings).meetings)
    except run.RunError as exc:
        raise _fail(str(exc)) from None
    meetings = _only(keys, meetings, lambda m: m.key, "no meeting with key {} in the files")
    if out is None:
        typer.echo(to_ical(meetings, settings.namespace).decode(), nl=False)
        return
    try:
        if out.suffix.lower() == ".ics":
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(to_ical(meetings, settings.namespace))
            typer.echo(f"{counted(len(meetings), 'meeting')} written to {out}", err=True)
        else:
            out.mkdir(parents=True, exist_ok=True)
            for m in meetings:
                (out / f"{m.key}.ics").write_bytes(to_ical([m], settings.namespace, m.subject))
            typer.echo(f"{counted(len(meetings), 'file')} written to {out}", err=True)
    except OSError as exc:
        raise _fail(
            f"cannot write {out}: {exc.strerror or exc}; give a FILE.ics or a folder you can write to"
        ) from None


@export_app.command("html")
def export_html(
    out: Path = typer.Option(..., "--out", help="The folder for the site (created; its files replaced)."),
    week: str | None = typer.Option(
        None, help="Any day of the week to show, YYYY-MM-DD (default: this week)."
    ),
    timezone: str | None = typer.Option(None, help="The pages' time zone (default: most meetings' zone)."),
    config: Path | None = ConfigOption,
) -> None:
    """A static site of one week: a grid per team folder, person and room, and a page per meeting.

    Plain files with no script or CDN: open out/index.html, or publish the folder on any static host.
    Double bookings and rooms that will decline (by Exchange's defaults) are marked; nothing is read from
    the calendars.
    """
    from datetime import UTC, date, datetime
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from reconciler import run
    from reconciler.desired.load import display_name
    from reconciler.plan.rooms import before_sending
    from reconciler.week_site import build_site, monday_of

    try:
        day = date.fromisoformat(week) if week else datetime.now(UTC).date()
        if timezone:
            ZoneInfo(timezone)
    except ValueError:
        raise _fail(f"--week {week!r} is not a date; write YYYY-MM-DD") from None
    except ZoneInfoNotFoundError:
        raise _fail(
            f"--timezone {timezone!r} is not an IANA time zone name (e.g. Europe/Amsterdam)"
        ) from None
    try:
        settings = run.settings_for(config)
        desired = run.load_desired(settings)
    except run.RunError as exc:
        raise _fail(str(exc)) from None
    root = Path(display_name(settings.meetings))
    teams = {}
    for key, source in desired.sources.items():
        folder = Path(source.file).parent
        inside = folder.relative_to(root).parts if folder.is_relative_to(root) else folder.parts[-1:]
        teams[key] = inside[0] if inside else settings.namespace
    now = datetime.now(UTC)
    warnings = before_sending(desired.meetings, now, settings.policy.room_booking_window_days)
    files = build_site(
        desired.meetings, desired.sources, teams, settings.namespace, monday_of(day), timezone, warnings, now
    )
    try:
        for name, content in files.items():
            path = out / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
    except OSError as exc:
        raise _fail(f"cannot write {out}: {exc.strerror or exc}; give a folder you can write to") from None
    typer.echo(f"{counted(len(files), 'file')} written to {out}; open {out / 'index.html'}", err=True)


def main() -> None:
    fewer_collections()
    try:
        app()
    finally:
        collected_enough()
