"""The JSON Schemas, shipped inside the package (`reconciler/schemas/`) and read as package resources.

They are package data so that an installed wheel finds them; the top-level `schemas/` folder is the copy
published for editors (`yaml-language-server`), kept identical by a test.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

NAMES = ("meeting", "config")


def schema_text(name: str) -> str:
    """The schema `name` (meeting | config) as shipped; KeyError for any other name."""
    if name not in NAMES:
        raise KeyError(name)
    resource = resources.files("reconciler") / "schemas" / f"{name}.schema.json"
    return resource.read_text(encoding="utf-8").rstrip("\n")


@cache
def load_schema(name: str) -> dict[str, Any]:
    """The parsed schema `name` (meeting | config); KeyError for any other name."""
    return json.loads(schema_text(name))
