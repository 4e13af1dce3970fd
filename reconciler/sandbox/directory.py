"""Who exists, what the directory calls them, and who may act for whom: the part of Exchange's directory
the sandbox needs.

By default any address has a mailbox (created on first use). Who may act for whom is `rights.py`'s: Graph
apps and EWS accounts, by default exactly what README asks an administrator for. A `Directory` with a fixed
set of mailboxes makes the sandbox answer as Exchange does when an organizer's address is wrong.

Display names come from the directory as on a tenant, whatever name a client sent: those a directory file
gives (`sandbox serve --directory FILE`), and for any other address one derived from it the way a tenant's
directory usually names people (`alice.jansen@example.com` → "Alice Jansen").
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import yaml

from reconciler.sandbox.rights import Account, App, parse_accounts, parse_apps


@dataclass(frozen=True)
class RoomPolicy:
    """A room's calendar processing (Set-CalendarProcessing): Exchange's defaults unless its entry in a
    directory file says otherwise (`rooms.py` applies it)."""

    automate_processing: str = "AutoAccept"
    allow_conflicts: bool = False
    booking_window_days: int = 180
    enforce_scheduling_horizon: bool = True
    maximum_duration_minutes: int = 1440
    allow_recurring_meetings: bool = True
    conflict_percentage_allowed: int = 0
    maximum_conflict_instances: int = 0
    capacity: int | None = None


@dataclass(frozen=True)
class Directory:
    mailboxes: frozenset[str] | None = None
    """The addresses that have a mailbox; None: every address does."""
    impersonation: bool = True
    """Whether an EWS account the directory does not list holds ApplicationImpersonation (on every
    mailbox)."""
    names: dict[str, str] = field(default_factory=dict)
    """Display names by address (lower-case), from a directory file."""
    rooms: dict[str, RoomPolicy] = field(default_factory=dict)
    """Rooms the directory file sets up; any other mailbox invited as a resource has Exchange's defaults."""
    apps: dict[str, App] | None = None
    """Graph app registrations by client id; None: any client id is an app with README's permission."""
    accounts: dict[str, Account] = field(default_factory=dict)
    """EWS accounts by user name (lower case, without a domain); `*`: any account not listed."""
    issuers: dict[str, str] = field(default_factory=dict)
    """External token issuers apps trust (`rights.Federated`): issuer → its JWKS (a file, or a loopback
    URL)."""

    def app(self, client_id: str) -> App | None:
        """The app registration of `client_id`, None when the directory has none."""
        if self.apps is None:
            return App()
        return self.apps.get(client_id) or self.apps.get("*")

    def account(self, user: str | None) -> Account:
        """What an EWS account may do (`user` None: the loopback caller that names a mailbox to impersonate
        without authenticating, which the sandbox lets act as any account not listed)."""
        found = self.accounts.get(user or "*") or self.accounts.get("*")
        return found or Account(impersonation=self.impersonation)

    def refusal(self, user: str | None, mailbox: str, impersonating: bool = True) -> tuple[str, str] | None:
        """(response code, text) of the fault Exchange answers for `user` acting for `mailbox`, or None."""
        if self.mailboxes is not None and mailbox not in self.mailboxes:
            return "ErrorNonExistentMailbox", f"The SMTP address {mailbox} has no mailbox associated with it."
        if impersonating and mailbox != user and not self.account(user).may_impersonate(mailbox):
            return (
                "ErrorImpersonateUserDenied",
                "The account does not have permission to impersonate the requested user.",
            )
        return None

    def display_name(self, address: str) -> str:
        """The directory's display name of `address`."""
        address = address.strip().lower()
        known = self.names.get(address)
        if known:
            return known
        local = address.split("@", 1)[0]
        words = [w for w in local.replace("_", ".").replace("-", ".").split(".") if w]
        return " ".join(w[:1].upper() + w[1:] for w in words) or address

    def resolve(self, entry: str, known: list[str]) -> list[str]:
        """The addresses an ambiguous name resolves to, as Exchange's ambiguous name resolution matches:
        the whole SMTP address, or the start of the address's local part, of the display name, or of one of
        its words (case-insensitive). `known`: the mailboxes in use; a directory file's ones count too. A
        whole address no one has used resolves to itself while every address has a mailbox."""
        wanted = entry.strip().lower().removeprefix("smtp:")
        if not wanted:
            return []
        people = sorted({*known, *self.names, *self.rooms, *(self.mailboxes or ())})
        if "@" in wanted:
            open_directory = self.mailboxes is None
            return [wanted] if wanted in people or open_directory else []

        def matches(address: str) -> bool:
            name = self.display_name(address).lower()
            return any(w.startswith(wanted) for w in (address.split("@")[0], name, *name.split()))

        return [a for a in people if matches(a)]


class DirectoryError(ValueError):
    """A directory file that cannot be used; the message names the file and what to change."""


def load_directory(path: Path, base: Directory | None = None) -> Directory:
    """A directory file: `people:` and `rooms:` mapping addresses to display names (or to `{name: ...}`).

    ```yaml
    people:
      alice@example.com: Alice Jansen
    rooms:
      room-oak@example.com: {name: Oak room}
    apps:                                  # Graph app registrations (`rights.parse_apps`)
      planner: {permissions: [Calendars.Read], mailboxes: [lead@example.com]}
    accounts:                              # EWS accounts (`rights.parse_accounts`)
      reviewer: {folders: {lead@example.com: {calendar: Reviewer}}}
    ```
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError) as exc:
        raise DirectoryError(f"{path}: cannot read the directory file ({exc})") from None
    except yaml.YAMLError as exc:
        raise DirectoryError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise DirectoryError(f"{path}: a directory file is a mapping with `people:` and `rooms:`")
    unknown = sorted(set(data) - {"people", "rooms", "apps", "accounts", "issuers"})
    if unknown:
        raise DirectoryError(
            f"{path}: unknown section(s) {', '.join(unknown)}; use people:, rooms:, apps:, accounts: and "
            "issuers:"
        )
    issuers = data.get("issuers") or {}
    if not isinstance(issuers, dict):
        raise DirectoryError(f"{path}: issuers: maps issuer URLs to their JWKS file or loopback URL")
    try:
        apps = parse_apps(data["apps"]) if "apps" in data else None
        accounts = parse_accounts(data["accounts"]) if "accounts" in data else {}
    except ValueError as exc:
        raise DirectoryError(f"{path}: {exc}") from None
    names: dict[str, str] = {}
    rooms: dict[str, RoomPolicy] = {}
    for section in ("people", "rooms"):
        entries = data.get(section) or {}
        if not isinstance(entries, dict):
            raise DirectoryError(f"{path}: {section}: maps addresses to display names")
        for address, value in entries.items():
            key = str(address).strip().lower()
            names[key] = _name(path, section, str(address), value)
            if section == "rooms":
                rooms[key] = _room(path, str(address), value)
    base = base or Directory()
    return replace(
        base,
        names={**base.names, **names},
        rooms={**base.rooms, **rooms},
        apps=base.apps if apps is None else {**(base.apps or {}), **apps},
        accounts={**base.accounts, **accounts},
        issuers={**base.issuers, **{str(k): str(v) for k, v in issuers.items()}},
    )


_ROOM_KEYS = {f.name: f.type for f in fields(RoomPolicy)}


def _room(path: Path, address: str, value: Any) -> RoomPolicy:
    """A room's settings: its entry's keys beside `name` (Set-CalendarProcessing's, in snake case)."""
    settings = {k: v for k, v in value.items() if k != "name"} if isinstance(value, dict) else {}
    unknown = sorted(set(settings) - set(_ROOM_KEYS))
    if unknown:
        raise DirectoryError(
            f"{path}: rooms: {address}: unknown setting(s) {', '.join(unknown)}; "
            f"known: name, {', '.join(_ROOM_KEYS)}"
        )
    processing = settings.get("automate_processing", "AutoAccept")
    if processing not in ("AutoAccept", "AutoUpdate", "None", None):
        raise DirectoryError(
            f"{path}: rooms: {address}: automate_processing is AutoAccept, AutoUpdate or None"
        )
    settings["automate_processing"] = "None" if processing is None else processing
    try:
        return RoomPolicy(**settings)
    except TypeError as exc:
        raise DirectoryError(f"{path}: rooms: {address}: {exc}") from None


def _name(path: Path, section: str, address: str, value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("name")
    if not isinstance(value, str) or not value.strip():
        raise DirectoryError(f"{path}: {section}: {address}: give a display name (`{address}: Some Name`)")
    return value.strip()
