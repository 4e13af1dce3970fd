"""Every EWS request the sandbox takes and every answer it gives in the suite, held to Microsoft's schemas.

Loaded for every run (`-p tests.ews_conformance` in pyproject). It finds the schemas where `EWS_SCHEMAS`
points or at `../shared/ews-schemas/` beside the checkout, names them to every sandbox of the run (in this
process or served by a child process, through the environment) and gives them a folder to write their checks
to (`reconciler/sandbox/ews/conformance.py`). After each test, an answer found invalid while it ran fails
that test, naming the operation, the element and Exchange's wording. The summary counts what was checked.

Without the schemas the check is skipped with one line saying where they come from, unless
`EWS_SCHEMAS_REQUIRED=1` (`.ci/run` sets it), which stops the run instead. Under pytest-xdist the
controller makes one folder for the run and each worker a folder of its own inside it (workers inherit the
controller's environment), so each worker fails its own tests and the controller's summary counts them all.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from reconciler.sandbox.ews import conformance, xsd

WHERE_FROM = (
    "Microsoft's EWS schemas (types.xsd and messages.xsd side by side, as any Exchange server serves them "
    "at /EWS/types.xsd and /EWS/messages.xsd) were not found at ../shared/ews-schemas or where EWS_SCHEMAS "
    "points"
)


RUN = "RECONCILER_EWS_CONFORMANCE_RUN"
"""The run's folder, which the controller makes and xdist's workers inherit."""


@dataclass
class Ledger:
    """The check files of this process's folder (the controller's: every worker's folder too), read on from
    where the last look stopped."""

    folder: Path
    read_to: dict[str, int] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)

    def new_lines(self) -> list[dict]:
        lines: list[dict] = []
        for path in sorted(self.folder.rglob("*.jsonl")):
            start = self.read_to.get(str(path), 0)
            with open(path, "rb") as handle:
                handle.seek(start)
                chunk = handle.read()
            complete = chunk[: chunk.rfind(b"\n") + 1]  # a line being written is read next time
            self.read_to[str(path)] = start + len(complete)
            lines.extend(json.loads(line) for line in complete.splitlines())
        for line in lines:
            if line["kind"] == "provoked":  # written by `take_invalid_answers`, perhaps in a worker
                self.counts["answer invalid"] -= line["count"]
                self.counts["answer provoked"] += line["count"]
            else:
                self.counts[f"{line['kind']} {'valid' if line['valid'] else 'invalid'}"] += 1
        return lines

    def invalid_answers(self) -> list[dict]:
        return [line for line in self.new_lines() if line["kind"] == "answer" and not line["valid"]]

    def take_invalid_answers(self) -> list[dict]:
        """The invalid answers since the last look, taken out of the run's verdict: for a test that
        provokes one on purpose to see the check name it."""
        taken = self.invalid_answers()
        with open(self.folder / "provoked.jsonl", "a", encoding="utf-8") as out:
            out.write(json.dumps({"kind": "provoked", "count": len(taken)}) + "\n")
        return taken


def _schema_folder(config: pytest.Config) -> Path | None:
    named = os.environ.get(xsd.ENV)
    candidate = Path(named) if named else Path(config.rootpath).parent / "shared" / "ews-schemas"
    if (candidate / "messages.xsd").is_file() and (candidate / "types.xsd").is_file():
        return candidate.resolve()
    return None


def pytest_configure(config: pytest.Config) -> None:
    found = _schema_folder(config)
    if found is None:
        if os.environ.get("EWS_SCHEMAS_REQUIRED") == "1":
            raise pytest.UsageError(f"{WHERE_FROM}; EWS_SCHEMAS_REQUIRED=1 asks for them.")
        config.stash[_LEDGER] = None
        return
    os.environ[xsd.ENV] = str(found)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker is None or RUN not in os.environ:  # the controller (or a run without xdist)
        os.environ[RUN] = tempfile.mkdtemp(prefix="ews-conformance-")
        folder = Path(os.environ[RUN])
    else:
        folder = Path(os.environ[RUN]) / worker
        folder.mkdir()
    os.environ[conformance.ENV] = str(folder)
    config.stash[_LEDGER] = Ledger(folder)


_LEDGER = pytest.StashKey[Ledger | None]()


@pytest.fixture
def ews_conformance(request: pytest.FixtureRequest) -> Ledger:
    """This run's ledger, for a test that provokes an invalid answer on purpose and takes it out."""
    ledger = request.config.stash[_LEDGER]
    if ledger is None:
        pytest.skip(WHERE_FROM)
    return ledger


@pytest.fixture(autouse=True)
def _answers_valid_against_the_schemas(request: pytest.FixtureRequest) -> Iterator[None]:
    ledger = request.config.stash[_LEDGER]
    if ledger is not None:
        ledger.new_lines()  # what earlier tests left (a server still answering) is theirs
    yield
    if ledger is None:
        return
    invalid = ledger.invalid_answers()
    if invalid:
        said = "; ".join(
            f"{line['operation']} answered {line['element']}: {line['text']}" for line in invalid[:5]
        )
        pytest.fail(
            f"{len(invalid)} EWS answer(s) of this test invalid against Microsoft's schemas: {said}",
            pytrace=False,
        )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    ledger = config.stash.get(_LEDGER, None)
    if ledger is None:
        terminalreporter.write_line(f"EWS schema check skipped: {WHERE_FROM}.")
        return
    ledger.new_lines()
    c = ledger.counts
    processes = len(ledger.read_to)
    terminalreporter.write_line(
        f"EWS schema check ({xsd.folder()}, sandboxes in {processes} processes): "
        f"{c['answer valid'] + c['answer invalid']} answers, {c['answer invalid']} invalid "
        f"(and {c['answer provoked']} made invalid on purpose by the check's own tests); "
        f"{c['request valid'] + c['request invalid']} requests, "
        f"{c['request invalid']} refused with ErrorSchemaValidation"
    )


def pytest_unconfigure(config: pytest.Config) -> None:
    ledger = config.stash.get(_LEDGER, None)
    if ledger is not None and "PYTEST_XDIST_WORKER" not in os.environ:  # the controller clears the run
        shutil.rmtree(ledger.folder, ignore_errors=True)
