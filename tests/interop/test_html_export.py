"""`export html` in a real browser: headless Chromium (Debian's `chromium`, installed by `make interop`)
loads the pages from disk and the test checks what a person sees, measured by the browser's own layout:
each meeting of the week in its day column at its hour, a double booking marked in red. A screenshot of
the page is kept under build/test-artifacts/.

The measuring script is added to a copy of the page (the site itself has no script): it reads the boxes the
browser laid out and writes them into the page, which `--dump-dom` prints.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reconciler.cli import app
from tests.unit.test_week_site import MEETINGS

pytestmark = [pytest.mark.interop, pytest.mark.timeout(300)]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "build" / "test-artifacts"
PROBE = """<script>
const box = (e) => e.getBoundingClientRect();
const seen = {
  days: [...document.querySelectorAll(".day")].map((d) => ({day: d.dataset.day, left: box(d).left,
                                                             right: box(d).right})),
  hours: [...document.querySelectorAll(".hour")].map((h) => ({hour: +h.dataset.hour,
                                                               y: box(h).top + box(h).height / 2})),
  blocks: [...document.querySelectorAll(".day .block")].map((b) => ({
    key: b.dataset.key, start: b.dataset.start, x: (box(b).left + box(b).right) / 2, top: box(b).top,
    width: box(b).width, text: b.innerText, border: getComputedStyle(b).borderTopColor,
    line: getComputedStyle(b).textDecorationLine})),
};
const out = document.createElement("pre");
out.id = "probe";
out.textContent = JSON.stringify(seen);
document.body.appendChild(out);
</script>"""


def chromium(*args: str) -> str:
    browser = shutil.which("chromium")
    assert browser, "make interop installs Debian's chromium"
    done = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HOME": str(ARTIFACTS)},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_the_week_as_a_person_sees_it_in_chromium(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name, text in MEETINGS.items():
        path = tmp_path / "meetings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (tmp_path / "reconciler.yaml").write_text("namespace: acme\norganizers: [lead@example.com]\n")
    result = CliRunner().invoke(app, ["export", "html", "--out", "site", "--week", "2027-01-04"])
    assert result.exit_code == 0, result.output
    page = tmp_path / "site" / "people" / "bob@example.com.html"
    probe = page.with_name("probe.html")
    probe.write_text(page.read_text().replace("</body>", PROBE + "</body>"))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    dom = chromium("--window-size=1400,1000", "--virtual-time-budget=3000", "--dump-dom", probe.as_uri())
    seen = json.loads(re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S)[1].replace("&quot;", '"'))
    columns = {d["day"]: d for d in seen["days"]}
    line = {h["hour"]: h["y"] for h in seen["hours"]}
    hour_px = line[10] - line[9]
    assert len(columns) == 7 and hour_px > 20
    expected = {  # bob's week: the stand-up (skipped Wednesday, moved Thursday) and the review on Tuesday
        ("standup", "2027-01-04T09:30"),
        ("standup", "2027-01-05T09:30"),
        ("review", "2027-01-05T09:00"),
        ("standup", "2027-01-06T09:30"),
        ("standup", "2027-01-07T11:00"),
        ("standup", "2027-01-08T09:30"),
    }
    assert {(b["key"], b["start"]) for b in seen["blocks"]} == expected
    for b in seen["blocks"]:
        day, clock = b["start"].split("T")
        hour, minute = map(int, clock.split(":"))
        column = columns[day]
        assert column["left"] <= b["x"] <= column["right"], b  # in its day's column
        assert abs(b["top"] - (line[hour] + minute / 60 * hour_px)) <= 1.5, b  # at its hour
        assert b["width"] > 40, b
    tuesday = [b for b in seen["blocks"] if b["start"].startswith("2027-01-05")]
    for b in tuesday:  # both meetings of Tuesday morning book bob: marked in red, and said in words
        assert "double booked with" in b["text"] and b["border"] == "rgb(207, 34, 46)", b
    left, right = sorted(tuesday, key=lambda b: b["x"])  # side by side, neither hiding the other
    assert left["x"] + left["width"] / 2 <= right["x"] - right["width"] / 2 + 1
    wednesday = next(b for b in seen["blocks"] if b["start"].startswith("2027-01-06"))
    assert wednesday["line"] == "line-through" and "skipped" in wednesday["text"]  # where it would have been
    thursday = next(b for b in seen["blocks"] if b["start"].startswith("2027-01-07"))
    assert "moved from Thu 07 Jan 09:30" in thursday["text"]
    assert all("double booked" not in b["text"] for b in seen["blocks"] if b not in tuesday)

    shot = ARTIFACTS / "week-bob.png"
    chromium("--window-size=1400,1000", f"--screenshot={shot}", page.as_uri())
    assert shot.stat().st_size > 10_000 and shot.read_bytes().startswith(b"\x89PNG")
