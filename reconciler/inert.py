"""Text from meeting files and calendars, made inert before it reaches a terminal or a CI log.

Meeting text is untrusted: a subject can carry an escape sequence that retitles or rewrites a terminal
(`ESC ] 0;title BEL`), a bidirectional override that shows text in another order than it is, or a line break
followed by `::error::`, which GitHub's runner executes as a workflow command when it starts a log line. Every
control character (C0 and C1, DEL), bidi override or isolate and line or paragraph separator is shown as an
escape (`\\x1b`, `\\n`, `\\u202e`) instead; long text is cut with `…` where a caller gives a limit.
Markdown output has its own escaping (`md_escape`), kept here beside `inert` so every renderer imports it
from one place below the plan.
"""

from __future__ import annotations

import html
import re

_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char)
    if named:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def inert(text: object, limit: int | None = None) -> str:
    """`text` safe to print: unsafe characters escaped, at most `limit` characters (then `…`)."""
    out = _UNSAFE.sub(_escape, str(text))
    if limit is not None and len(out) > limit:
        out = out[: limit - 1] + "…"
    return out


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def md_escape(text: str) -> str:
    """Meeting text made inert in GitHub markdown: no HTML, links, emphasis, mentions, cells or newlines."""
    text = " ".join(str(text).split())
    text = html.escape(text, quote=True)
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return text.replace("@", "@\u200b").replace(":", "&#58;")
