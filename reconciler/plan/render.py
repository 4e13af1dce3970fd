"""The plan for people and machines: text for terminals, markdown for pull requests, JSON.

All three are derived from the same `Plan` data. Markdown escapes every piece of meeting text, which is
untrusted input: a subject cannot open a link, a mention, HTML or a table cell of its own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from reconciler.inert import inert, md_escape
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
    "release": "=",
}
COLOR = {"=": "34", "+": "32", ">": "32", "~": "33", "!": "35", "-": "31", "?": "36"}


def _consequence(c: Change) -> str:
    n = len(c.recipients)
    if c.action == "orphan":
        return "left in the calendar"
    if not c.messages:
        quiet = {"duplicate": "removed without notifying", "release": "unmanaged, sends nothing"}
        return quiet.get(c.action, "sends nothing")
    verb = {"create": "invites", "finish": "invites", "cancel": "cancellations to"}.get(c.action, "updates")
    extra = f" ({c.messages} messages)" if c.messages > 1 else ""
    return ("restores · " if c.action == "drift" else "") + f"{verb} {n}{extra}"


def summary_line(plan: Plan) -> str:
    counts = [
        f"{plan.count('create')} create",
        *([f"{plan.count('adopt')} adopt"] if plan.count("adopt") else []),
        *([f"{plan.count('release')} release"] if plan.count("release") else []),
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
    lines += [f"note: {inert(n)}" for n in plan.notes]
    if not plan.changes:
        lines.append(f"No changes: the files match the {counted(plan.managed, 'managed meeting')}.")
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


COMMENT_LIMIT = 60_000
"""GitHub refuses a comment over 65,536 characters; this leaves room for the workflow's own lines."""

IMPORTANCE = (
    "cancel",
    "duplicate",
    "drift",
    "update",
    "rename",
    "create",
    "finish",
    "adopt",
    "release",
    "orphan",
)
"""Which changes a shortened plan shows first: what removes or restores, then what changes, then the rest."""


def render_markdown(
    plan: Plan,
    warnings: Sequence[str] = (),
    limit: int | None = None,
    durations: Mapping[str, int] | None = None,
) -> str:
    """The plan for a pull request. With `limit`, it stays within that many characters whatever the plan's
    size: the totals, then the most important changes that fit and how many are left out. `durations`
    (seconds, by key) draws the changed meetings' week before and after (a Mermaid chart GitHub renders)."""
    whole = _markdown(plan, plan.changes, 0, warnings, durations)
    if limit is None or len(whole) <= limit:
        return whole
    ranked = sorted(plan.changes, key=lambda c: (IMPORTANCE.index(c.action), -len(c.recipients), c.key))
    warnings = [_cut(w, limit // 5) for w in warnings]
    low, high = 0, len(ranked)
    while low < high:  # the most changes that fit
        middle = (low + high + 1) // 2
        if len(_markdown(plan, ranked[:middle], len(ranked) - middle, warnings, durations)) <= limit:
            low = middle
        else:
            high = middle - 1
    return _markdown(plan, ranked[:low], len(ranked) - low, warnings, durations)


def _markdown(
    plan: Plan,
    shown: Sequence[Change],
    left_out: int,
    warnings: Sequence[str],
    durations: Mapping[str, int] | None,
) -> str:
    out = [f"### Meeting plan for `{md_escape(plan.namespace)}`", "", f"Target: {md_escape(plan.target)}", ""]
    out += [*(f"> {md_escape(n)}" for n in plan.notes), *([""] if plan.notes else [])]
    if not plan.changes:
        out.append(f"No changes: the files match the {counted(plan.managed, 'managed meeting')}.")
        return "\n".join([*out, *warnings]) + "\n"
    out += [f"**{md_escape(summary_line(plan))}**", ""]
    if durations is not None:
        out += week_chart(shown, durations)
    out += ["| | meeting | change | messages |", "| --- | --- | --- | --- |"]
    for c in shown:
        what = c.summary or c.reason
        if c.reason and c.summary:
            what += f" ({c.reason})"
        out.append(
            f"| {SYMBOL[c.action]} {c.action} | `{c.key}` {md_escape(c.subject)} | {md_escape(what)} | "
            f"{md_escape(_consequence(c))} |"
        )
    if left_out:
        out += [
            "",
            f"… and {counted(left_out, 'more change')}, left out to fit a comment: the whole plan is in the "
            "job summary and the plan artifact (or run `reconciler plan`).",
        ]
    out.append("")
    detailed = [c for c in shown if c.fields or c.recipients or c.before or c.after]
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
    return "\n".join([*out, *warnings]) + "\n"


def _cut(text: str, limit: int) -> str:
    """A warning kept to `limit` characters at a line boundary, saying how many lines were left out."""
    if len(text) <= limit:
        return text
    lines = text.splitlines()
    kept: list[str] = []
    size = 0
    for line in lines:
        if size + len(line) + 1 > limit - 120:
            break
        kept.append(line)
        size += len(line) + 1
    return "\n".join([*kept, f"… and {counted(len(lines) - len(kept), 'more line')} in the whole plan."])


CHART_MEETINGS = 12
"""At most this many meetings in the week chart: a picture of more is unreadable; the table lists them all."""

_OCCURRENCE = re.compile(r"\w{3} (\d{4}-\d{2}-\d{2})(?: (\d{2}:\d{2}))?")


def week_chart(changes: Sequence[Change], durations: Mapping[str, int]) -> list[str]:
    """The changed meetings' first week before and after, as a Mermaid gantt chart (local wall-clock times
    of each meeting's own zone). Only keys and times go into it: no meeting text reaches the chart."""
    rows: list[tuple[str, str, datetime, int]] = []
    for c in changes:
        if c.before == c.after:
            continue
        length = durations.get(c.key, 0)
        before = next((f.before for f in c.fields if f.field == "duration"), length)
        for label, occurrences, seconds in (("before", c.before, before), ("after", c.after, length)):
            for text in occurrences:
                found = _OCCURRENCE.match(text)
                if found:
                    start = datetime.fromisoformat(f"{found[1]}T{found[2] or '00:00'}")
                    rows.append((c.key, label, start, int(seconds or 0) if found[2] else 86400))
    if not rows:
        return []
    monday = min(r[2] for r in rows).date()
    monday -= timedelta(days=monday.weekday())
    week_end = datetime.combine(monday + timedelta(days=7), datetime.min.time())
    keys = list(dict.fromkeys(r[0] for r in rows if r[2] < week_end))[:CHART_MEETINGS]
    out = [
        "```mermaid",
        "gantt",
        f"    title Week of {monday:%Y-%m-%d}: before and after (each meeting in its own time zone)",
        "    dateFormat YYYY-MM-DD HH:mm",
        "    axisFormat %a %H:%M",
    ]
    for key in keys:
        out.append(f"    section {re.sub(r'[^a-z0-9._-]', '-', key)}")
        for _, label, start, seconds in (r for r in rows if r[0] == key and r[2] < week_end):
            end = start + timedelta(seconds=max(seconds, 900))
            state = "done" if label == "before" else "active"
            out.append(f"    {label} :{state}, {start:%Y-%m-%d %H:%M}, {end:%Y-%m-%d %H:%M}")
    return [*out, "```", ""]


def _brief(value: object) -> str:
    text = str(value)
    return text if len(text) <= 80 else text[:79] + "…"


def render_json(plan: Plan) -> str:
    return plan.to_json()
