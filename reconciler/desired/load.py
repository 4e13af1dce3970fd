"""Load a meetings directory (or one file) into canonical meetings and every located problem.

This is the entry point of the pipeline's pure front: read YAML with positions → apply directory defaults
and groups → JSON Schema → build the model → cross-file checks. Nothing is written anywhere.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Collection, Iterator, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from functools import cached_property
from itertools import islice
from pathlib import Path
from typing import Any

from reconciler.collecting import fewer_collections
from reconciler.desired.build import build_meeting
from reconciler.desired.canonical import (
    checksum_of,
    desired_checksum,
    json_and_spec_hash,
    remember_spec_hashes,
)
from reconciler.desired.defaults import Merged, merge_defaults
from reconciler.desired.groups import flatten_groups
from reconciler.desired.model import Meeting
from reconciler.desired.problems import Problem
from reconciler.desired.validate import KeyProblem, MissingKey, schema_problems
from reconciler.desired.yamlsource import Document, Position, read_documents

SUFFIXES = (".yaml", ".yml")
GROUPS_FILE = "_groups.yaml"
DEFAULTS_FILE = "_defaults.yaml"


@dataclass(frozen=True)
class SourceRef:
    """Where a meeting is defined."""

    file: str
    line: int
    column: int = 1

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class LoadResult:
    """The desired state as the files say it, or the problems that stop it from being known."""

    meetings: tuple[Meeting, ...]
    problems: tuple[Problem, ...]
    sources: Mapping[str, SourceRef] = field(default_factory=dict)
    files: tuple[Path, ...] = ()
    spec_hashes: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)
    """Key → spec hash, when the loading processes computed them (`load_meetings(hashed=True)`)."""
    known_checksum: str = field(default="", repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return not self.problems

    @cached_property
    def checksum(self) -> str:
        """The desired state's checksum (a plan file records it); computed once, also in a loading process,
        whose result carries it back."""
        return self.known_checksum or desired_checksum(self.meetings)

    def remember_spec_hashes(self) -> None:
        """Let `spec_hash` answer from the hashes computed while loading (in this process's objects)."""
        remember_spec_hashes(
            [(m, self.spec_hashes[m.key]) for m in self.meetings if m.key in self.spec_hashes]
        )


def display_name(path: Path, cwd: str | None = None) -> str:
    """A path as the user should see it: relative to the working directory when it is inside it. `cwd`:
    the working directory, when the caller knows it (asking the system costs a call per file)."""
    here = cwd or os.getcwd()
    try:
        return os.path.relpath(os.path.join(here, path), here)
    except ValueError:
        return str(path)


def meeting_files(root: Path) -> list[Path]:
    """Meeting files under `root`, sorted; files and folders starting with `_` or `.` are not meetings."""
    return sorted(path for path, _ in _meeting_files(root))


def listed_files(root: Path) -> tuple[list[Path], frozenset[Path]]:
    """The meeting files under `root`, sorted, and those of them that are links (to be resolved)."""
    found = sorted(_meeting_files(root))
    return [path for path, _ in found], frozenset(path for path, link in found if link)


def has_meeting_files(root: Path, count: int) -> bool:
    """Whether `root` holds at least `count` meeting files (stops looking once it has seen them)."""
    return next(islice(_meeting_files(root), count - 1, None), None) is not None


def _meeting_files(root: Path) -> Iterator[tuple[Path, bool]]:
    """(file, whether it is a link) of each meeting file, from the folders' listings: a directory entry
    says its type, so a file costs no system call of its own (a link's target is looked up). Folders behind
    links are not entered, as `Path.rglob` does not."""
    folders = [root]
    while folders:
        folder = folders.pop()
        try:
            entries = list(os.scandir(folder))
        except (FileNotFoundError, NotADirectoryError):
            continue
        for entry in entries:
            if entry.name.startswith(("_", ".")):
                continue
            path = folder / entry.name
            if entry.is_dir(follow_symlinks=False):
                folders.append(path)
            elif path.suffix in SUFFIXES and entry.is_file():
                yield path, entry.is_symlink()


def find_root(path: Path) -> Path:
    """The meetings root for a single file: the nearest folder upwards holding `_groups.yaml`."""
    for folder in [path.parent, *path.parent.parents]:
        if (folder / GROUPS_FILE).is_file():
            return folder
    return path.parent


def repository_root(folder: Path) -> Path:
    """The repository a meetings folder belongs to: the nearest folder upwards holding `.git` or
    `reconciler.yaml` (the folder itself when there is none)."""
    start = folder.absolute()
    for candidate in [start, *start.parents]:
        if (candidate / ".git").exists() or (candidate / "reconciler.yaml").is_file():
            return candidate
    return start


@dataclass(frozen=True)
class Placed:
    """Where a meeting stands in its file: what the checks across files need (small enough to send back
    from a loading process, unlike the whole document with every position)."""

    file: str
    start: Position
    key_at: Position
    previous: tuple[tuple[str, Position], ...] = ()

    @classmethod
    def of(cls, doc: Document) -> Placed:
        previous = doc.data.get("previous_keys") or []
        return cls(
            doc.file,
            doc.start,
            doc.locate(("key",)),
            tuple((old, doc.locate(("previous_keys", i))) for i, old in enumerate(previous)),
        )


class _Loader:
    def __init__(
        self, root: Path, organizers: Collection[str] | None, links: frozenset[Path] | None = None
    ) -> None:
        self.root = root
        self.organizers = organizers
        self.links = links
        """Which of the listed meeting files are links (the listing said); None: ask for each file."""
        self.cwd = os.getcwd()
        self.problems: list[Problem] = []
        self.defaults_cache: dict[Path, Document | None] = {}
        self.chains: dict[Path, list[Document]] = {}
        self.unsupplied: dict[str, set[str]] = {}
        """Keys each `_defaults.yaml` set wrongly: reported there, so not again as missing in each meeting."""
        self.boundary = repository_root(root).resolve()
        self.folders: dict[Path, Path] = {}
        """Each folder's real path: resolved once, not once per file in it (a system call per part)."""

    def inside(self, path: Path, listed: bool = False) -> bool:
        """Whether `path` (links followed) is in the repository; a file outside is named, never read.
        `listed`: a meeting file of the folders' listing, which said whether it is a link."""
        try:
            if path in self.links if listed and self.links is not None else path.is_symlink():
                real = path.resolve()
            else:
                folder = self.folders.get(path.parent)
                if folder is None:
                    folder = self.folders[path.parent] = path.parent.resolve()
                real = folder / path.name
            real.relative_to(self.boundary)
            return True
        except (ValueError, OSError, RuntimeError):
            self.problems.append(
                Problem(
                    (),
                    f"is a link to a file outside the repository ({self.boundary}); it was not read: "
                    "keep meeting, defaults and group files inside the repository",
                ).located(display_name(path), 1, 1)
            )
            return False

    def read_single(self, path: Path, schema_ref: str) -> Document | None:
        """A `_groups.yaml` / `_defaults.yaml` file: one mapping document, schema-checked."""
        if not self.inside(path):
            return None
        docs, problems = read_documents(path, display_name(path))
        self.problems += problems
        if not docs:
            return None
        if len(docs) > 1:
            self.problems.append(
                Problem((), "holds more than one document; keep one").located(docs[1].file, *docs[1].start)
            )
        doc = docs[0]
        if not isinstance(doc.data, dict):
            self.problems.append(Problem((), "must be a mapping of keys").located(doc.file, *doc.start))
            return None
        found = schema_problems(doc.data, "meeting", schema_ref)
        for p in found:
            self.problems.append(p.located(doc.file, *doc.locate(p.path, at_key=isinstance(p, KeyProblem))))
        if not found:
            return doc
        wrong = {p.path[0] for p in found if p.path}
        if schema_ref != "defaults" or any(not p.path for p in found):
            return None
        # A defaults file's problems are reported once, here: its other keys still apply, and the meetings
        # under it are not blamed for a key it failed to supply.
        self.unsupplied[doc.file] = {str(k) for k in wrong}
        return replace(doc, data={k: v for k, v in doc.data.items() if k not in wrong})

    def groups(self) -> dict[str, tuple[str, ...]]:
        path = self.root / GROUPS_FILE
        if not path.is_file():
            return {}
        doc = self.read_single(path, "groups")
        if doc is None:
            return {}
        flat, problems = flatten_groups(doc)
        self.problems += problems
        return flat

    def defaults_for(self, file: Path) -> list[Document]:
        """Defaults documents from the root down to the file's folder (farthest first); worked out once per
        folder."""
        found = self.chains.get(file.parent)
        if found is None:
            found = self.chains[file.parent] = self._chain(file)
        return found

    def _chain(self, file: Path) -> list[Document]:
        folders = [file.parent, *file.parent.parents]
        chain = [f for f in folders if f == self.root or self.root in f.parents]
        out = []
        for folder in reversed(chain):
            if folder not in self.defaults_cache:
                path = folder / DEFAULTS_FILE
                self.defaults_cache[folder] = self.read_single(path, "defaults") if path.is_file() else None
            if self.defaults_cache[folder] is not None:
                out.append(self.defaults_cache[folder])
        return out

    def meetings_in(self, path: Path, groups: Mapping[str, tuple[str, ...]]) -> list[tuple[Meeting, Placed]]:
        if not self.inside(path, listed=True):
            return []
        docs, problems = read_documents(path, display_name(path, self.cwd))
        self.problems += problems
        out = []
        for doc in docs:
            if not isinstance(doc.data, dict):
                self.problems.append(
                    Problem((), "a meeting must be a mapping of keys (key: ..., subject: ...)").located(
                        doc.file, *doc.start
                    )
                )
                continue
            chain = self.defaults_for(path)
            merged = merge_defaults(doc, chain)
            found = schema_problems(merged.data, "meeting")
            unsupplied = set().union(*(self.unsupplied.get(d.file, set()) for d in chain))
            owned = [p for p in found if isinstance(p, MissingKey) and p.key in unsupplied]
            if owned:  # the defaults file's own problem stands for these; the meeting cannot be built
                self.problems += [_locate(p, merged) for p in found if p not in owned]
                continue
            if not found:
                meeting, found = build_meeting(merged.data, groups)
                if meeting is not None and self.organizers is not None:
                    found += _unlisted(meeting, self.organizers)
                if meeting is not None and not found:
                    out.append((meeting, Placed.of(doc)))
            self.problems += [_locate(p, merged) for p in found]
        return out


def _unlisted(meeting: Meeting, organizers: Collection[str]) -> list[Problem]:
    if meeting.organizer in organizers:
        return []
    return [
        Problem(
            ("organizer",),
            f"{meeting.organizer} is not listed under `organizers:` in the configuration; add it there "
            "(every listed organizer's calendar is read on each plan)",
        )
    ]


def _locate(problem: Problem, merged: Merged) -> Problem:
    file, (line, column) = merged.locate(problem.path, at_key=isinstance(problem, KeyProblem))
    return problem.located(file, line, column)


def _cross_file(found: list[tuple[Meeting, Placed]]) -> list[Problem]:
    """Keys must be unique in the namespace, and no key may also be another meeting's previous key."""
    problems: list[Problem] = []
    first: dict[str, Placed] = {}
    for meeting, at in found:
        if meeting.key in first:
            other = first[meeting.key]
            line, column = other.key_at
            problems.append(
                Problem(
                    ("key",),
                    f"duplicate key '{meeting.key}': also defined at "
                    f"{other.file}:{line}:{column}; keys must be unique",
                ).located(at.file, *at.key_at)
            )
        else:
            first[meeting.key] = at
    claimed: dict[str, tuple[Meeting, Placed]] = {}
    for meeting, at in found:
        for i, (old, position) in enumerate(at.previous):
            path = ("previous_keys", i)
            if old in first:
                owner = first[old]
                line, column = owner.key_at
                problems.append(
                    Problem(
                        path,
                        f"'{old}' is the key of the meeting at {owner.file}:{line}:{column}; "
                        "a previous key must not be in use",
                    ).located(at.file, *position)
                )
            elif old in claimed and claimed[old][0].key != meeting.key:
                other = claimed[old]
                problems.append(
                    Problem(
                        path,
                        f"'{old}' is also a previous key of '{other[0].key}' "
                        f"({other[1].file}); a previous key can belong to one meeting only",
                    ).located(at.file, *position)
                )
            else:
                claimed[old] = (meeting, at)
    return problems


MAX_WORKERS = 8
"""Processes a big repository is read with (at least 100 files each, else it is read in place)."""


def every_core() -> int:
    """How many processes read a big repository when nothing else needs the cores."""
    return min(os.cpu_count() or 1, MAX_WORKERS)


def load_meetings(
    path: Path, organizers: Collection[str] | None = None, workers: int = 1, hashed: bool = False
) -> LoadResult:
    """Every meeting under `path` (a directory, recursively, or one file) and every problem found.

    `organizers`: the configuration's list; a meeting whose organizer is not in it is a problem. `workers`
    > 1 reads the files in that many processes (reading YAML, the schema check and the model are CPU work);
    the checks across files run here, on what they send back. `hashed`: each meeting's spec hash and the
    checksum's part are computed where it is read (a plan needs both; `validate` neither).
    """
    reading = Reading(path, organizers, workers, hashed)
    try:
        return reading.result()
    finally:
        reading.close()


class Reading:
    """Files being read: the other processes' shares start at once, this process's own when `result()` is
    asked (a plan reads calendars meanwhile). `here` is the part of a share this process reads: 1 as each
    other process, 0.5 beside calendar reads that share its GIL, 0 beside a full read (which parses every
    answer here)."""

    def __init__(
        self,
        path: Path,
        organizers: Collection[str] | None = None,
        workers: int = 1,
        hashed: bool = False,
        here: float = 1.0,
    ) -> None:
        self.path, self.organizers, self.hashed = path, organizers, hashed
        self.root = path if path.is_dir() else find_root(path)
        self.files, self.links = [], frozenset()
        if path.is_dir():
            self.files, self.links = listed_files(path)
        elif path.exists():
            self.files, self.links = [path], None
        self.own: list[Path] = self.files
        self._pool: Any = None
        self._started: list[Future] = []
        separate = workers - 1 if here else workers
        if separate > 0 and len(self.files) >= workers * 100:
            from concurrent.futures import ProcessPoolExecutor
            from multiprocessing import get_context

            mine = round(here * 2)  # in half shares, dealt out file by file
            halves = mine + 2 * separate
            dealt = [self.files[i::halves] for i in range(halves)]
            self.own = sorted(f for chunk in dealt[:mine] for f in chunk)
            theirs = [sorted(dealt[mine + 2 * k] + dealt[mine + 2 * k + 1]) for k in range(separate)]
            self._pool = ProcessPoolExecutor(
                separate, mp_context=get_context("spawn"), initializer=fewer_collections
            )
            self._started = [
                self._pool.submit(_load_files, self.root, chunk, organizers, hashed, self.links)
                for chunk in theirs
            ]

    def result(self) -> LoadResult:
        if not self.path.exists():
            problem = Problem((), "no such file or directory").located(display_name(self.path), 1, 1)
            return LoadResult((), (problem,))
        parts = (
            [_load_files(self.root, self.own, self.organizers, self.hashed, self.links)] if self.own else []
        )
        parts += [started.result() for started in self._started]
        self.close()
        return _merged(parts, self.files)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)


def _merged(parts: list[_Part], files: list[Path]) -> LoadResult:
    """The shares put together, with the checks across files (and the hashes, when they were computed)."""
    found = [pair for part, _, _ in parts for pair in part]
    problems = [p for _, part, _ in parts for p in part]
    texts = {key: pair for _, _, part in parts for key, pair in part.items()}
    problems += _cross_file(found)
    counts = Counter(m.key for m, _ in found)
    duplicates = {key for key, n in counts.items() if n > 1}
    meetings = tuple(sorted((m for m, _ in found if m.key not in duplicates), key=lambda m: m.key))
    sources = {m.key: SourceRef(at.file, at.start[0], at.start[1]) for m, at in found}
    problems.sort(key=lambda p: (p.file, p.line, p.column, p.message))
    result = LoadResult(meetings, tuple(dict.fromkeys(problems)), sources, tuple(files))
    if not texts or not result.ok:
        return result
    checksum = checksum_of([texts[m.key][0] for m in meetings])
    return replace(result, spec_hashes={m.key: texts[m.key][1] for m in meetings}, known_checksum=checksum)


_Part = tuple[list[tuple[Meeting, "Placed"]], list[Problem], dict[str, tuple[str, str]]]
"""What one process reads: meetings where they stand, problems, and (hashed) each key's JSON and hash."""


def _load_files(
    root: Path,
    files: Sequence[Path],
    organizers: Collection[str] | None,
    hashed: bool = False,
    links: frozenset[Path] | None = None,
) -> _Part:
    """The meetings of `files` and their problems (the groups and defaults they use are read here too);
    with `hashed`, each meeting's canonical JSON and spec hash by key."""
    loader = _Loader(root, organizers, links)
    groups = loader.groups()
    found: list[tuple[Meeting, Placed]] = []
    for file in files:
        try:
            found += loader.meetings_in(file, groups)
        except Exception as exc:  # a reader bug must never become a traceback; name the file instead
            loader.problems.append(
                Problem(
                    (),
                    f"internal error while reading this file ({type(exc).__name__}: {exc}); please report it",
                ).located(display_name(file), 1, 1)
            )
    return found, loader.problems, {m.key: json_and_spec_hash(m) for m, _ in found} if hashed else {}
