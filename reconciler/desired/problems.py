"""A problem found in the meeting files, located by key path and, once known, by file position."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from reconciler.inert import inert

KeyPath = tuple[str | int, ...]


def format_path(path: KeyPath) -> str:
    """Render a key path the way users read it: `attendees.required[2]`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            name = inert(part, 40)  # a key is whatever the file holds: short and escaped
            out += f".{name}" if out else name
    return out


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input. Builders fill `path` and `message`; the loader adds the position."""

    path: KeyPath
    message: str
    file: str = ""
    line: int = 0
    column: int = 0

    def located(self, file: str, line: int, column: int) -> Problem:
        return dataclasses.replace(self, file=file, line=line, column=column)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}: " if self.file else ""
        what = f"{format_path(self.path)}: " if self.path else ""
        return f"{where}{what}{inert(self.message, 300)}"


SHOWN = 200
"""Problems listed at most; the rest are counted (10,000 broken files must not print 30,000 lines)."""


def capped(lines: list[str], limit: int = SHOWN) -> list[str]:
    """The first `limit` lines, and a line counting the rest."""
    if len(lines) <= limit:
        return lines
    return [*lines[:limit], f"… and {len(lines) - limit} more not shown (fix these first)"]
