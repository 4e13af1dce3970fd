"""What Exchange does to what a client writes, whichever protocol wrote it: on by default, each switchable.

A real tenant does not store what it is given. Each rule below is one Microsoft documents or a client can
see on any tenant; the sandbox applies them all unless a test asks for the plain echo (`serve --echo RULE`):

- `display-names`: attendees and the organizer come back with the directory's display name, not the name
  the client sent (EWS `t:Mailbox/t:Name`, Graph `emailAddress.name`).
- `html-document`: an HTML body is kept as a whole document (`<html><head><meta http-equiv=...><meta
  name="Generator" content="Microsoft Exchange Server">...</head><body>...</body></html>`); Graph returns a
  body as HTML unless the request carries `Prefer: outlook.body-content-type="text"` (Microsoft Graph, "Get
  event": "If the header is not specified, the body property is returned in HTML format"), converting text
  to HTML and HTML to text as asked, and `bodyPreview` is plain text.
- `crlf`: line ends in bodies are kept as CRLF.
- `teams-block`: an online (Teams) meeting's body gets the join block appended by the service.
- `defaults`: a create that sets no reminder gets Exchange's default, on and 15 minutes before (Graph's
  event resource documents `isReminderOn` true and `reminderMinutesBeforeStart` 15).
- `move-ids`: cancelling or deleting moves an item to Deleted Items, and the move gives it a new id (an id
  survives a move only as an immutable id, Graph's `Prefer: IdType="ImmutableId"`).

`extra` lets a test add a rewrite nobody here knows of (the reconciler must not be fooled by one either).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

RULES = {
    "display-names": "attendees and the organizer are kept with the directory's display names",
    "html-document": "HTML bodies are kept as whole documents; Graph answers bodies as HTML unless asked",
    "crlf": "bodies are kept with CRLF line ends",
    "teams-block": "an online meeting's body gets the Teams join block appended",
    "defaults": "a create without a reminder gets Exchange's default (on, 15 minutes)",
    "move-ids": "cancelling or deleting moves the item to Deleted Items under a new id",
}
ATTENDEE_KEYS = ("calendar:RequiredAttendees", "calendar:OptionalAttendees", "calendar:Resources")
ONLINE = "$onlineMeeting"
"""Store bookkeeping of an online meeting: {"provider", "joinUrl"} (made over Graph; EWS does not show it)."""
_DOCUMENT_HEAD = (
    '<html>\r\n<head>\r\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\r\n'
    '<meta name="Generator" content="Microsoft Exchange Server">\r\n'
    "<!-- converted from {source} -->\r\n"
    "<style><!-- .EmailQuote {{ margin-left: 1pt; padding-left: 4pt; border-left: #800000 2px solid; }} "
    "--></style>\r\n</head>\r\n<body>\r\n"
)
_DOCUMENT_TAIL = "\r\n</body>\r\n</html>\r\n"
TEAMS_MARK = "Microsoft Teams meeting"


@dataclass(frozen=True)
class Rewrites:
    """Which rules apply (all but those in `off`), and a test's own extra rewrite of stored fields."""

    off: frozenset[str] = frozenset()
    extra: Callable[[dict[str, Any]], dict[str, Any]] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.off) - set(RULES))
        if unknown:
            known = ", ".join(RULES)
            raise ValueError(f"unknown rewrite rule(s) {', '.join(unknown)}; the rules are {known}")

    def on(self, rule: str) -> bool:
        return rule not in self.off

    @staticmethod
    def echo() -> Rewrites:
        """Every rule off: the sandbox keeps exactly what it is given."""
        return Rewrites(frozenset(RULES))


def stored(
    fields: dict[str, Any],
    rewrites: Rewrites,
    display_name: Callable[[str], str],
    touched: set[str] | None = None,
) -> dict[str, Any]:
    """`fields` (an item's fields after a create or an update) as the server keeps them, a copy: the fields
    the request set (`touched`; None: a create, which sets them all) rewritten."""
    creating = touched is None
    keys = set(fields) if touched is None else touched & set(fields)
    out = dict(fields)
    if rewrites.on("display-names"):
        for key in keys & {*ATTENDEE_KEYS, "calendar:Organizer", "message:From", "message:Sender"}:
            value = out[key]
            if isinstance(value, list):
                out[key] = [{**a, "name": display_name(a["email"])} for a in value if a.get("email")]
            elif isinstance(value, dict) and value.get("email"):
                out[key] = {**value, "name": display_name(value["email"])}
    body = out.get("item:Body")
    if "item:Body" in keys and isinstance(body, dict) and body.get("text") is not None:
        text, kind = str(body["text"]), body.get("type", "Text")
        if kind == "HTML" and rewrites.on("html-document"):
            text = as_document(text, "html")
        if rewrites.on("crlf"):
            text = crlf(text)
        out["item:Body"] = {"type": kind, "text": text}
    online = out.get(ONLINE) or {}
    if rewrites.on("teams-block") and online.get("joinUrl") and keys & {"item:Body", ONLINE}:
        out["item:Body"] = with_teams_block(out.get("item:Body"), online["joinUrl"])
    if creating and rewrites.on("defaults") and out.get("item:ReminderIsSet") is None:
        out["item:ReminderIsSet"] = True
        out.setdefault("item:ReminderMinutesBeforeStart", 15)
    if rewrites.extra is not None:
        written = {k: out[k] for k in keys if k in out}
        out.update(rewrites.extra(written))
    return out


def crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def is_document(text: str) -> bool:
    return text.lstrip().lower().startswith("<html")


def as_document(content: str, source: str) -> str:
    """`content` (an HTML fragment, or a document already) as the whole document Exchange keeps."""
    if is_document(content):
        return content
    return _DOCUMENT_HEAD.format(source=source) + content + _DOCUMENT_TAIL


def text_to_html(text: str) -> str:
    """A text body as the HTML document Exchange converts it to."""
    lines = html.escape(text.replace("\r\n", "\n")).split("\n")
    return as_document('<div class="PlainText">' + "<br>\r\n".join(lines) + "</div>", "text")


_BLOCK = re.compile(r"<(br|/p|/div|/tr|/h\d|/li)\b[^>]*>", re.IGNORECASE)
_HEAD = re.compile(r"<head\b.*?</head>|<style\b.*?</style>|<!--.*?-->", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def html_to_text(content: str) -> str:
    """The text Exchange gives for an HTML body: tags dropped, line breaks kept, entities resolved."""
    text = _HEAD.sub("", content)
    text = _BLOCK.sub("\n", text)
    text = html.unescape(_TAG.sub("", text)).replace("\xa0", " ")
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n")]
    return "\r\n".join(line for line in lines if line).strip()


def preview(body: dict[str, Any] | None) -> str:
    """Graph's `bodyPreview`: the body as plain text on one line, at most 255 characters."""
    if not body:
        return ""
    text = str(body.get("text") or "")
    if body.get("type") == "HTML":
        text = html_to_text(text)
    return " ".join(text.split())[:255]


def teams_block(join_url: str) -> str:
    """The join block Teams appends to an online meeting's body (shape as seen on tenants; links only)."""
    link = html.escape(join_url, quote=True)
    return (
        '<div style="width:100%"><span style="white-space:nowrap;color:#5F5F5F;opacity:.36">'
        "________________________________________________________________________________</span></div>\r\n"
        f'<div class="me-email-text" lang="en-US" style="color:#252424"><div style="margin-top:24px">'
        f'<span style="font-size:24px;font-weight:700">{TEAMS_MARK}</span></div>\r\n'
        f'<div style="margin-bottom:6px"><a class="me-email-headline" href="{link}" target="_blank" '
        'rel="noreferrer noopener">Join the meeting now</a></div></div>\r\n'
    )


def with_teams_block(body: dict[str, Any] | None, join_url: str) -> dict[str, Any]:
    """An online meeting's body with the join block appended once (the body becomes HTML, as in Teams)."""
    body = body or {"type": "Text", "text": ""}
    text = str(body.get("text") or "")
    if TEAMS_MARK in text:
        return body
    content = text if body.get("type") == "HTML" else text_to_html(text)
    content = as_document(content, "html")
    cut = content.lower().rfind("</body>")
    block = teams_block(join_url)
    content = content[:cut] + block + content[cut:] if cut >= 0 else content + block
    return {"type": "HTML", "text": content}
