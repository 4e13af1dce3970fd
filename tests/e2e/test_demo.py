"""`make demo` as a newcomer runs it, twice in a row in the same clone: both runs succeed.

The demo runs from a copy of the repository's demo files (Makefile, reconciler.yaml, meetings/) with this
test run's virtual environment, which `make` is told is already installed, so nothing is reinstalled.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(600)
def test_make_demo_runs_twice_in_the_same_clone(tmp_path: Path) -> None:
    make = shutil.which("make")
    assert make, "the demo needs GNU make"
    for name in ("Makefile", "reconciler.yaml", "pyproject.toml"):
        shutil.copy2(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "meetings", tmp_path / "meetings")
    venv = Path(sys.prefix)
    for run in (1, 2):
        done = subprocess.run(
            [make, "demo", f"VENV={venv}", "-o", f"{venv}/.installed"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, f"run {run}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        assert "nothing left to do" in done.stdout and "accepted" in done.stdout.lower()
