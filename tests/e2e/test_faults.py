"""Apply under throttling and dropped connections converges; a lost answer never duplicates a meeting;
sends are paced so the server's message-rate limit is never exceeded."""

from __future__ import annotations

from reconciler.apply import Pacer
from reconciler.sandbox import FaultOptions
from tests.e2e.conftest import REVIEW
from tests.fakes import FakeClock


def keys(project) -> list[str]:
    items = (
        project.account("lead@example.com")
        .calendar.filter(reconciler_key__exists=True)
        .only("reconciler_key")
    )
    return sorted(i.reconciler_key for i in items)


def test_busy_and_resets_converge_without_duplicates(project) -> None:
    for i in range(12):
        project.write(f"m{i}.yaml", REVIEW.replace("key: review", f"key: m{i}"))
    project.sandbox.set_faults(FaultOptions(busy_rate=0.3, busy_backoff_ms=5, reset_rate=0.05, seed=11))
    outcomes = []
    for _ in range(8):
        result = project.cli("apply", "--auto-approve")
        outcomes.append(result.exit_code)
        if result.exit_code == 0 and project.cli("plan", "--detailed-exitcode").exit_code == 0:
            break
    project.sandbox.set_faults(FaultOptions())
    assert project.cli("plan", "--detailed-exitcode").exit_code == 0, outcomes
    assert keys(project) == sorted(["review", "sync", *(f"m{i}" for i in range(12))])
    assert project.sandbox.faults.injected["busy"] > 0


def test_lost_create_answer_then_rerun_leaves_one_item(project) -> None:
    project.sandbox.set_faults(
        FaultOptions(reset_rate=1.0, phase="after", operations=frozenset({"CreateItem"}))
    )
    first = project.cli("apply", "--auto-approve")
    assert first.exit_code == 1
    project.sandbox.set_faults(FaultOptions())
    assert keys(project) == ["review", "sync"]  # the server created them; the client never heard
    second = project.cli("apply", "--auto-approve")
    assert second.exit_code == 0, second.output
    assert keys(project) == ["review", "sync"]
    assert project.cli("plan", "--detailed-exitcode").exit_code == 0


def test_sends_are_paced_to_the_message_rate(project) -> None:
    from reconciler import run

    for i in range(40):
        project.write(f"m{i}.yaml", REVIEW.replace("key: review", f"key: m{i}"))
    clock = FakeClock()
    project.sandbox.faults.clock = clock  # the server's rate window runs on the same clock
    project.sandbox.set_faults(FaultOptions(message_rate_per_minute=30))
    settings = run.settings_for(project.config)
    from reconciler.backends.factory import open_backend

    with open_backend(settings) as backend:
        planned = run.make_plan(settings, backend, run.load_desired(settings))
        assert planned.plan.messages == 42
        pacer = Pacer(30, clock=clock, sleep=clock.sleep)
        assert run.run_apply(settings, backend, planned, lambda line: None, pacers=lambda mailbox: pacer) == 0
    assert project.sandbox.rate_violations() == []
    assert pacer.waited >= 60  # 42 messages at 30 a minute take more than a minute
    assert len(keys(project)) == 42
