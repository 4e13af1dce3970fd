"""GetUserAvailability: each mailbox's busy times in a window, as Exchange's availability service answers.

Shape as in MS docs ("GetUserAvailability operation"): `m:GetUserAvailabilityResponse/
m:FreeBusyResponseArray/m:FreeBusyResponse` (a `m:ResponseMessage` and a `m:FreeBusyView` per mailbox, in
request order), the view's `t:CalendarEventArray` listing each busy, tentative or out-of-office block (free
time and cancelled meetings are not busy). Times are local to the request's `t:TimeZone` (its Bias; the
sandbox does not apply daylight transitions, which a client asking in UTC does not need). At most 100
mailboxes and a window of 42 days per request, as Exchange allows.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from reconciler.sandbox.calendar_view import in_range
from reconciler.sandbox.context import ItemError
from reconciler.sandbox.ews import soap
from reconciler.sandbox.ews.context import EwsContext
from reconciler.sandbox.ews.soap import m, t

MAX_MAILBOXES = 100
MAX_WINDOW = timedelta(days=42)
BUSY = ("Busy", "Tentative", "OOF", "WorkingElsewhere")


def _local(moment: datetime, bias: timedelta) -> str:
    return (moment.replace(tzinfo=None) - bias).strftime("%Y-%m-%dT%H:%M:%S")


def _events(ctx: EwsContext, mailbox: str, start: datetime, end: datetime, bias: timedelta) -> str:
    items = [
        i
        for i in ctx.store.items(mailbox, "calendar")
        if not i.get("calendar:IsCancelled") and i.get("item:ItemClass") == "IPM.Appointment"
    ]
    out = []
    for _, _, fields, _ in in_range(items, start, end):
        busy = fields.get("calendar:LegacyFreeBusyStatus") or "Busy"
        if busy in BUSY:
            out.append(
                f"<t:CalendarEvent><t:StartTime>{_local(fields['calendar:Start'], bias)}</t:StartTime>"
                f"<t:EndTime>{_local(fields['calendar:End'], bias)}</t:EndTime>"
                f"<t:BusyType>{busy}</t:BusyType></t:CalendarEvent>"
            )
    return f"<t:CalendarEventArray>{''.join(out)}</t:CalendarEventArray>" if out else ""


def handle(ctx: EwsContext) -> soap.Whole:
    op = ctx.request.operation
    bias = timedelta(minutes=int(op.findtext(f"{t('TimeZone')}/{t('Bias')}") or 0))
    window = op.find(f"{t('FreeBusyViewOptions')}/{t('TimeWindow')}")
    addresses = [
        (a.text or "").strip().lower()
        for a in op.findall(f"{m('MailboxDataArray')}/{t('MailboxData')}/{t('Email')}/{t('Address')}")
    ]
    try:
        if window is None:
            raise ItemError("ErrorInvalidRequest", "FreeBusyViewOptions needs a TimeWindow.")
        start = datetime.fromisoformat(window.findtext(t("StartTime")) or "").replace(tzinfo=None) + bias
        end = datetime.fromisoformat(window.findtext(t("EndTime")) or "").replace(tzinfo=None) + bias
        if len(addresses) > MAX_MAILBOXES:
            raise ItemError("ErrorExceededMailboxLimit", f"At most {MAX_MAILBOXES} mailboxes per request.")
        if end - start > MAX_WINDOW:
            raise ItemError("ErrorInvalidTimeInterval", "The time window may span at most 42 days.")
    except (ItemError, ValueError) as exc:
        code, text = (exc.code, exc.text) if isinstance(exc, ItemError) else ("ErrorInvalidRequest", str(exc))
        return soap.Whole(
            f"<m:GetUserAvailabilityResponse><m:FreeBusyResponseArray><m:FreeBusyResponse>"
            f"{soap.response_message('Error', code, text)}</m:FreeBusyResponse></m:FreeBusyResponseArray>"
            "</m:GetUserAvailabilityResponse>"
        )
    start, end = start.replace(tzinfo=UTC), end.replace(tzinfo=UTC)
    answers = "".join(
        f"<m:FreeBusyResponse>{soap.response_message('Success')}<m:FreeBusyView>"
        "<t:FreeBusyViewType>Detailed</t:FreeBusyViewType>"
        f"{_events(ctx, address, start, end, bias)}</m:FreeBusyView></m:FreeBusyResponse>"
        for address in addresses
    )
    return soap.Whole(
        f"<m:GetUserAvailabilityResponse><m:FreeBusyResponseArray>{answers}</m:FreeBusyResponseArray>"
        "</m:GetUserAvailabilityResponse>"
    )
