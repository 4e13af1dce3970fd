"""`reconciler.yaml` → `Settings`: the namespace, where meetings live, the target and the policy.

Secrets never enter `Settings`: the file names environment variables, and the backend reads them when it
connects. Plain http and switched-off TLS verification are allowed for loopback endpoints only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from reconciler.desired.problems import Problem
from reconciler.desired.validate import KeyProblem, schema_problems
from reconciler.desired.yamlsource import read_documents

DEFAULT_FILE = "reconciler.yaml"
GRAPH_ENDPOINT = "https://graph.microsoft.com/v1.0"
ENV_VAR = "RECONCILER_CONFIG"
GRAPH_SENDS = (
    "a graph target cannot {op} silently: Microsoft Graph sends invitations, updates and cancellations "
    "itself and has no option to save without notifying; use all (or changed), or an ews target"
)


class ConfigError(Exception):
    """The configuration cannot be used; `problems` say where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Notify:
    create: str = "all"
    update: str = "all"
    cancel: str = "all"


@dataclass(frozen=True)
class Policy:
    notify: Notify = field(default_factory=Notify)
    prune: bool = True
    max_cancellations: int = 5
    max_change_percent: float = 30
    allowed_organizers: tuple[str, ...] = ("*",)
    message_rate_per_minute: float = 30
    recipients_per_day: int = 10_000
    cancellation_message: str = "This meeting was removed from the team calendar repository."
    lease_ttl_seconds: float = 120
    conflicts: str = "warn"
    conflict_horizon_weeks: int = 26
    rooms: str = "warn"
    room_booking_window_days: int = 180


@dataclass(frozen=True)
class Target:
    kind: str = "sandbox"
    protocol: str = "ews"
    """sandbox only: the protocol spoken to the embedded sandbox."""
    path: str = ".reconciler/sandbox.sqlite3"
    directory: str | None = None
    """sandbox only: a YAML file naming people and rooms (display names, room settings)."""
    endpoint: str | None = None
    auth: str = "basic"
    username_env: str | None = None
    password_env: str | None = None
    tenant_id_env: str | None = None
    client_id_env: str | None = None
    client_secret_env: str | None = None
    certificate_path_env: str | None = None
    federated: str | None = None
    """graph: `github`, `azure-devops`, `gitlab` or `token-file`: no secret but a CI system's OIDC token
    (`graph/federated.py`)."""
    federated_token_file_env: str = "AZURE_FEDERATED_TOKEN_FILE"
    authority: str = "https://login.microsoftonline.com"
    ca_bundle: str | None = None
    access: str = "impersonation"
    verify_tls: bool = True
    max_wait_seconds: float = 120

    @property
    def speaks(self) -> str:
        """The protocol the reconciler speaks to this target: `ews` or `graph`."""
        return "graph" if self.kind == "graph" or self.protocol == "graph" else "ews"


@dataclass(frozen=True)
class Settings:
    namespace: str
    meetings: Path
    target: Target = field(default_factory=Target)
    organizers: tuple[str, ...] = ()
    policy: Policy = field(default_factory=Policy)
    source: Path | None = None


def is_loopback(url: str) -> bool:
    host = (urlparse(url).hostname or "").lower()
    return host in ("localhost", "::1") or host.startswith("127.")


def config_path(path: Path | None) -> Path:
    return path or Path(os.environ.get(ENV_VAR) or DEFAULT_FILE)


def _disallowed_organizers(data: dict) -> list[Problem]:
    """Listed organizers the policy does not allow acting for: found by `validate`, at their line, rather
    than refused by the first `plan`."""
    from fnmatch import fnmatch

    patterns = [
        p.lower() for p in (data.get("policy") or {}).get("allowed_organizers", Policy.allowed_organizers)
    ]
    return [
        Problem(
            ("organizers", i),
            f"{organizer} is not allowed by policy.allowed_organizers ({', '.join(patterns)}); add a pattern "
            "that matches it there, or remove it here",
        )
        for i, organizer in enumerate(data.get("organizers") or ())
        if not any(fnmatch(str(organizer).lower(), p) for p in patterns)
    ]


def load_config(path: Path | None = None) -> Settings:
    """Settings from `path`, `$RECONCILER_CONFIG` or `./reconciler.yaml`; `ConfigError` when unusable."""
    path = config_path(path)
    if not path.is_file():
        raise ConfigError(
            [Problem((), f"no configuration file; create {path} or pass --config").located(str(path), 1, 1)]
        )
    docs, problems = read_documents(path)
    if problems:
        raise ConfigError(problems)
    if len(docs) != 1 or not isinstance(docs[0].data, dict):
        raise ConfigError([Problem((), "must hold one mapping of settings").located(str(path), 1, 1)])
    doc = docs[0]
    found = schema_problems(doc.data, "config")
    data = doc.data
    target = data.get("target", {})
    endpoint = target.get("endpoint") if isinstance(target, dict) else None
    if not found and target.get("kind") in ("ews", "graph") and endpoint and not is_loopback(endpoint):
        if endpoint.startswith("http://"):
            found.append(
                Problem(("target", "endpoint"), "plain http is allowed only for loopback; use https")
            )
        if target.get("verify_tls") is False:
            found.append(
                Problem(
                    ("target", "verify_tls"),
                    "TLS verification cannot be switched off for a non-loopback endpoint",
                )
            )
    if not found and isinstance(target, dict) and "graph" in (target.get("kind"), target.get("protocol")):
        notify = (data.get("policy") or {}).get("notify") or {}
        found += [
            Problem(("policy", "notify", op), GRAPH_SENDS.format(op=op))
            for op in ("create", "update", "cancel")
            if notify.get(op) == "none"
        ]
    if not found:
        found += _disallowed_organizers(data)
    if found:
        raise ConfigError(
            [p.located(str(path), *doc.locate(p.path, at_key=isinstance(p, KeyProblem))) for p in found]
        )
    base = path.parent
    policy = dict(data.get("policy", {}))
    notify = Notify(**policy.pop("notify", {}))
    if "allowed_organizers" in policy:
        policy["allowed_organizers"] = tuple(policy["allowed_organizers"])
    target_fields = dict(target)
    if target_fields.get("kind", "sandbox") == "sandbox":
        db = target_fields.get("path", Target.path)
        target_fields["path"] = db if db == ":memory:" else str(base / db)
    if target_fields.get("kind") == "graph":
        target_fields.setdefault("endpoint", GRAPH_ENDPOINT)
    for name in ("ca_bundle", "directory"):
        if name in target_fields:
            target_fields[name] = str(base / target_fields[name])
    return Settings(
        organizers=tuple(o.lower() for o in data.get("organizers", ())),
        namespace=data["namespace"],
        meetings=base / data.get("meetings", "meetings"),
        target=Target(**target_fields),
        policy=Policy(notify=notify, **policy),
        source=path,
    )
