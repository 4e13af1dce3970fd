"""`reconciler import`: write an organizer's existing, unmanaged meetings as meeting files.

Each file carries the meeting's `uid`, so the next plan adopts the item (stamps the marker, sends
nothing) instead of creating a second meeting. Keys come from subjects, made unique against the keys and
previous keys already in use. Meetings already managed are never imported, and a meeting whose UID a file
already names is not written again.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from reconciler.backends.base import ObservedMeeting
from reconciler.desired.export import to_document
from reconciler.desired.model import Meeting

MAX_KEY = 64


@dataclass(frozen=True)
class Imported:
    written: tuple[Path, ...]
    skipped: tuple[str, ...]
    """Subjects not written because a meeting file already names their UID."""


def slug(subject: str) -> str:
    text = re.sub(r"[^a-z0-9]+", "-", subject.lower()).strip("-")
    return text[: MAX_KEY - 4].strip("-") or "meeting"


def unique_key(base: str, taken: set[str]) -> str:
    key, n = base, 2
    while key in taken:
        key = f"{base}-{n}"
        n += 1
    taken.add(key)
    return key


def import_meetings(
    found: Sequence[ObservedMeeting], existing: Sequence[Meeting], out_dir: Path, root: Path
) -> Imported:
    taken = {m.key for m in existing} | {k for m in existing for k in m.previous_keys}
    known_uids = {m.uid for m in existing if m.uid}
    written: list[Path] = []
    skipped: list[str] = []
    for o in sorted(found, key=lambda o: (o.meeting.subject, o.meeting.start)):
        if o.uid in known_uids:
            skipped.append(o.meeting.subject)
            continue
        meeting = replace(o.meeting, key=unique_key(slug(o.meeting.subject), taken), uid=o.uid)
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / f"{meeting.key}.yaml"
        schema = Path(os.path.relpath(root / "schemas" / "meeting.schema.json", out_dir)).as_posix()
        header = (
            f"# yaml-language-server: $schema={schema}\n"
            f"# Imported from {meeting.organizer}'s calendar; the next apply adopts it without notifying "
            "anyone.\n"
        )
        path.write_text(
            header + yaml.safe_dump(to_document(meeting), sort_keys=False, allow_unicode=True, width=100)
        )
        written.append(path)
    return Imported(tuple(written), tuple(skipped))
