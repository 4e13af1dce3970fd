"""A loopback EWS server backed by SQLite that the unmodified exchangelib client talks to."""

from reconciler.sandbox.faults import FaultOptions
from reconciler.sandbox.sandbox import Sandbox

__all__ = ["FaultOptions", "Sandbox"]
