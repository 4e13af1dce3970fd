"""DeleteFolder: a created folder with everything in it; a distinguished folder cannot be deleted
(ErrorDeleteDistinguishedFolder, as on Exchange)."""

from __future__ import annotations

from reconciler.sandbox import folders
from reconciler.sandbox.context import ItemError
from reconciler.sandbox.ews import soap
from reconciler.sandbox.ews.context import EwsContext
from reconciler.sandbox.ews.soap import m
from reconciler.sandbox.store import DISTINGUISHED


def handle(ctx: EwsContext) -> list[str]:
    out = []
    for el in ctx.request.operation.find(m("FolderIds")):
        try:
            mailbox, key = ctx.folder(el)
            if key in DISTINGUISHED:
                raise ItemError("ErrorDeleteDistinguishedFolder", "Distinguished folders cannot be deleted.")
            folders.delete(ctx.store, mailbox, key)
            out.append(soap.success("DeleteFolder", ""))
        except ItemError as exc:
            out.append(soap.error("DeleteFolder", exc.code, exc.text))
    return out
