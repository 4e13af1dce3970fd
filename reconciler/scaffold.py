"""`reconciler init`: a team's own meetings repository, ready to validate and plan at once.

The files come from `reconciler/templates/init/` (package data), with a few `@NAME@` placeholders filled in.
The workflows call a copy of this project's composite action (`.github/actions/reconcile`), which installs
the reconciler version pinned in `.github/reconciler/requirements.txt`; third-party actions are pinned by
commit SHA, and `.github/dependabot.yml` keeps both current. The pre-commit configuration pins the hook to the
same version, so a repository keeps working as the project moves on. With the sandbox target the workflows
skip (the action says why). With `ews` or `graph` they use two identities (`IDENTITIES`): the plan and
drift jobs a read identity (Graph `Calendars.Read`, an EWS Reviewer delegate), the apply job a write
identity, in the GitHub environment `reconciler-apply`, which the administrator limits to main, so no job a
pull request runs can reach it. Over Graph there is no secret at all: each job exchanges its GitHub OIDC
token for the app's (`target.federated: github`, `id-token: write` in those jobs alone), and the tenant and
client ids are variables. Existing files are never overwritten.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources
from pathlib import Path

from reconciler import REPOSITORY, __version__, pipelines
from reconciler.pipelines import filled

LOCAL_ACTION = "./.github/actions/reconcile"
TARGETS = ("sandbox", "ews", "graph")

COMMON = {
    "reconciler.yaml": "reconciler.yaml",
    "meetings/_defaults.yaml": "meetings/_defaults.yaml",
    "meetings/_groups.yaml": "meetings/_groups.yaml",
    "meetings/weekly-sync.yaml": "meetings/weekly-sync.yaml",
    "pre-commit-config.yaml": ".pre-commit-config.yaml",
    "gitignore": ".gitignore",
}
PIPELINES = {
    "github": {
        "github/workflows/validate.yml": ".github/workflows/validate.yml",
        "github/workflows/plan.yml": ".github/workflows/plan.yml",
        "github/workflows/apply.yml": ".github/workflows/apply.yml",
        "github/workflows/drift.yml": ".github/workflows/drift.yml",
        "github/actions/reconcile/action.yml": ".github/actions/reconcile/action.yml",
        "requirements.txt": ".github/reconciler/requirements.txt",
        "github/dependabot.yml": ".github/dependabot.yml",
    },
    "azure-devops": {
        "azure-devops/azure-pipelines.yml": "azure-pipelines.yml",
        "azure-devops/install.yml": ".azure-pipelines/install.yml",
        "requirements.txt": ".azure-pipelines/requirements.txt",
    },
    "gitlab": {
        "gitlab/gitlab-ci.yml": ".gitlab-ci.yml",
        "requirements.txt": ".gitlab/reconciler/requirements.txt",
    },
}
"""Per CI system: template (under templates/init/) → where it goes in the new repository."""
CI_SYSTEMS = tuple(PIPELINES)
FILES = {**COMMON, **PIPELINES["github"]}

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
  username_env: EWS_USERNAME    # names of environment variables (CI: the plan's or the apply's account)
  password_env: EWS_PASSWORD
  access: delegate              # plan: a Reviewer on each organizer's Calendar; apply: an Editor who may
                                # send on their behalf (or access: impersonation, one service account)
  # ca_bundle: certs/ca.pem     # a private CA; TLS verification is never switched off""",
    "graph": """target:
  kind: graph                   # Exchange Online over Microsoft Graph
  endpoint: https://graph.microsoft.com/v1.0
  authority: https://login.microsoftonline.com
  tenant_id_env: GRAPH_TENANT_ID        # names of environment variables (CI: repository variables)
  client_id_env: GRAPH_CLIENT_ID        # the plan's app (Calendars.Read) or the apply's (Calendars.ReadWrite)
  federated: github                     # no secret: the job's GitHub OIDC token stands for the app
  # client_secret_env: GRAPH_CLIENT_SECRET      # elsewhere: a secret,
  # certificate_path_env: GRAPH_CERTIFICATE     # or a PEM with certificate and key""",
}

ENVIRONMENT = "reconciler-apply"
"""The GitHub environment the apply job runs in (its write identity lives only there; limit it to main)."""
IDENTITIES = {
    ("ews", "read"): {
        "EWS_USERNAME": "secrets.EWS_READ_USERNAME",
        "EWS_PASSWORD": "secrets.EWS_READ_PASSWORD",
    },
    ("ews", "write"): {"EWS_USERNAME": "secrets.EWS_USERNAME", "EWS_PASSWORD": "secrets.EWS_PASSWORD"},
    ("graph", "read"): {
        "GRAPH_TENANT_ID": "vars.GRAPH_TENANT_ID",
        "GRAPH_CLIENT_ID": "vars.GRAPH_READ_CLIENT_ID",
    },
    ("graph", "write"): {
        "GRAPH_TENANT_ID": "vars.GRAPH_TENANT_ID",
        "GRAPH_CLIENT_ID": "vars.GRAPH_CLIENT_ID",
    },
}
"""What each job's identity is made of: the plan's (read) from repository secrets or variables, the apply's
(write) from the `reconciler-apply` environment's (EWS_USERNAME/PASSWORD, GRAPH_CLIENT_ID set there)."""


@dataclass(frozen=True)
class InitResult:
    written: tuple[Path, ...]
    skipped: tuple[Path, ...]


def option_problems(
    namespace: str, organizer: str, target: str, timezone: str, ci: str = "github", shards: int = 1
) -> list[str]:
    """What is wrong with `init`'s options, checked before anything is written."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from reconciler.desired.build import ADDRESS
    from reconciler.desired.schemas import load_schema

    problems = []
    if target not in TARGETS:
        problems.append(f"--target {target!r}: choose one of {', '.join(TARGETS)}")
    if ci not in CI_SYSTEMS:
        problems.append(f"--ci {ci!r}: choose one of {', '.join(CI_SYSTEMS)}")
    elif shards > 1 and ci != "github":
        problems.append(
            f"--shards {shards}: sharded pipelines are built for GitHub only; leave it at 1 on {ci}"
        )
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


def _env_block(indent: str, target: str, role: str) -> str:
    names = IDENTITIES.get((target, role), {})
    if not names:
        return ""
    lines = [f"{indent}env:"] + [f"{indent}  {n}: ${{{{ {source} }}}}" for n, source in names.items()]
    return "\n".join(lines) + "\n"


def _job_permissions(indent: str, target: str, scopes: str) -> str:
    """A job's own permissions: the workflow's, and over Graph the OIDC token it exchanges (no other job
    gets `id-token: write`)."""
    if target != "graph":
        return ""
    lines = [f"{indent}permissions:"] + [f"{indent}  {s.strip()}" for s in scopes.split(",")]
    lines.append(f"{indent}  id-token: write  # the GitHub OIDC token this job exchanges for the app's token")
    return "\n".join(lines) + "\n"


def _environment(indent: str, target: str) -> str:
    if target == "sandbox":
        return ""
    return f"{indent}environment: {ENVIRONMENT}  # the write identity lives only here; limit it to main\n"


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
    text = filled(text, "ENV", lambda at: _env_block(at, target, "read"))
    text = filled(text, "ENV_WRITE", lambda at: _env_block(at, target, "write"))
    text = filled(text, "APPLY_ENVIRONMENT", lambda at: _environment(at, target))
    return re.sub(
        r"^( *)@JOB_PERMISSIONS ([^@]*)@\n",
        lambda m: _job_permissions(m.group(1), target, m.group(2)),
        text,
        flags=re.M,
    )


def namespace_for(directory: Path) -> str:
    """A namespace from the directory's name: lower case, [a-z0-9-], never empty."""
    slug = re.sub(r"[^a-z0-9]+", "-", directory.resolve().name.lower()).strip("-")
    return slug[:64] or "meetings"


def next_monday(today: date) -> date:
    return today + timedelta(days=7 - today.weekday())


def _target_block(target: str, ci: str) -> str:
    block = TARGET_BLOCKS[target]
    if target == "graph" and ci != "github":
        how = {
            "azure-devops": "the service connection's OIDC token stands for the app",
            "gitlab": "the job's GitLab ID token stands for the app",
        }[ci]
        line = re.search(r"federated: github +# .*", block)
        assert line is not None
        block = block.replace(line.group(0), f"federated: {ci}{' ' * (27 - len(ci))}# no secret: {how}")
    return block


def render_all(
    namespace: str,
    organizer: str,
    target: str,
    timezone: str,
    today: date,
    shards: int = 1,
    ci: str = "github",
) -> dict[str, str]:
    """Every file of a new repository, by its path in that repository, with the pipelines of `ci`."""
    schema_base = f"https://raw.githubusercontent.com/{REPOSITORY}/v{__version__}/schemas"
    start = next_monday(today)
    domain = organizer.partition("@")[2]
    values = {
        "@NAMESPACE@": namespace,
        "@ORGANIZER@": organizer,
        "@TARGET@": _target_block(target, ci),
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
    for name, dest in {**COMMON, **PIPELINES[ci]}.items():
        if name.startswith("github/workflows/"):
            out[dest] = render_workflow(Path(name).stem, LOCAL_ACTION, target, shards)
            continue
        text = template(name)
        for placeholder, value in values.items():
            text = text.replace(placeholder, value)
        if ci in pipelines.RENDER and not name.startswith(("meetings/", "requirements")):
            text = pipelines.RENDER[ci](text, target)
        out[dest] = text
    return out


def init(
    directory: Path,
    namespace: str,
    organizer: str,
    target: str,
    timezone: str,
    today: date,
    shards: int = 1,
    ci: str = "github",
) -> InitResult:
    """Write the files that do not exist yet; list the ones left alone."""
    written: list[Path] = []
    skipped: list[Path] = []
    for dest, text in render_all(namespace, organizer, target, timezone, today, shards, ci).items():
        path = directory / dest
        if path.exists():
            skipped.append(path)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as handle:  # "x": never overwrite, even in a race
            handle.write(text)
        written.append(path)
    return InitResult(tuple(written), tuple(skipped))


GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
_REMOTE = re.compile(r"github\.com[:/]+([^/\s]+)/([^/\s]+?)(?:\.git)?/?$")


def github_repository(directory: Path) -> str | None:
    """`owner/name` of the repository's GitHub remote (origin), None when there is none to read."""
    import subprocess

    try:
        found = subprocess.run(
            ["git", "remote", "get-url", "origin"], cwd=directory, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    match = _REMOTE.search(found.stdout.strip()) if found.returncode == 0 else None
    return f"{match.group(1)}/{match.group(2)}" if match else None


def identities_text(target: str, repository: str | None, ci: str = "github") -> str:
    """What to set up for the two identities the pipelines use: the federated credential subjects and the
    commands that add them (Graph), or the accounts' secrets (EWS)."""
    if ci != "github":
        return pipelines.identities_text(target, ci)
    if target == "ews":
        return (
            "Two accounts (README: no secret in the repository): the plan's, a Reviewer on each organizer's "
            "Calendar, as repository secrets EWS_READ_USERNAME and EWS_READ_PASSWORD; the apply's, an Editor "
            f"who may send on their behalf, as secrets EWS_USERNAME and EWS_PASSWORD of the environment "
            f"{ENVIRONMENT} only (Settings → Environments; deployment branches: main)."
        )
    if target != "graph":
        return ""
    repo = repository or "<owner>/<repository>"
    read = (f"repo:{repo}:pull_request", f"repo:{repo}:ref:refs/heads/main")
    write = (f"repo:{repo}:environment:{ENVIRONMENT}",)
    lines = [
        "No secret (README: no secret in the repository): two apps, each trusting this repository's GitHub "
        "OIDC tokens through federated identity credentials.",
        "  the read app (Calendars.Read; plan and drift): repository variable GRAPH_READ_CLIENT_ID, subjects "
        + ", ".join(read),
        f"  the write app (Calendars.ReadWrite; apply): variable GRAPH_CLIENT_ID of the environment "
        f"{ENVIRONMENT} (deployment branches: main), subject {write[0]}",
        "  GRAPH_TENANT_ID: a repository variable. The commands:",
    ]
    for app, subjects in (("<read app id>", read), ("<write app id>", write)):
        for n, subject in enumerate(subjects, 1):
            body = (
                f'{{"name": "reconciler-{n}-{subject.rsplit(":", 1)[-1].replace("/", "-")}", '
                f'"issuer": "{GITHUB_ISSUER}", "subject": "{subject}", '
                '"audiences": ["api://AzureADTokenExchange"]}'
            )
            lines.append(f"  az ad app federated-credential create --id {app} --parameters '{body}'")
    if repository is None:
        lines.append("  (no GitHub remote here: put the repository's owner/name in the subjects above.)")
    lines.append(
        "  Repositories created or renamed after mid-2026 may get immutable subjects "
        "(repo:OWNER@ID/REPO@ID:...), which cannot be known offline: a refused token names the subject the "
        "job presented."
    )
    return "\n".join(lines)
