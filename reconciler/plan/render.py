"""The plan for people and machines: text for terminals, markdown for pull requests, JSON.

All three are derived from the same `Plan` data. Markdown escapes every piece of meeting text, which is
untrusted input: a subject cannot open a link, a mention, HTML or a table cell of its own.
"""

from __future__ import annotations

import html
import re

from reconciler.inert import inert
from reconciler.plan.changes import Change, Plan
from reconciler.wording import counted

SYMBOL = {
    "adopt": "=",
    "create": "+",
    "finish": ">",
    "update": "~",
    "rename": "~",
    "drift": "!",
    "cancel": "-",
    "duplicate": "-",
    "orphan": "?",
}
COLOR = {"=": "34", "+": "32", ">": "32", "~": "33", "!": "35", "-": "31", "?": "36"}


def _consequence(c: Change) -> str:
    n = len(c.recipients)
    if c.action == "orphan":
        return "left in the calendar"
    if not c.messages:
        return {"duplicate": "removed without notifying", "rename": "sends nothing"}.get(
            c.action, "sends nothing"
        )
    verb = {"create": "invites", "finish": "invites", "cancel": "cancellations to"}.get(c.action, "updates")
    extra = f" ({c.messages} messages)" if c.messages > 1 else ""
    return ("restores · " if c.action == "drift" else "") + f"{verb} {n}{extra}"


def summary_line(plan: Plan) -> str:
    counts = [
        f"{plan.count('create')} create",
        *([f"{plan.count('adopt')} adopt"] if plan.count("adopt") else []),
        f"{plan.count('update') + plan.count('rename')} update",
        f"{plan.count('cancel') + plan.count('duplicate')} cancel",
        f"{plan.count('drift')} drift",
        *([f"{plan.count('finish')} finishing the last apply"] if plan.count("finish") else []),
    ]
    if plan.count("orphan"):
        counts.append(f"{plan.count('orphan')} left (prune off)")
    minutes = plan.pacing_seconds / 60
    pace = f"~{max(1, round(minutes))} min" if plan.messages else "no sending"
    sending = f"{counted(plan.messages, 'message')} to {counted(plan.recipients, 'recipient')}"
    return f"{', '.join(counts)} · {sending} · {pace} at {plan.message_rate_per_minute:g} messages/min"


def render_text(plan: Plan, color: bool = False) -> str:
    """The plan for a terminal or a log: every piece of meeting text is `inert`."""
    lines = [f"Plan: namespace {plan.namespace} → {plan.target}"]
    if not plan.changes:
        lines.append(f"No changes: the {plan.managed} managed meeting(s) match the files.")
        return "\n".join(lines)
    width = max(len(c.key) for c in plan.changes)
    for c in plan.changes:
        symbol = SYMBOL[c.action]
        head = f"{symbol} {c.action:<9} {c.key:<{width}}"
        if color:
            head = f"\x1b[{COLOR[symbol]}m{head}\x1b[0m"
        what = c.summary or c.reason
        if c.reason and c.summary:
            what += f" ({c.reason})"
        lines.append(f'{head}  "{inert(c.subject)}"  {inert(what)} · {_consequence(c)}')
    if plan.other_namespaces:
        lines.append(f"(left alone: meetings of other namespaces: {', '.join(plan.other_namespaces)})")
    lines.append(summary_line(plan))
    return "\n".join(lines)


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def md_escape(text: str) -> str:
    """Meeting text made inert in GitHub markdown: no HTML, links, emphasis, mentions, cells or newlines."""
    text = " ".join(str(text).split())
    text = html.escape(text, quote=True)
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return text.replace("@", "@\u200b").replace(":", "&#58;")


def render_markdown(plan: Plan) -> str:
    out = [f"### Meeting plan for `{md_escape(plan.namespace)}`", "", f"Target: {md_escape(plan.target)}", ""]
    if not plan.changes:
        out.append(f"No changes: the {plan.managed} managed meeting(s) match the files.")
        return "\n".join(out) + "\n"
    out += ["| | meeting | change | messages |", "| --- | --- | --- | --- |"]
    for c in plan.changes:
        what = c.summary or c.reason
        if c.reason and c.summary:
            what += f" ({c.reason})"
        out.append(
            f"| {SYMBOL[c.action]} {c.action} | `{c.key}` {md_escape(c.subject)} | {md_escape(what)} | "
            f"{md_escape(_consequence(c))} |"
        )
    out += ["", f"**{md_escape(summary_line(plan))}**", ""]
    detailed = [c for c in plan.changes if c.fields or c.recipients or c.before or c.after]
    if detailed:
        out += ["<details><summary>Details</summary>", ""]
        for c in detailed:
            out.append(
                f"- `{c.key}`: "
                + "; ".join(
                    f"{f.field}: {md_escape(_brief(f.before))} → {md_escape(_brief(f.after))}"
                    for f in c.fields
                )
            )
            if c.recipients:
                out.append(f"  - recipients: {md_escape(', '.join(c.recipients))}")
            if c.before != c.after:
                out.append(f"  - next occurrences before: {md_escape(', '.join(c.before) or 'none')}")
                out.append(f"  - next occurrences after: {md_escape(', '.join(c.after) or 'none')}")
            elif c.after:
                out.append(f"  - next occurrences (unchanged): {md_escape(', '.join(c.after))}")
        out += ["", "</details>"]
    return "\n".join(out) + "\n"


def _brief(value: object) -> str:
    text = str(value)
    return text if len(text) <= 80 else text[:79] + "…"


def render_json(plan: Plan) -> str:
    return plan.to_json()
