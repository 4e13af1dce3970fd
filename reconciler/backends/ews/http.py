"""The HTTP adapter exchangelib uses for our EWS target: which certificates it trusts, and how it reads.

Reading: exchangelib parses every SOAP answer from `response.iter_content()`, whose chunk size defaults
to one byte in requests, so each byte of a response costs a generator step and a bytearray append: about
3 s of CPU per 4 MB page set, most of a plan's client time at 1,000 meetings an organizer. The answer is
already in memory (exchangelib does not stream these requests), so the adapter hands out 64 KiB slices.
Upstream: exchangelib `services/common.py` `_get_soap_parts` calls `to_xml(response.iter_content())`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests
import requests.adapters

BLOCK = 64 * 1024
"""Slice size for parsing answers: large enough to make the per-slice cost vanish, small enough that
exchangelib's reader (which re-slices its buffer on every read) copies little."""


class BlockReadingAdapter(requests.adapters.HTTPAdapter):
    """Responses whose `iter_content()` yields BLOCK-sized slices unless a size is asked for."""

    def build_response(self, req: Any, resp: Any) -> requests.Response:
        response = super().build_response(req, resp)

        def iter_content(chunk_size: int | None = BLOCK, decode_unicode: bool = False) -> Any:
            return requests.Response.iter_content(response, chunk_size, decode_unicode)

        response.iter_content = iter_content  # type: ignore[method-assign]
        return response


def adapter_class(ca_bundle: str | None, verify: bool) -> type[requests.adapters.HTTPAdapter]:
    """The adapter for a target: block reading, and the system's CAs, `ca_bundle` only, or (loopback only,
    checked by the caller) no verification."""
    if not verify:
        from exchangelib.protocol import NoVerifyHTTPAdapter

        return type("NoVerifyBlockReadingAdapter", (BlockReadingAdapter, NoVerifyHTTPAdapter), {})
    if ca_bundle:
        if not Path(ca_bundle).is_file():
            raise FileNotFoundError(f"target.ca_bundle: no such file {ca_bundle}")

        class PrivateCAAdapter(BlockReadingAdapter):
            def cert_verify(self, conn, url, verify, cert):  # type: ignore[no-untyped-def]
                super().cert_verify(conn=conn, url=url, verify=ca_bundle, cert=cert)

        return PrivateCAAdapter
    return BlockReadingAdapter


def offered_schemes(endpoint: str, timeout: float = 5) -> list[str]:
    """The authentication schemes `endpoint` announces (`WWW-Authenticate` of an unauthenticated request),
    lower-case, in its order; empty when it cannot be asked. Used only to explain a refusal."""
    import requests
    from exchangelib.protocol import BaseProtocol

    session = requests.Session()
    session.mount("https://", BaseProtocol.HTTP_ADAPTER_CLS())
    session.mount("http://", BaseProtocol.HTTP_ADAPTER_CLS())
    try:
        answer = session.post(endpoint, data=b"", headers={"Content-Type": "text/xml"}, timeout=timeout)
    except requests.RequestException:
        return []
    finally:
        session.close()
    found = []
    for part in answer.headers.get("WWW-Authenticate", "").split(","):
        scheme = part.strip().split(" ", 1)[0].lower()
        if scheme and "=" not in scheme and scheme not in found:
            found.append(scheme)
    return found
