"""`reconciler validate` / `schedule` as a user runs them: exit codes, summaries, and no traceback ever."""

from __future__ import annotations

import random
from pathlib import Path

from typer.testing import CliRunner

from reconciler.cli import app
from reconciler.desired.load import load_meetings
from tests.unit.bad_inputs import BASE

GOOD = {
    "_groups.yaml": "groups:\n  team: [a@example.com, b@example.com]\n",
    "_defaults.yaml": "timezone: Europe/Amsterdam\nattendees:\n  optional: [boss@example.com]\n",
    "team/_defaults.yaml": "organizer: lead@example.com\n",
    "team/standup.yaml": "key: standup\nsubject: Stand-up\nstart: 2026-12-07T09:30\nduration: 15m\n"
    "attendees:\n  required: [group:team]\nrepeat:\n  every: day\n",
    "team/more.yml": "key: review\nsubject: Review\nstart: 2026-12-08T14:00\nend: '15:00'\n---\n"
    "key: retro\nsubject: Retro\nstart: 2026-12-09T14:00\nduration: 1h\n",
}


def test_good_directory_exits_zero_with_summary(meetings_dir) -> None:
    root = meetings_dir(GOOD)
    result = CliRunner().invoke(app, ["validate", str(root)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: 3 meetings, 1 organizer, ")
    assert result.output.rstrip().endswith("occurrences in the next 30 days")


def test_defaults_cascade_and_attendees_added(meetings_dir) -> None:
    result = load_meetings(meetings_dir(GOOD))
    standup = next(m for m in result.meetings if m.key == "standup")
    assert standup.organizer == "lead@example.com" and standup.timezone == "Europe/Amsterdam"
    assert [a.address for a in standup.attendees.required] == ["a@example.com", "b@example.com"]
    assert [a.address for a in standup.attendees.optional] == ["boss@example.com"]
    assert str(result.sources["retro"]) == "meetings/team/more.yml:6:1"


def test_single_file_finds_its_groups_and_defaults(meetings_dir) -> None:
    root = meetings_dir(GOOD)
    result = load_meetings(root / "team" / "standup.yaml")
    assert result.ok and [m.key for m in result.meetings] == ["standup"]


def test_missing_path(meetings_dir) -> None:
    meetings_dir({})
    result = CliRunner().invoke(app, ["validate", "nowhere"])
    assert result.exit_code == 1
    assert "nowhere:1:1: no such file or directory" in result.output


def test_schedule_lists_occurrences(meetings_dir) -> None:
    root = meetings_dir(GOOD)
    result = CliRunner().invoke(app, ["schedule", str(root), "--days", "3000"])
    assert result.exit_code == 0
    assert 'standup  "Stand-up"  daily 09:30–09:45 Europe/Amsterdam' in result.output


def test_schedule_refuses_bad_files(meetings_dir) -> None:
    root = meetings_dir({"a.yaml": BASE + "colour: red\n"})
    result = CliRunner().invoke(app, ["schedule", str(root)])
    assert result.exit_code == 1 and "colour: unknown key" in result.output


def test_random_input_never_produces_a_traceback(meetings_dir) -> None:
    rng = random.Random(20261124)
    fragments = [
        "key: x",
        "subject: y",
        "start: 2026-12-07T09:30",
        "- a",
        "  b: [",
        "}",
        "&a x",
        "*a",
        "<<: *a",
        "repeat: {every: week}",
        "\t",
        "on: yes",
        "---",
        "attendees: {required: [group:",
        "'",
        '"',
        "? x",
        "moves: [{date: 2026-12-08}]",
        "skip: [1, 2]",
        "end: 25:99",
        "!!python/object:os.system x",
    ]
    for i in range(300):
        if i % 3 == 0:
            data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 80)))
        else:
            data = "\n".join(rng.choice(fragments) for _ in range(rng.randrange(1, 8))).encode()
        root = meetings_dir({"_groups.yaml": "groups: {a: [x@example.com]}\n", "f.yaml": data})
        result = CliRunner().invoke(app, ["validate", str(root)])
        assert result.exception is None or isinstance(result.exception, SystemExit), (data, result.exception)
        assert "Traceback" not in result.output
        assert result.exit_code in (0, 1)


def test_summaries_count_in_the_right_number_and_over_the_days_asked(meetings_dir) -> None:
    one = {
        "team/retro.yaml": GOOD["team/more.yml"].split("---\n")[1],
        **{k: GOOD[k] for k in GOOD if "_" in k},
    }
    root = meetings_dir(one)
    validated = CliRunner().invoke(app, ["validate", str(root)])
    assert validated.output.startswith("ok: 1 meeting, 1 organizer, 1 occurrence in the next 30 days") or (
        validated.output.startswith("ok: 1 meeting, 1 organizer, 0 occurrences in the next 30 days")
    ), validated.output
    scheduled = CliRunner().invoke(app, ["schedule", str(root), "--days", "400"])
    assert scheduled.exit_code == 0 and scheduled.output.rstrip().endswith("in the next 400 days")
    assert " 1 meetings" not in scheduled.output and "1 occurrences" not in scheduled.output


def test_validate_refuses_what_plan_would_at_the_configuration_line(meetings_dir) -> None:
    """`plan` never refuses what `validate` passed: an organizer outside policy.allowed_organizers is found
    by validate, at its line in reconciler.yaml."""
    root = meetings_dir(GOOD)
    Path("reconciler.yaml").write_text(
        "namespace: team\norganizers:\n  - lead@example.com\n  - ceo@other.org\n"
        "policy:\n  allowed_organizers: ['*@example.com']\n"
    )
    result = CliRunner().invoke(app, ["validate", str(root)])
    assert result.exit_code == 1
    assert result.output.startswith(
        "reconciler.yaml:4:5: organizers[1]: ceo@other.org is not allowed by policy.allowed_organizers "
        "(*@example.com); add a pattern that matches it there, or remove it here"
    )
    planned = CliRunner().invoke(app, ["plan"])
    assert planned.exit_code == 1 and "reconciler.yaml:4:5: organizers[1]: ceo@other.org" in planned.output


def test_unknown_keys_get_close_matches(meetings_dir) -> None:
    root = meetings_dir(GOOD)
    scheduled = CliRunner().invoke(app, ["schedule", str(root), "--key", "standpu"])
    assert scheduled.exit_code == 1
    assert "no meeting with key standpu in meetings; did you mean 'standup'?" in scheduled.output
    one = CliRunner().invoke(app, ["schedule", str(root), "-k", "standup"])
    assert one.exit_code == 0 and "standup" in one.output and "retro" not in one.output
    Path("reconciler.yaml").write_text("namespace: team\norganizers: [lead@example.com]\n")
    exported = CliRunner().invoke(app, ["export", "ics", "retor"])
    assert exported.exit_code == 1 and "did you mean 'retro'?" in exported.output


def test_help_shows_no_type_for_flags() -> None:
    for command in ([], ["plan"], ["apply"], ["validate"]):
        shown = CliRunner().invoke(app, [*command, "--help"], terminal_width=100).output
        assert "<bool>" not in shown and "--help" in shown, command
    assert "<int>" in CliRunner().invoke(app, ["schedule", "--help"], terminal_width=100).output


def test_the_fast_schema_check_and_jsonschema_agree() -> None:
    """A file the compiled check passes is never one jsonschema refuses (and the reverse): every bad input
    of tests/unit/bad_inputs.py, the examples, and random edits of a good meeting."""
    import yaml

    from reconciler.desired.validate import _valid, validator
    from tests.unit.bad_inputs import CASES

    docs: list[object] = [yaml.safe_load(BASE)]
    for files, _ in CASES.values():
        for text in files.values():
            try:
                docs += list(yaml.safe_load_all(text))
            except (yaml.YAMLError, ValueError):
                continue
    for example in Path(__file__).resolve().parents[2].glob("meetings/**/*.yaml"):
        docs += list(yaml.safe_load_all(example.read_text()))
    rng = random.Random(7)
    values = [None, True, 0, 1, -1, 1.5, "", "x", "09:30", "2026-12-07", [], ["mon"], {}, {"every": "week"}]
    good = yaml.safe_load(BASE)
    for _ in range(400):
        doc = dict(good)
        for _ in range(rng.randrange(1, 4)):
            doc[rng.choice([*good, "repeat", "attendees", "reminder", "skip", "end", "colour"])] = rng.choice(
                values
            )
        docs.append(doc)
    config = yaml.safe_load((Path(__file__).resolve().parents[2] / "reconciler.yaml").read_text())
    checks = [(doc, name, ref) for doc in docs for name, ref in (("meeting", None), ("meeting", "defaults"))]
    checks += [(config, "config", None), ({**config, "policy": {"conflicts": "maybe"}}, "config", None)]
    verdicts = set()
    for doc, name, ref in checks:
        if not isinstance(doc, dict):
            continue
        refused = any(True for _ in validator(name, ref).iter_errors(doc))
        try:
            _valid(name, ref)(doc)
            fast_refused = False
        except Exception:
            fast_refused = True
        assert refused == fast_refused, (name, ref, doc)
        verdicts.add((name, refused))
    assert verdicts == {("meeting", True), ("meeting", False), ("config", True), ("config", False)}
