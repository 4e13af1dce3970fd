"""One line per request (time, mailbox, operation, response messages, status, response code, milliseconds),
and optionally the full SOAP in and out: the sandbox's answer to EWSEditor-style troubleshooting."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TextIO

_CODES = re.compile(rb"<(?:m:)?ResponseCode>(\w+)</(?:m:)?ResponseCode>|<e:ResponseCode[^>]*>(\w+)<")


@dataclass
class RequestLog:
    lines: TextIO
    bodies: TextIO | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(
        self, mailbox: str, operation: str, status: int, request: bytes, answer: bytes, elapsed: float
    ) -> None:
        codes = [(a or b).decode() for a, b in _CODES.findall(answer)]
        worst = next((c for c in codes if c != "NoError"), codes[0] if codes else "-")
        when = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        line = (
            f"{when} {mailbox or '-'} {operation or '-'} items={len(codes)} {status} {worst} "
            f"{elapsed * 1000:.0f}ms"
        )
        with self.lock:
            self.lines.write(line + "\n")
            self.lines.flush()
            if self.bodies is not None:
                self.bodies.write(
                    f"==> {line}\n{request.decode(errors='replace')}\n<== {status}\n"
                    f"{answer.decode(errors='replace')}\n\n"
                )
                self.bodies.flush()
