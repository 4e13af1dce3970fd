"""Positions for keys and values, merge keys, and the data conversions the schema relies on."""

from pathlib import Path

from reconciler.spec.yamlsource import read_documents


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
