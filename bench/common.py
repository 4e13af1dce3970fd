"""Shared measuring helpers: wall time and peak memory of a step, and a sandbox account factory."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from exchangelib import IMPERSONATION, Account, Configuration, Version
from exchangelib.protocol import FaultTolerance
from exchangelib.transport import NOAUTH
from exchangelib.version import EXCHANGE_2016


@dataclass
class Measurement:
    """What one benchmark step cost."""

    name: str
    seconds: float = 0.0
    requests: int = 0
    peak_mib: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)

    def line(self) -> str:
        parts = [f"{self.name:<56}", f"{self.seconds:8.3f} s", f"{self.requests:6d} req"]
        if self.peak_mib:
            parts.append(f"{self.peak_mib:8.1f} MiB peak")
        parts += [f"{k} {v:,.1f}" for k, v in self.extra.items()]
        return "  ".join(parts)


@contextmanager
def measure(
    name: str, requests: Callable[[], int] | None = None, memory: bool = False
) -> Iterator[Measurement]:
    """Time a block; `requests` reads a request counter before and after (the sandbox counts them)."""
    m = Measurement(name)
    before = requests() if requests else 0
    if memory:
        tracemalloc.start()
    start = time.perf_counter()
    try:
        yield m
    finally:
        m.seconds = time.perf_counter() - start
        if memory:
            m.peak_mib = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        if requests:
            m.requests = requests() - before


def account(endpoint: str, address: str) -> Account:
    """An exchangelib account on the sandbox, in NOAUTH impersonation mode, with a bounded retry policy."""
    config = Configuration(
        service_endpoint=endpoint,
        auth_type=NOAUTH,
        version=Version(EXCHANGE_2016),
        retry_policy=FaultTolerance(max_wait=30),
    )
    return Account(address, config=config, autodiscover=False, access_type=IMPERSONATION)


def report(title: str, rows: list[Measurement], out: Callable[[str], None] = print) -> None:
    out(f"\n## {title}")
    for row in rows:
        out("  " + row.line())


@contextmanager
def serve_sandbox(db: Path, *options: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """`reconciler sandbox serve` on `db` in its own process (with `options`); yields its origin."""
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "reconciler"),
            "sandbox",
            "serve",
            "--port",
            "0",
            "--db",
            str(db),
            *options,
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    try:
        assert process.stdout is not None
        found = re.search(r"(https?://127\.0\.0\.1:\d+)/", process.stdout.readline())
        assert found, "the sandbox did not start"
        yield found.group(1)
    finally:
        process.terminate()
        process.wait(timeout=30)
