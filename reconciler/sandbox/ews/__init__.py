"""The sandbox's EWS front door: SOAP in and out (`soap.py`, `endpoint.py`), the item codec (`items.py`,
`fieldkeys.py`, `targets.py`), FindItem's restrictions, sorting, paging and calendar view, MAPI properties,
MimeContent, and one module per operation (`operations/`). It turns requests into calls on the core
(`calendar_items`, `meetings`, the store) and never holds state of its own."""
