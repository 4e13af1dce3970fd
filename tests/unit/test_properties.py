"""Property tests: 10,000 generated and mutated documents (truncated, binary, huge, deeply nested, random
YAML) through the meeting loader and the configuration loader. Each gives a clean, located error or a valid
model: never an exception, never the loader's "internal error" fallback, and each within a generous per-
document bound (hypothesis's deadline)."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.config import ConfigError, Settings, load_config
from reconciler.desired.load import load_meetings
from reconciler.desired.model import Meeting

WORK = Path(tempfile.mkdtemp(prefix="reconciler-properties-"))
PROPERTIES = settings(
    deadline=timedelta(seconds=5),
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)

keys = st.from_regex(r"[a-z0-9][a-z0-9._-]{0,20}", fullmatch=True)
addresses = st.from_regex(r"[a-z]{1,8}@(example|team)\.(com|org)", fullmatch=True)
days = st.lists(st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun", "xyz"]), max_size=4)
repeats = st.one_of(
    st.none(),
    st.fixed_dictionaries({"every": st.sampled_from(["day", "week", "month", "year", "fortnight"])}),
    st.fixed_dictionaries(
        {"every": st.just("week"), "days": days},
        optional={"until": st.dates().map(str), "count": st.integers(-2, 400), "interval": st.integers(0, 5)},
    ),
    st.fixed_dictionaries(
        {
            "every": st.just("month"),
            "weekday": st.sampled_from(["fri", "mon"]),
            "week": st.sampled_from(["first", "last", "fifth"]),
        }
    ),
)
meetings = st.fixed_dictionaries(
    {"key": keys, "subject": st.text(max_size=40)},
    optional={
        "organizer": addresses,
        "attendees": st.fixed_dictionaries(
            {}, optional={"required": st.lists(addresses, max_size=4), "optional": st.lists(addresses)}
        ),
        "start": st.one_of(
            st.datetimes().map(lambda d: d.isoformat(timespec="minutes")), st.text(max_size=8)
        ),
        "duration": st.sampled_from(["15m", "1h", "1h30m", "0m", "PT1H", "2d", "-5m", "forever"]),
        "timezone": st.sampled_from(["Europe/Amsterdam", "UTC", "America/New_York", "Mars/Base"]),
        "repeat": repeats,
        "skip": st.lists(st.dates().map(str), max_size=3),
        "all_day": st.booleans(),
        "reminder": st.sampled_from(["10m", "none", 5, None]),
        "location": st.text(max_size=20),
        "previous_keys": st.lists(keys, max_size=2),
    },
)
json_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=30,
)


@st.composite
def mutated(draw: st.DrawFn, documents: st.SearchStrategy) -> bytes:
    """A YAML document (or a stream of them), then one way a file gets damaged."""
    docs = draw(st.lists(documents, min_size=1, max_size=3))
    raw = yaml.safe_dump_all(docs, allow_unicode=True, sort_keys=False).encode()
    cheap = ["none", "truncate", "flip", "insert", "binary", "lines"]
    how = draw(st.sampled_from([*cheap, *cheap, *cheap, "huge", "nest"]))  # the costly ones 1 in 20
    if how == "truncate":
        raw = raw[: draw(st.integers(0, len(raw)))]
    elif how == "flip" and raw:
        at = draw(st.integers(0, len(raw) - 1))
        raw = raw[:at] + bytes([draw(st.integers(0, 255))]) + raw[at + 1 :]
    elif how == "insert":
        at = draw(st.integers(0, len(raw)))
        raw = (
            raw[:at]
            + draw(st.binary(max_size=8) | st.sampled_from([b": ", b"- ", b"\t", b"&a ", b"*a", b"{"]))
            + raw[at:]
        )
    elif how == "binary":
        raw = draw(st.binary(max_size=200))
    elif how == "huge":
        raw += b"\nbody: " + b"x" * draw(st.integers(10_000, 300_000)) + b"\n"
    elif how == "nest":
        depth = draw(st.integers(50, 1100))  # past the depth where PyYAML's recursion gives out
        raw += b"\ncategories: " + b"[" * depth + b"]" * depth + b"\n"
    elif how == "lines":
        lines = raw.split(b"\n")
        i = draw(st.integers(0, len(lines) - 1))
        lines.insert(draw(st.integers(0, len(lines))), lines[i])  # a duplicated line (duplicate keys)
        raw = b"\n".join(lines)
    return raw


def _located(problems: object, file: str, text: bytes) -> None:
    for p in problems:  # type: ignore[attr-defined]
        assert p.file.endswith(file) and p.line >= 1 and p.column >= 1 and p.message, p
        assert p.line <= text.count(b"\n") + 2, p
        assert "internal error" not in p.message, p


@settings(PROPERTIES, max_examples=6000)
@given(mutated(st.one_of(meetings, json_like)))
def test_meeting_files_give_a_model_or_located_problems(raw: bytes) -> None:
    folder = WORK / "meetings"
    folder.mkdir(exist_ok=True)
    (folder / "m.yaml").write_bytes(raw)
    result = load_meetings(folder)
    if result.ok:
        assert all(isinstance(m, Meeting) for m in result.meetings)
    else:
        _located(result.problems, "m.yaml", raw)


configs = st.fixed_dictionaries(
    {"namespace": st.one_of(keys, st.text(max_size=10))},
    optional={
        "organizers": st.lists(st.one_of(addresses, st.text(max_size=6)), max_size=3),
        "meetings": st.text(max_size=10),
        "target": st.one_of(
            st.fixed_dictionaries({"kind": st.sampled_from(["sandbox", "ews", "graph", "smtp"])}),
            st.fixed_dictionaries(
                {
                    "kind": st.just("ews"),
                    "endpoint": st.sampled_from(
                        [
                            "https://mail.example.com/EWS/Exchange.asmx",
                            "http://mail.example.com/x",
                            "ftp://x",
                            "http://127.0.0.1:1/EWS/Exchange.asmx",
                        ]
                    ),
                },
                optional={
                    "verify_tls": st.booleans(),
                    "auth": st.sampled_from(["basic", "none", "kerberos"]),
                    "max_wait_seconds": st.integers(-5, 10_000),
                },
            ),
        ),
        "policy": st.fixed_dictionaries(
            {},
            optional={
                "prune": st.booleans(),
                "max_cancellations": st.integers(-3, 100),
                "notify": st.fixed_dictionaries({}, optional={"cancel": st.sampled_from(["all", "changed"])}),
                "lease_ttl_seconds": st.floats(-1, 10_000, allow_nan=False),
                "allowed_organizers": st.lists(st.text(max_size=8), max_size=2),
            },
        ),
    },
)


@settings(PROPERTIES, max_examples=4000)
@given(mutated(st.one_of(configs, json_like)))
def test_configuration_gives_settings_or_located_problems(raw: bytes) -> None:
    path = WORK / "reconciler.yaml"
    path.write_bytes(raw)
    try:
        loaded = load_config(path)
    except ConfigError as exc:
        assert exc.problems
        _located(exc.problems, "reconciler.yaml", raw)
    else:
        assert isinstance(loaded, Settings) and loaded.organizers and loaded.namespace
