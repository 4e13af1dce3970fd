"""`reconciler init`: a team's own meetings repository, ready to validate and plan at once.

The files come from `reconciler/templates/init/` (package data), with a few `@NAME@` placeholders filled in.
The workflows call a copy of this project's composite action (`.github/actions/reconcile`), which installs
the reconciler version pinned in `.github/reconciler/requirements.txt`; third-party actions are pinned by
commit SHA, and `.github/dependabot.yml` keeps both current. The pre-commit configuration pins the hook to the
same version, so a repository keeps working as the project moves on. With the sandbox target the workflows
skip (the action says why); with `ews` or `graph` they hand that target's secrets to the commands.
Existing files are never overwritten.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources
from pathlib import Path

from reconciler import REPOSITORY, __version__

LOCAL_ACTION = "./.github/actions/reconcile"
TARGETS = ("sandbox", "ews", "graph")

FILES = {
    "reconciler.yaml": "reconciler.yaml",
    "meetings/_defaults.yaml": "meetings/_defaults.yaml",
    "meetings/_groups.yaml": "meetings/_groups.yaml",
    "meetings/weekly-sync.yaml": "meetings/weekly-sync.yaml",
    "github/workflows/validate.yml": ".github/workflows/validate.yml",
    "github/workflows/plan.yml": ".github/workflows/plan.yml",
    "github/workflows/apply.yml": ".github/workflows/apply.yml",
    "github/workflows/drift.yml": ".github/workflows/drift.yml",
    "github/actions/reconcile/action.yml": ".github/actions/reconcile/action.yml",
    "github/reconciler/requirements.txt": ".github/reconciler/requirements.txt",
    "github/dependabot.yml": ".github/dependabot.yml",
    "pre-commit-config.yaml": ".pre-commit-config.yaml",
    "gitignore": ".gitignore",
}
"""Template (under templates/init/) → where it goes in the new repository."""

TARGET_BLOCKS = {
    "sandbox": """target:
  kind: sandbox                 # the embedded sandbox: try plans and applies without Exchange
  path: .reconciler/sandbox.sqlite3
  # protocol: graph             # speak to the sandbox as to Exchange Online (default: ews)
  # Exchange Server (on-premises) over EWS:
  # kind: ews
  # endpoint: https://mail.example.com/EWS/Exchange.asmx
  # auth: basic                 # basic | ntlm | oauth2 | none
  # username_env: EWS_USERNAME
  # password_env: EWS_PASSWORD
  # access: impersonation       # one service account acts for each organizer""",
    "ews": """target:
  kind: ews                     # Exchange Server (on-premises) over EWS
  endpoint: https://mail.example.com/EWS/Exchange.asmx   # your server's EWS URL
  auth: basic                   # basic | ntlm | oauth2 | none
  username_env: EWS_USERNAME    # names of environment variables (repository secrets in CI)
  password_env: EWS_PASSWORD
  access: impersonation         # one service account acts for each organizer
  # ca_bundle: certs/ca.pem     # a private CA; TLS verification is never switched off""",
    "graph": """target:
  kind: graph                   # Exchange Online over Microsoft Graph
  endpoint: https://graph.microsoft.com/v1.0
  authority: https://login.microsoftonline.com
  tenant_id_env: GRAPH_TENANT_ID        # names of environment variables (repository secrets in CI)
  client_id_env: GRAPH_CLIENT_ID
  client_secret_env: GRAPH_CLIENT_SECRET
  # certificate_path_env: GRAPH_CERTIFICATE  # instead of a secret: a PEM with certificate and key""",
}

SECRETS = {
    "sandbox": (),
    "ews": ("EWS_USERNAME", "EWS_PASSWORD"),
    "graph": ("GRAPH_TENANT_ID", "GRAPH_CLIENT_ID", "GRAPH_CLIENT_SECRET"),
}
"""The environment variables each kind of target reads, handed to the workflows from repository secrets."""


@dataclass(frozen=True)
class InitResult:
    written: tuple[Path, ...]
    skipped: tuple[Path, ...]


def option_problems(namespace: str, organizer: str, target: str, timezone: str) -> list[str]:
    """What is wrong with `init`'s options, checked before anything is written."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from reconciler.desired.build import ADDRESS
    from reconciler.desired.schemas import load_schema

    problems = []
    if target not in TARGETS:
        problems.append(f"--target {target!r}: choose one of {', '.join(TARGETS)}")
    if not ADDRESS.match(organizer):
        problems.append(f"--organizer {organizer!r} is not an e-mail address (e.g. lead@example.com)")
    rule = load_schema("config")["properties"]["namespace"]
    if not re.match(rule["pattern"], namespace) or len(namespace) > rule["maxLength"]:
        problems.append(f"--namespace {namespace!r}: use {rule['x-hint']}, at most {rule['maxLength']}")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"--timezone {timezone!r} is not an IANA time zone name (e.g. Europe/Amsterdam)")
    return problems


def template(name: str) -> str:
    return (resources.files("reconciler") / "templates" / "init" / name).read_text(encoding="utf-8")


def _env_block(indent: str, target: str) -> str:
    names = SECRETS[target]
    if not names:
        return ""
    lines = [f"{indent}env:"] + [f"{indent}  {n}: ${{{{ secrets.{n} }}}}" for n in names]
    return "\n".join(lines) + "\n"


SHARDED = ("plan", "apply", "drift")
"""Workflows with a job per shard of the organizers under `init --shards N` (templates/init/.../sharded/)."""


def render_workflow(name: str, action: str, target: str, shards: int = 1) -> str:
    """A workflow template with the action reference and the secrets its target needs filled in; with
    `shards` > 1, its sharded form: a job matrix over `--shard K/N`, the plans merged for the comment and
    for the thresholds."""
    folder = "github/workflows/sharded" if shards > 1 and name in SHARDED else "github/workflows"
    text = template(f"{folder}/{name}.yml").replace("@ACTION@", action)
    text = text.replace("@SHARD_LIST@", ", ".join(str(k) for k in range(1, shards + 1)))
    text = text.replace("@SHARDS@", str(shards))
    return re.sub(r"^( *)@ENV@\n", lambda m: _env_block(m.group(1), target), text, flags=re.M)


def namespace_for(directory: Path) -> str:
    """A namespace from the directory's name: lower case, [a-z0-9-], never empty."""
    slug = re.sub(r"[^a-z0-9]+", "-", directory.resolve().name.lower()).strip("-")
    return slug[:64] or "meetings"


def next_monday(today: date) -> date:
    return today + timedelta(days=7 - today.weekday())


def render_all(
    namespace: str, organizer: str, target: str, timezone: str, today: date, shards: int = 1
) -> dict[str, str]:
    """Every file of a new repository, by its path in that repository."""
    schema_base = f"https://raw.githubusercontent.com/{REPOSITORY}/v{__version__}/schemas"
    start = next_monday(today)
    domain = organizer.partition("@")[2]
    values = {
        "@NAMESPACE@": namespace,
        "@ORGANIZER@": organizer,
        "@TARGET@": TARGET_BLOCKS[target],
        "@ALLOWED@": f"*@{domain}" if domain else "*",
        "@TIMEZONE@": timezone,
        "@START@": start.isoformat(),
        "@WEEKDAY@": start.strftime("%a").lower(),
        "@SCHEMA_URL@": f"{schema_base}/meeting.schema.json",
        "@CONFIG_SCHEMA_URL@": f"{schema_base}/config.schema.json",
        "@REPOSITORY_URL@": f"https://github.com/{REPOSITORY}",
        "@VERSION@": __version__,
    }
    out: dict[str, str] = {}
    for name, dest in FILES.items():
        if name.startswith("github/workflows/"):
            out[dest] = render_workflow(Path(name).stem, LOCAL_ACTION, target, shards)
            continue
        text = template(name)
        for placeholder, value in values.items():
            text = text.replace(placeholder, value)
        out[dest] = text
    return out


def init(
    directory: Path, namespace: str, organizer: str, target: str, timezone: str, today: date, shards: int = 1
) -> InitResult:
    """Write the files that do not exist yet; list the ones left alone."""
    written: list[Path] = []
    skipped: list[Path] = []
    for dest, text in render_all(namespace, organizer, target, timezone, today, shards).items():
        path = directory / dest
        if path.exists():
            skipped.append(path)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as handle:  # "x": never overwrite, even in a race
            handle.write(text)
        written.append(path)
    return InitResult(tuple(written), tuple(skipped))
