"""`reconciler sandbox ...`: run the EWS sandbox and look inside its mailboxes."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="The embedded EWS sandbox: serve it, inspect mailboxes, answer invitations.", no_args_is_help=True
)


@app.command()
def serve() -> None:
    """Serve the EWS sandbox on loopback until interrupted."""
    typer.echo("the EWS sandbox is not built yet", err=True)
    raise typer.Exit(1)
