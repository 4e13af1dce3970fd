"""Test doubles shared by the unit and end-to-end tests."""

from __future__ import annotations


class FakeClock:
    """A monotonic clock that moves only when something sleeps: timing logic tested without waiting."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
