"""What every front door serves from: the one store, the directory, the fault plan, the shared secret, and
a count of requests by operation. The HTTP server holds one and hands it to the EWS endpoint and the Graph
router, so neither imports the server."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, TypeVar

from reconciler.sandbox.context import Context
from reconciler.sandbox.directory import Directory
from reconciler.sandbox.faults import Faults
from reconciler.sandbox.rewrites import Rewrites
from reconciler.sandbox.store import Store

C = TypeVar("C", bound=Context)


@dataclass
class Service:
    store: Store
    faults: Faults
    directory: Directory = field(default_factory=Directory)
    password: str | None = None
    """The only password (EWS Basic) and client secret (Graph tokens) accepted; None: any."""
    requests: Counter[str] = field(default_factory=Counter)
    """Requests served, by operation (`CreateItem`, `graph.GET.events`, ...)."""
    rewrites: Rewrites = field(default_factory=Rewrites)
    auth: tuple[str, ...] = ("basic",)
    """The authentication schemes the EWS endpoint offers (basic, ntlm, negotiate), in IIS's way."""
    windows: Any = None
    """The NTLM/Negotiate acceptor (`ews/windows_auth.Acceptor`) when those are offered."""

    def context(self, mailbox: str, make: type[C] = Context, **extra: Any) -> C:  # type: ignore[assignment]
        """The context of one request acting for `mailbox` (its mailbox created on first use)."""
        self.store.ensure_mailbox(mailbox)
        return make(self.store, mailbox, directory=self.directory, rewrites=self.rewrites, **extra)
