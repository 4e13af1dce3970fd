"""Read YAML files into plain data with a source position for every key and value.

PyYAML alone loses positions and silently accepts hazards (duplicate keys, alias bombs), so this module
composes the node graph and converts it itself:

- every mapping key, mapping value and sequence item gets a 1-based (line, column) by key path;
- duplicate keys, alias expansion beyond `MAX_NODES`, tabs in indentation, invalid UTF-8, empty files and
  non-string keys (YAML 1.1 reads `on:` as the boolean true) are reported as `Problem`s;
- dates and date-times become ISO strings, and sexagesimal numbers (`end: 10:30`, which YAML 1.1 reads as
  the integer 630) stay the strings the user wrote.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reconciler.desired.problems import KeyPath, Problem

MAX_NODES = 10_000
"""Nodes one document may expand to, aliases counted each time they are used (stops "billion laughs")."""

Position = tuple[int, int]


@dataclass(frozen=True)
class Document:
    """One YAML document: its data, and where each path's key and value stand in the file."""

    file: str
    index: int
    data: Any
    start: Position
    values: dict[KeyPath, Position] = field(default_factory=dict)
    keys: dict[KeyPath, Position] = field(default_factory=dict)

    def locate(self, path: KeyPath, at_key: bool = False) -> Position:
        """Position of `path` (its key when `at_key`), else of its nearest recorded ancestor."""
        while True:
            if at_key and path in self.keys:
                return self.keys[path]
            if path in self.values:
                return self.values[path]
            if not path:
                return self.start
            path = path[:-1]


class _Lines:
    """Line and column of a YAML mark as an editor counts them: lines end at "\n" only.

    PyYAML follows YAML 1.1 and also breaks lines at NEL, LS, PS and a lone CR, which would point
    messages past the line a person sees; its marks' character index is exact, so positions come from it.
    """

    def __init__(self, text: str) -> None:
        self.starts = [0, *(m.end() for m in re.finditer("\n", text))]

    def at(self, mark: Any) -> Position:
        line = bisect.bisect_right(self.starts, mark.index) - 1
        return line + 1, mark.index - self.starts[line] + 1


STR = "tag:yaml.org,2002:str"


class _Converter:
    """Turns a composed node graph into data plus positions, reporting hazards as it goes."""

    def __init__(self, file: str, lines: _Lines) -> None:
        self.file = file
        self.lines = lines
        self.values: dict[KeyPath, Position] = {}
        self.keys: dict[KeyPath, Position] = {}
        self.problems: list[Problem] = []
        self.nodes = 0
        self.constructor = SafeConstructor()

    def problem(self, path: KeyPath, node: Node, message: str) -> None:
        self.problems.append(Problem(path, message).located(self.file, *self.lines.at(node.start_mark)))

    def convert(self, node: Node, path: KeyPath) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _TooLarge(node)
        self.values.setdefault(path, self.lines.at(node.start_mark))
        if isinstance(node, MappingNode):
            return self.mapping(node, path)
        if isinstance(node, SequenceNode):
            return [self.convert(item, (*path, i)) for i, item in enumerate(node.value)]
        return self.scalar(node)

    def scalar(self, node: ScalarNode) -> Any:
        if node.tag == STR:  # most scalars: the constructor would return the text as it is
            return node.value
        value = self.constructor.construct_object(node, deep=True)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and ":" in node.value:
            return node.value  # YAML 1.1 sexagesimal: `10:30` is a time the user wrote, not 630
        if isinstance(value, datetime):
            return value.isoformat(timespec="minutes" if value.second == 0 else "seconds")
        if isinstance(value, date):
            return value.isoformat()
        return value

    def mapping(self, node: MappingNode, path: KeyPath) -> dict[str, Any]:
        out: dict[str, Any] = {}
        seen: dict[str, Node] = {}
        merges: list[Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                merges.append(value_node)
                continue
            key = self.key(key_node, path)
            if key is None:
                continue
            if key in seen:
                first, _ = self.lines.at(seen[key].start_mark)
                self.problem(
                    (*path, key),
                    key_node,
                    f"duplicate key '{key}' (first at line {first}); remove one of them",
                )
                continue
            seen[key] = key_node
            self.keys[(*path, key)] = self.lines.at(key_node.start_mark)
            out[key] = self.convert(value_node, (*path, key))
        for merge in merges:  # `<<: *defaults` fills keys the mapping does not set itself
            sources = merge.value if isinstance(merge, SequenceNode) else [merge]
            for source in sources:
                merged = self.convert(source, path)
                if isinstance(merged, dict):
                    for key, value in merged.items():
                        out.setdefault(key, value)
        return out

    def key(self, node: Node, path: KeyPath) -> str | None:
        if not isinstance(node, ScalarNode):
            self.problem(path, node, "a key must be a plain name, not a list or mapping")
            return None
        if node.tag == STR:
            return node.value
        value = self.constructor.construct_object(node)
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            hint = "write `days:`" if path[-1:] == ("repeat",) else f"quote it: '{node.value}':"
            self.problem(
                path, node, f"key `{node.value}` reads as the boolean {str(value).lower()} in YAML; {hint}"
            )
            return None
        self.problem(path, node, f"key `{node.value}` must be a name, not a number or date; quote it")
        return None


class _TooLarge(Exception):
    def __init__(self, node: Node) -> None:
        self.node = node


def _decode(raw: bytes, file: str) -> tuple[str | None, list[Problem]]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = len(before) - (before.rfind(b"\n") + 1) + 1
        return None, [
            Problem((), f"invalid UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8").located(
                file, line, column
            )
        ]
    return text, []


def _tabs(text: str, file: str) -> list[Problem]:
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in indent:
            problems.append(
                Problem((), "tab used for indentation; indent with spaces").located(
                    file, number, indent.index("\t") + 1
                )
            )
    return problems


def read_documents(path: Path, display: str | None = None) -> tuple[list[Document], list[Problem]]:
    """All documents of a YAML file with positions, and every problem found reading them."""
    file = display or str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return [], [Problem((), f"cannot read file: {exc.strerror}").located(file, 1, 1)]
    text, problems = _decode(raw, file)
    if text is None:
        return [], problems
    if not text.strip() or all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()):
        return [], [Problem((), "file is empty; add a meeting or delete the file").located(file, 1, 1)]
    problems = _tabs(text, file)
    if problems:
        return [], problems
    documents: list[Document] = []
    lines = _Lines(text)
    try:
        for index, node in enumerate(_compose(text)):
            if node is None or (
                isinstance(node, ScalarNode) and node.value == "" and node.tag.endswith(":null")
            ):
                continue  # an empty document, e.g. after a trailing `---`
            converter = _Converter(file, lines)
            start = lines.at(node.start_mark)
            try:
                data = converter.convert(node, ())
            except _TooLarge as exc:
                problems.append(
                    Problem(
                        (),
                        f"aliases expand beyond {MAX_NODES:,} nodes; remove the "
                        "anchors/aliases that multiply",
                    ).located(file, *lines.at(exc.node.start_mark))
                )
                continue
            except RecursionError:
                problems.append(_too_deep(file, *lines.at(node.start_mark)))
                continue
            except yaml.YAMLError as exc:
                problems.append(_yaml_problem(exc, file, lines))
                continue
            problems.extend(converter.problems)
            documents.append(Document(file, index, data, start, converter.values, converter.keys))
    except yaml.YAMLError as exc:
        problems.append(_yaml_problem(exc, file, lines))
    except RecursionError:  # PyYAML composes recursively: thousands of nested brackets exhaust the stack
        problems.append(_too_deep(file, 1, 1))
    except (ValueError, OverflowError) as exc:  # PyYAML's scanner lets some bad escapes through as these
        problems.append(
            Problem((), f"YAML syntax error: {exc} (an escape such as \\U… out of range?)").located(
                file, 1, 1
            )
        )
    return documents, problems


FAST_LOADER = getattr(yaml, "CSafeLoader", None)
"""libyaml's composer (about 14x faster than PyYAML's pure-Python one), when PyYAML was built with it."""


def _compose(text: str) -> Iterator[Node]:
    """The documents' node trees, composed by libyaml when available.

    A file libyaml cannot compose is composed again by PyYAML's pure-Python loader, whose error messages
    (the ones users see, with their positions) are the reference; valid files give the same nodes and marks.
    """
    if FAST_LOADER is not None:
        try:
            nodes = list(yaml.compose_all(text, Loader=FAST_LOADER))
        except Exception:  # any failure is reported by the reference loader below
            pass
        else:
            yield from nodes
            return
    yield from yaml.compose_all(text, Loader=yaml.SafeLoader)


def _too_deep(file: str, line: int, column: int) -> Problem:
    return Problem(
        (),
        "nested too deeply to read (lists or mappings inside each other hundreds of levels "
        "deep); flatten the structure",
    ).located(file, line, column)


def _yaml_problem(exc: yaml.YAMLError, file: str, lines: _Lines) -> Problem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    what = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    message = f"YAML syntax error: {what}" + (f" ({context}" if context else "")
    opened = getattr(exc, "context_mark", None)
    if context and opened is not None and opened is not mark:
        message += " that starts at line {}, column {}".format(*lines.at(opened))
    message += ")" if context else ""
    line, column = lines.at(mark) if mark else (1, 1)
    return Problem((), message).located(file, line, column)
