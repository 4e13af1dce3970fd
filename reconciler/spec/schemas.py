"""The JSON Schemas shipped in `schemas/`: loaded once, printed by `reconciler schema`."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"
NAMES = ("meeting", "config")


def schema_path(name: str) -> Path:
    if name not in NAMES:
        raise KeyError(name)
    return SCHEMA_DIR / f"{name}.schema.json"


@cache
def load_schema(name: str) -> dict[str, Any]:
    """The parsed schema `name` (meeting | config); KeyError for any other name."""
    return json.loads(schema_path(name).read_text(encoding="utf-8"))


def schema_text(name: str) -> str:
    return schema_path(name).read_text(encoding="utf-8").rstrip("\n")
