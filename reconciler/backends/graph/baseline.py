"""The baseline record over Graph: the same hidden message as over EWS (`ews/baseline.py`).

`mailFolders/msgfolderroot/messages` filtered on `reconciler-baseline-namespace`, the record expanded from
`reconciler-baseline`: one request to read. Written with a POST the first time, then a PATCH with
`If-Match` on the version read.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from reconciler.backends import marker
from reconciler.backends.baseline import BODY, SUBJECT, Baseline
from reconciler.backends.graph.http import Call, GraphClient, GraphFailure
from reconciler.backends.graph.write import carrying, expanding, query_string

PROPERTY = marker.graph_id(marker.BASELINE)
NAMESPACE = marker.graph_id(marker.BASELINE_NAMESPACE)


def _value(message: dict[str, Any]) -> str:
    props = message.get("singleValueExtendedProperties") or []
    mine = (p for p in props if marker.graph_name(p.get("id")) == marker.BASELINE)
    return next((p.get("value") or "" for p in mine), "")


def read_call(user: str, namespace: str) -> Call:
    """The request that reads the namespace's record (observe sends it in one batch with its first page)."""
    query = query_string(
        {
            "$filter": carrying(marker.BASELINE_NAMESPACE, namespace),
            "$select": "id,changeKey",
            "$expand": expanding(marker.BASELINE),
        }
    )
    return Call("GET", f"{user}/mailFolders/msgfolderroot/messages?{query}")


def from_reply(reply: Any) -> Baseline:
    """The record a `read_call` found (an empty baseline when there is none yet)."""
    if not reply.ok:
        raise GraphFailure(reply, "the baseline record")
    found = reply.body.get("value") or []
    if not found:
        return Baseline(read={})
    newest = found[-1]
    return Baseline.from_text(_value(newest), (newest["id"], newest.get("changeKey") or ""))


def write(client: GraphClient, user: str, namespace: str, baseline: Baseline) -> Baseline:
    """Keep `baseline` (creating the record the first time); the baseline as now kept."""
    text = baseline.to_text()
    if baseline.record is None:
        url = f"{user}/mailFolders/msgfolderroot/messages"
        call = Call(
            "POST",
            url,
            {
                "subject": SUBJECT.format(namespace=namespace),
                "body": {"contentType": "text", "content": BODY},
                "singleValueExtendedProperties": [
                    {"id": NAMESPACE, "value": namespace},
                    {"id": PROPERTY, "value": text},
                ],
            },
        )
    else:
        item_id, version = baseline.record
        url = f"{user}/messages/{quote(item_id, safe='')}"
        body = {"singleValueExtendedProperties": [{"id": PROPERTY, "value": text}]}
        call = Call("PATCH", url, body, {"If-Match": f'W/"{version}"'})
    reply = client.call(call)
    if not reply.ok:
        raise GraphFailure(reply, url)
    item_id = reply.body.get("id") or (baseline.record[0] if baseline.record else "")
    return Baseline.from_text(text, (item_id, reply.body.get("changeKey") or ""))
