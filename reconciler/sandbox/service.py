"""What every front door serves from: the one store, the directory, the fault plan, the shared secret, and
a count of requests by operation. The HTTP server holds one and hands it to the EWS endpoint and the Graph
router, so neither imports the server."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from reconciler.sandbox.directory import Directory
from reconciler.sandbox.faults import Faults
from reconciler.sandbox.store import Store


@dataclass
class Service:
    store: Store
    faults: Faults
    directory: Directory = field(default_factory=Directory)
    password: str | None = None
    """The only password (EWS Basic) and client secret (Graph tokens) accepted; None: any."""
    requests: Counter[str] = field(default_factory=Counter)
    """Requests served, by operation (`CreateItem`, `graph.GET.events`, ...)."""
