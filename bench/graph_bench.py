"""The `graph` scenario: plan 1,000 managed meetings over Graph and over EWS, same mailboxes, 50 ms a request.

`reconciler sandbox serve --tls` in its own process holds the meetings (applied once over EWS, no delay),
then serves again with `--latency-ms 50` (added inside the server, once per HTTP request: a `$batch` is one
round trip); `reconciler plan` runs as its own process against it, once with `kind: ews` and once with
`kind: graph` (https, the token flow). Requests are those the plan reports reading (`observe_requests`),
plus the token request for Graph.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from contextlib import AbstractContextManager
from pathlib import Path

import yaml

from bench.common import Measurement, report, serve_sandbox
from bench.scale_project import write_project

BIN = Path(sys.executable).parent
SECRET = "bench-secret"
LATENCY_MS = 50
ORGANIZER = ("lead@example.com",)


def served(db: Path, ca: Path, latency_ms: int) -> AbstractContextManager[str]:
    """`reconciler sandbox serve --tls` on `db`; its https origin."""
    options = ("--tls", "--tls-ca", str(ca), "--latency-ms", str(latency_ms))
    return serve_sandbox(db, *options, env={"SANDBOX_PASSWORD": SECRET})


def target(kind: str, origin: str, ca: Path) -> dict:
    if kind == "graph":
        return {
            "kind": "graph",
            "endpoint": f"{origin}/v1.0",
            "authority": origin,
            "tenant_id_env": "T",
            "client_id_env": "C",
            "client_secret_env": "S",
            "ca_bundle": str(ca),
            "max_wait_seconds": 60,
        }
    return {
        "kind": "ews",
        "endpoint": f"{origin}/EWS/Exchange.asmx",
        "auth": "basic",
        "username_env": "U",
        "password_env": "S",
        "ca_bundle": str(ca),
        "max_wait_seconds": 60,
    }


def use(root: Path, kind: str, origin: str, ca: Path) -> None:
    config = yaml.safe_load((root / "reconciler.yaml").read_text())
    config["target"] = target(kind, origin, ca)
    (root / "reconciler.yaml").write_text(yaml.safe_dump(config))


def run(args: list[str], root: Path, expect: int) -> tuple[float, str]:
    env = {**os.environ, "T": "bench", "C": "bench", "S": SECRET, "U": "svc"}
    start = time.perf_counter()
    done = subprocess.run([str(BIN / "reconciler"), *args], cwd=root, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    if done.returncode != expect:
        raise SystemExit(f"{args}: exit {done.returncode}\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return seconds, done.stdout


def compare(n: int, root: Path) -> list[Measurement]:
    db, ca = root / "sandbox.sqlite3", root / "ca.pem"
    with served(db, ca, 0) as origin:
        write_project(root, n, f"{origin}/EWS/Exchange.asmx", ORGANIZER)
        use(root, "ews", origin, ca)
        run(["apply", "--auto-approve"], root, 0)
    rows = []
    with served(db, ca, LATENCY_MS) as origin:
        for kind, how in (("ews", ""), ("graph", "full read: EWS kept the snapshot")):
            use(root, kind, origin, ca)
            rows.append(_plan(root, n, kind, how))
        run(["apply", "--auto-approve"], root, 0)  # nothing to send: keeps Graph's own snapshot
        rows.append(_plan(root, n, "graph", "after an apply over Graph"))
        rows.append(_plan(root, n, "graph", "--full-read", "--full-read"))
    return rows


def _plan(root: Path, n: int, kind: str, how: str, *args: str) -> Measurement:
    seconds, out = run(["plan", "--format", "json", "--detailed-exitcode", *args], root, 0)
    requests = json.loads(out)["observe_requests"] + (1 if kind == "graph" else 0)
    row = Measurement(
        f"plan {n:,} managed, nothing to do, over {kind}{f' ({how})' if how else ''}", seconds, requests
    )
    row.extra["× latency floor"] = seconds / (requests * LATENCY_MS / 1000)
    return row


def main(n: int = 1000) -> None:
    with tempfile.TemporaryDirectory(prefix="graph-") as tmp:
        report(
            f"graph: plan of {n:,} meetings over EWS and over Graph, same mailboxes, "
            f"{LATENCY_MS} ms a request",
            compare(n, Path(tmp)),
        )


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
