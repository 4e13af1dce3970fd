"""The `scale` scenario's project: N meeting files over 10 organizers and 40 folders, and its configuration.

Meetings: half weekly with one skipped date, a quarter monthly on the last Friday, a quarter single; 3 to 8
attendees each out of 400 people. Deterministic, so runs compare.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import yaml

ORGANIZERS = tuple(f"org{i}@example.com" for i in range(10))
FOLDERS = 40
PEOPLE = 400
DAYS = ("mon", "tue", "wed", "thu", "fri")


def meeting_text(i: int, organizers: tuple[str, ...] = ORGANIZERS) -> str:
    start = datetime(2027, 1, 4, 8) + timedelta(days=i % 5, minutes=15 * (i % 36))
    people = [f"p{(i * 7 + j * 13) % PEOPLE:03d}@example.com" for j in range(3 + i % 6)]
    lines = [
        f"key: m{i:05d}",
        f"subject: Meeting {i}",
        f"organizer: {organizers[i % len(organizers)]}",
        "timezone: Europe/Amsterdam",
        "attendees:",
        f"  required: [{', '.join(people)}]",
        f"start: {start:%Y-%m-%dT%H:%M}",
        "duration: 30m",
    ]
    kind = i % 4
    if kind in (0, 1):
        lines += [f"repeat: {{every: week, days: [{DAYS[start.weekday()]}], count: 20}}"]
        lines += [f"skip: [{(start + timedelta(weeks=2 + i % 5)).date().isoformat()}]"]
    elif kind == 2:
        first = _last_friday(2027, 1 + i % 3)
        lines[6] = f"start: {first.isoformat()}T{start:%H:%M}"
        lines += ["repeat: {every: month, weekday: fri, week: last, count: 12}"]
    lines += [f"location: Room {i % 25}"]
    return "\n".join(lines) + "\n"


def _last_friday(year: int, month: int) -> date:
    day = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() - 4) % 7)


def write_project(root: Path, n: int, endpoint: str, organizers: tuple[str, ...] = ORGANIZERS) -> None:
    """Write `reconciler.yaml` and `meetings/` for n meetings, aimed at an EWS endpoint without auth."""
    for i in range(n):
        path = root / "meetings" / f"team{i % FOLDERS:02d}" / f"m{i:05d}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(meeting_text(i, organizers))
    _write_config(root, endpoint, organizers, n)


def _write_config(root: Path, endpoint: str, organizers: tuple[str, ...], n: int) -> None:
    """The configuration: an `ews` target without auth (the sandbox), pacing and thresholds out of the way."""
    config = {
        "namespace": "scale",
        "meetings": "meetings",
        "organizers": list(organizers),
        "target": {"kind": "ews", "endpoint": endpoint, "auth": "none", "max_wait_seconds": 60},
        "policy": {
            "notify": {"create": "all", "update": "all", "cancel": "all"},
            "max_cancellations": n,
            "max_change_percent": 100,
            "allowed_organizers": ["*@example.com"],
            "message_rate_per_minute": 10**9,
            "recipients_per_day": 10**9,
            # The default policy (`conflicts: warn`), as `reconciler init` writes it: each of the 400
            # synthetic people is in ~140 meetings, so every plan finds 288,070 double bookings.
        },
    }
    (root / "reconciler.yaml").write_text(yaml.safe_dump(config))


def edit_one(root: Path) -> None:
    """The one-edit step: move one meeting's location."""
    path = root / "meetings" / "team07" / "m00007.yaml"
    path.write_text(path.read_text().replace("location: Room 7", "location: Room 7 (moved)"))
