"""Windows authentication on the EWS endpoint, as IIS does it for on-premises Exchange: NTLM and Negotiate.

The handshake is connection-oriented: the client's negotiate message (type 1) is answered 401 with a
challenge (type 2) in `WWW-Authenticate`; its authenticate message (type 3), on the same connection, either
authenticates the connection (this request and every later one on it) or is answered 401 again. The
acceptor is pyspnego's (the library exchangelib's own NTLM client, requests_ntlm, is built on); it checks
the client's response against the password it is given, so the sandbox needs one (`--password`): every user
name is accepted with it, as `DOMAIN\\user` or a UPN. `Negotiate` carries NTLM here (no Kerberos).
"""

from __future__ import annotations

import base64
import os
import tempfile
import threading
from dataclasses import dataclass, field
from typing import Any

SCHEMES = ("basic", "ntlm", "negotiate")
HEADER = {"basic": 'Basic realm="reconciler-sandbox"', "ntlm": "NTLM", "negotiate": "Negotiate"}
_FILE_LOCK = threading.Lock()


def offers(schemes: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """`WWW-Authenticate` headers for the schemes offered, one each and in IIS's order (Negotiate first)."""
    order = [s for s in ("negotiate", "ntlm", "basic") if s in schemes]
    return tuple(("WWW-Authenticate", HEADER[s]) for s in order)


@dataclass
class Acceptor:
    """The NTLM/Negotiate acceptor of one server: the password every user must prove."""

    password: str
    _users: set[tuple[str, str]] = field(default_factory=set)
    _file: str = ""

    def __post_init__(self) -> None:
        # pyspnego's NTLM acceptor reads users from the file NTLM_USER_FILE names (DOMAIN:USER:PASSWORD).
        handle, self._file = tempfile.mkstemp(prefix="reconciler-sandbox-ntlm-")
        os.close(handle)
        os.environ["NTLM_USER_FILE"] = self._file

    def _admit(self, domain: str, user: str) -> None:
        """Put `DOMAIN\\user` in the acceptor's user file with the sandbox's password (any user may try)."""
        with _FILE_LOCK:
            if (domain, user) in self._users:
                return
            with open(self._file, "a", encoding="utf-8") as out:
                out.write(f"{domain}:{user}:{self.password}\n")
            self._users.add((domain, user))
            os.environ["NTLM_USER_FILE"] = self._file

    def step(self, session: dict[str, Any], scheme: str, token: str) -> tuple[str | None, str | None]:
        """(authenticated user, or None; the token to send back in `WWW-Authenticate`, or None on refusal)."""
        import spnego
        from spnego._ntlm_raw.messages import Authenticate

        try:
            data = base64.b64decode(token)
        except ValueError:
            return None, None
        context = session.get("context")
        ntlm = data.startswith(b"NTLMSSP\x00")
        if ntlm and data[8:12] == b"\x03\x00\x00\x00":
            message = Authenticate.unpack(data)
            self._admit(message.domain_name or "", message.user_name or "")
        if context is None or (ntlm and data[8:12] == b"\x01\x00\x00\x00"):
            context = spnego.server(protocol="ntlm" if scheme == "ntlm" else "negotiate")
            session["context"] = context
        try:
            answer = context.step(data)
        except Exception:  # a wrong password, a malformed token: refused, the handshake starts over
            session.pop("context", None)
            return None, None
        if context.complete:
            session.pop("context", None)
            return str(context.client_principal or ""), base64.b64encode(answer).decode() if answer else ""
        return None, base64.b64encode(answer or b"").decode()

    def close(self) -> None:
        with _FILE_LOCK:
            if self._file and os.path.exists(self._file):
                os.unlink(self._file)
