"""Microsoft's EWS schemas (messages.xsd and the types.xsd it imports) as Exchange holds requests to them.

Exchange validates every request against its schemas before it does anything, and refuses an invalid one
whole with `ErrorSchemaValidation`, worded by .NET's validator. The schema files are Microsoft's and are not
shipped with the sandbox: every Exchange server serves them at `/EWS/messages.xsd` and `/EWS/types.xsd`; the
sandbox reads them from the folder `EWS_SCHEMAS` names (the two side by side). Without them it keeps its own
smaller check (`items.schema_violation`).

types.xsd imports the XML namespace (for `xml:lang`) without saying where its schema is; the few lines of it
that matter are given here, so no file is ever fetched from the network.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from lxml import etree

ENV = "EWS_SCHEMAS"
M = "http://schemas.microsoft.com/exchange/services/2006/messages"
_XML_NS_SCHEMA = b"""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
    targetNamespace="http://www.w3.org/XML/1998/namespace">
  <xs:attribute name="lang" type="xs:language"/>
</xs:schema>"""
XML_NS = "http://www.w3.org/XML/1998/namespace"
_XML_NS_LOCATION = "reconciler-sandbox:xml.xsd"


@dataclass(frozen=True)
class Violation:
    """The first thing that makes an element invalid: Exchange's wording, where it is, and libxml2's own."""

    text: str
    """As Exchange's faultstring says it after "The request failed schema validation: "."""
    path: str
    """Where, as an XPath with the document's prefixes (`/m:GetItem/m:ItemShape`)."""
    line: int
    column: int
    raw: str


class _Resolver(etree.Resolver):
    """The XML namespace's schema from memory; the two schema files only from their own folder."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder.resolve()

    def resolve(self, url: str, pubid: str | None, context: object) -> object:
        if url == _XML_NS_LOCATION:
            return self.resolve_string(_XML_NS_SCHEMA, context)
        path = Path(url.removeprefix("file://")).resolve()
        if path.parent != self.folder:
            raise etree.XMLSchemaParseError(f"{url} is outside the schema folder {self.folder}")
        return self.resolve_filename(str(path), context)


class Schemas:
    """messages.xsd compiled once; `violation(element)` checks one operation, answer or header element."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        parser = etree.XMLParser(no_network=True, resolve_entities=False)
        parser.resolvers.add(_Resolver(folder))
        driver = (
            '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:reconciler:ews">'
            f'<xs:import namespace="{XML_NS}" schemaLocation="{_XML_NS_LOCATION}"/>'
            f'<xs:import namespace="{M}" schemaLocation="{(folder / "messages.xsd").resolve().as_uri()}"/>'
            "</xs:schema>"
        )
        document = etree.fromstring(driver.encode(), parser, base_url=(folder / "driver.xsd").as_uri())
        self.schema = etree.XMLSchema(document)

    def violation(self, element: etree._Element) -> Violation | None:
        if self.schema.validate(element):
            return None
        error = self.schema.error_log[0]
        return Violation(
            _in_exchange_words(error.message, error.path, element),
            error.path or "",
            error.line,
            error.column,
            error.message,
        )


def installed() -> Schemas | None:
    """The schemas of the folder `EWS_SCHEMAS` names, compiled once per folder (every request asks);
    None without them."""
    named = os.environ.get(ENV)
    return _compiled(named) if named else None


@lru_cache(maxsize=4)
def _compiled(named: str) -> Schemas | None:
    path = Path(named)
    return Schemas(path) if (path / "messages.xsd").is_file() and (path / "types.xsd").is_file() else None


def folder() -> Path | None:
    """The schema folder `EWS_SCHEMAS` names, when it holds both files."""
    found = installed()
    return found.folder if found is not None else None


# -- .NET's wording of libxml2's findings ------------------------------------------------------------------

_QNAME = re.compile(r"\{([^}]*)\}([\w.-]+)")


def _qualified(text: str) -> list[tuple[str, str]]:
    return [(ns, name) for ns, name in _QNAME.findall(text)]


def _listed(names: list[tuple[str, str]]) -> str:
    """`'A, B' in namespace 'x'`, as .NET lists the elements it expected (grouped by namespace)."""
    groups: dict[str, list[str]] = {}
    for ns, name in names:
        groups.setdefault(ns, []).append(name)
    return " as well as ".join(f"'{', '.join(n)}' in namespace '{ns}'" for ns, n in groups.items())


def _in_exchange_words(message: str, path: str | None, root: etree._Element) -> str:
    """What Exchange's faultstring says of the same violation; libxml2's own words where no form is known."""
    subject, _, finding = message.partition(": ")
    named = _qualified(subject)
    element = named[0] if named else ("", subject.removeprefix("Element ").strip("'"))
    parent = _parent_of(path, root)
    attribute = re.search(r"attribute '([^']+)'", subject)
    if "This element is not expected" in finding:
        said = (
            f"The element '{parent[1]}' in namespace '{parent[0]}' has invalid child element "
            f"'{element[1]}' in namespace '{element[0]}'."
        )
        expected = _qualified(finding.partition("Expected is")[2])
        return f"{said} List of possible elements expected: {_listed(expected)}." if expected else said
    if "Missing child element" in finding:
        expected = _qualified(finding)
        return (
            f"The element '{element[1]}' in namespace '{element[0]}' has incomplete content. "
            f"List of possible elements expected: {_listed(expected)}."
        )
    if "Element content is not allowed" in finding or "Character content other than whitespace" in finding:
        child = _first_child(path, root)
        return (
            f"The element '{element[1]}' in namespace '{element[0]}' cannot contain child element "
            f"'{child}' because the parent element's content model is text only."
        )
    if attribute and "is not allowed" in finding:
        return f"The '{attribute.group(1)}' attribute is not declared."
    if "is required but missing" in finding:
        missing = re.search(r"attribute '([^']+)'", finding)
        return f"The required attribute '{missing.group(1) if missing else '?'}' is missing."
    enumeration = re.search(r"\[facet 'enumeration'\] The value '([^']*)'", finding)
    what = (
        f"The '{attribute.group(1)}' attribute" if attribute else f"The '{element[0]}:{element[1]}' element"
    )
    if enumeration:
        return (
            f"{what} is invalid - The value '{enumeration.group(1)}' is invalid according to its "
            "datatype - The Enumeration constraint failed."
        )
    if attribute:
        return f"The '{attribute.group(1)}' attribute is invalid - {finding.rstrip('.')}."
    return f"The '{element[0]}:{element[1]}' element is invalid - {finding.rstrip('.')}."


def _located(path: str | None, root: etree._Element) -> etree._Element | None:
    """The element a libxml2 path names; the path starts at `root`, validated as a document of its own."""
    if not path:
        return None
    steps = path.split("/", 2)
    relative = f"./{steps[2]}" if len(steps) > 2 else "."
    try:
        found = root.xpath(relative, namespaces={k: v for k, v in root.nsmap.items() if k})
    except etree.XPathError:
        return None
    return found[0] if found and isinstance(found[0], etree._Element) else None


def _parent_of(path: str | None, root: etree._Element) -> tuple[str, str]:
    found = _located(path, root)
    parent = found.getparent() if found is not None else None
    if parent is None:
        return (M, "")
    name = etree.QName(parent)
    return (name.namespace or "", name.localname)


def _first_child(path: str | None, root: etree._Element) -> str:
    found = _located(path, root)
    if found is None or not len(found):
        return ""
    return etree.QName(found[0]).localname
