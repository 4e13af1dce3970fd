"""Small helpers for the words the tool prints, shared by every command's output."""

from __future__ import annotations


def counted(number: int, noun: str) -> str:
    """`1 meeting`, `2 meetings`, `0 recipients`: a count with its noun in the right number (regular
    plurals only, which is every noun the tool counts)."""
    return f"{number} {noun}{'s' * (number != 1)}"
