"""Who exists and who may act for whom: the part of Exchange's directory the sandbox needs.

By default any address has a mailbox (created on first use) and every caller may impersonate anyone, which
keeps tests short. A `Directory` with a fixed set of mailboxes, or without the impersonation right, makes
the sandbox answer as Exchange does when an organizer's address is wrong or the service account lacks the
ApplicationImpersonation role: a SOAP fault for the whole request.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Directory:
    mailboxes: frozenset[str] | None = None
    """The addresses that have a mailbox; None: every address does."""
    impersonation: bool = True
    """Whether an authenticated user may act for other mailboxes (ExchangeImpersonation)."""

    def refusal(self, user: str | None, mailbox: str) -> tuple[str, str] | None:
        """(response code, text) of the fault Exchange answers for `user` acting for `mailbox`, or None."""
        if self.mailboxes is not None and mailbox not in self.mailboxes:
            return "ErrorNonExistentMailbox", f"The SMTP address {mailbox} has no mailbox associated with it."
        if user and user != mailbox and not self.impersonation:
            return (
                "ErrorImpersonateUserDenied",
                "The account does not have permission to impersonate the requested user.",
            )
        return None
