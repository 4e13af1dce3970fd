"""`reconciler sandbox ...`: run the EWS sandbox, look inside its mailboxes, answer invitations."""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from pathlib import Path

import typer

from reconciler.sandbox.faults import FaultOptions
from reconciler.sandbox.rewrites import RULES, Rewrites

app = typer.Typer(
    help="The embedded sandbox (EWS and Graph): serve it, inspect mailboxes, answer invitations.",
    no_args_is_help=True,
)
DEFAULT_DB = Path(".reconciler/sandbox.sqlite3")
FOLDERS = ("inbox", "calendar", "sentitems", "deleteditems", "drafts", "outbox")


IMPLEMENTED = (
    "ConvertId, GetFolder, FindFolder, CreateFolder, DeleteFolder, FindItem, GetItem, CreateItem, "
    "UpdateItem, DeleteItem, GetUserConfiguration, GetUserAvailability, ResolveNames, SyncFolderItems"
)
"""The EWS operations the sandbox serves (a test keeps this in step with the dispatcher); any other gets a
SOAP fault naming it."""


GRAPH_RESOURCES = (
    "users/{id}/events, events/{id}, events/{id}/cancel, events/{id}/instances, users/{id}/calendarView, "
    "users/{id}/calendarView/delta, "
    "mailFolders/{folder}/messages, messages/{id}, $batch; tokens at /{tenant}/oauth2/v2.0/token"
)


@app.command(
    epilog=f"Implemented EWS operations: {IMPLEMENTED}. Any other is answered with a SOAP fault. "
    f"Graph v1.0 (Graph clients need --tls: msal insists on an https authority): {GRAPH_RESOURCES}."
)
def serve(
    host: str = typer.Option("127.0.0.1", help="Loopback address to bind (nothing else is allowed)."),
    port: int = typer.Option(8765, help="TCP port (0 picks a free one)."),
    db: str = typer.Option(str(DEFAULT_DB), help="SQLite database file, or :memory:."),
    password: str | None = typer.Option(
        None,
        envvar="SANDBOX_PASSWORD",
        help="Require this password (EWS Basic) and client secret (Graph tokens); default: any. Prefer "
        "SANDBOX_PASSWORD or --password-file: a command line is visible to other users.",
    ),
    password_file: Path | None = typer.Option(
        None, "--password-file", help="Read the password from this file (its first line)."
    ),
    latency_ms: int = typer.Option(0, help="Delay every request by this many milliseconds."),
    busy_rate: float = typer.Option(0.0, help="Share of requests answered ErrorServerBusy (HTTP 500)."),
    busy_backoff_ms: int = typer.Option(100, help="BackOffMilliseconds hint sent with busy faults."),
    unavailable_rate: float = typer.Option(0.0, help="Share of requests answered HTTP 503."),
    reset_rate: float = typer.Option(0.0, help="Share of requests whose connection is dropped unanswered."),
    seed: int | None = typer.Option(None, help="Seed for the fault dice (repeatable runs)."),
    fault_phase: str = typer.Option(
        "before", help="before | after: fault before or after the request's effect."
    ),
    message_rate: float | None = typer.Option(
        None, help="Messages per minute per mailbox before violations are recorded."
    ),
    mailboxes: str | None = typer.Option(
        None, help="Comma-separated addresses that have a mailbox (default: every address)."
    ),
    impersonation: bool = typer.Option(
        True, help="--no-impersonation: a Basic user may act only for its own mailbox."
    ),
    log_requests: bool = typer.Option(
        False, help="One line per request on stderr: time, mailbox, operation, items, status, code, ms."
    ),
    log_bodies: Path | None = typer.Option(None, help="Also write every request and answer here."),
    tls: bool = typer.Option(
        False, help="Serve https with a certificate from a private CA made at start (Graph clients need it)."
    ),
    tls_ca: Path | None = typer.Option(
        None, help="With --tls: write the private CA's PEM here, for clients' ca_bundle."
    ),
    directory_file: Path | None = typer.Option(
        None,
        "--directory",
        help="YAML naming people and rooms (people: {address: Display Name}, rooms: {...}); other "
        "addresses get a name derived from the address, as a tenant's directory gives.",
    ),
    auth: str = typer.Option(
        "basic",
        help="Authentication the EWS endpoint offers, comma-separated, as IIS announces it: basic, ntlm, "
        "negotiate (NTLM inside; needs a password). Only basic allows impersonation without a password.",
    ),
    echo: list[str] = typer.Option(
        [],
        "--echo",
        help="Keep what clients send instead of rewriting it as Exchange does, for one rule (repeat the "
        "option, or `all`): " + "; ".join(f"{name}: {text}" for name, text in RULES.items()) + ".",
    ),
) -> None:
    """Serve the sandbox on loopback until interrupted: EWS, Graph v1.0 and the token endpoint, one port."""
    from reconciler.sandbox.directory import Directory, load_directory
    from reconciler.sandbox.faults import Faults
    from reconciler.sandbox.requestlog import RequestLog
    from reconciler.sandbox.server import SandboxServer
    from reconciler.sandbox.store import Store

    if fault_phase not in ("before", "after"):
        typer.echo("--fault-phase must be before or after", err=True)
        raise typer.Exit(2)
    options = FaultOptions(
        latency_ms=latency_ms,
        busy_rate=busy_rate,
        busy_backoff_ms=busy_backoff_ms,
        unavailable_rate=unavailable_rate,
        reset_rate=reset_rate,
        seed=seed,
        phase=fault_phase,
        message_rate_per_minute=message_rate,
    )  # type: ignore[arg-type]
    if password_file is not None:
        try:
            password = password_file.read_text(encoding="utf-8").splitlines()[0].strip()
        except (OSError, UnicodeDecodeError, IndexError) as exc:
            typer.echo(f"cannot serve: cannot read the password from {password_file} ({exc})", err=True)
            raise typer.Exit(1) from None
    elif password is not None and os.environ.get("SANDBOX_PASSWORD") != password:
        typer.echo(
            "warning: --password on the command line is visible to other users (ps); "
            "use SANDBOX_PASSWORD or --password-file",
            err=True,
        )
    try:
        known = frozenset(a.strip().lower() for a in mailboxes.split(",")) if mailboxes else None
        directory = Directory(known, impersonation)
        if directory_file is not None:
            directory = load_directory(directory_file, directory)
        rewrites = Rewrites.echo() if "all" in echo else Rewrites(frozenset(echo))
        request_log = None
        if log_requests or log_bodies:
            bodies = log_bodies.open("a", encoding="utf-8") if log_bodies else None
            request_log = RequestLog(sys.stderr, bodies)
        ca = None
        if tls:
            from reconciler.sandbox.tls import PrivateCA

            ca = PrivateCA()
            if tls_ca:
                ca.write_ca(tls_ca)
        elif tls_ca:
            raise ValueError("--tls-ca needs --tls")
        schemes = tuple(a.strip().lower() for a in auth.split(",") if a.strip())
        server = SandboxServer(
            host, port, Store(db), Faults(options), password, directory, request_log, ca, rewrites, schemes
        )
    except (ValueError, OSError) as exc:
        typer.echo(f"cannot serve: {exc}", err=True)
        raise typer.Exit(1) from None
    origin = server.origin
    typer.echo(
        f"EWS sandbox serving {origin}/EWS/Exchange.asmx (database {db}); Ctrl-C stops it\n"
        f"Graph v1.0 at {origin}/v1.0, tokens at {origin}/{{tenant}}/oauth2/v2.0/token"
        + (f"; CA certificate in {tls_ca}" if tls_ca else ""),
        err=False,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        typer.echo("stopped")
    finally:
        server.server_close()
        server.service.store.close()


def _store(db: str):  # type: ignore[no-untyped-def]
    from reconciler.sandbox.store import Store

    if db != ":memory:" and not Path(db).exists():
        typer.echo(
            f"no sandbox database at {db}; run `reconciler sandbox serve` or `reconciler apply` first",
            err=True,
        )
        raise typer.Exit(1)
    try:
        store = Store(db)
        store.mailboxes()  # a file that is not a sandbox database fails here, not halfway through
        return store
    except sqlite3.DatabaseError as exc:
        typer.echo(f"{db} is not a sandbox database ({exc}); point --db at the sandbox's file", err=True)
        raise typer.Exit(1) from None


@app.command()
def mailbox(
    address: str = typer.Argument(..., help="The mailbox's SMTP address."),
    folder: str = typer.Option("inbox", help="inbox | calendar | sentitems | deleteditems"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    db: str = typer.Option(str(DEFAULT_DB), help="SQLite database file."),
) -> None:
    """List what a mailbox folder holds: type, subject, start, sequence, response, cancelled."""
    from reconciler.sandbox.inspect import as_dicts, list_mailbox

    if folder not in FOLDERS:
        typer.echo(f"unknown folder {folder!r}; choose one of {', '.join(FOLDERS)}", err=True)
        raise typer.Exit(2)
    store = _store(db)
    entries = list_mailbox(store, address, folder)
    store.close()
    if as_json:
        typer.echo(json.dumps(as_dicts(entries), indent=2))
        return
    typer.echo(f"{address} · {folder} · {len(entries)} item{'s' * (len(entries) != 1)}")
    for e in entries:
        flags = " · cancelled" if e.cancelled else ""
        seq = f" · seq {e.sequence}" if e.sequence is not None else ""
        resp = f" · {e.response}" if e.response else ""
        typer.echo(
            f"  {e.type:<21} {e.subject!r} · {e.start or '-'}{seq}{resp}{flags}"
            + (f" · {e.detail}" if e.detail else "")
        )


@app.command()
def respond(
    address: str = typer.Argument(..., help="The attendee's SMTP address."),
    answer: str = typer.Argument(..., help="accept | tentative | decline"),
    subject: str = typer.Option(..., help="Text the invitation's subject contains."),
    db: str = typer.Option(str(DEFAULT_DB), help="SQLite database file."),
) -> None:
    """Answer an invitation the way an attendee would (the organizer receives the response)."""
    from reconciler.sandbox.context import ItemError
    from reconciler.sandbox.inspect import respond as do_respond

    if answer not in ("accept", "tentative", "decline"):
        typer.echo("answer must be accept, tentative or decline", err=True)
        raise typer.Exit(2)
    store = _store(db)
    try:
        subject_line = do_respond(store, address, subject, answer)
    except ItemError as exc:
        typer.echo(exc.text, err=True)
        raise typer.Exit(1) from None
    finally:
        store.close()
    typer.echo(f"{address} answered {answer} to {subject_line!r}")
