"""A loopback Exchange backed by SQLite that unmodified clients talk to, over EWS and Microsoft Graph.

The core (store, directory, meeting lifecycle, calendar items, occurrences, recurrence) is shared by the
front doors in `ews/` and `graph/`; `server.py` mounts them on one port (see ARCHITECTURE.md).

The names are imported on first use: the server pulls in exchangelib, and every `reconciler` command loads
this package for its `sandbox` sub-commands (validate needs none of it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reconciler.sandbox.faults import FaultOptions
    from reconciler.sandbox.sandbox import Sandbox

__all__ = ["FaultOptions", "Sandbox"]


def __getattr__(name: str) -> Any:
    if name == "Sandbox":
        from reconciler.sandbox.sandbox import Sandbox

        return Sandbox
    if name == "FaultOptions":
        from reconciler.sandbox.faults import FaultOptions

        return FaultOptions
    raise AttributeError(name)
