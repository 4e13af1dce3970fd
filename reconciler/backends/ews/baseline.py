"""The baseline record over EWS: one record per calendar and namespace (`records.py`).

An appointment nobody is invited to, carrying named PublicStrings properties: `reconciler-baseline-
namespace` (the namespace, filtered on) and `reconciler-baseline` (the record, `backends/baseline.py`,
with the snapshot `backends/snapshot.py` replays). Reading it is a FindItem and a GetItem; writing it, a
`records.swap` with the ChangeKey read (the apply lease already keeps other applies away; a lost race is
reported, and the next apply learns again). The same item is an event over Graph, so the record serves both
backends.

When the calendar has none but holds managed meetings, the message an older version kept in `msgfolderroot`
is read instead where the rights reach it; the next apply writes it to the calendar and removes the message
where the rights allow.
"""

from __future__ import annotations

from exchangelib import Account

from reconciler.backends import marker
from reconciler.backends.baseline import BODY, SUBJECT, Baseline
from reconciler.backends.ews import lease, records

FIELD = "reconciler_baseline"
NAMESPACE_FIELD = "reconciler_baseline_namespace"


def register() -> None:
    records.register(FIELD, marker.BASELINE)
    records.register(NAMESPACE_FIELD, marker.BASELINE_NAMESPACE)


def read(account: Account, namespace: str) -> tuple[Baseline | None, int]:
    """The namespace's record in the calendar (None when there is none yet) and the requests it took: a
    FindItem, and a GetItem of what it found."""
    found = list(account.calendar.filter(**{NAMESPACE_FIELD: namespace}).only(FIELD, "changekey"))
    if not found:
        return None, 1
    newest = found[-1]
    text = getattr(newest, FIELD) or ""
    return Baseline.from_text(text, (newest.id, newest.changekey), namespace=namespace), 2


def read_older(account: Account, namespace: str, managed: bool) -> tuple[Baseline, int]:
    """When the calendar holds no record: an empty baseline, or, when the calendar holds `managed` meetings
    (the first plan after an upgrade), the record an older version kept in `msgfolderroot`
    (`out_of_reach` when the rights do not reach there), and the requests that took."""
    if not managed:
        return Baseline(read={}), 0
    older = records.legacy(account, (FIELD,), **{NAMESPACE_FIELD: namespace})
    if older is None:
        return Baseline(read={}, out_of_reach=True), 1
    if not older:
        return Baseline(read={}), 1
    return Baseline.from_text(getattr(older[-1], FIELD) or "", None, tuple(m.id for m in older)), 2


def write(account: Account, namespace: str, baseline: Baseline) -> Baseline:
    """Keep `baseline` (creating the record the first time); the baseline as now kept. A record read from
    where an older version kept it is removed once the calendar holds it, with the free lease beside it."""
    text = baseline.to_text()
    if baseline.record is None:
        item = records.create(
            account, SUBJECT.format(namespace=namespace), BODY, **{FIELD: text, NAMESPACE_FIELD: namespace}
        )
    else:
        item = records.swap(account, *baseline.record, **{FIELD: text})
    if baseline.legacy and records.remove_legacy(account, list(baseline.legacy)):
        lease.remove_legacy(account)
    return Baseline.from_text(text, (item.id, item.changekey), namespace=namespace)
