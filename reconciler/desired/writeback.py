"""What the calendar holds, written into a meeting's own document with the fewest edits (`reconciler pull`).

Both meetings become documents the way `import` writes them (`export.to_document`); `deepdiff` names the
paths where they differ, which are the edits to make in the file's round-trip document (`ruamel.yaml`
keeps its comments, key order, quoting and layout): a value set, a key added or removed, an attendee added
to or taken out of a list. A value the file does not set itself (it comes from a `_defaults.yaml`) is
written into the meeting with a comment, so no other meeting changes. What the files cannot say is named
in the notes. Pure: the document is changed in place, nothing is read or written here.
"""

from __future__ import annotations

from collections.abc import MutableMapping, MutableSequence
from copy import deepcopy
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from deepdiff import DeepDiff

from reconciler.desired.export import to_document
from reconciler.desired.model import Meeting

FROM_DEFAULTS = "from the calendar (`pull`); the defaults said otherwise"


@dataclass(frozen=True)
class Rewrite:
    """The files' meeting and the calendar's as documents, and the paths where they differ."""

    before: dict[str, Any]
    after: dict[str, Any]
    paths: tuple[tuple[str | int, ...], ...]


def rewrite(files: Meeting, calendar: Meeting) -> Rewrite:
    """Where the calendar's meeting differs from the files': keys, nested keys, and lists as a whole."""
    before, after = to_document(files), to_document(calendar)
    found = DeepDiff(before, after, view="tree")
    paths: dict[tuple[str | int, ...], None] = {}
    for levels in found.values():
        for level in levels:
            paths[_unit(tuple(level.path(output_format="list")), before, after)] = None
    return Rewrite(before, after, tuple(paths))


def _unit(path: tuple[Any, ...], before: dict, after: dict) -> tuple[Any, ...]:
    """Up to the list that holds the difference (a list is edited as a whole: added and removed items)."""
    for depth in range(1, len(path) + 1):
        if any(isinstance(_at(doc, path[:depth])[1], list) for doc in (before, after)):
            return path[:depth]
    return path


def _at(doc: Any, path: tuple[Any, ...]) -> tuple[bool, Any]:
    """(whether `doc` has a value at `path`, the value): in an export's document or the file's."""
    for part in path:
        if isinstance(doc, MutableMapping) and part in doc:
            doc = doc[part]
        else:
            return False, None
    return True, doc


def write(document: MutableMapping, change: Rewrite) -> list[str]:
    """Make `change` in the file's `document`; notes on what the files cannot say as the calendar does."""
    notes: list[str] = []
    for path in change.paths:
        top = path[0]
        present, value = _at(change.after, path)
        found, parent = _at(document, path[:-1])
        # Set by the defaults, or shaped otherwise in the file: the whole top-level value is written.
        if top not in document or not (found and isinstance(parent, MutableMapping)):
            if top in change.after:
                inherited = top not in document
                document[top] = deepcopy(change.after[top])
                if inherited:
                    comment(document, str(top), FROM_DEFAULTS)
            elif top in document:
                del document[top]
            continue
        name = path[-1]
        current = parent.get(name)
        if not present:
            parent.pop(name, None)
        elif isinstance(current, MutableSequence) and isinstance(value, list):
            notes += _edit_list(current, _at(change.before, path)[1] or [], value, path)
        else:
            parent[name] = _like(current, deepcopy(value))
    return notes


def _edit_list(items: MutableSequence, had: list, wanted: list, path: tuple[Any, ...]) -> list[str]:
    """Attendees and the like: take out what the calendar dropped, add what it gained, keep the rest."""
    notes = []
    for gone in [x for x in had if x not in wanted]:
        held = [item for item in items if _plain(item) == gone]
        if held:
            items.remove(held[0])
        else:
            where = ".".join(str(p) for p in path)
            notes.append(f"{gone} left {where} in the calendar but comes from a group: edit the group")
    items.extend(deepcopy(x) for x in wanted if x not in had)
    return notes


def comment(document: Any, key: str, text: str) -> None:
    """A comment two spaces after the key's value (after the key itself when the value is nested)."""
    if hasattr(document, "yaml_add_eol_comment"):
        value = document[key]
        width = len(key) + 1 + (len(str(value)) + 1 if not isinstance(value, (dict, list)) else 0)
        document.yaml_add_eol_comment("# " + text, key, column=width + 2)


def _like(current: Any, value: Any) -> Any:
    """The new value in the old one's form (a quoted string stays quoted)."""
    if isinstance(current, str) and isinstance(value, str) and type(current) is not str:
        return type(current)(value)
    return value


def _plain(value: Any) -> Any:
    """A value read from the file as the export writes it (YAML reads `2027-01-18` as a date)."""
    if isinstance(value, MutableMapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, MutableSequence):
        return [_plain(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value
