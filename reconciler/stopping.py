"""Stop means stop: the first SIGINT or SIGTERM ends a run cleanly, a second one ends it at once.

While an apply writes, the first signal only asks: the request in flight finishes, no new write starts, a
paced wait ends at once, the lease is released (the normal way out of `lease.holding`), and the run says what
was done, what was not, and that running it again finishes the rest. Outside writing (loading, reading the
calendars, waiting for a lease) the first signal unwinds the run where it is (`Interrupted`), releasing what
it holds. A second signal exits immediately; a lease then held expires as any abandoned one does. Exit codes
are the shell's: 130 after SIGINT, 143 after SIGTERM (what CI sends when a job is cancelled).
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

EXIT = {signal.SIGINT: 130, signal.SIGTERM: 143}


class Interrupted(Exception):
    """A signal stopped the run before it wrote anything (or between its writes and its summary)."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"stopped by {signal.Signals(signum).name}")
        self.code = EXIT.get(signum, 128 + signum)


class Stopped(Exception):
    """Raised before a write that a signal said not to start."""


class Stop:
    """The run's answer to SIGINT and SIGTERM (install it with `handling()`, in the main thread)."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.signum: int | None = None
        self.writing = False

    @property
    def requested(self) -> bool:
        return self.event.is_set()

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name if self.signum else ""

    @property
    def code(self) -> int:
        return EXIT.get(self.signum or signal.SIGINT, 130)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.event.is_set():  # the second signal: no more waiting
            os._exit(EXIT.get(signum, 128 + signum))
        self.signum = signum
        self.event.set()
        if not self.writing:
            raise Interrupted(signum)

    @contextmanager
    def handling(self) -> Iterator[Stop]:
        """Answer SIGINT and SIGTERM this way for the duration (the previous handlers come back after)."""
        if threading.current_thread() is not threading.main_thread():
            yield self  # signals reach the main thread only; a run elsewhere (a test's thread) is not stopped
            return
        previous = {s: signal.getsignal(s) for s in EXIT}
        for s in EXIT:
            signal.signal(s, self._handle)
        try:
            yield self
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)

    @contextmanager
    def while_writing(self) -> Iterator[None]:
        """While writes are under way (and a lease is held) a signal asks (`check`, `sleep`), it does not
        unwind: what holds a lease must be free to release it."""
        before, self.writing = self.writing, True
        try:
            yield
        finally:
            self.writing = before

    def check(self, organizer: str = "") -> None:
        """Before a write: refuse to start it once a stop was asked for."""
        if self.event.is_set():
            raise Stopped(f"stopped by {self.name}")

    def sleep(self, seconds: float) -> None:
        """A wait (a paced one) that a signal ends at once, with `Stopped`."""
        if self.event.wait(max(0.0, seconds)):
            raise Stopped(f"stopped by {self.name}")
