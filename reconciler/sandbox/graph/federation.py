"""Client assertions from outside the tenant, checked as Entra ID checks a federated identity credential.

An app registration may trust tokens of an external OpenID Connect issuer (GitHub Actions, GitLab, a
Kubernetes cluster): each federated identity credential names an issuer, a subject and the audiences it
accepts (`rights.Federated`), compared exactly and case-sensitively ("Workload identity federation").
The issuer's signing keys come from its JWKS (`Directory.issuers`: a file, or a URL, which the sandbox
fetches only on loopback). The assertion must be signed RS256 with one of them and be within `nbf`/`exp`.

Entra's answers (AADSTS codes, as the identity platform words them; the exact wording of each was not
confirmed in Microsoft's reference here, their codes and meaning were): 70025 the app has no federated
credential, 700211 no credential with the assertion's issuer, 700212 ... its audience, 700213 ... its
subject, 700024 outside its valid time range, 700027 the signature does not verify.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import jwt

from reconciler.sandbox.rights import App

LOOPBACK = ("127.0.0.1", "localhost", "::1")


class Refused(Exception):
    """An assertion Entra would refuse: its AADSTS code and text."""

    def __init__(self, code: int, text: str) -> None:
        super().__init__(text)
        self.code = code
        self.text = text


def is_federated(assertion: str, client_id: str) -> bool:
    """Whether an assertion comes from an external issuer (a certificate assertion is the app's own:
    issued by and about its client id)."""
    try:
        issuer = jwt.decode(assertion, options={"verify_signature": False}).get("iss")
    except jwt.PyJWTError:
        return False
    return issuer not in (None, client_id)


def check(assertion: str, client_id: str, app: App, issuers: dict[str, str]) -> None:
    """`Refused` unless one of the app's federated credentials accepts the assertion."""
    if not app.federated:
        raise Refused(70025, f"The client '{client_id}' has no configured federated identity credentials.")
    claims = jwt.decode(assertion, options={"verify_signature": False})
    issuer, subject, audience = claims.get("iss"), claims.get("sub"), claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    trusted = [f for f in app.federated if f.issuer == issuer]
    if not trusted:
        raise Refused(700211, _no_match("issuer", issuer))
    try:
        jwt.decode(
            assertion,
            _key(assertion, issuers.get(str(issuer), "")),
            algorithms=["RS256"],
            options={"verify_aud": False, "require": ["exp", "iss", "sub"]},
        )
    except jwt.ExpiredSignatureError:
        raise Refused(700024, "Client assertion is not within its valid time range.") from None
    except jwt.ImmatureSignatureError:
        raise Refused(700024, "Client assertion is not within its valid time range.") from None
    except (jwt.PyJWTError, ValueError):
        raise Refused(700027, "Client assertion failed signature validation.") from None
    trusted = [f for f in trusted if set(f.audiences) & set(audiences)]
    if not trusted:
        raise Refused(700212, _no_match("audience", audience))
    if not any(f.subject == subject for f in trusted):
        raise Refused(700213, _no_match("subject", subject))


def _no_match(claim: str, value: object) -> str:
    return (
        f"No matching federated identity record found for presented assertion {claim} '{value}'. Please "
        "check your federated identity credential Subject, Audience and Issuer against the presented "
        "assertion."
    )


def _key(assertion: str, jwks: str) -> object:
    """The issuer's key the assertion's `kid` names, from its JWKS file or loopback URL."""
    if not jwks:
        raise ValueError("no keys known for this issuer")
    if jwks.startswith(("http://", "https://")):
        if (urlsplit(jwks).hostname or "") not in LOOPBACK:
            raise ValueError("the sandbox fetches keys from loopback only")
        return jwt.PyJWKClient(jwks, cache_keys=False).get_signing_key_from_jwt(assertion).key
    keys = jwt.PyJWKSet.from_dict(json.loads(Path(jwks).read_text(encoding="utf-8")))
    kid = jwt.get_unverified_header(assertion).get("kid")
    found = next((k for k in keys.keys if kid is None or k.key_id == kid), None)
    if found is None:
        raise ValueError("no key with that kid")
    return found.key
