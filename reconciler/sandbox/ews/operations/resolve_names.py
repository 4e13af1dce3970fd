"""ResolveNames: a name or address typed by a user, resolved from the directory.

Many clients call it before they send (to turn "alice" into an address, or to check one). As in Exchange
("ResolveNames operation"): one match is Success; several are a Warning `ErrorNameResolutionMultipleResults`
with every match; none is an Error `ErrorNameResolutionNoResults`. `ReturnFullContactData` adds the directory
entry as a `t:Contact` (ContactSource ActiveDirectory).
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from reconciler.sandbox.ews import soap
from reconciler.sandbox.ews.context import EwsContext
from reconciler.sandbox.ews.soap import m


def _resolution(ctx: EwsContext, address: str, full: bool) -> str:
    name = escape(ctx.directory.display_name(address))
    mailbox = (
        f"<t:Mailbox><t:Name>{name}</t:Name><t:EmailAddress>{escape(address)}</t:EmailAddress>"
        "<t:RoutingType>SMTP</t:RoutingType><t:MailboxType>Mailbox</t:MailboxType></t:Mailbox>"
    )
    if not full:
        return f"<t:Resolution>{mailbox}</t:Resolution>"
    given, _, surname = name.partition(" ")
    contact = (
        f"<t:Contact><t:DisplayName>{name}</t:DisplayName><t:GivenName>{given}</t:GivenName>"
        f'<t:EmailAddresses><t:Entry Key="EmailAddress1">SMTP:{escape(address)}</t:Entry></t:EmailAddresses>'
        f"<t:ContactSource>ActiveDirectory</t:ContactSource><t:Surname>{surname}</t:Surname></t:Contact>"
    )
    return f"<t:Resolution>{mailbox}{contact}</t:Resolution>"


def handle(ctx: EwsContext) -> list[str]:
    op = ctx.request.operation
    full = op.get("ReturnFullContactData", "false").lower() == "true"
    entry = op.findtext(m("UnresolvedEntry")) or ""
    found = ctx.directory.resolve(entry, ctx.store.mailboxes())
    if not found:
        return [soap.error("ResolveNames", "ErrorNameResolutionNoResults", "No results were found.")]
    resolutions = "".join(_resolution(ctx, a, full) for a in found)
    inner = (
        f'<m:ResolutionSet TotalItemsInView="{len(found)}" IncludesLastItemInRange="true">'
        f"{resolutions}</m:ResolutionSet>"
    )
    if len(found) == 1:
        return [soap.success("ResolveNames", inner)]
    return [
        soap.warning(
            "ResolveNames", "ErrorNameResolutionMultipleResults", "Multiple results were found.", inner
        )
    ]
