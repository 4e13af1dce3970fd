"""SOAP 1.1 envelopes for EWS: safe parsing of requests, and responses in the shapes exchangelib reads.

Every response carries `ServerVersionInfo` (a 15.1 build reads as Exchange 2016), errors included, because
exchangelib's version probe reads it even from an error body.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

from lxml import etree

from reconciler.sandbox.types_xml import T, local, t

S = "http://schemas.xmlsoap.org/soap/envelope/"
M = "http://schemas.microsoft.com/exchange/services/2006/messages"
E = "http://schemas.microsoft.com/exchange/services/2006/errors"
NSMAP = {"s": S, "m": M, "t": T}
SERVER_VERSION = (
    '<t:ServerVersionInfo MajorVersion="15" MinorVersion="1" MajorBuildNumber="2507" '
    'MinorBuildNumber="6" Version="V2017_07_11"/>'
)
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=True, load_dtd=False
)


def m(name: str) -> str:
    return f"{{{M}}}{name}"


class SoapError(Exception):
    """A request the server cannot take at all: answered as a SOAP Fault (HTTP 500)."""

    def __init__(self, code: str, message: str, status: int = 500) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Request:
    """A parsed EWS request: its operation element and what the SOAP header says about the caller."""

    operation: etree._Element
    impersonated: str | None
    server_version: str | None
    time_zone: str | None
    header_elements: tuple[etree._Element, ...] = ()
    """The SOAP header's elements in the types namespace (RequestServerVersion, ExchangeImpersonation...)."""

    @property
    def name(self) -> str:
        return local(self.operation.tag).removesuffix("Request")  # GetUserAvailabilityRequest


def parse_request(body: bytes) -> Request:
    """Parse an EWS SOAP request; `SoapError` when it is not well-formed or not an EWS operation."""
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise SoapError("ErrorSchemaValidation", f"The request is not well-formed XML: {exc}") from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:  # as parsed: whatever the body's encoding
        raise SoapError("ErrorSchemaValidation", "Document type declarations are not allowed.")
    if root.tag != f"{{{S}}}Envelope":
        raise SoapError("ErrorSchemaValidation", "The request is not a SOAP 1.1 envelope.")
    body_el = root.find(f"{{{S}}}Body")
    if body_el is None or len(body_el) != 1:
        raise SoapError("ErrorSchemaValidation", "The SOAP body must hold exactly one operation.")
    operation = body_el[0]
    if etree.QName(operation).namespace != M:
        raise SoapError("ErrorInvalidRequest", "The request is not an EWS operation.")
    header = root.find(f"{{{S}}}Header")
    impersonated = version = zone = None
    parts: tuple[etree._Element, ...] = ()
    if header is not None:
        parts = tuple(el for el in header if isinstance(el.tag, str) and etree.QName(el).namespace == T)
        sid = header.find(f"{t('ExchangeImpersonation')}/{t('ConnectingSID')}")
        if sid is not None and len(sid):
            impersonated = (sid[0].text or "").strip().lower() or None
        rsv = header.find(t("RequestServerVersion"))
        version = rsv.get("Version") if rsv is not None else None
        tz = header.find(f"{t('TimeZoneContext')}/{t('TimeZoneDefinition')}")
        zone = tz.get("Id") if tz is not None else None
    return Request(operation, impersonated, version, zone, parts)


def envelope(body_xml: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<s:Envelope xmlns:s="{S}" xmlns:m="{M}" xmlns:t="{T}">'
        f"<s:Header>{SERVER_VERSION}</s:Header><s:Body>{body_xml}</s:Body></s:Envelope>"
    ).encode()


@dataclass(frozen=True)
class Whole:
    """An operation's whole answer element, for the few operations whose answer is not a list of
    `m:ResponseMessages` (GetUserAvailability)."""

    xml: str


def response_message(response_class: str, code: str = "NoError", text: str = "") -> str:
    """A bare `m:ResponseMessage` (inside an answer shaped as `Whole`)."""
    said = f"<m:MessageText>{escape(text)}</m:MessageText>" if text else ""
    return (
        f'<m:ResponseMessage ResponseClass="{response_class}">{said}<m:ResponseCode>{code}</m:ResponseCode>'
        "</m:ResponseMessage>"
    )


def response(operation: str, messages: list[str] | Whole) -> bytes:
    """`m:<Op>Response/m:ResponseMessages/...`: one message per requested item, in request order."""
    if isinstance(messages, Whole):
        return envelope(messages.xml)
    return envelope(
        f"<m:{operation}Response><m:ResponseMessages>{''.join(messages)}</m:ResponseMessages>"
        f"</m:{operation}Response>"
    )


def success(operation: str, inner: str = "") -> str:
    return (
        f'<m:{operation}ResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>'
        f"{inner}</m:{operation}ResponseMessage>"
    )


def error(operation: str, code: str, text: str, inner: str = "", response_class: str = "Error") -> str:
    return (
        f'<m:{operation}ResponseMessage ResponseClass="{response_class}"><m:MessageText>{escape(text)}'
        f"</m:MessageText><m:ResponseCode>{code}</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>"
        f"{inner}</m:{operation}ResponseMessage>"
    )


def warning(operation: str, code: str, text: str, inner: str = "") -> str:
    """A Warning: the operation did its work and says something about it (e.g. several names matched)."""
    return error(operation, code, text, inner, response_class="Warning")


def fault(code: str, text: str, back_off_ms: int | None = None) -> bytes:
    """A SOAP Fault as Exchange sends it; `back_off_ms` adds the BackOffMilliseconds hint."""
    xml = ""
    if back_off_ms is not None:
        xml = (
            f'<t:MessageXml xmlns:t="{T}"><t:Value Name="BackOffMilliseconds">{back_off_ms}</t:Value>'
            "</t:MessageXml>"
        )
    return _fault(code, text, text, xml)


def schema_fault(violation: str, line: int, column: int) -> bytes:
    """Exchange's refusal of a request its schemas do not admit: the violation in the faultstring and again
    in MessageXml with where it is, the detail's Message kept short (exchangelib joins the two)."""
    xml = (
        f'<t:MessageXml xmlns:t="{T}"><t:LineNumber>{line}</t:LineNumber>'
        f"<t:LinePosition>{column}</t:LinePosition><t:Violation>{escape(violation)}</t:Violation></t:MessageXml>"
    )
    said = "The request failed schema validation"
    return _fault("ErrorSchemaValidation", f"{said}: {violation}", f"{said}.", xml)


def _fault(code: str, text: str, message: str, xml: str) -> bytes:
    return envelope(
        f'<s:Fault><faultcode xmlns:a="{T}">a:{code}</faultcode><faultstring xml:lang="en-US">{escape(text)}'
        f'</faultstring><detail><e:ResponseCode xmlns:e="{E}">{code}</e:ResponseCode>'
        f'<e:Message xmlns:e="{E}">{escape(message)}</e:Message>{xml}</detail></s:Fault>'
    )
