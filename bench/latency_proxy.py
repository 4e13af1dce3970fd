"""A loopback HTTP proxy that holds every request for a fixed delay: a stand-in for a server round trip.

It forwards HTTP/1.1 requests with a Content-Length body (what exchangelib sends) over one upstream
connection per client connection, so keep-alive behaves as it would against Exchange, and counts the
requests it forwarded. Concurrent client connections wait side by side, as they would on a network.
"""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from typing import BinaryIO


def _read_message(stream: BinaryIO) -> bytes | None:
    """One HTTP message (head and Content-Length body), or None at end of stream."""
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        line = stream.readline(65537)
        if not line:
            return None
        head += line
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return head + (stream.read(length) if length else b"")


class LatencyProxy(socketserver.ThreadingTCPServer):
    """Serve on 127.0.0.1 (a free port), forward to `upstream` (host, port) after `delay` seconds."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, upstream: tuple[str, int], delay: float) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.upstream = upstream
        self.delay = delay
        self.requests = 0
        self._count = threading.Lock()
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/EWS/Exchange.asmx"

    def counted(self) -> None:
        with self._count:
            self.requests += 1

    def __enter__(self) -> LatencyProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()


class _Handler(socketserver.StreamRequestHandler):
    server: LatencyProxy

    def handle(self) -> None:
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with socket.create_connection(self.server.upstream) as upstream:
            upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            answers = upstream.makefile("rb")
            while (request := _read_message(self.rfile)) is not None:
                time.sleep(self.server.delay)
                self.server.counted()
                upstream.sendall(request)
                answer = _read_message(answers)
                if answer is None:
                    return
                self.wfile.write(answer)
                self.wfile.flush()
