"""The sandbox holding its own EWS answers to Microsoft's schemas, and saying so where a test run can read it.

When `RECONCILER_SANDBOX_CONFORMANCE` names a folder (the test suite sets it), every request the EWS door
took and every answer it gave is checked against the schemas `EWS_SCHEMAS` names (`xsd.py`), and one JSON
line per check is appended to a file of this process in that folder: what was checked (`request` or
`answer`), the operation, and for an invalid one the element and Exchange's wording. Sandboxes served in
other processes (`reconciler sandbox serve`) inherit the variable, so one folder sees them all. The line is
written before the answer is sent, so a client that has its answer finds its line there.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from lxml import etree

from reconciler.sandbox.ews import xsd
from reconciler.sandbox.types_xml import T

ENV = "RECONCILER_SANDBOX_CONFORMANCE"
S = "http://schemas.xmlsoap.org/soap/envelope/"
_lock = threading.Lock()
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


def enabled() -> bool:
    return bool(os.environ.get(ENV)) and xsd.installed() is not None


def record(kind: str, operation: str, violation: xsd.Violation | None) -> None:
    """One line for one check (`kind`: request or answer) in this process's file of the folder."""
    folder = os.environ.get(ENV)
    if not folder:
        return
    line: dict[str, object] = {"kind": kind, "operation": operation, "valid": violation is None}
    if violation is not None:
        line.update(element=violation.path, text=violation.text, line=violation.line)
    with _lock, open(Path(folder) / f"{os.getpid()}.jsonl", "a", encoding="utf-8") as out:
        out.write(json.dumps(line) + "\n")


def check_answer(operation: str, body: bytes) -> None:
    """Check one SOAP answer: its header's elements and the operation's answer (a Fault's detail is free-form
    in SOAP 1.1 and has no schema of Microsoft's)."""
    schemas = xsd.installed()
    if schemas is None or not body:
        return
    envelope = etree.fromstring(body, _PARSER)
    found: xsd.Violation | None = None
    for part in checked_elements(envelope):
        found = schemas.violation(part)
        if found is not None:
            break
    record("answer", operation or "(none)", found)


def checked_elements(envelope: etree._Element) -> list[etree._Element]:
    """The header's elements in the types namespace and the body's element, when it is not a Fault."""
    parts: list[etree._Element] = []
    header = envelope.find(f"{{{S}}}Header")
    if header is not None:
        parts.extend(el for el in header if etree.QName(el).namespace == T)
    body = envelope.find(f"{{{S}}}Body")
    if body is not None and len(body) and etree.QName(body[0]).namespace == xsd.M:
        parts.append(body[0])
    return parts
