"""UpdateItem: Set/Append/DeleteItemField on items or one occurrence, with ChangeKey conflicts.

Every write yields a new ChangeKey; under `NeverOverwrite` a stale one is `ErrorIrresolvableConflict`.
Updating one occurrence turns it into an exception (kept on the master); changing the master's start or
recurrence drops its exceptions and deletions, as Exchange does.
"""

from __future__ import annotations

import copy
from typing import Any

from lxml import etree

from reconciler.sandbox import calendar_items, recurrence
from reconciler.sandbox.context import ItemError
from reconciler.sandbox.ews import soap
from reconciler.sandbox.ews.context import EwsContext
from reconciler.sandbox.ews.fieldkeys import field_key
from reconciler.sandbox.ews.items import parse_item
from reconciler.sandbox.ews.soap import local, m, t
from reconciler.sandbox.ews.targets import resolve
from reconciler.sandbox.occurrences import occurrence_fields, occurrence_id
from reconciler.sandbox.rights import EDIT

UPDATE_OPTIONS = {
    "SendToNone",
    "SendOnlyToAll",
    "SendOnlyToChanged",
    "SendToAllAndSaveCopy",
    "SendToChangedAndSaveCopy",
}
_REFS = {"ItemId", "OccurrenceItemId", "RecurringMasterItemId"}


def apply_updates(fields: dict[str, Any], updates: etree._Element, zone: Any) -> dict[str, Any]:
    """The fields after the `t:Updates` list (pure: `fields` is not modified)."""
    out = copy.deepcopy(fields)
    for update in updates:
        kind = local(update.tag)
        key = field_key(update[0])
        if kind == "DeleteItemField":
            out.pop(key, None)
            continue
        values = parse_item(update[1], zone) if len(update) > 1 else {}
        if key not in values:
            raise ItemError("ErrorInvalidPropertySet", f"The update does not carry a value for {key}.")
        value = values[key]
        if kind == "AppendToItemField":
            current = out.get(key)
            if isinstance(current, list):
                value = current + list(value)
            elif isinstance(current, dict) and "text" in current:
                value = {**current, "text": current["text"] + value["text"]}
            elif isinstance(current, str):
                value = current + value
        elif kind != "SetItemField":
            raise ItemError("ErrorInvalidRequest", f"Unknown update {kind}.")
        out[key] = value
    return out


def _zone(fields: dict[str, Any], updates: etree._Element, ctx: EwsContext) -> Any:
    zone_el = updates.find(f".//{t('StartTimeZone')}")
    xml = (
        etree.tostring(zone_el, encoding="unicode")
        if zone_el is not None
        else fields.get("calendar:StartTimeZone")
    )
    return recurrence.zone_from_xml(xml) if xml else ctx.zone


def handle(ctx: EwsContext) -> list[str]:
    op = ctx.request.operation
    resolution = op.get("ConflictResolution", "AutoResolve")
    option = op.get("SendMeetingInvitationsOrCancellations")
    out = []
    for change in op.find(m("ItemChanges")):
        try:
            ref = next((c for c in change if local(c.tag) in _REFS), None)
            updates = change.find(t("Updates"))
            if ref is None or updates is None:
                raise ItemError("ErrorInvalidRequest", "ItemChange needs an item id and Updates.")
            target = resolve(ctx, ref)
            item = target.item
            ctx.require(item.folder, EDIT)
            if option not in (None, "SendToNone") and item.get("calendar:IsMeeting"):
                ctx.require_send()
            stale = ref.get("ChangeKey") and ref.get("ChangeKey") != item.change_key
            if stale and resolution == "NeverOverwrite":
                raise ItemError(
                    "ErrorIrresolvableConflict",
                    "The send or update operation could not be performed because the change key "
                    "passed in the request does not match the current change key for the item.",
                )
            is_calendar = item.get("item:ItemClass") == "IPM.Appointment"
            if is_calendar and option not in UPDATE_OPTIONS:
                raise ItemError(
                    "ErrorSendMeetingInvitationsOrCancellationsRequired",
                    "The SendMeetingInvitationsOrCancellations attribute is required for calendar items.",
                )
            base = occurrence_fields(item, target.index) if target.index is not None else item.fields
            changed = apply_updates(base, updates, _zone(item.fields, updates, ctx))
            touched = {field_key(u[0]) for u in updates}
            item = calendar_items.update(ctx, target, changed, touched, option if is_calendar else None)
            item_id = item.id if target.index is None else occurrence_id(item.id, target.index)
            element = "CalendarItem" if is_calendar else "Message"
            out.append(
                soap.success(
                    "UpdateItem",
                    f'<m:Items><t:{element}><t:ItemId Id="{item_id}" '
                    f'ChangeKey="{item.change_key}"/></t:{element}></m:Items>'
                    "<m:ConflictResults><t:Count>0</t:Count></m:ConflictResults>",
                )
            )
        except (ItemError, recurrence.RecurrenceError) as exc:
            code = exc.code if isinstance(exc, ItemError) else "ErrorInvalidRecurrence"
            out.append(soap.error("UpdateItem", code, str(exc), "<m:Items/>"))
    return out
