"""Looking inside the sandbox's store from the command line: mailbox listings and attendee responses.

Both work on the database file directly, also while a server runs on it (SQLite WAL).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from reconciler.sandbox import meetings
from reconciler.sandbox.context import Context, ItemError
from reconciler.sandbox.store import Item, Store
from reconciler.wording import counted

KINDS = {
    "IPM.Appointment": "calendar item",
    "IPM.Schedule.Meeting.Request": "meeting request",
    "IPM.Schedule.Meeting.Canceled": "meeting cancellation",
    "IPM.Note": "message",
}


@dataclass(frozen=True)
class Entry:
    """One line of a mailbox listing."""

    type: str
    subject: str
    start: str | None
    sequence: int | None
    response: str | None
    cancelled: bool
    detail: str


def _kind(item: Item) -> str:
    cls = item.get("item:ItemClass", "")
    if cls.startswith("IPM.Schedule.Meeting.Resp."):
        return "meeting response"
    return KINDS.get(cls, cls or "item")


def entry(item: Item) -> Entry:
    start = item.get("calendar:Start")
    detail = []
    if item.get("meetingRequest:MeetingRequestType"):
        detail.append(item.get("meetingRequest:MeetingRequestType"))
    if item.get("meeting:IsOutOfDate"):
        detail.append("out of date")
    if item.get("calendar:CalendarItemType") in ("RecurringMaster", "Exception"):
        detail.append(item.get("calendar:CalendarItemType"))
    if item.get("$deleted"):
        detail.append(f"{counted(len(item.get('$deleted')), 'occurrence')} deleted")
    if item.get("$modified"):
        detail.append(f"{counted(len(item.get('$modified')), 'occurrence')} modified")
    sender = (item.get("message:From") or {}).get("email")
    if sender and _kind(item) != "calendar item":
        detail.append(f"from {sender}")
    response = item.get("calendar:MyResponseType") or item.get("meeting:ResponseType")
    return Entry(
        _kind(item),
        item.get("item:Subject", ""),
        start.isoformat() if isinstance(start, datetime) else None,
        item.get("calendar:AppointmentSequenceNumber"),
        response,
        bool(item.get("calendar:IsCancelled")),
        ", ".join(detail),
    )


def list_mailbox(store: Store, mailbox: str, folder: str) -> list[Entry]:
    return [entry(item) for item in store.items(mailbox, folder)]


def as_dicts(entries: list[Entry]) -> list[dict]:
    return [asdict(e) for e in entries]


def respond(store: Store, mailbox: str, subject: str, answer: str) -> str:
    """Answer the newest current invitation whose subject contains `subject`, as the attendee would."""
    kind = {"accept": "AcceptItem", "tentative": "TentativelyAcceptItem", "decline": "DeclineItem"}[answer]
    with store.transaction():
        candidates = [
            i
            for i in store.items(mailbox, "inbox")
            if i.get("item:ItemClass") == "IPM.Schedule.Meeting.Request"
            and subject.lower() in i.get("item:Subject", "").lower()
            and not i.get("meeting:IsOutOfDate")
        ]
        if not candidates:
            raise ItemError(
                "ErrorItemNotFound", f"no current invitation in {mailbox}'s inbox matches {subject!r}"
            )
        invitation = candidates[-1]
        ctx = Context(store, mailbox.lower())
        meetings.respond(ctx, kind, invitation, "SendAndSaveCopy")
    return invitation.get("item:Subject", "")
