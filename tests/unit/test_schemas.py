"""The shipped schemas are valid 2020-12 schemas, and every example validates against them."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator
from typer.testing import CliRunner

from reconciler.cli import app
from reconciler.desired.load import meeting_files
from reconciler.desired.schemas import load_schema
from reconciler.desired.validate import schema_problems
from reconciler.desired.yamlsource import read_documents

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["meeting", "config"])
def test_schema_is_valid_2020_12(name: str) -> None:
    schema = load_schema(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def _described(node: object, path: str = "") -> list[str]:
    """Paths of properties without a description (editors show descriptions as help)."""
    missing = []
    if isinstance(node, dict):
        for name, sub in node.get("properties", {}).items():
            if isinstance(sub, dict) and "description" not in sub:
                missing.append(f"{path}.{name}")
        for key, sub in node.items():
            missing += _described(sub, f"{path}/{key}")
    elif isinstance(node, list):
        for i, sub in enumerate(node):
            missing += _described(sub, f"{path}[{i}]")
    return missing


@pytest.mark.parametrize("name", ["meeting", "config"])
def test_every_property_has_a_description(name: str) -> None:
    assert _described(load_schema(name)) == []


def test_unknown_keys_are_errors() -> None:
    problems = schema_problems({"key": "a", "colour": "red"}, "meeting")
    assert any(p.path == ("colour",) and "unknown key" in p.message for p in problems)


EXAMPLES = meeting_files(ROOT / "meetings")


def test_examples_exist() -> None:
    names = {p.stem for p in EXAMPLES}
    assert {"standup", "sprint-planning", "demo", "alice", "quarterly", "offsite"} <= names
    assert (ROOT / "meetings" / "_defaults.yaml").is_file() and (ROOT / "meetings" / "_groups.yaml").is_file()


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_documents_validate_against_the_schema_with_defaults(path: Path) -> None:
    defaults = yaml.safe_load((ROOT / "meetings" / "_defaults.yaml").read_text())
    docs, problems = read_documents(path)
    assert problems == [] and docs
    for doc in docs:
        assert schema_problems({**defaults, **doc.data}, "meeting") == []


def test_defaults_and_groups_files_validate() -> None:
    for name, ref in (
        ("_defaults.yaml", "defaults"),
        ("_groups.yaml", "groups"),
        ("platform/_defaults.yaml", "defaults"),
    ):
        docs, problems = read_documents(ROOT / "meetings" / name)
        assert problems == [] and schema_problems(docs[0].data, "meeting", ref) == []


def test_repository_config_validates() -> None:
    docs, problems = read_documents(ROOT / "reconciler.yaml")
    assert problems == [] and schema_problems(docs[0].data, "config") == []


def test_validate_examples_exits_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(app, ["validate", "meetings/"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: 6 meetings, 2 organizers, ")


@pytest.mark.parametrize("name", ["meeting", "config"])
def test_schema_command_prints_the_schema(name: str) -> None:
    result = CliRunner().invoke(app, ["schema", name])
    assert result.exit_code == 0
    assert result.output.strip() == (ROOT / "schemas" / f"{name}.schema.json").read_text().strip()


def test_schema_command_rejects_unknown_name() -> None:
    result = CliRunner().invoke(app, ["schema", "nope"])
    assert result.exit_code == 1
    assert "choose meeting or config" in result.output
