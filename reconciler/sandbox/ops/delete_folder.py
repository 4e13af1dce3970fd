"""DeleteFolder: a created folder with everything in it; a distinguished folder cannot be deleted
(ErrorDeleteDistinguishedFolder, as on Exchange)."""

from __future__ import annotations

from reconciler.sandbox import folders, soap
from reconciler.sandbox.context import Context, ItemError
from reconciler.sandbox.soap import m
from reconciler.sandbox.store import DISTINGUISHED


def handle(ctx: Context) -> list[str]:
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
