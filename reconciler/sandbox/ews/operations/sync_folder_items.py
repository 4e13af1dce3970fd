"""SyncFolderItems: the changes in a folder since a synchronisation state (`sandbox/sync.py`).

Answered as "SyncFolderItems operation" shows: `m:SyncState`, `m:IncludesLastItemInRange`, then
`m:Changes` with `t:Create` and `t:Update` holding the item in the requested shape and `t:Delete` its id.
`MaxChangesReturned` (1 to 512, which the schema holds) bounds a page; `Ignore` names items whose changes
are not reported. An error carries an empty `m:SyncState` and `IncludesLastItemInRange` true, as the
reference's error response does (exchangelib reads the state before the response class).
"""

from __future__ import annotations

from reconciler.sandbox import sync
from reconciler.sandbox.context import ItemError
from reconciler.sandbox.ews import soap
from reconciler.sandbox.ews.context import EwsContext
from reconciler.sandbox.ews.items import requested_fields
from reconciler.sandbox.ews.soap import m
from reconciler.sandbox.ews.targets import render_target
from reconciler.sandbox.occurrences import Target


def handle(ctx: EwsContext) -> list[str]:
    op = ctx.request.operation
    base, extra = requested_fields(op.find(m("ItemShape")))
    try:
        mailbox, folder = ctx.folder(op.find(m("SyncFolderId"))[0])
        ignored = op.find(m("Ignore"))
        found = sync.page(
            ctx.store,
            f"items:{mailbox}:{folder}",
            ctx.store.versions(mailbox, folder),
            (op.findtext(m("SyncState")) or "").strip() or None,
            int(op.findtext(m("MaxChangesReturned")) or "100"),
            frozenset(el.get("Id", "") for el in ignored) if ignored is not None else frozenset(),
        )
    except sync.Unknown:
        return [
            _refusal(
                "ErrorInvalidSyncStateData", "Synchronization state data is corrupt or otherwise invalid."
            )
        ]
    except ItemError as exc:
        return [_refusal(exc.code, exc.text)]
    items = {i.id: i for i in ctx.store.by_ids([*found.created, *found.updated])}
    changes = [
        f"<t:{kind}>{render_target(Target(items[i]), base, extra, store=ctx.store)}</t:{kind}>"
        for kind, ids in (("Create", found.created), ("Update", found.updated))
        for i in ids
        if i in items
    ]
    changes += [
        f'<t:Delete><t:ItemId Id="{item_id}" ChangeKey="{change_key}"/></t:Delete>'
        for item_id, change_key in found.deleted
    ]
    return [
        soap.success(
            "SyncFolderItems",
            f"<m:SyncState>{found.state}</m:SyncState>"
            f"<m:IncludesLastItemInRange>{str(found.complete).lower()}</m:IncludesLastItemInRange>"
            f"<m:Changes>{''.join(changes)}</m:Changes>",
        )
    ]


def _refusal(code: str, text: str) -> str:
    """As the reference's error response: an empty state, and nothing more to come."""
    after = "<m:SyncState/><m:IncludesLastItemInRange>true</m:IncludesLastItemInRange>"
    return soap.error("SyncFolderItems", code, text, after)
