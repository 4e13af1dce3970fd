"""JSON Schema validation with messages a person can act on.

jsonschema's own messages quote whole instances; here each error becomes a `Problem` at the offending key
path, with the allowed values, the expected form (the schema's `x-hint`) or, for a misspelt key, the
nearest valid name.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import fastjsonschema
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from reconciler.desired.problems import Problem
from reconciler.desired.schemas import load_schema

_TYPES = {
    "string": "text",
    "integer": "a whole number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping of keys",
    "number": "a number",
}


def _schema(schema_name: str, ref: str | None) -> dict[str, Any]:
    schema = load_schema(schema_name)
    if ref:
        schema = {**schema["$defs"][ref], "$defs": schema["$defs"], "$schema": schema["$schema"]}
    return schema


@cache
def validator(schema_name: str, ref: str | None = None) -> Draft202012Validator:
    """A validator for a whole schema, or for one of its `$defs` (`ref`)."""
    return Draft202012Validator(_schema(schema_name, ref))


@cache
def _valid(schema_name: str, ref: str | None = None) -> Callable[[Any], Any]:
    """The same schema compiled to Python by fastjsonschema: the check of a valid file costs a tenth of
    jsonschema's; a file it refuses is checked again by jsonschema, whose errors say where and what.
    (The schemas use only keywords both implement alike; a test holds them to the same verdicts.)"""
    return fastjsonschema.compile(_schema(schema_name, ref))


def schema_problems(data: Any, schema_name: str, ref: str | None = None) -> list[Problem]:
    """Every schema violation in `data`, each with a key path; `at_key` problems point at the key itself."""
    try:
        _valid(schema_name, ref)(data)
        return []
    except fastjsonschema.JsonSchemaException:
        pass
    problems: list[Problem] = []
    for error in sorted(validator(schema_name, ref).iter_errors(data), key=lambda e: list(map(str, e.path))):
        problems.extend(_explain(error))
    return problems


class KeyProblem(Problem):
    """A problem about a key itself (unknown key), located at the key rather than its value."""


@dataclass(frozen=True)
class MissingKey(Problem):
    """A required key that is absent (`key` names it), so a defaults file that failed to supply it can own
    the problem instead of every meeting under it."""

    key: str = ""


def _explain(error: ValidationError) -> list[Problem]:
    path = tuple(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    kind = error.validator
    if kind == "additionalProperties" and isinstance(error.instance, dict):
        allowed = sorted(schema.get("properties", {}))
        out: list[Problem] = []
        for name in sorted(set(error.instance) - set(allowed), key=str):
            close = difflib.get_close_matches(str(name), allowed, n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else f"valid keys: {', '.join(allowed)}"
            out.append(KeyProblem((*path, name), f"unknown key; {hint}"))
        return out
    if path and str(path[-1]).endswith("_env"):  # its value may be a secret pasted in the wrong place
        return [
            Problem(
                path,
                "is not the name of an environment variable (letters, digits and _, not starting with a "
                "digit): name the variable that holds the secret, never the secret itself (the value is "
                "not shown)",
            )
        ]
    if kind == "required":
        missing = str(error.message).split("'")[1] if "'" in error.message else error.message
        return [MissingKey(path, f"missing required key '{missing}'", key=missing)]
    if kind == "type":
        want = error.validator_value
        wants = want if isinstance(want, list) else [want]
        return [
            Problem(
                path,
                f"must be {' or '.join(_TYPES.get(w, w) for w in wants)}, not {_describe(error.instance)}",
            )
        ]
    if kind == "enum":
        return [
            Problem(
                path,
                f"{error.instance!r} is not allowed; use one of: "
                f"{', '.join(map(str, error.validator_value))}",
            )
        ]
    if kind in ("pattern", "anyOf", "const") and "x-hint" in schema:
        return [Problem(path, f"{error.instance!r} is not {schema['x-hint']}")]
    if kind == "anyOf" and error.parent is None:
        hints = [s.get("x-hint") for s in error.validator_value if isinstance(s, dict) and s.get("x-hint")]
        if hints:
            return [Problem(path, f"{error.instance!r} is not {' or '.join(hints)}")]
    if kind == "maxLength":
        return [
            Problem(
                path, f"is {len(error.instance)} characters long; at most {error.validator_value} allowed"
            )
        ]
    if kind == "minLength":
        return [Problem(path, "must not be empty")]
    if kind in ("minimum", "maximum"):
        word = "at least" if kind == "minimum" else "at most"
        return [Problem(path, f"{error.instance} is out of range; must be {word} {error.validator_value}")]
    if kind == "uniqueItems":
        return [Problem(path, "contains the same entry twice; remove the repeat")]
    if kind == "minItems":
        return [Problem(path, f"needs at least {error.validator_value} entry")]
    if kind == "propertyNames":
        return [Problem(path, f"{error.instance!r} is not a valid name")]
    return [Problem(path, error.message)]


def _describe(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    return repr(value)
