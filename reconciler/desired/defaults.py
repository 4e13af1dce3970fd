"""Directory defaults (`_defaults.yaml`): values for the meeting files in a folder and below.

A nearer folder's value overrides a farther one's, and a meeting's own value overrides both. Default
`attendees` are added to the meeting's lists. The merged document remembers where each value came from, so
a problem in a defaulted value points at the `_defaults.yaml` line that supplied it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.desired.problems import KeyPath
from reconciler.desired.yamlsource import Document, Position

ATTENDEE_KINDS = ("required", "optional", "resources")


@dataclass(frozen=True)
class Merged:
    """A meeting document with defaults applied, and the source of every path in it."""

    data: dict[str, Any]
    origin: dict[KeyPath, tuple[Document, KeyPath]]
    document: Document

    def locate(self, path: KeyPath, at_key: bool = False) -> tuple[str, Position]:
        """File and position of `path` in whichever file supplied it."""
        probe = path
        while probe:
            if probe in self.origin:
                source, source_path = self.origin[probe]
                return source.file, source.locate((*source_path, *path[len(probe) :]), at_key=at_key)
            probe = probe[:-1]
        return self.document.file, self.document.locate(path, at_key=at_key)


def merge_defaults(document: Document, defaults: Sequence[Document]) -> Merged:
    """`document` with `defaults` (farthest folder first) applied."""
    data = dict(document.data)
    origin: dict[KeyPath, tuple[Document, KeyPath]] = {}
    for source in reversed(defaults):  # nearest first: the first value found wins
        for key, value in source.data.items():
            if key == "attendees":
                continue
            if key not in data:
                data[key] = value
                origin[(key,)] = (source, (key,))
    own = document.data.get("attendees") or {}
    if not isinstance(own, dict):
        return Merged(data, origin, document)  # the schema check reports the wrong shape
    attendees: dict[str, Any] = dict(own)
    for kind in ATTENDEE_KINDS:
        entries = own.get(kind, [])
        if not isinstance(entries, list):
            continue
        entries = list(entries)
        for source in defaults:
            extra = (source.data.get("attendees") or {}).get(kind, [])
            for i, entry in enumerate(extra):
                origin[("attendees", kind, len(entries))] = (source, ("attendees", kind, i))
                entries.append(entry)
        if entries:
            attendees[kind] = entries
    if attendees:
        data["attendees"] = attendees
    return Merged(data, origin, document)
