"""The baseline record over Graph: the same record as over EWS (`ews/baseline.py`), an event in the calendar.

Events filtered on `reconciler-baseline-namespace`, the record expanded from `reconciler-baseline`: one
request, sent in one batch with observe's first page. Written with a POST the first time, then a PATCH with
`If-Match` on the version read. When the calendar has none but holds managed meetings (the first plan
after an upgrade), the message an older version kept in `msgfolderroot` is read instead (one more request;
refused without Mail.Read, which leaves the record `out_of_reach`); the next apply writes it to the
calendar and removes the message where the app may.
"""

from __future__ import annotations

from typing import Any

from reconciler.backends import marker
from reconciler.backends.baseline import BODY, SUBJECT, Baseline
from reconciler.backends.graph import lease, records
from reconciler.backends.graph.http import Call, GraphClient, GraphFailure, Reply
from reconciler.backends.graph.write import carrying, expanding


def _value(item: dict[str, Any]) -> str:
    props = item.get("singleValueExtendedProperties") or []
    mine = (p for p in props if marker.graph_name(p.get("id")) == marker.BASELINE)
    return next((p.get("value") or "" for p in mine), "")


def _query(namespace: str) -> tuple[str, str]:
    return carrying(marker.BASELINE_NAMESPACE, namespace), expanding(marker.BASELINE)


def read_call(user: str, namespace: str) -> Call:
    """The request that reads the namespace's record (observe sends it in one batch with its first page)."""
    return records.found(user, *_query(namespace))


def from_reply(client: GraphClient, user: str, namespace: str, reply: Reply, managed: bool) -> Baseline:
    """The record a `read_call` found (an empty baseline when there is none yet), looking where an older
    version kept it when the calendar has none but holds `managed` meetings (one more request, once)."""
    found = records.values(reply, "the baseline record")
    if found:
        newest = found[-1]
        record = (newest["id"], newest.get("changeKey") or "")
        return Baseline.from_text(_value(newest), record, namespace=namespace)
    if not managed:
        return Baseline(read={})
    older = client.call(records.legacy(user, *_query(namespace)))
    if older.status == records.DENIED:
        return Baseline(read={}, out_of_reach=True)
    kept = records.values(older, "the older baseline record")
    if not kept:
        return Baseline(read={})
    return Baseline.from_text(_value(kept[-1]), None, tuple(m["id"] for m in kept))


def write(client: GraphClient, user: str, namespace: str, baseline: Baseline) -> Baseline:
    """Keep `baseline` (creating the record the first time); the baseline as now kept. A record read from
    where an older version kept it is removed once the calendar holds it, with the free lease beside it."""
    text = baseline.to_text()
    if baseline.record is None:
        props = {marker.BASELINE_NAMESPACE: namespace, marker.BASELINE: text}
        event = records.create(client, user, SUBJECT.format(namespace=namespace), BODY, props)
        record = (str(event.get("id") or ""), str(event.get("changeKey") or ""))
    else:
        item_id, version = baseline.record
        reply = records.swap(client, user, item_id, version, {marker.BASELINE: text})
        if not reply.ok:
            raise GraphFailure(reply, "the baseline record")
        record = (item_id, str(reply.body.get("changeKey") or ""))
    if baseline.legacy and records.remove_legacy(client, user, list(baseline.legacy)):
        lease.remove_legacy(client, user)
    return Baseline.from_text(text, record, namespace=namespace)
