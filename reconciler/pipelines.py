"""`init --ci azure-devops|gitlab`: the same three flows as the GitHub workflows, in each system's own terms.

Plan on every pull (merge) request with one comment each run rewrites, apply on the default branch (one at a
time, never cancelled, behind the system's environment), a scheduled drift report with a pull request of
the calendar edits. Each step is `reconciler ci run|comment|pull-request` (`ci.py`), so the pipelines hold
no logic of their own. The identities are kept apart as on GitHub:

- Azure DevOps: EWS accounts in two variable groups, `reconciler-read` (plan, drift) and
  `reconciler-write` (the apply stage only; its branch control check allows main); Graph through two
  workload identity federation service connections of the same names, each step that reads or writes a
  calendar an `AzureCLI@2` step of its connection (whose checks guard it), the app's token exchanged for
  the connection's OIDC token (`target.federated: azure-devops`).
- GitLab: the read account in masked variables (`EWS_READ_*`, `GRAPH_READ_CLIENT_ID`), the write identity
  in protected variables scoped to the environment `reconciler-apply`, so no merge request pipeline sees
  them; over Graph no secret: each job's `id_tokens` (`target.federated: gitlab`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

AZURE_GROUPS = {"read": "reconciler-read", "write": "reconciler-write"}
"""The variable groups (EWS) or service connections (Graph) of each identity."""
AZURE_EWS_ENV = {
    "read": {"EWS_USERNAME": "EWS_READ_USERNAME", "EWS_PASSWORD": "EWS_READ_PASSWORD"},
    "write": {"EWS_USERNAME": "EWS_USERNAME", "EWS_PASSWORD": "EWS_PASSWORD"},
}
"""Secret variables reach a script only when mapped: the EWS account's, per identity."""
GITLAB_IDENTITY = {
    ("ews", "read"): {
        "variables": {"EWS_USERNAME": "$EWS_READ_USERNAME", "EWS_PASSWORD": "$EWS_READ_PASSWORD"}
    },
    ("graph", "read"): {"variables": {"GRAPH_CLIENT_ID": "$GRAPH_READ_CLIENT_ID"}, "id_tokens": True},
    ("graph", "write"): {"id_tokens": True},
}


def filled(text: str, name: str, block: Callable[[str], str]) -> str:
    """`text` with each line that holds only `@NAME@` replaced by `block(that line's indentation)`."""
    return re.sub(rf"^( *)@{name}@\n", lambda m: block(m.group(1)), text, flags=re.M)


def _azure_run(indent: str, name: str, role: str, target: str, line: str) -> str:
    """One calendar command as a step: a script with the EWS account mapped, or over Graph an AzureCLI@2
    step of the identity's service connection (its app id and tenant exported for the reconciler)."""
    command, _, condition = line.partition(" | ")
    run = f"reconciler ci run --system azure-devops {command.strip()}"
    if target == "graph":
        lines = [
            "- task: AzureCLI@2",
            f"  name: {name}",
            f"  displayName: reconciler {name}",
            *([f"  condition: {condition}"] if condition else []),
            "  inputs:",
            f"    azureSubscription: {AZURE_GROUPS[role]}  # the {role} app's service connection",
            "    addSpnToEnvironment: true",
            "    scriptType: bash",
            "    scriptLocation: inlineScript",
            "    inlineScript: |",
            '      export GRAPH_TENANT_ID="$tenantId" GRAPH_CLIENT_ID="$servicePrincipalId"',
            f"      {run}",
            "  env:",
            "    SYSTEM_ACCESSTOKEN: $(System.AccessToken)  # asks for the connection's OIDC token",
        ]
    else:
        env = AZURE_EWS_ENV[role] if target == "ews" else {}
        lines = [
            f"- script: {run}",
            f"  name: {name}",
            f"  displayName: reconciler {name}",
            *([f"  condition: {condition}"] if condition else []),
            *(["  env:"] + [f"    {k}: $({v})" for k, v in env.items()] if env else []),
        ]
    return "".join(f"{indent}{text}\n" for text in lines)


def _azure_variables(indent: str, target: str, role: str) -> str:
    if target != "ews":
        return ""
    return f"{indent}variables:\n{indent}  - group: {AZURE_GROUPS[role]}\n"


def _identity_names(target: str, role: str) -> str:
    kind = {"ews": "the variable group", "graph": "the service connection"}.get(target)
    return f"{kind} {AZURE_GROUPS[role]}" if kind else "none yet: the target is the embedded sandbox"


def render_azure(text: str, target: str) -> str:
    """azure-pipelines.yml for `target`: its RUN steps, variable groups and identity names filled in."""
    text = text.replace("@READ_NAME@", _identity_names(target, "read"))
    text = text.replace("@WRITE_NAME@", _identity_names(target, "write"))
    text = re.sub(
        r"^( *)@RUN (\w+) (read|write) ([^@]*)@\n",
        lambda m: _azure_run(m.group(1), m.group(2), m.group(3), target, m.group(4)),
        text,
        flags=re.M,
    )
    for role in ("read", "write"):
        text = filled(text, f"{role.upper()}_VARIABLES", lambda at, r=role: _azure_variables(at, target, r))
    return text


def _gitlab_identity(indent: str, target: str, role: str) -> str:
    found = GITLAB_IDENTITY.get((target, role), {})
    lines: list[str] = []
    if found.get("variables"):
        lines += ["variables:"] + [f"  {k}: {v}" for k, v in found["variables"].items()]  # type: ignore[union-attr]
    if found.get("id_tokens"):
        lines += [
            "id_tokens:  # the job's OIDC token, exchanged for the app's (no secret)",
            "  GRAPH_ID_TOKEN:",
            "    aud: api://AzureADTokenExchange",
        ]
    if not lines and role == "read":
        lines = ["variables: {}"]
    return "".join(f"{indent}{text}\n" for text in lines)


def render_gitlab(text: str, target: str) -> str:
    """.gitlab-ci.yml for `target`: each job's identity filled in."""
    for role in ("read", "write"):
        text = filled(text, f"{role.upper()}_IDENTITY", lambda at, r=role: _gitlab_identity(at, target, r))
    return text


RENDER = {"azure-devops": render_azure, "gitlab": render_gitlab}

SETUP = {
    ("azure-devops", "ews"): (
        "Two accounts (README: Azure DevOps): the plan's, a Reviewer on each organizer's Calendar, as "
        "secret variables EWS_READ_USERNAME and EWS_READ_PASSWORD of the variable group reconciler-read; "
        "the apply's, an Editor who may send on their behalf, as EWS_USERNAME and EWS_PASSWORD of the "
        "variable group reconciler-write, with a Branch control check (refs/heads/main). The environment "
        "reconciler-apply with an Exclusive Lock check (and approvals if you want them), and a Build "
        "Validation policy on main for this pipeline (Azure Repos ignores `pr:`). The project's build "
        "service: Contribute to pull requests; Contribute and Force push on reconciler/calendar-edits."
    ),
    ("azure-devops", "graph"): (
        "No secret (README: Azure DevOps): two Azure Resource Manager service connections with workload "
        "identity federation, reconciler-read (the read app, Calendars.Read) and reconciler-write (the "
        "write app, Calendars.ReadWrite; checks: Branch control refs/heads/main). Each app trusts its "
        "connection's subject sc://<organization>/<project>/<connection> from the issuer the connection "
        "shows. The environment reconciler-apply with an Exclusive Lock check, and a Build Validation "
        "policy on main."
    ),
    ("gitlab", "ews"): (
        "Two accounts (README: GitLab): the plan's as masked variables EWS_READ_USERNAME and "
        "EWS_READ_PASSWORD; the apply's as EWS_USERNAME and EWS_PASSWORD, protected, masked and scoped to"
        " the environment reconciler-apply (protect the default branch and that environment). "
        "GITLAB_TOKEN: a project access token (Developer, api scope), masked. Two pipeline schedules on "
        "the default branch, the daily one with RECONCILER_FULL_READ=true; resource group "
        "reconciler-apply: oldest_first."
    ),
    ("gitlab", "graph"): (
        "No secret (README: GitLab): two apps trusting this project's ID tokens (issuer "
        "https://gitlab.com or your instance): the read app (Calendars.Read) by a flexible federated "
        "identity credential matching claims['sub'] against "
        "'project_path:<group>/<project>:ref_type:branch:ref:*', its id in the masked variable "
        "GRAPH_READ_CLIENT_ID; the write app (Calendars.ReadWrite) by the subject "
        "project_path:<group>/<project>:ref_type:branch:ref:<default branch>, its id in GRAPH_CLIENT_ID, "
        "protected and scoped to the environment reconciler-apply; GRAPH_TENANT_ID a variable; "
        "GITLAB_TOKEN a project access token (Developer, api scope); two pipeline schedules, the daily "
        "one with RECONCILER_FULL_READ=true."
    ),
}


def identities_text(target: str, ci: str) -> str:
    """What an administrator sets up on `ci` for the two identities (and the rest the pipeline needs)."""
    return SETUP.get((ci, target), "")
