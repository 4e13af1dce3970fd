"""ConvertId: enough for exchangelib's auth and version probes, which send the id "DUMMY".

Ids here are opaque and identical in every format, so a conversion answers the id unchanged.
"""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from reconciler.sandbox import soap
from reconciler.sandbox.context import Context
from reconciler.sandbox.soap import m, t


def handle(ctx: Context) -> list[str]:
    op = ctx.request.operation
    target = op.get("DestinationFormat", "EwsId")
    out = []
    for alt in op.findall(f"{m('SourceIds')}/{t('AlternateId')}"):
        item_id = alt.get("Id", "")
        if ctx.store.get(item_id) is None and ctx.store.folder_by_id(item_id) is None:
            out.append(soap.error("ConvertId", "ErrorInvalidIdMalformed", "Id is malformed."))
            continue
        mailbox = alt.get("Mailbox", ctx.mailbox)
        out.append(
            soap.success(
                "ConvertId",
                f'<m:AlternateId><t:AlternateId Format="{target}" '
                f"Id={quoteattr(item_id)} Mailbox={quoteattr(mailbox)}/></m:AlternateId>",
            )
        )
    return out
