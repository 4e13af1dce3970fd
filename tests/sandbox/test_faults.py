"""Injected faults: exchangelib retries through busy answers, 503s and resets; "after" faults hide effects."""

from __future__ import annotations

import threading

import pytest
from exchangelib.errors import ErrorServerBusy, ErrorTimeoutExpired, TransportError
from exchangelib.items import SEND_TO_ALL_AND_SAVE_COPY, SEND_TO_NONE
from exchangelib.protocol import FaultTolerance

from reconciler.sandbox import FaultOptions
from tests.sandbox.conftest import dt, meeting

RETRY = FaultTolerance(max_wait=30)


def test_busy_fault_carries_back_off_and_fails_fast(sandbox, account) -> None:
    lead = account("lead@example.com")
    sandbox.set_faults(FaultOptions(busy_rate=1.0, busy_backoff_ms=1234, seed=1))
    with pytest.raises(ErrorServerBusy) as raised:
        lead.calendar.all().count()
    assert raised.value.back_off == pytest.approx(1.234)


def test_fault_tolerance_retries_through_busy_faults(sandbox, account) -> None:
    lead = account("lead@example.com", retry=RETRY)
    lead.calendar  # noqa: B018  (folders resolved before faults start)
    sandbox.set_faults(FaultOptions(busy_rate=0.5, busy_backoff_ms=10, seed=7))
    for i in range(10):
        meeting(lead, f"m{i}", dt(2027, 1, 4, 9)).save(send_meeting_invitations=SEND_TO_NONE)
    assert lead.calendar.all().count() == 10
    assert sandbox.faults.injected["busy"] > 0


def test_retries_through_503(sandbox, account) -> None:
    lead = account("lead@example.com", retry=RETRY)
    lead.calendar  # noqa: B018
    sandbox.set_faults(FaultOptions(unavailable_rate=0.3, seed=3))  # 503 with Retry-After: 1
    for i in range(3):
        meeting(lead, f"m{i}", dt(2027, 1, 4, 9)).save(send_meeting_invitations=SEND_TO_NONE)
    sandbox.set_faults(FaultOptions())
    assert lead.calendar.all().count() == 3
    assert sandbox.faults.injected["unavailable"] > 0


def test_reset_surfaces_as_a_timeout_even_with_fault_tolerance(sandbox, account) -> None:
    """exchangelib retries a dropped connection only with a session pool above one; callers must re-run."""
    lead = account("lead@example.com", retry=RETRY)
    lead.calendar  # noqa: B018
    sandbox.set_faults(FaultOptions(reset_rate=1.0))
    with pytest.raises(ErrorTimeoutExpired):
        lead.calendar.all().count()
    assert sandbox.faults.injected["reset"] >= 1


def test_reset_fails_fast_without_retry_policy(sandbox, account) -> None:
    lead = account("lead@example.com")
    lead.calendar  # noqa: B018
    sandbox.set_faults(FaultOptions(reset_rate=1.0, seed=1))
    with pytest.raises((TransportError, ConnectionError)):
        lead.calendar.all().count()


def test_after_phase_does_the_work_but_the_client_never_hears(sandbox, account) -> None:
    lead = account("lead@example.com")
    lead.calendar  # noqa: B018
    sandbox.set_faults(FaultOptions(reset_rate=1.0, phase="after", operations=frozenset({"CreateItem"})))
    with pytest.raises((TransportError, ConnectionError)):
        meeting(lead, "ghost", dt(2027, 1, 4, 9)).save(send_meeting_invitations=SEND_TO_NONE)
    sandbox.set_faults(FaultOptions())
    assert [i.subject for i in lead.calendar.all()] == ["ghost"]


def test_message_rate_violations_are_recorded(sandbox, account) -> None:
    lead = account("lead@example.com")
    sandbox.set_faults(FaultOptions(message_rate_per_minute=2))
    for i in range(4):
        meeting(lead, f"m{i}", dt(2027, 1, 4, 9), attendees=("bob@example.com",)).save(
            send_meeting_invitations=SEND_TO_ALL_AND_SAVE_COPY
        )
    violations = sandbox.rate_violations()
    assert [(v.mailbox, v.sent_in_last_minute) for v in violations] == [
        ("lead@example.com", 3),
        ("lead@example.com", 4),
    ]


def test_concurrency_limit_answers_busy(sandbox) -> None:
    import requests

    from tests.sandbox.test_items import RAW

    sandbox.set_faults(FaultOptions(max_concurrency=1, latency_ms=1500))
    body = RAW.format(
        "<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>"
        '<m:FolderIds><t:DistinguishedFolderId Id="calendar"/></m:FolderIds></m:GetFolder>'
    )
    statuses: list[int] = []

    def post() -> None:
        statuses.append(requests.post(sandbox.endpoint, data=body, timeout=30).status_code)

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(statuses) == [200, 500]
