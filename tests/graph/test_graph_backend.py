"""The Graph backend against the sandbox over https: round trips, the read bound, errors users can act on."""

from __future__ import annotations

import math
import time
from dataclasses import replace
from pathlib import Path

import pytest

from reconciler.backends.base import BackendError, Marker, Write
from reconciler.backends.baseline import Baseline
from reconciler.backends.graph.backend import GraphBackend
from reconciler.backends.graph.http import GraphClient
from reconciler.desired.canonical import spec_hash
from reconciler.desired.load import load_meetings
from reconciler.sandbox import Sandbox
from reconciler.sandbox.faults import FaultOptions
from tests.writes import assert_round_trips, create

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = load_meetings(ROOT / "meetings").meetings


def client(sb: Sandbox, secret: str = "s", max_wait: float = 10) -> GraphClient:
    return GraphClient(
        sb.graph_endpoint,
        sb.authority,
        "t",
        "app",
        secret,
        "$SECRET",
        ca_bundle=str(sb.ca_path),
        max_wait=max_wait,
    )


@pytest.fixture
def backend(graph_sandbox):
    b = GraphBackend(client(graph_sandbox))
    yield b
    b.close()


@pytest.mark.echo
def test_every_example_round_trips(backend) -> None:
    assert_round_trips(backend, EXAMPLES, send="all")


def test_every_example_round_trips_as_the_reconciler_compares_on_a_server_that_rewrites(backend) -> None:
    assert_round_trips(backend, EXAMPLES, send="all", exact=False)


def test_observe_reads_within_its_bound(graph_sandbox, backend) -> None:
    series = next(m for m in EXAMPLES if m.key == "sprint-planning")
    single = next(m for m in EXAMPLES if m.recurrence is None)
    metas = [replace(series, key=f"s{i:02d}") for i in range(25)] + [
        replace(single, key=f"o{i:02d}", organizer=series.organizer) for i in range(10)
    ]
    marker = [Marker("ns", m.key, spec_hash(m)) for m in metas]
    results = backend.apply(
        series.organizer, [Write("create", m.key, "all", k, m) for m, k in zip(metas, marker, strict=True)]
    )
    assert all(r.ok for r in results)
    backend.write_baseline(series.organizer, "ns", Baseline(read={}))  # as the apply that made them would
    observation = backend.observe(series.organizer, "ns")
    assert len(observation.meetings) == 35
    bound = max(1, math.ceil(35 / 1000)) + math.ceil(25 / 20)
    assert observation.requests == bound == 3


def test_a_create_sent_twice_makes_one_event(graph_sandbox, backend) -> None:
    meeting = next(m for m in EXAMPLES if m.recurrence is None)
    write = Write("create", meeting.key, "all", Marker("ns", meeting.key, spec_hash(meeting)), meeting)
    first = backend.apply(meeting.organizer, [write])[0]
    second = backend.apply(meeting.organizer, [write])[0]
    assert first.item_id == second.item_id
    assert len(backend.observe(meeting.organizer, "ns").meetings) == 1


def test_throttled_and_dropped_requests_converge(graph_sandbox) -> None:
    backend = GraphBackend(client(graph_sandbox, max_wait=300))
    meeting = next(m for m in EXAMPLES if m.key == "sprint-planning")
    graph_sandbox.set_faults(
        FaultOptions(busy_rate=0.3, reset_rate=0.2, busy_backoff_ms=10, seed=7, phase="after")
    )
    for n in range(6):
        one = replace(meeting, key=f"f{n}")
        [result] = backend.apply(
            one.organizer, [Write("create", one.key, "all", Marker("ns", one.key, "h"), one)]
        )
        assert result.ok, result.error
    graph_sandbox.set_faults(FaultOptions())
    assert sorted(o.meeting.key for o in backend.observe(meeting.organizer, "ns").meetings) == [
        f"f{n}" for n in range(6)
    ]
    requests = [i for i in graph_sandbox.store.items("alice@example.com", "inbox")]
    assert len(requests) == 6  # one invitation per meeting, whatever was retried


def test_a_wrong_secret_fails_at_once_naming_what_to_check() -> None:
    with Sandbox(tls=True, password="right") as sb:
        backend = GraphBackend(client(sb, "wrong", max_wait=60))
        started = time.monotonic()
        with pytest.raises(BackendError) as raised:
            backend.observe("lead@example.com", "ns")
        assert time.monotonic() - started < 5
        assert "AADSTS7000215" in str(raised.value) and "$SECRET" in str(raised.value)
        assert "wrong" not in str(raised.value)


def test_a_dead_endpoint_fails_at_once() -> None:
    with Sandbox(tls=True) as sb:
        endpoint, ca = sb.graph_endpoint, str(sb.ca_path)
        authority = sb.authority
        backend = GraphBackend(client(sb, max_wait=60))
        backend.observe("lead@example.com", "ns")  # token cached, then the server goes away
        with open(ca) as f:
            pem = f.read()
    Path(ca).parent.mkdir(parents=True, exist_ok=True)
    Path(ca).write_text(pem)
    started = time.monotonic()
    with pytest.raises(BackendError) as raised:
        backend.observe("lead@example.com", "ns")
    assert time.monotonic() - started < 5
    assert endpoint in str(raised.value) or authority in str(raised.value)


def test_unknown_mailbox_is_named(graph_sandbox) -> None:
    from reconciler.sandbox.directory import Directory

    graph_sandbox.server.directory = Directory(frozenset({"lead@example.com"}))
    backend = GraphBackend(client(graph_sandbox))
    with pytest.raises(BackendError) as raised:
        backend.observe("nobody@example.com", "ns")
    assert "mailbox nobody@example.com does not exist" in str(raised.value)


def test_the_lease_is_a_compare_and_swap_shared_with_ews(graph_sandbox, backend) -> None:
    from exchangelib.transport import NOAUTH

    from reconciler.backends.base import LeaseConflict
    from reconciler.backends.ews.backend import EwsBackend
    from reconciler.backends.ews.http import adapter_class

    [free] = backend.lease_items("lead@example.com")
    assert free.holder == ""
    taken = backend.write_lease("lead@example.com", free, '{"holder": "graph"}')
    with pytest.raises(LeaseConflict):
        backend.write_lease("lead@example.com", free, '{"holder": "late"}')  # the version it read is gone
    from exchangelib.protocol import BaseProtocol

    saved = BaseProtocol.HTTP_ADAPTER_CLS
    BaseProtocol.HTTP_ADAPTER_CLS = adapter_class(str(graph_sandbox.ca_path), True)
    try:
        ews = EwsBackend(graph_sandbox.endpoint, auth_type=NOAUTH, pin_version=True, max_wait=10)
        [seen] = ews.lease_items("lead@example.com")  # the same record, read over EWS
        assert seen.item_id.replace("/", "-").replace("+", "_") == taken.item_id
        assert seen.holder == '{"holder": "graph"}'
        ews.close()
    finally:
        BaseProtocol.HTTP_ADAPTER_CLS = saved


def test_a_certificate_credential_gets_a_token(graph_sandbox, tmp_path, monkeypatch) -> None:
    """certificate_path_env: a PEM with certificate and private key; msal signs the client assertion."""
    import trustme

    from reconciler.backends.factory import open_backend
    from reconciler.config import Settings, Target

    rsa_ca = trustme.CA(key_type=trustme.KeyType.RSA)
    issued = rsa_ca.issue_cert("reconciler-ci.example.com", key_type=trustme.KeyType.RSA)
    pem = tmp_path / "app.pem"
    pem.write_bytes(issued.cert_chain_pems[0].bytes() + issued.private_key_pem.bytes())
    for name, value in {"T": "tenant", "C": "client", "CERT": str(pem)}.items():
        monkeypatch.setenv(name, value)
    target = Target(
        kind="graph",
        endpoint=graph_sandbox.graph_endpoint,
        authority=graph_sandbox.authority,
        tenant_id_env="T",
        client_id_env="C",
        certificate_path_env="CERT",
        ca_bundle=str(graph_sandbox.ca_path),
    )
    with open_backend(Settings("ns", tmp_path, target=target)) as backend:
        assert backend.observe("lead@example.com", "ns").meetings == ()
    pem.write_bytes(issued.cert_chain_pems[0].bytes())  # no private key: named, before any request
    with (
        pytest.raises(BackendError, match="holds no private key"),
        open_backend(Settings("ns", tmp_path, target=target)),
    ):
        pass


def test_other_namespaces_are_reported_and_not_read_further(graph_sandbox, backend) -> None:
    series = next(m for m in EXAMPLES if m.key == "sprint-planning")
    create(backend, series, namespace="other-team", send="all")
    create(backend, replace(series, key="ours"), send="all")
    backend.write_baseline(series.organizer, "ns", Baseline(read={}))  # as the apply that made them would
    observation = backend.observe(series.organizer, "ns")
    assert [o.marker.key for o in observation.meetings] == ["ours"]
    assert observation.other_namespaces == ("other-team",)
    assert observation.requests == 2  # one page, one batch with our one series' instances
