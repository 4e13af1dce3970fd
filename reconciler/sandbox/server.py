"""The HTTP side of the sandbox: loopback only, plain http or TLS, the front doors of `wsgi.py` on one port.

The HTTP/1.1 parsing, keep-alive, TLS and the thread pool are cheroot's (CherryPy's server, pure Python and
maintained; chosen over waitress, which has no TLS, while Graph clients need https, and over uvicorn, whose
ASGI loop would put an async layer over a synchronous store). What this module adds to it:
- a deadline for receiving a request: a client that sends its request (or its body) a byte at a time is cut
  off after `RECEIVE_DEADLINE` seconds, however steadily it dribbles (cheroot's own timeout is per read), and
  connections waiting between requests are closed after `timeout`; other clients are served meanwhile
  (`THREADS` workers; idle connections hold none);
- dropping a connection unanswered when a fault says so (`DropConnection`);
- the bookkeeping `Sandbox`, the CLI and tests use (origin, service, directory).
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import socket
import tempfile
import threading
import time
import weakref
from pathlib import Path
from typing import Any

from cheroot import server as cheroot_server
from cheroot import wsgi as cheroot_wsgi
from cheroot.ssl.builtin import BuiltinSSLAdapter

from reconciler.sandbox.directory import Directory
from reconciler.sandbox.ews.windows_auth import SCHEMES, Acceptor
from reconciler.sandbox.faults import Faults
from reconciler.sandbox.graph import identity
from reconciler.sandbox.requestlog import RequestLog
from reconciler.sandbox.rewrites import Rewrites
from reconciler.sandbox.service import Service
from reconciler.sandbox.store import Store
from reconciler.sandbox.tls import PrivateCA
from reconciler.sandbox.wsgi import MAX_BODY, Doors, DropConnection

__all__ = ["MAX_BODY", "SandboxServer", "check_loopback"]
THREADS = 32
"""Requests served at once (Exchange allows 27 concurrent EWS requests per user)."""
TIMEOUT = 10.0
"""Seconds a single read may wait, and an idle keep-alive connection may stay open."""
RECEIVE_DEADLINE = 15.0
"""Seconds a whole request (headers and body) may take to arrive."""
log = logging.getLogger(__name__)


def check_loopback(host: str) -> None:
    """Refuse to serve anywhere but loopback: the sandbox has no real authentication."""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except socket.gaierror:
        raise ValueError(f"cannot resolve {host!r}") from None
    if not addresses or not all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses):
        raise ValueError(f"the sandbox only serves loopback addresses (127.0.0.1), not {host!r}")


class _Connection(cheroot_server.HTTPConnection):
    """A connection that remembers since when it is receiving a request (for the receive deadline), and
    what it carries from one request to the next (a Windows authentication, as IIS keeps it)."""

    receiving_since: float | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.session: dict[str, Any] = {}

    def communicate(self) -> bool:
        self.receiving_since = time.monotonic()
        self.server.live.add(self)  # type: ignore[attr-defined]
        try:
            return super().communicate()
        finally:
            self.receiving_since = None


class _Gateway(cheroot_wsgi.Gateway_10):
    """cheroot's WSGI gateway, telling the connection when the body is in and dropping it when asked."""

    def get_environ(self) -> dict[str, Any]:
        environ = super().get_environ()
        conn = self.req.conn
        environ["sandbox.body_read"] = lambda: setattr(conn, "receiving_since", None)
        environ["sandbox.session"] = conn.session
        return environ

    def start_response(self, status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        if any(k.lower() == "connection" and v.lower() == "close" for k, v in headers):
            self.req.close_connection = True  # cheroot keeps a connection open unless told here
        return super().start_response(status, headers, exc_info)

    def respond(self) -> None:
        try:
            super().respond()
        except DropConnection:  # the fault: close without a word, as a broken connection does
            self.req.close_connection = True
            with contextlib.suppress(OSError):
                self.req.conn.socket.shutdown(socket.SHUT_RDWR)


class _Http(cheroot_wsgi.Server):
    ConnectionClass = _Connection

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.gateway = _Gateway
        self.live: weakref.WeakSet[_Connection] = weakref.WeakSet()

    def error_log(self, msg: str = "", level: int = 20, traceback: bool = False) -> None:
        """A client that drops the connection or refuses the certificate is logged, not printed."""
        log.debug("%s", msg, exc_info=traceback)


class SandboxServer:
    """The sandbox on a loopback port (`serve_forever` until `shutdown`)."""

    def __init__(
        self,
        host: str,
        port: int,
        store: Store,
        faults: Faults,
        password: str | None,
        directory: Directory | None = None,
        request_log: RequestLog | None = None,
        tls: PrivateCA | None = None,
        rewrites: Rewrites | None = None,
        auth: tuple[str, ...] = ("basic",),
    ) -> None:
        check_loopback(host)
        unknown = sorted(set(auth) - set(SCHEMES))
        if unknown or not auth:
            raise ValueError(f"authentication {', '.join(unknown) or 'none'}: offer basic, ntlm or negotiate")
        windows = None
        if {"ntlm", "negotiate"} & set(auth):
            if not password:
                raise ValueError(
                    "NTLM and Negotiate need a password to check (SANDBOX_PASSWORD or --password-file)"
                )
            windows = Acceptor(password)
        self.tokens = identity.Tokens(password)
        self.service = Service(
            store,
            faults,
            directory or Directory(),
            password,
            rewrites=rewrites or Rewrites(),
            auth=tuple(auth),
            windows=windows,
        )
        self.scheme = "https" if tls else "http"
        doors = Doors(self.service, self.tokens, lambda: self.origin, request_log)
        self.http = _Http((host, port), doors, numthreads=THREADS, timeout=TIMEOUT, server_name="sandbox")
        self._files: tempfile.TemporaryDirectory[str] | None = None
        if tls is not None:
            self._files = tempfile.TemporaryDirectory(prefix="reconciler-sandbox-tls-")
            cert, key = tls.write_server_files(Path(self._files.name))
            self.http.ssl_adapter = BuiltinSSLAdapter(str(cert), str(key))
        self.http.prepare()  # binds now: the port is known before serving
        self._stop = threading.Event()
        self._watch = threading.Thread(target=self._deadlines, name="sandbox-deadlines", daemon=True)
        self._watch.start()

    @property
    def directory(self) -> Directory:
        return self.service.directory

    @directory.setter
    def directory(self, directory: Directory) -> None:
        """Who exists, changed while serving (a test of a mailbox that does not exist)."""
        self.service.directory = directory

    @property
    def server_address(self) -> tuple[str, int]:
        host, port = self.http.bind_addr[:2]
        return host, port

    @property
    def origin(self) -> str:
        host, port = self.server_address
        return f"{self.scheme}://{host}:{port}"

    def serve_forever(self) -> None:
        self.http.serve()

    def shutdown(self) -> None:
        self._stop.set()
        self.http.stop()

    def server_close(self) -> None:
        self._stop.set()
        if self.service.windows is not None:
            self.service.windows.close()
        if self._files is not None:
            self._files.cleanup()
            self._files = None

    def _deadlines(self) -> None:
        """Cut off connections whose request has been arriving for longer than RECEIVE_DEADLINE."""
        while not self._stop.wait(1.0):
            now = time.monotonic()
            for conn in list(self.http.live):
                since = conn.receiving_since
                if since is not None and now - since > RECEIVE_DEADLINE:
                    with contextlib.suppress(OSError):
                        conn.socket.shutdown(socket.SHUT_RDWR)
