"""Bulk EWS writes that report every item's outcome.

exchangelib's bulk methods return per-item errors inline only for a short list of codes; any other per-item
error (a stale ChangeKey, say) is raised, and the outcomes of the request's other items are lost although
the server carried them out. These services return every per-item error inline instead, so one failed
meeting never hides the others' results.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from exchangelib import Account
from exchangelib.errors import ResponseMessageError
from exchangelib.services import CreateItem, DeleteItem, UpdateItem

PAGE = 100


class _EveryError:
    ERRORS_TO_CATCH_IN_RESPONSE = (ResponseMessageError,)


class CreateItems(_EveryError, CreateItem):
    pass


class UpdateItems(_EveryError, UpdateItem):
    pass


class DeleteItems(_EveryError, DeleteItem):
    pass


def _call(service: type, account: Account, items: Iterable[Any], **kwargs: Any) -> list[Any]:
    items = list(items)
    if not items:
        return []
    return list(service(account=account, chunk_size=PAGE).call(items=items, **kwargs))


def create(
    account: Account,
    folder: Any,
    items: Iterable[Any],
    send_meeting_invitations: str,
    message_disposition: str = "SaveOnly",
) -> list[Any]:
    return _call(
        CreateItems,
        account,
        items,
        folder=folder,
        message_disposition=message_disposition,
        send_meeting_invitations=send_meeting_invitations,
    )


def update(
    account: Account, items: Iterable[tuple[Any, list[str]]], send: str, conflict_resolution: str
) -> list[Any]:
    return _call(
        UpdateItems,
        account,
        items,
        conflict_resolution=conflict_resolution,
        message_disposition="SaveOnly",
        send_meeting_invitations_or_cancellations=send,
        suppress_read_receipts=True,
    )


def delete(account: Account, ids: Iterable[Any], send: str, delete_type: str) -> list[Any]:
    return _call(
        DeleteItems,
        account,
        ids,
        delete_type=delete_type,
        send_meeting_cancellations=send,
        affected_task_occurrences="AllOccurrences",
        suppress_read_receipts=True,
    )
