"""The pipeline steps' own logic (`reconciler/ci.py`): texts that fit each system's limit and say what
happened, and the push's header kept off the command line."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from reconciler import ci


@pytest.mark.parametrize("limit", [4_000, 65_536])
def test_the_plan_comment_fits_and_says_what_happened(limit: int) -> None:
    long_plan = "~ update m1: location\n" * 10_000
    shown = ci.plan_comment("2", long_plan, "", "https://ci.example/run/7", limit)
    assert shown.startswith(ci.MARKER) and len(shown) <= limit and "cut to fit" in shown
    failed = ci.plan_comment("1", "", "line\n" * 100 + "```the end```", "https://ci.example/run/7", limit)
    assert "### The plan failed" in failed and "'''the end'''" in failed and failed.count("\nline") == 59
    assert "(https://ci.example/run/7)" in failed
    never = ci.plan_comment("", "", "", "", limit)
    assert "the meeting files have problems" in never


def test_the_pull_request_body_fits_its_limit_with_the_edits_first() -> None:
    body = ci.pull_request_body("review.yaml: review: start\n", "~ plan line\n" * 5_000, 4_000)
    assert len(body) <= 4_000 and body.index("review.yaml") < body.index("~ plan line")
    assert body.rstrip().endswith("</details>")


def test_the_push_header_reaches_git_through_its_environment(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "--quiet", str(tmp_path)], check=True)
    said = ci._git(tmp_path, "config", "--get", "http.extraheader", header="AUTHORIZATION: bearer x")
    assert said.strip() == "AUTHORIZATION: bearer x"


def test_a_skipped_plan_posts_nothing() -> None:
    class Refusing:
        def comment(self, marker: str, body: str) -> tuple[str, str]:
            raise AssertionError("no comment for a skipped plan")

    assert "no comment" in ci.post_plan(Refusing(), "skipped", None, None)  # type: ignore[arg-type]
