"""Fixtures: a fresh sandbox per test, and exchangelib accounts on it (impersonation, version pinned)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import exchangelib
import pytest
from exchangelib import IMPERSONATION, Account, Build, CalendarItem, Configuration, Version
from exchangelib.extended_properties import ExtendedProperty
from exchangelib.protocol import FailFast, FaultTolerance
from exchangelib.transport import NOAUTH

from reconciler.sandbox import Sandbox
from reconciler.sandbox.rewrites import Rewrites

TZ = exchangelib.EWSTimeZone("Europe/Amsterdam")


class Key(ExtendedProperty):
    """A named property in the PublicStrings set, as the reconciler's marker uses."""

    distinguished_property_set_id = "PublicStrings"
    property_name = "sandbox-test-key"
    property_type = "String"


@pytest.fixture
def sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """The sandbox as a tenant behaves; `@pytest.mark.echo`: keeping what clients send (no rewrite rule)."""
    echo = request.node.get_closest_marker("echo") is not None
    with Sandbox(rewrites=Rewrites.echo() if echo else None) as sb:
        yield sb
    exchangelib.close_connections()


@pytest.fixture
def account(sandbox: Sandbox) -> Callable[..., Account]:
    def make(address: str, retry: FaultTolerance | None = None) -> Account:
        config = Configuration(
            service_endpoint=sandbox.endpoint,
            auth_type=NOAUTH,
            version=Version(Build(15, 1)),
            retry_policy=retry or FailFast(),
        )
        return Account(address, config=config, autodiscover=False, access_type=IMPERSONATION)

    return make


@pytest.fixture
def key_property() -> Iterator[type[Key]]:
    CalendarItem.register("test_key", Key)
    yield Key
    CalendarItem.deregister("test_key")


def dt(*args: int) -> exchangelib.EWSDateTime:
    return exchangelib.EWSDateTime(*args, tzinfo=TZ)


def meeting(
    acct: Account,
    subject: str,
    start: exchangelib.EWSDateTime,
    minutes: int = 30,
    attendees: tuple[str, ...] = (),
    **fields: object,
) -> CalendarItem:
    from datetime import timedelta

    return CalendarItem(
        account=acct,
        folder=acct.calendar,
        subject=subject,
        start=start,
        end=start + timedelta(minutes=minutes),
        required_attendees=[
            exchangelib.Attendee(mailbox=exchangelib.Mailbox(email_address=a)) for a in attendees
        ]
        or None,
        **fields,
    )
