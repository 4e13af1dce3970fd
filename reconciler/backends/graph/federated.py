"""Workload identity federation: the app's token for a CI system's OpenID Connect token, no secret at all.

The client credentials grant is sent with `client_assertion_type=urn:ietf:params:oauth:client-assertion-
type:jwt-bearer` and `client_assertion=<the CI system's token>`; Entra ID accepts it when the token's
issuer, subject and audience (`api://AzureADTokenExchange`) match a federated identity credential on the
app, exactly. msal takes the assertion as a callable (`client_credential={"client_assertion": ...}`) and
calls it whenever it needs a new access token, so a long apply fetches a fresh assertion each time its token
is about to expire (the CI token itself lives minutes).

Where the assertion comes from (`target.federated`):
- `github`: GitHub Actions' OIDC service. A job with `permissions: id-token: write` has
  `ACTIONS_ID_TOKEN_REQUEST_URL` and `ACTIONS_ID_TOKEN_REQUEST_TOKEN`; a GET of the URL with
  `&audience=api://AzureADTokenExchange` and `Authorization: bearer <request token>` answers
  `{"value": "<JWT>"}` ("Configuring OpenID Connect in cloud providers").
- `azure-devops`: Azure Pipelines' OIDC token REST API. In an `AzureCLI@2` step whose service connection
  uses workload identity federation, `POST $SYSTEM_OIDCREQUESTURI?api-version=7.1&serviceConnectionId=
  $AZURESUBSCRIPTION_SERVICE_CONNECTION_ID` with `Authorization: Bearer $(System.AccessToken)` answers
  `{"oidcToken": "<JWT>"}` (the release notes of sprint 240, "Requesting a fresh idToken"); the token is
  the connection's (issuer `https://vstoken.dev.azure.com/{organization id}`, subject
  `sc://{organization}/{project}/{connection}`), so the connection's checks guard the app.
- `gitlab`: the ID token GitLab CI puts in `GRAPH_ID_TOKEN` for a job declaring `id_tokens: GRAPH_ID_TOKEN:
  aud: api://AzureADTokenExchange` (subject `project_path:{group}/{project}:ref_type:branch:ref:{branch}`).
- `token-file`: a file the platform keeps current (Kubernetes' projected service-account token), whose path
  the variable `federated_token_file_env` names (`AZURE_FEDERATED_TOKEN_FILE`, as azure-identity's workload
  identity credential reads it).

Neither the request token nor the assertion is ever printed; an error names the claims Entra compares
(issuer, subject, audience), which are not secrets, so that the administrator knows what to add.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from pathlib import Path

import requests

from reconciler.backends.base import BackendError

AUDIENCE = "api://AzureADTokenExchange"
URL_ENV, TOKEN_ENV = "ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"
AZURE_ENV = ("SYSTEM_OIDCREQUESTURI", "AZURESUBSCRIPTION_SERVICE_CONNECTION_ID", "SYSTEM_ACCESSTOKEN")
GITLAB_ENV = "GRAPH_ID_TOKEN"
TIMEOUT = 30


def source(kind: str, file_env: str) -> Callable[[], str]:
    """The callable msal calls for each new assertion; a `BackendError` at once when the environment lacks
    what it needs (the job runs without `id-token: write`, the file's variable is unset)."""
    if kind == "github":
        url, token = os.environ.get(URL_ENV), os.environ.get(TOKEN_ENV)
        if not url or not token:
            raise BackendError(
                f"target.federated: github needs {URL_ENV} and {TOKEN_ENV}, which GitHub Actions sets only "
                "in a job with `permissions: id-token: write`: add it to the job (pull requests from forks "
                "never get it)"
            )
        return lambda: _from_github(url, token)
    if kind == "azure-devops":
        missing = [n for n in AZURE_ENV if not os.environ.get(n)]
        if missing:
            raise BackendError(
                f"target.federated: azure-devops needs {', '.join(missing)}: run the reconciler in an "
                "AzureCLI@2 step with a workload identity federation service connection and map "
                "SYSTEM_ACCESSTOKEN: $(System.AccessToken) (README: On Azure DevOps)"
            )
        uri, connection, access = (os.environ[n] for n in AZURE_ENV)
        return lambda: _from_azure_devops(uri, connection, access)
    if kind == "gitlab":
        if not os.environ.get(GITLAB_ENV):
            raise BackendError(
                f"target.federated: gitlab needs ${GITLAB_ENV}: declare it in the job "
                f"(id_tokens: {GITLAB_ENV}: aud: {AUDIENCE})"
            )
        return lambda: os.environ[GITLAB_ENV].strip()
    path = os.environ.get(file_env)
    if not path:
        raise BackendError(f"target.federated: token-file needs ${file_env}, the path of the CI token's file")
    return lambda: _from_file(Path(path), file_env)


def _from_github(url: str, token: str) -> str:
    joined = f"{url}{'&' if '?' in url else '?'}audience={AUDIENCE}"
    try:
        answer = requests.get(joined, headers={"Authorization": f"bearer {token}"}, timeout=TIMEOUT)
    except requests.RequestException as exc:
        raise BackendError(f"cannot reach GitHub's OIDC service ({type(exc).__name__})") from None
    if answer.status_code != 200:
        raise BackendError(
            f"GitHub's OIDC service refused the job a token (HTTP {answer.status_code}): the job needs "
            "`permissions: id-token: write`"
        )
    try:
        return str(answer.json()["value"])
    except (ValueError, KeyError, TypeError):
        raise BackendError("GitHub's OIDC service answered without a token") from None


def _from_azure_devops(uri: str, connection: str, access: str) -> str:
    params = {"api-version": "7.1", "serviceConnectionId": connection}
    headers = {"Authorization": f"Bearer {access}", "Content-Type": "application/json"}
    try:
        answer = requests.post(uri, params=params, headers=headers, timeout=TIMEOUT)
    except requests.RequestException as exc:
        raise BackendError(f"cannot reach Azure Pipelines' OIDC token API ({type(exc).__name__})") from None
    if answer.status_code != 200:
        raise BackendError(
            f"Azure Pipelines refused the job an OIDC token for service connection {connection} (HTTP "
            f"{answer.status_code}): is SYSTEM_ACCESSTOKEN mapped, and the pipeline allowed to use the "
            "connection?"
        )
    try:
        return str(answer.json()["oidcToken"])
    except (ValueError, KeyError, TypeError):
        raise BackendError("Azure Pipelines' OIDC token API answered without a token") from None


def _from_file(path: Path, file_env: str) -> str:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise BackendError(f"cannot read the CI token file ${file_env} ({exc.strerror})") from None
    if not text:
        raise BackendError(f"the CI token file ${file_env} is empty")
    return text


def claims(assertion: str) -> dict[str, object]:
    """The issuer, subject and audience an assertion carries (read, not verified: Entra verifies it)."""
    try:
        payload = assertion.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}
    return {k: data.get(k) for k in ("iss", "sub", "aud") if k in data} if isinstance(data, dict) else {}


FIXES = {
    700213: "subject",
    700211: "issuer",
    700212: "audience",
}
"""Entra's AADSTS codes for a federated credential that does not match, by the claim that differs."""


def explain(code: int, said: dict[str, object], client_id: str) -> str:
    """One line for a refused assertion: which claim to add to which app, and the command that adds it."""
    subject, issuer = said.get("sub", "?"), said.get("iss", "?")
    audience = said.get("aud", AUDIENCE)
    add = (
        f"az ad app federated-credential create --id {client_id} --parameters "
        f'\'{{"name": "reconciler", "issuer": "{issuer}", "subject": "{subject}", '
        f'"audiences": ["{AUDIENCE}"]}}\''
    )
    if code == 700212:
        return (
            f"Entra refused the CI token for app {client_id}: its audience {audience!r} is not "
            f"{AUDIENCE!r}; ask the CI system for that audience"
        )
    if code == 700024:
        return f"Entra refused the CI token for app {client_id}: it has expired (the CI system's clock?)"
    claim = FIXES.get(code, "issuer and subject")
    return (
        f"Entra refused the CI token for app {client_id}: no federated identity credential on the app has "
        f"its {claim} (issuer {issuer!r}, subject {subject!r}); add one: {add}"
    )
