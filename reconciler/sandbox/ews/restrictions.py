"""FindItem restrictions (`m:Restriction`), compiled once into a predicate over an item's field mapping.

Comparisons coerce the constant to the field's type (date-times, booleans, integers); a multi-valued field
matches when any value does; a comparison on a property the item does not have is false, as in Exchange.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

from lxml import etree

from reconciler.sandbox.context import ItemError
from reconciler.sandbox.ews.fieldkeys import field_key, is_extended
from reconciler.sandbox.ews.items import parse_datetime, schema
from reconciler.sandbox.ews.soap import local, t

Predicate = Callable[[Mapping[str, Any]], bool]


def from_request(restriction: etree._Element | None) -> Predicate | None:
    """The predicate of an operation's `m:Restriction` (None when there is none), or
    ErrorInvalidRestriction for one the sandbox cannot evaluate."""
    if restriction is None or not len(restriction):
        return None
    try:
        return compile_restriction(restriction[0])
    except RestrictionError as exc:
        raise ItemError("ErrorInvalidRestriction", str(exc)) from None


_COMPARE = {
    "IsEqualTo": operator.eq,
    "IsNotEqualTo": operator.ne,
    "IsGreaterThan": operator.gt,
    "IsGreaterThanOrEqualTo": operator.ge,
    "IsLessThan": operator.lt,
    "IsLessThanOrEqualTo": operator.le,
}
_PATHS = {"FieldURI", "IndexedFieldURI", "ExtendedFieldURI"}


class RestrictionError(Exception):
    """A restriction the sandbox cannot evaluate (answered as ErrorInvalidRestriction)."""


def _kind(key: str) -> str:
    if is_extended(key):
        prop_type = key.rsplit(":", 1)[1]
        return {
            "SystemTime": "datetime",
            "Boolean": "bool",
            "Integer": "int",
            "Long": "int",
            "Short": "int",
            "SystemTimeArray": "datetime",
            "IntegerArray": "int",
            "LongArray": "int",
        }.get(prop_type, "text")
    return schema()[0].get(key, ("", "text"))[1]


def _coerce(kind: str, text: str) -> Any:
    if kind == "datetime":
        return parse_datetime(text)
    if kind == "bool":
        return text.strip().lower() in ("true", "1")
    if kind == "int":
        return int(text)
    return text


def _typed(kind: str, value: Any) -> Any:
    """Extended properties arrive as text whatever their type: compare them as their type."""
    if isinstance(value, str) and kind != "text":
        try:
            return _coerce(kind, value)
        except ValueError:
            return value
    return value


def _values(item: Mapping[str, Any], key: str) -> list[Any]:
    value = item.get(key)
    if value is None:
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, dict):  # complex values compare by their text or address
        return [value.get("text", value.get("email", ""))]
    return [value]


def _path(el: etree._Element) -> str:
    if local(el.tag) not in _PATHS:
        raise RestrictionError(f"expected a property path, got {local(el.tag)}")
    return field_key(el)


def compile_restriction(expr: etree._Element) -> Predicate:
    """A predicate for one restriction expression (the single child of `m:Restriction`)."""
    name = local(expr.tag)
    if name in ("And", "Or"):
        parts = [compile_restriction(child) for child in expr]
        combine = all if name == "And" else any
        return lambda item: combine(p(item) for p in parts)
    if name == "Not":
        inner = compile_restriction(expr[0])
        return lambda item: not inner(item)
    if name == "Exists":
        key = _path(expr[0])
        return lambda item: item.get(key) is not None
    if name in _COMPARE:
        return _comparison(expr, _COMPARE[name], name == "IsNotEqualTo")
    if name == "Contains":
        return _contains(expr)
    if name == "Excludes":
        key = _path(expr[0])
        mask = int(expr.find(f"{t('Bitmask')}").get("Value", "0"), 0)
        return lambda item: any(isinstance(v, int) and not v & mask for v in _values(item, key))
    raise RestrictionError(f"unsupported restriction element {name}")


def _comparison(expr: etree._Element, compare: Callable[[Any, Any], bool], negated: bool) -> Predicate:
    key = _path(expr[0])
    operand = expr.find(t("FieldURIOrConstant"))
    if operand is None or not len(operand):
        raise RestrictionError("comparison without FieldURIOrConstant")
    kind = _kind(key)
    if local(operand[0].tag) == "Constant":
        try:
            constant = _coerce(kind, operand[0].get("Value", ""))
        except ValueError as exc:
            raise RestrictionError(f"constant does not fit {key}: {exc}") from None

        def test(item: Mapping[str, Any]) -> bool:
            values = [_typed(kind, v) for v in _values(item, key)]
            if not values:
                return False
            try:
                return (
                    all(compare(v, constant) for v in values)
                    if negated
                    else any(compare(v, constant) for v in values)
                )
            except TypeError:
                return False

        return test
    other = _path(operand[0])

    def test_fields(item: Mapping[str, Any]) -> bool:
        left, right = _values(item, key), _values(item, other)
        try:
            return bool(left and right) and any(compare(a, b) for a in left for b in right)
        except TypeError:
            return False

    return test_fields


def _contains(expr: etree._Element) -> Predicate:
    key = _path(expr[0])
    constant = expr.find(t("Constant"))
    if constant is None:
        raise RestrictionError("Contains without Constant")
    needle = constant.get("Value", "")
    mode = expr.get("ContainmentMode", "Substring")
    ignore_case = (
        "IgnoreCase" in expr.get("ContainmentComparison", "Exact")
        or expr.get("ContainmentComparison") == "Loose"
    )
    if ignore_case:
        needle = needle.lower()

    def test(item: Mapping[str, Any]) -> bool:
        for value in _values(item, key):
            text = str(value).lower() if ignore_case else str(value)
            if mode == "FullString" and text == needle:
                return True
            if mode == "Prefixed" and text.startswith(needle):
                return True
            if mode == "PrefixOnWords" and any(w.startswith(needle) for w in text.split()):
                return True
            if mode in ("Substring", "ExactPhrase") and needle in text:
                return True
        return False

    return test
