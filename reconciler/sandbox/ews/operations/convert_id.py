"""ConvertId: ids here are opaque and identical in every format, so a conversion answers the id unchanged.

The answer has Exchange's shape (MS docs, "ConvertId operation"): one `m:AlternateId
xsi:type="t:AlternateIdType"` per id, whose Mailbox is the address of the mailbox that owns the id,
whatever the request said. DavMail learns the user's address that way from the root folder's id.
exchangelib's probes send the id "DUMMY" and only read the answer's ServerVersionInfo.
"""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from reconciler.sandbox.ews import soap
from reconciler.sandbox.ews.context import EwsContext
from reconciler.sandbox.ews.soap import m, t

XSI = "http://www.w3.org/2001/XMLSchema-instance"


def _owner(ctx: EwsContext, some_id: str) -> str | None:
    item = ctx.store.get(some_id)
    if item is not None:
        return item.mailbox
    folder = ctx.store.folder_by_id(some_id)
    return folder[0] if folder else None


def handle(ctx: EwsContext) -> list[str]:
    op = ctx.request.operation
    target = op.get("DestinationFormat", "EwsId")
    out = []
    for alt in op.findall(f"{m('SourceIds')}/{t('AlternateId')}"):
        some_id = alt.get("Id", "")
        owner = _owner(ctx, some_id)
        if owner is None:
            out.append(soap.error("ConvertId", "ErrorInvalidIdMalformed", "Id is malformed."))
            continue
        out.append(
            soap.success(
                "ConvertId",
                f'<m:AlternateId xmlns:xsi="{XSI}" xsi:type="t:AlternateIdType" Format="{target}" '
                f"Id={quoteattr(some_id)} Mailbox={quoteattr(owner)}/>",
            )
        )
    return out
