from datetime import timedelta

import pytest

from reconciler.desired.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    "text,expected",
    [
        ("15m", timedelta(minutes=15)),
        ("1h30m", timedelta(minutes=90)),
        ("2h", timedelta(hours=2)),
        ("1d", timedelta(days=1)),
        ("PT15M", timedelta(minutes=15)),
        ("PT1H30M", timedelta(minutes=90)),
        ("P1D", timedelta(days=1)),
        ("PT45S", timedelta(seconds=45)),
    ],
)
def test_parse(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "P", "PT", "15", "m", "1h 30m", "-5m", "1.5h"])
def test_parse_rejects(text: str) -> None:
    assert parse_duration(text) is None


def test_format_round_trip() -> None:
    for text in ("15m", "1h30m", "2d", "1d2h"):
        assert format_duration(parse_duration(text)) == text
