"""Helpers for tests that need meeting files on disk."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest


@pytest.fixture
def meetings_dir(tmp_path: Path) -> Iterator[Callable[[dict[str, str | bytes]], Path]]:
    """Write files under `meetings/` in a fresh working directory; returns the relative folder."""
    old = Path.cwd()
    os.chdir(tmp_path)

    def write(files: dict[str, str | bytes]) -> Path:
        root = Path("meetings")
        for name, content in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content if isinstance(content, bytes) else content.encode())
        return root

    try:
        yield write
    finally:
        os.chdir(old)
