"""DeleteItem: hard, soft or to Deleted Items; meeting cancellations; one occurrence of a series."""

from __future__ import annotations

from reconciler.sandbox import calendar_items, meetings
from reconciler.sandbox.context import ItemError
from reconciler.sandbox.ews import soap
from reconciler.sandbox.ews.context import EwsContext
from reconciler.sandbox.ews.soap import m
from reconciler.sandbox.ews.targets import resolve
from reconciler.sandbox.rights import DELETE

CANCELLATION_OPTIONS = {"SendToNone", "SendOnlyToAll", "SendToAllAndSaveCopy"}


def handle(ctx: EwsContext) -> list[str]:
    op = ctx.request.operation
    delete_type = op.get("DeleteType", "MoveToDeletedItems")
    option = op.get("SendMeetingCancellations")
    out = []
    for ref in op.find(m("ItemIds")):
        try:
            target = resolve(ctx, ref)
            item = target.item
            ctx.require(item.folder, DELETE)
            if option not in (None, "SendToNone") and item.get("calendar:IsMeeting"):
                ctx.require_send()
            is_calendar = item.get("item:ItemClass") == "IPM.Appointment"
            if is_calendar and option not in CANCELLATION_OPTIONS:
                raise ItemError(
                    "ErrorSendMeetingCancellationsRequired",
                    "The SendMeetingCancellations attribute is required for calendar items.",
                )
            if target.index is not None:
                calendar_items.remove_occurrence(ctx, item, target.index, option)
            else:
                if is_calendar:
                    meetings.before_delete(ctx, item, option, None)
                destination = {
                    "MoveToDeletedItems": "deleteditems",
                    "SoftDelete": "recoverableitemsdeletions",
                }.get(delete_type)
                if destination and item.folder != destination:
                    ctx.move(item, destination)  # soft-deleted items stay recoverable, as in Exchange
                else:
                    ctx.store.delete(item.id)
            out.append(soap.success("DeleteItem"))
        except ItemError as exc:
            out.append(soap.error("DeleteItem", exc.code, exc.text))
    return out
