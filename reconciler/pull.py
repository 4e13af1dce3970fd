"""`reconciler pull`: edits people made in Outlook (drift, as `show` reports it) written into the files.

For each meeting the plan finds drifted, the calendar's value of each drifted field replaces the files' in
the meeting's own file, and nothing else there changes: the file is read and written with `ruamel.yaml`'s
round trip, which keeps comments, key order, quoting and flow or block layout (PyYAML, which the loader
uses, keeps none of them). The indentation of block lists is taken from the file, checked by writing the
file unchanged first. Afterwards the files are loaded again and each pulled meeting must be exactly the
calendar's: if not, every file is put back as it was and the run fails, naming the meeting. Nothing is
written to any calendar; the next plan finds those meetings in step.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from reconciler.backends.observed import Response
from reconciler.config import Settings
from reconciler.desired.canonical import spec_hash
from reconciler.desired.load import display_name, load_meetings
from reconciler.desired.model import Attendee, Attendees, Meeting
from reconciler.desired.writeback import comment, rewrite, write

if TYPE_CHECKING:
    from reconciler.run import Planned

OCCURRENCES = ("skip", "moves")


class PullError(Exception):
    """The files could not say what the calendar holds; they were left as they were."""


@dataclass(frozen=True)
class Pulled:
    """One meeting's calendar edits, written into its file."""

    key: str
    file: str
    fields: tuple[str, ...]
    notes: tuple[str, ...] = ()
    proposed_by: str = ""
    """The attendee whose proposed new time was written (`--proposals`); empty: the calendar's values."""
    changed: datetime | None = None
    """When the calendar item last changed, as the server says (the pull request shows it)."""
    changed_by: str = ""
    """Who changed it last, when the server says (EWS's LastModifiedName; Graph does not say)."""


def calendar_version(
    files: Meeting, held: Meeting, drifted: Iterable[str]
) -> tuple[Meeting, tuple[str, ...]]:
    """The files' meeting with the calendar's value of each drifted field (and of its occurrences' skips
    and moves where those differ: an edit to one occurrence becomes a `moves` entry); the fields taken."""
    names = (*drifted, *(n for n in OCCURRENCES if getattr(files, n) != getattr(held, n)))
    values = {name: getattr(held, name) for name in names}
    if "attendees" in values:
        values["attendees"] = _as_in_files(held.attendees, files.attendees)
    return replace(files, **values), names


def _as_in_files(held: Attendees, files: Attendees) -> Attendees:
    """The calendar's attendees as the files name them: who was there keeps the file's entry (its display
    name or none); who is new becomes a plain address (the directory's names stay in the directory)."""
    known = {a.address: a for a in files.all()}
    return Attendees(
        *(
            tuple(known.get(a.address, Attendee(a.address)) for a in getattr(held, kind))
            for kind in ("required", "optional", "resources")
        )
    )


@dataclass(frozen=True)
class _Edit:
    """One meeting to rewrite: the files' version, the one to write, its fields, a comment at one key."""

    files: Meeting
    target: Meeting
    fields: tuple[str, ...]
    comment: tuple[str, str] | None = None
    proposed_by: str = ""
    changed: datetime | None = None
    changed_by: str = ""


def pull(planned: Planned, settings: Settings, proposals: bool = False) -> list[Pulled]:
    """Write each drifted meeting's calendar values into its file (with `proposals`, also each attendee's
    proposed new time of a single meeting, for review); the meetings pulled."""
    desired = planned.desired
    wanted = {m.key: m for m in desired.meetings}
    observed = {o.marker.key: o for obs in planned.observations for o in obs.meetings}
    edits: dict[str, _Edit] = {}
    for change in planned.plan.changes:
        if change.action != "drift" or change.key not in wanted or change.key not in observed:
            continue
        drifted = (f.field for f in change.fields)
        target, names = calendar_version(wanted[change.key], observed[change.key].meeting, drifted)
        held = observed[change.key]
        edits[change.key] = _Edit(
            wanted[change.key], target, names, changed=held.modified, changed_by=held.modified_by or ""
        )
    if proposals:
        for key, found in observed.items():
            if key in wanted:
                edits = _with_proposal(edits, wanted[key], found.responses)
    paths = {display_name(f): f for f in desired.files}
    by_file: dict[Path, list[_Edit]] = {}
    for key, edit in edits.items():
        source = desired.sources.get(key)
        if source is None or source.file not in paths:
            raise PullError(f"{key}: cannot tell which file defines it; nothing was written")
        by_file.setdefault(paths[source.file], []).append(edit)
    originals = {path: path.read_text(encoding="utf-8") for path in by_file}
    pulled: list[Pulled] = []
    try:
        for path, meetings in by_file.items():
            text, notes = _rewritten(originals[path], meetings, display_name(path))
            path.write_text(text, encoding="utf-8")
            pulled += [
                Pulled(
                    e.files.key,
                    display_name(path),
                    e.fields,
                    tuple(said),
                    e.proposed_by,
                    e.changed,
                    e.changed_by,
                )
                for e, said in zip(meetings, notes, strict=True)
            ]
        _check({e.target.key: e.target for e in edits.values()}, settings)
    except BaseException:
        for path, text in originals.items():
            path.write_text(text, encoding="utf-8")
        raise
    return pulled


def _with_proposal(
    edits: dict[str, _Edit], files: Meeting, responses: Iterable[Response]
) -> dict[str, _Edit]:
    """The latest proposed new time of a single meeting written as its time, the attendee in a comment (a
    series takes proposals only for one occurrence, which the organizer's item does not say)."""
    proposed = sorted(
        (r for r in responses if r.proposed), key=lambda r: r.at or datetime.min.replace(tzinfo=UTC)
    )
    if not proposed or files.recurrence is not None:
        return edits
    latest = proposed[-1]
    start, end = latest.proposed  # type: ignore[misc]
    zone = ZoneInfo(files.timezone)
    base = edits.get(files.key)
    meeting = base.target if base else files
    target = replace(meeting, start=start.astimezone(zone).replace(tzinfo=None), duration=end - start)
    others = ", ".join(r.address for r in proposed[:-1])
    text = f"proposed by {latest.address} ({latest.answer}); merge to accept" + (
        f"; also proposed by {others}: `reconciler responses`" if others else ""
    )
    names = tuple(dict.fromkeys([*(base.fields if base else ()), "start", "duration"]))
    return {**edits, files.key: _Edit(files, target, names, ("start", text), latest.address, latest.at)}


def _rewritten(text: str, meetings: list[_Edit], name: str) -> tuple[str, list[list[str]]]:
    """The file's text with each meeting's document rewritten; each meeting's notes."""
    yaml = _round_trip(text, name)
    documents = list(yaml.load_all(text))
    notes: list[list[str]] = []
    for edit in meetings:
        found = [d for d in documents if isinstance(d, dict) and d.get("key") == edit.files.key]
        if not found:
            raise PullError(f"{name}: no document with key {edit.files.key}; nothing was written")
        notes.append(write(found[0], rewrite(edit.files, edit.target)))
        if edit.comment:
            comment(found[0], *edit.comment)
    return _dumped(yaml, documents), notes


def _dumped(yaml: Any, documents: list[Any]) -> str:
    out = io.StringIO()
    if len(documents) == 1:
        yaml.dump(documents[0], out)
    else:
        yaml.dump_all(documents, out)
    return out.getvalue()


LAYOUTS = ((2, 2, 0), (2, 4, 2), (4, 4, 2), (4, 6, 4), (4, 4, 0))
"""(mapping, sequence, offset) indentations tried: the one that writes the file back unchanged is used."""


def _round_trip(text: str, name: str) -> Any:
    """A round-trip YAML that writes this file, unchanged, back exactly as it is."""
    from ruamel.yaml import YAML

    for mapping, sequence, offset in LAYOUTS:
        yaml = YAML(typ="rt")
        yaml.preserve_quotes = True
        yaml.width = 4096
        yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
        if _dumped(yaml, list(yaml.load_all(text))) == text:
            return yaml
    raise PullError(
        f"{name}: its layout does not survive a round trip (an unusual indentation or line break), so it "
        "was not rewritten; nothing was written: set the calendar's values by hand (`reconciler show KEY`)"
    )


def _check(targets: dict[str, Meeting], settings: Settings) -> None:
    """Every pulled meeting, loaded again from the files, is the calendar's; else PullError."""
    loaded = load_meetings(settings.meetings, settings.organizers)
    if not loaded.ok:
        raise PullError(
            "the rewritten files do not load, so they were put back as they were: "
            + "; ".join(str(p) for p in loaded.problems[:3])
        )
    now = {m.key: m for m in loaded.meetings}
    wrong = sorted(
        k for k, target in targets.items() if k not in now or spec_hash(now[k]) != spec_hash(target)
    )
    if wrong:
        raise PullError(
            f"the files cannot say what the calendar holds for {', '.join(wrong)} (a value set by a group "
            "or an unusual form in the file); every file was put back as it was: edit those by hand"
        )
