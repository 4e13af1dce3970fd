"""The OData query options the sandbox's resources accept: `$select`, `$filter`, `$expand`, `$top`, `$skip`.

`$filter` understands what a calendar client filters events and messages on: a string extended property
(`singleValueExtendedProperties/any(ep: ep/id eq '...' and ep/value eq '...')`, also `ne`, `startswith`,
`contains` on the value, as Graph's reference lists for string properties), `iCalUId`, `subject` and
`type` with `eq`, `contains(subject, '...')`, clauses joined with `and`, and `not(...)`. Anything else is
answered 400, never ignored. Property names in an id are case-sensitive, values are not (as documented).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from reconciler.sandbox.graph.errors import GraphError
from reconciler.sandbox.graph.properties import same_property

MAX_TOP = 1000
DEFAULT_TOP = 10
Test = Callable[[dict[str, Any]], bool]
"""A filter over an event's JSON (with `singleValueExtendedProperties` complete)."""

_STRING = r"'((?:[^']|'')*)'"
_ANY = re.compile(r"^singlevalueextendedproperties/any\(\s*(\w+)\s*:\s*(.*)\)$", re.I | re.S)
_COMPARE = re.compile(rf"^([\w/]+)\s+(eq|ne)\s+{_STRING}$", re.I | re.S)
_FUNCTION = re.compile(rf"^(startswith|contains)\(\s*([\w/]+)\s*,\s*{_STRING}\s*\)$", re.I | re.S)
_NOT = re.compile(r"^not\s*\((.*)\)$", re.I | re.S)


def bad_filter(text: str) -> GraphError:
    return GraphError(400, "BadRequest", f"Invalid filter clause: the sandbox does not support {text!r}.")


def _split_and(text: str) -> list[str]:
    """Top-level clauses of `a and b and c` (not inside parentheses or quotes)."""
    parts, depth, quoted, start, i = [], 0, False, 0, 0
    lower = text.lower()
    while i < len(text):
        ch = text[i]
        if ch == "'":
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
        elif not quoted and depth == 0 and lower.startswith(" and ", i):
            parts.append(text[start:i].strip())
            start = i + 5
            i += 4
        i += 1
    parts.append(text[start:].strip())
    return [p for p in parts if p]


def _unquote(value: str) -> str:
    return value.replace("''", "'")


def _string_test(op: str, want: str) -> Callable[[Any], bool]:
    want_l = want.lower()
    tests: dict[str, Callable[[Any], bool]] = {
        "eq": lambda v: v is not None and str(v).lower() == want_l,
        "ne": lambda v: v is None or str(v).lower() != want_l,
        "startswith": lambda v: v is not None and str(v).lower().startswith(want_l),
        "contains": lambda v: v is not None and want_l in str(v).lower(),
    }
    return tests[op.lower()]


def _property_clause(var: str, inner: str) -> Test:
    wanted_id: str | None = None
    value_tests: list[Callable[[Any], bool]] = []
    for clause in _split_and(inner):
        compare, function = _COMPARE.match(clause), _FUNCTION.match(clause)
        path, op, value = (
            compare.groups()
            if compare
            else (function.group(2), function.group(1), function.group(3))
            if function
            else ("", "", "")
        )
        if path.lower() == f"{var}/id".lower() and op.lower() == "eq":  # `ep/id` or `ep/Id`
            wanted_id = _unquote(value)
        elif path.lower() == f"{var}/value".lower() and op:
            value_tests.append(_string_test(op, _unquote(value)))
        else:
            raise bad_filter(clause)
    if wanted_id is None:
        raise bad_filter(inner)

    def test(event: dict[str, Any]) -> bool:
        for prop in event.get("singleValueExtendedProperties") or []:
            if same_property(prop.get("id", ""), wanted_id):  # type and GUID in any case, the name exactly
                return all(t(prop.get("value")) for t in value_tests)
        return False

    return test


_FIELDS = {"icaluid": "iCalUId", "subject": "subject", "type": "type"}


def _clause(text: str) -> Test:
    text = text.strip()
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    if found := _NOT.match(text):
        inner = parse_filter(found.group(1))
        return lambda e: not inner(e)
    if found := _ANY.match(text):
        return _property_clause(found.group(1), found.group(2))
    compare, function = _COMPARE.match(text), _FUNCTION.match(text)
    if compare and compare.group(1).lower() in _FIELDS:
        name, check = (
            _FIELDS[compare.group(1).lower()],
            _string_test(compare.group(2), _unquote(compare.group(3))),
        )
        return lambda e: check(e.get(name))
    if function and function.group(2).lower() == "subject":
        check = _string_test(function.group(1), _unquote(function.group(3)))
        return lambda e: check(e.get("subject"))
    raise bad_filter(text)


def parse_filter(text: str) -> Test:
    tests = [_clause(c) for c in _split_and(text)]
    return lambda e: all(t(e) for t in tests)


@dataclass(frozen=True)
class Query:
    select: tuple[str, ...] = ()
    filter: Test | None = None
    expand_properties: tuple[str, ...] | None = None
    """Ids of the extended properties `$expand` asks for; None: not expanded."""
    top: int = DEFAULT_TOP
    skip: int = 0
    params: dict[str, str] | None = None

    def shape(self, event: dict[str, Any]) -> dict[str, Any]:
        """The event as answered: `$select`ed properties (id and etag always), expanded properties."""
        out = {
            k: v
            for k, v in event.items()
            if not self.select or k in self.select or k in ("id", "@odata.etag", "@odata.context")
        }
        out.pop("singleValueExtendedProperties", None)
        if self.expand_properties is not None:
            wanted = self.expand_properties
            props = [
                p
                for p in event.get("singleValueExtendedProperties") or []
                if not wanted or any(same_property(p["id"], w) for w in wanted)
            ]
            if props:
                out["singleValueExtendedProperties"] = props
        return out


_EXPAND = re.compile(r"^singlevalueextendedproperties(?:\(\$filter=(.*)\))?$", re.I | re.S)
_ID_EQ = re.compile(rf"^id\s+eq\s+{_STRING}$", re.I | re.S)


def _expand(text: str) -> tuple[str, ...]:
    found = _EXPAND.match(text.strip())
    if not found:
        raise GraphError(400, "BadRequest", f"The sandbox cannot $expand {text!r}.")
    if not found.group(1):
        return ()
    ids = []
    for part in re.split(r"\s+or\s+", found.group(1).strip(), flags=re.I):
        match = _ID_EQ.match(part.strip())
        if not match:
            raise bad_filter(part)
        ids.append(_unquote(match.group(1)))
    return tuple(ids)


def parse_query(raw: str) -> Query:
    params = {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}
    known = {
        "$select",
        "$filter",
        "$expand",
        "$top",
        "$skip",
        "$orderby",
        "startDateTime",
        "endDateTime",
        "$count",
        "$deltatoken",
        "$skiptoken",
    }
    unknown = [k for k in params if k.startswith("$") and k not in known]
    if unknown:
        raise GraphError(400, "BadRequest", f"Query option {unknown[0]} is not supported.")
    try:
        top = int(params.get("$top", DEFAULT_TOP))
        skip = int(params.get("$skip", 0))
    except ValueError:
        raise GraphError(400, "BadRequest", "$top and $skip must be whole numbers.") from None
    if top < 1 or skip < 0:
        raise GraphError(400, "BadRequest", "$top must be at least 1 and $skip at least 0.")
    select = tuple(s.strip() for s in params.get("$select", "").split(",") if s.strip())
    return Query(
        select=select,
        filter=parse_filter(params["$filter"]) if params.get("$filter") else None,
        expand_properties=_expand(params["$expand"]) if "$expand" in params else None,
        top=min(top, MAX_TOP),
        skip=skip,
        params=params,
    )
