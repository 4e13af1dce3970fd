"""`Sandbox`: the sandbox (EWS and Graph on one port) in a background thread, for tests and the embedded
target. With `tls=True` it serves https with a private CA, whose PEM `ca_path` names. It rewrites what it
stores as Exchange does (`rewrites.py`) unless given `rewrites=Rewrites.echo()` or some rules off."""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path
from types import TracebackType

from reconciler.sandbox.directory import Directory
from reconciler.sandbox.faults import FaultOptions, Faults, RateViolation
from reconciler.sandbox.requestlog import RequestLog
from reconciler.sandbox.rewrites import Rewrites
from reconciler.sandbox.server import SandboxServer
from reconciler.sandbox.store import Store


class Sandbox:
    """`with Sandbox(db=...) as sb:` serves EWS at `sb.endpoint` on a free loopback port."""

    def __init__(
        self,
        db: str | Path = ":memory:",
        password: str | None = None,
        faults: FaultOptions | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        directory: Directory | None = None,
        request_log: RequestLog | None = None,
        tls: bool = False,
        rewrites: Rewrites | None = None,
        auth: tuple[str, ...] = ("basic",),
    ) -> None:
        self.store = Store(db)
        self.faults = Faults(faults or FaultOptions())
        self.ca_path: Path | None = None
        ca = None
        if tls:
            from reconciler.sandbox.tls import PrivateCA

            ca = PrivateCA()
            self._ca_dir = tempfile.TemporaryDirectory(prefix="reconciler-sandbox-ca-")
            self.ca_path = ca.write_ca(Path(self._ca_dir.name) / "ca.pem")
        self.server = SandboxServer(
            host, port, self.store, self.faults, password, directory, request_log, ca, rewrites, auth
        )
        self.thread: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        """The EWS endpoint."""
        return f"{self.server.origin}/EWS/Exchange.asmx"

    @property
    def graph_endpoint(self) -> str:
        return f"{self.server.origin}/v1.0"

    @property
    def authority(self) -> str:
        """The identity endpoint's root (tokens at `{authority}/{tenant}/oauth2/v2.0/token`)."""
        return self.server.origin

    @property
    def requests(self) -> int:
        """Requests served so far (all operations)."""
        return sum(self.server.service.requests.values())

    def request_counts(self) -> dict[str, int]:
        return dict(self.server.service.requests)

    def set_faults(self, options: FaultOptions) -> None:
        self.faults.configure(options)

    def rate_violations(self) -> list[RateViolation]:
        return list(self.faults.violations)

    def start(self) -> Sandbox:
        self.thread = threading.Thread(target=self.server.serve_forever, name="ews-sandbox", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self.thread:
            self.thread.join(timeout=5)
        self.store.close()
        if self.ca_path is not None:
            self._ca_dir.cleanup()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
