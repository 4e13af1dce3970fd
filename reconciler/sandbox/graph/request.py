"""One Graph request as the resources see it, and their answer."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from reconciler.sandbox.graph.errors import invalid
from reconciler.sandbox.graph.odata import Query, parse_query

_ZONE = re.compile(r'outlook\.timezone\s*=\s*"([^"]+)"', re.I)
_BODY = re.compile(r'outlook\.body-content-type\s*=\s*"?(text|html)"?', re.I)


@dataclass
class GraphRequest:
    method: str
    path: str
    """The path after `/v1.0`, e.g. `/users/lead@example.com/events`."""
    query_string: str
    headers: dict[str, str]
    """Header names lower-cased."""
    body: Any
    base: str
    """`https://127.0.0.1:PORT/v1.0`: where next links point."""
    bodies_as_html: bool = True
    """Bodies are answered as HTML unless the request prefers text (Exchange's rule; off: as stored)."""

    def query(self) -> Query:
        return parse_query(self.query_string)

    def zone(self) -> str:
        """The zone of returned times (`Prefer: outlook.timezone="..."`), UTC otherwise."""
        found = _ZONE.search(self.headers.get("prefer", ""))
        return found.group(1) if found else "UTC"

    def body_type(self) -> str | None:
        """The form of returned bodies: `Prefer: outlook.body-content-type="text"|"html"`, else HTML (None:
        as stored, when the sandbox echoes)."""
        found = _BODY.search(self.headers.get("prefer", ""))
        if found:
            return found.group(1).lower()
        return "html" if self.bodies_as_html else None

    def preference_applied(self) -> dict[str, str]:
        """`Preference-Applied` for the `Prefer` values honoured (time zone, body type)."""
        prefer = self.headers.get("prefer", "")
        applied = []
        if "outlook.timezone" in prefer.lower():
            applied.append(f'outlook.timezone="{self.zone()}"')
        if _BODY.search(prefer):
            applied.append(f'outlook.body-content-type="{self.body_type()}"')
        return {"Preference-Applied": ", ".join(applied)} if applied else {}

    def json_body(self) -> dict[str, Any]:
        if not isinstance(self.body, dict):
            raise invalid("The request needs a JSON object body.")
        return self.body


@dataclass
class Answer:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


def page(request: GraphRequest, rows: list[dict[str, Any]], context: str) -> Answer:
    """One page of a collection: `$filter`ed, then `$skip`/`$top` as Graph's next links for Outlook resources
    carry them, each row `$select`ed and `$expand`ed."""
    query = request.query()
    if query.filter:
        rows = [r for r in rows if query.filter(r)]
    chosen = rows[query.skip : query.skip + query.top]
    body: dict[str, Any] = {
        "@odata.context": f"{request.base}/$metadata#{context}",
        "value": [query.shape(r) for r in chosen],
    }
    if query.skip + query.top < len(rows):
        params = dict(query.params or {})
        params.update({"$top": str(query.top), "$skip": str(query.skip + query.top)})
        body["@odata.nextLink"] = f"{request.base}{request.path}?{urlencode(params)}"
    return Answer(200, body, request.preference_applied())
