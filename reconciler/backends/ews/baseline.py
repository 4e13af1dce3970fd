"""The baseline record over EWS: one hidden saved message per mailbox and namespace.

Like the apply lease (`lease.py`), a message saved (never sent) in the mailbox's `msgfolderroot`, carrying
named PublicStrings properties: `reconciler-baseline-namespace` (the namespace, filtered on) and
`reconciler-baseline` (the record, `backends/baseline.py`). Reading it is a FindItem and a GetItem; writing
it, an UpdateItem under `NeverOverwrite` with the ChangeKey read (the apply lease already keeps other
applies away; a lost race is reported, and the next apply learns again). The same message is reachable over
Graph, so the record serves both backends.
"""

from __future__ import annotations

from exchangelib import Account, Message

from reconciler.backends import marker
from reconciler.backends.baseline import BODY, SUBJECT, Baseline
from reconciler.backends.ews.marker import string_property

FIELD = "reconciler_baseline"
NAMESPACE_FIELD = "reconciler_baseline_namespace"


def register() -> None:
    for field, name in ((FIELD, marker.BASELINE), (NAMESPACE_FIELD, marker.BASELINE_NAMESPACE)):
        try:
            Message.get_field_by_fieldname(field)
        except (ValueError, KeyError, AttributeError):
            Message.register(field, string_property(name))


def read(account: Account, namespace: str) -> Baseline:
    """The namespace's record in the mailbox (an empty baseline when there is none yet)."""
    found = list(
        account.msg_folder_root.filter(**{NAMESPACE_FIELD: namespace}).only(FIELD, "changekey")
    )
    if not found:
        return Baseline(read={})
    newest = found[-1]
    return Baseline.from_text(getattr(newest, FIELD) or "", (newest.id, newest.changekey))


def write(account: Account, namespace: str, baseline: Baseline) -> Baseline:
    """Keep `baseline` (creating the record the first time); the baseline as now kept."""
    text = baseline.to_text()
    if baseline.record is None:
        message = Message(
            account=account,
            folder=account.msg_folder_root,
            subject=SUBJECT.format(namespace=namespace),
            body=BODY,
            **{FIELD: text, NAMESPACE_FIELD: namespace},
        )
        message.save()
    else:
        item_id, version = baseline.record
        message = Message(
            account=account, folder=account.msg_folder_root, id=item_id, changekey=version, **{FIELD: text}
        )
        message.save(update_fields=[FIELD], conflict_resolution="NeverOverwrite")
    return Baseline.from_text(text, (message.id, message.changekey))
