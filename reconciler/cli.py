"""The `reconciler` command line: thin. It parses arguments, calls the pipeline and renders results.

Heavy imports (exchangelib, jsonschema) happen inside the commands so that `--help` stays fast.
"""

from __future__ import annotations

from pathlib import Path

import typer

from reconciler.sandbox.cli import app as sandbox_app

app = typer.Typer(
    name="reconciler",
    help="Declarative meeting reconciler: meetings in YAML, applied to Exchange calendars.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(sandbox_app, name="sandbox")


@app.command()
def validate(
    path: Path = typer.Argument(Path("meetings"), help="Meetings directory or a single meeting file."),
) -> None:
    """Check meeting files; report every problem as FILE:LINE:COL: message."""
    from reconciler.spec.report import run_validate

    raise typer.Exit(run_validate(path))


@app.command()
def schema(
    name: str = typer.Argument("meeting", help="meeting | config"),
) -> None:
    """Print a JSON Schema (for editors and other tools)."""
    from reconciler.spec.schemas import schema_text

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
) -> None:
    """Print the desired schedule: each meeting and its next occurrences."""
    from reconciler.spec.report import run_schedule

    raise typer.Exit(run_schedule(path, days=days))


def main() -> None:
    app()
