"""Where the sandbox answers as Exchange does, rule by rule, each with the Microsoft reference it follows.

Every test drives the sandbox through a client this project did not write (exchangelib) or with the raw
SOAP a client sends, so a rule is checked on the wire, not inside the sandbox.
"""

from __future__ import annotations

import requests
from lxml import etree

M = "http://schemas.microsoft.com/exchange/services/2006/messages"
XSI = "http://www.w3.org/2001/XMLSchema-instance"


def test_convert_id_answers_the_owning_mailbox(account, sandbox) -> None:
    """MS docs, "ConvertId operation": the answer is `m:AlternateId xsi:type="t:AlternateIdType"` with the
    Mailbox that owns the id, whatever mailbox the request named (DavMail sends a placeholder)."""
    root = account("lead@example.com").root.id
    raw = requests.post(
        sandbox.endpoint,
        data=(
            '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" '
            'xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><s:Header>'
            "<t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>lead@example.com"
            "</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation></s:Header><s:Body>"
            f'<m:ConvertId DestinationFormat="EwsId"><m:SourceIds><t:AlternateId Format="EwsId" Id="{root}" '
            'Mailbox="blah@blah.com"/></m:SourceIds></m:ConvertId></s:Body></s:Envelope>'
        ),
        headers={"Content-Type": "text/xml"},
        timeout=10,
    ).text
    answer = etree.fromstring(raw.encode()).find(f".//{{{M}}}AlternateId")
    assert answer is not None and answer.get("Mailbox") == "lead@example.com" and answer.get("Id") == root
    assert answer.get(f"{{{XSI}}}type") == "t:AlternateIdType"


def test_every_distinguished_folder_exists_with_its_class(account) -> None:
    """types.xsd DistinguishedFolderIdNameType; folder element types by class (CalendarFolder,
    ContactsFolder, TasksFolder, plain Folder). A new mailbox has them all, empty."""
    lead = account("lead@example.com")
    expected = {
        lead.contacts: ("Contacts", "IPF.Contact"),
        lead.tasks: ("Tasks", "IPF.Task"),
        lead.junk: ("Junk Email", "IPF.Note"),
        lead.calendar: ("Calendar", "IPF.Appointment"),
        lead.conflicts: ("Conflicts", "IPF.Note"),
    }
    for folder, (name, folder_class) in expected.items():
        assert (folder.name, folder.folder_class, folder.total_count) == (name, folder_class, 0)
    assert type(lead.contacts).__name__ == "Contacts" and type(lead.tasks).__name__ == "Tasks"


def test_request_log_has_one_line_per_request() -> None:
    """`sandbox serve --log-requests`: time, mailbox, operation, response messages, status, code, ms."""
    import io
    import re

    import exchangelib
    from exchangelib import IMPERSONATION, Account, Build, Configuration, Version
    from exchangelib.transport import NOAUTH

    from reconciler.sandbox import Sandbox
    from reconciler.sandbox.requestlog import RequestLog

    lines, bodies = io.StringIO(), io.StringIO()
    with Sandbox(request_log=RequestLog(lines, bodies)) as sb:
        config = Configuration(service_endpoint=sb.endpoint, auth_type=NOAUTH, version=Version(Build(15, 1)))
        lead = Account("lead@example.com", config=config, autodiscover=False, access_type=IMPERSONATION)
        assert lead.calendar.name == "Calendar"
        exchangelib.close_connections()
    logged = lines.getvalue().splitlines()
    assert len(logged) == sb.requests == 2
    assert re.fullmatch(r"\S+Z lead@example\.com GetFolder items=1 200 NoError \d+ms", logged[0])
    assert "<m:GetFolder>" in bodies.getvalue() and "GetFolderResponse" in bodies.getvalue()
