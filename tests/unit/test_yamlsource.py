"""Positions for keys and values, merge keys, and the data conversions the schema relies on."""

from pathlib import Path

from reconciler.desired.yamlsource import read_documents


def test_positions_dates_and_sexagesimal(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(
        "key: a\nwhen:\n  start: 2026-12-07T09:30\n  day: 2026-12-07\n  at: 2026-12-07 09:30:00\n"
        "end: 10:30\nlist:\n  - x\n  - y\n"
    )
    [doc], problems = read_documents(path)
    assert problems == []
    assert doc.data["when"] == {"start": "2026-12-07T09:30", "day": "2026-12-07", "at": "2026-12-07T09:30"}
    assert doc.data["end"] == "10:30"
    assert doc.values[("list", 1)] == (9, 5)
    assert doc.keys[("when", "day")] == (4, 3)
    assert doc.locate(("when", "nope", 3)) == (3, 3)  # nearest recorded ancestor


def test_merge_keys(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("base: &b {timezone: UTC, show_as: free}\nm:\n  <<: *b\n  show_as: busy\n")
    [doc], problems = read_documents(path)
    assert problems == [] and doc.data["m"] == {"show_as": "busy", "timezone": "UTC"}


def test_several_documents(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("key: a\n---\nkey: b\n---\n")
    docs, problems = read_documents(path)
    assert problems == [] and [d.data["key"] for d in docs] == ["a", "b"] and docs[1].start == (3, 1)


def test_positions_count_lines_as_editors_do(tmp_path: Path) -> None:
    """YAML 1.1 (PyYAML) also breaks lines at NEL, LS and PS; positions count only newlines, as editors
    and the line numbers in a pull request do (found by the property tests)."""
    path = tmp_path / "m.yaml"
    path.write_bytes("key: a\nsubject: 'x\u0085y\u2028z'\ncolour: red\nlist: [1, {b: 'q\u2029'\n".encode())
    docs, problems = read_documents(path)
    assert docs == [] and len(problems) == 1
    assert (problems[0].line, problems[0].column) == (5, 1)  # the unclosed flow list, at the end of line 4
    path.write_bytes("key: a\nsubject: 'x\u0085y\u2028z'\ncolour: red\n".encode())
    [doc], problems = read_documents(path)
    assert problems == [] and doc.keys[("colour",)] == (3, 1) and doc.values[("colour",)] == (3, 9)
