"""Small helpers for the words the tool prints, shared by every command's output."""

from __future__ import annotations

from collections.abc import Iterable


def counted(number: int, noun: str) -> str:
    """`1 meeting`, `2 meetings`, `0 recipients`: a count with its noun in the right number (regular
    plurals only, which is every noun the tool counts)."""
    return f"{number} {noun}{'s' * (number != 1)}"


def did_you_mean(words: Iterable[str], known: Iterable[str]) -> str:
    """`; did you mean 'weekly-sync'?` for mistyped keys with a close match among `known`, else ``."""
    import difflib

    choices = sorted(set(known))
    close = [m for w in words for m in difflib.get_close_matches(w, choices, n=1, cutoff=0.6)]
    return f"; did you mean {', '.join(repr(c) for c in dict.fromkeys(close))}?" if close else ""
