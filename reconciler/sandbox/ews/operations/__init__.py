"""EWS operations, one module each, dispatched by the operation element's name."""

from __future__ import annotations

from collections.abc import Callable

from reconciler.sandbox.ews import soap
from reconciler.sandbox.ews.context import EwsContext
from reconciler.sandbox.ews.operations import (
    convert_id,
    create_folder,
    create_item,
    delete_folder,
    delete_item,
    find_folder,
    find_item,
    get_folder,
    get_item,
    get_user_availability,
    get_user_configuration,
    resolve_names,
    sync_folder_items,
    update_item,
)

Handler = Callable[[EwsContext], "list[str] | soap.Whole"]

OPERATIONS: dict[str, Handler] = {
    "ConvertId": convert_id.handle,
    "GetFolder": get_folder.handle,
    "FindItem": find_item.handle,
    "GetItem": get_item.handle,
    "CreateItem": create_item.handle,
    "UpdateItem": update_item.handle,
    "DeleteItem": delete_item.handle,
    "GetUserConfiguration": get_user_configuration.handle,
    "GetUserAvailability": get_user_availability.handle,
    "FindFolder": find_folder.handle,
    "CreateFolder": create_folder.handle,
    "DeleteFolder": delete_folder.handle,
    "ResolveNames": resolve_names.handle,
    "SyncFolderItems": sync_folder_items.handle,
}
"""Operations that change the store (the rest only read)."""
WRITES = frozenset({"CreateItem", "UpdateItem", "DeleteItem", "CreateFolder", "DeleteFolder"})
