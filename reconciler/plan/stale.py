"""What a saved plan would write that a plan made now would not: said when apply refuses a stale plan.

A reviewer approved the saved plan; when the files moved on since, "run plan again" alone leaves them to find
out what moved. `deepdiff` compares the two plans meeting by meeting, and its paths name the field
(`root['meeting']['start']`), so the refusal can say which meetings and where.
"""

from __future__ import annotations

from typing import Any

from deepdiff import DeepDiff

from reconciler.desired.canonical import to_canonical
from reconciler.plan.changes import Change, Plan

MOST = 5
"""Meetings named before "… and N more"."""


def _view(plan: Plan) -> dict[str, dict[str, Any]]:
    """Per meeting: what the plan does to it, the meeting it writes, and the kinds of its writes."""
    return {c.key: _change_view(c) for c in plan.active}


def _change_view(change: Change) -> dict[str, Any]:
    meeting = next((w.meeting for w in change.writes if w.meeting is not None), None)
    return {
        "action": change.action,
        "meeting": to_canonical(meeting) if meeting else {},
        "writes": sorted(f"{w.kind} {w.occurrence or ''}".strip() for w in change.writes),
    }


def differences(saved: Plan, fresh: Plan) -> str:
    """`sync (start, attendees), review (no longer planned)`: the meetings a plan made now treats otherwise
    than `saved` does, and how; "" when they would write the same."""
    before, after = _view(saved), _view(fresh)
    named = []
    for key in sorted(before.keys() | after.keys()):
        if key not in after:
            named.append(f"{key} (no longer planned)")
        elif key not in before:
            named.append(f"{key} (newly planned)")
        elif how := {_where(item.path(output_format="list")) for item in _items(before[key], after[key])}:
            named.append(f"{key} ({', '.join(sorted(how))})")
    more = f", … and {len(named) - MOST} more" if len(named) > MOST else ""
    return ", ".join(named[:MOST]) + more


def _items(before: dict[str, Any], after: dict[str, Any]) -> list[Any]:
    return [item for items in DeepDiff(before, after, view="tree").values() for item in items]


def _where(path: list[Any]) -> str:
    """The field a difference is in: `['meeting', 'start']` → start; `['action']` → action."""
    return str(path[1] if path[0] == "meeting" and len(path) > 1 else path[0])
