"""https for the sandbox: a private CA made at start with `trustme` (no hand-rolled crypto).

The CA and its certificate for 127.0.0.1 and localhost live in memory for the server's lifetime; clients
trust it through the PEM written by `write_ca` (the `ca_bundle` of a target).
"""

from __future__ import annotations

import ssl
from pathlib import Path

import trustme


class PrivateCA:
    def __init__(self) -> None:
        self.ca = trustme.CA(organization_name="reconciler sandbox")
        self.cert = self.ca.issue_cert("127.0.0.1", "localhost", "::1")

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.cert.configure_cert(context)
        return context

    def write_server_files(self, folder: Path) -> tuple[Path, Path]:
        """The server's certificate chain and private key as PEM files in `folder` (for the HTTP server)."""
        cert, key = folder / "server.pem", folder / "server.key"
        with cert.open("wb") as out:
            for pem in self.cert.cert_chain_pems:
                out.write(pem.bytes())
        self.cert.private_key_pem.write_to_path(str(key))
        return cert, key

    def write_ca(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.ca.cert_pem.write_to_path(str(path))
        return path
