"""Who may do what, as Exchange enforces it: the sandbox's default is what README asks an administrator for.

- **Graph apps** (`App`): an app registration with its credential, its application permissions
  (`Calendars.Read`, `Calendars.ReadWrite`, `Mail.Read`, `Mail.ReadWrite`, ...) and the mailboxes they
  reach (RBAC for Applications' management scope, or an application access policy; without one, every
  mailbox of the tenant). Graph's "Permissions" sections name what each resource needs (`NEEDS`); a
  missing permission is 403 `ErrorAccessDenied` "Access is denied. Check credentials and try again.", a
  mailbox outside the scope 403 `ErrorAccessDenied` "Access to OData is disabled.".
- **EWS accounts** (`Account`): ApplicationImpersonation within a management scope (`New-ManagementScope`;
  impersonating outside it is `ErrorImpersonateUserDenied`), FullAccess on mailboxes, or folder permissions
  as a delegate (`Add-MailboxFolderPermission -AccessRights Reviewer|Author|Editor|Owner`); a delegate's
  meeting requests go out on the owner's behalf only with `-SharingPermissionFlags Delegate` (or
  GrantSendOnBehalfTo): "Delegate access and EWS in Exchange". Beyond its rights: `ErrorAccessDenied`.

By default (no `apps:` or `accounts:` in a directory file) every client id is an app holding
`Calendars.ReadWrite` on every mailbox, and every EWS account holds ApplicationImpersonation on every
mailbox: README's setup, unscoped (the scope is the administrator's to add; a directory file can add it).
Not confirmed in Microsoft's reference here: the exact wording Exchange Online gives a request a scoped RBAC
assignment refuses (the application access policy's "Access to OData is disabled." is used for both).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

ALL = None
"""A scope that reaches every mailbox of the tenant."""
DENIED = "Access is denied. Check credentials and try again."
OUT_OF_SCOPE = "Access to OData is disabled."

READ, CREATE, EDIT, DELETE, OWN = "read", "create", "edit", "delete", "own"
ROLES: Mapping[str, frozenset[str]] = {
    "Reviewer": frozenset({READ}),
    "Author": frozenset({READ, CREATE}),
    "Editor": frozenset({READ, CREATE, EDIT, DELETE}),
    "Owner": frozenset({READ, CREATE, EDIT, DELETE, OWN}),
}
"""What `Add-MailboxFolderPermission -AccessRights` gives on one folder (FolderVisible included)."""
EVERYTHING = ROLES["Owner"]


@dataclass(frozen=True)
class Rights:
    """What a caller may do in the mailbox a request acts on: per folder (`*`: any other folder), and
    whether meeting messages may go out in the owner's name. The owner, an impersonating account and
    FullAccess hold `Rights()`: everything."""

    folders: Mapping[str, frozenset[str]] | None = None
    """None: every action in every folder."""
    send: bool = True

    def allows(self, folder: str, action: str) -> bool:
        if self.folders is None:
            return True
        return action in self.folders.get(folder, self.folders.get("*", frozenset()))


FULL = Rights()


def covers(scope: frozenset[str] | None, mailbox: str) -> bool:
    return scope is ALL or mailbox in scope


@dataclass(frozen=True)
class Federated:
    """A federated identity credential on an app: whose tokens it accepts instead of a secret
    (`graph/federation.py`), compared exactly."""

    issuer: str
    subject: str
    audiences: tuple[str, ...] = ("api://AzureADTokenExchange",)


@dataclass(frozen=True)
class App:
    """A Graph app registration: its client secret (None: the sandbox's password rule), its application
    permissions, the mailboxes they reach (None: the whole tenant), and the external tokens it accepts."""

    permissions: frozenset[str] = frozenset({"Calendars.ReadWrite"})
    secret: str | None = None
    mailboxes: frozenset[str] | None = ALL
    federated: tuple[Federated, ...] = ()

    def rights(self) -> Rights:
        """The app's rights in a mailbox its scope covers: the calendar by Calendars.*, the other folders by
        Mail.*; meeting messages go out with Calendars.ReadWrite (Graph sends them itself)."""

        def level(write: tuple[str, ...], read: tuple[str, ...]) -> frozenset[str]:
            return (
                EVERYTHING
                if self.permissions & set(write)
                else ROLES["Reviewer"]
                if self.permissions & set(read)
                else frozenset()
            )

        calendar = level(CALENDAR_WRITE, CALENDAR_READ)
        return Rights({"calendar": calendar, "*": level(MAIL_WRITE, MAIL_READ)}, send=EDIT in calendar)

    def refusal(self, mailbox: str, needs: tuple[str, ...]) -> str | None:
        """Graph's message when the app may not make this request (None: it may). `needs`: any of them."""
        if not covers(self.mailboxes, mailbox):
            return OUT_OF_SCOPE
        if needs and not self.permissions & set(needs):
            return DENIED
        return None


CALENDAR_READ = ("Calendars.Read", "Calendars.ReadWrite")
CALENDAR_WRITE = ("Calendars.ReadWrite",)
MAIL_READ = ("Mail.ReadBasic", "Mail.Read", "Mail.ReadWrite")
MAIL_WRITE = ("Mail.ReadWrite",)


def needs(resource: str, method: str) -> tuple[str, ...]:
    """The application permissions one of which a Graph request needs, by its resource (`events`,
    `calendar`, `calendarView`, `getSchedule`, `mailFolders`, `messages`) and method, as the "Permissions"
    section of each resource's pages lists them (least privileged first)."""
    write = method not in ("GET", "HEAD")
    if resource in ("mailFolders", "messages"):
        return MAIL_WRITE if write else MAIL_READ
    if resource == "getSchedule":  # a POST that only reads
        return CALENDAR_READ
    return CALENDAR_WRITE if write else CALENDAR_READ


@dataclass(frozen=True)
class Account:
    """An EWS account: ApplicationImpersonation (on every mailbox, none, or a management scope's),
    FullAccess on mailboxes, folder permissions on others' mailboxes, and on whose behalf its meeting
    messages may go."""

    impersonation: bool | frozenset[str] = True
    """True: every mailbox; False: not granted; a set: the management scope's mailboxes."""
    full_access: frozenset[str] = frozenset()
    folders: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Mailbox → folder → role (Reviewer, Author, Editor, Owner)."""
    send_on_behalf: frozenset[str] = frozenset()

    def may_impersonate(self, mailbox: str) -> bool:
        if isinstance(self.impersonation, bool):
            return self.impersonation
        return mailbox in self.impersonation

    def rights(self, user: str, mailbox: str) -> Rights:
        """What the account may do in `mailbox` without impersonating it."""
        if mailbox == user or mailbox in self.full_access:
            return FULL
        roles = self.folders.get(mailbox, {})
        return Rights({f: ROLES[role] for f, role in roles.items()}, send=mailbox in self.send_on_behalf)


# -- a directory file's `apps:` and `accounts:` (`directory.load_directory`) -------------------------------


def _addresses(value: object, where: str) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(a, str) for a in value):
        raise ValueError(f"{where}: a list of mailbox addresses")
    return frozenset(a.strip().lower() for a in value)


def _keys(entry: object, known: set[str], where: str) -> dict:
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: a mapping of {', '.join(sorted(known))}")
    unknown = sorted(set(entry) - known)
    if unknown:
        raise ValueError(
            f"{where}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    return entry


def _sections(entries: object, section: str, what: str, known: set[str]) -> Iterator[tuple[str, str, dict]]:
    """(name, where it is, its settings) of each entry of a directory file's `apps:` or `accounts:`."""
    if not isinstance(entries, dict):
        raise ValueError(f"{section}: maps {what} to {{{', '.join(sorted(known))}}}")
    for name, entry in entries.items():
        where = f"{section}: {name}"
        yield str(name), where, _keys(entry, known, where)


def parse_apps(entries: object) -> dict[str, App]:
    """`apps: {CLIENT_ID: {permissions: [...], secret: ..., mailboxes: [...], federated: [{issuer, subject,
    audiences}]}}`; `*`: any other client id."""
    out = {}
    known = {"permissions", "secret", "mailboxes", "federated"}
    for client_id, where, entry in _sections(entries, "apps", "client ids", known):
        permissions = entry.get("permissions", [])
        if not isinstance(permissions, list) or not all(isinstance(p, str) for p in permissions):
            raise ValueError(f"{where}: permissions: a list such as [Calendars.Read]")
        scope = _addresses(entry["mailboxes"], f"{where}: mailboxes") if "mailboxes" in entry else ALL
        secret = entry.get("secret")
        trusted = tuple(_federated(f, f"{where}: federated") for f in entry.get("federated") or [])
        out[client_id] = App(frozenset(permissions), None if secret is None else str(secret), scope, trusted)
    return out


def _federated(entry: object, where: str) -> Federated:
    entry = _keys(entry, {"issuer", "subject", "audiences"}, where)
    if not isinstance(entry.get("issuer"), str) or not isinstance(entry.get("subject"), str):
        raise ValueError(f"{where}: issuer and subject are required")
    audiences = entry.get("audiences", ["api://AzureADTokenExchange"])
    return Federated(entry["issuer"], entry["subject"], tuple(str(a) for a in audiences))


def parse_accounts(entries: object) -> dict[str, Account]:
    """`accounts: {USER: {impersonation: all | none | [...], full_access: [...], folders: {MAILBOX: {FOLDER:
    ROLE}}, send_on_behalf: [...]}}`; `*`: any other account."""
    out = {}
    known = {"impersonation", "full_access", "folders", "send_on_behalf"}
    for user, where, entry in _sections(entries, "accounts", "user names", known):
        given = entry.get("impersonation", "none")
        impersonation = {"all": True, "none": False}.get(given) if isinstance(given, str) else None
        if impersonation is None:
            impersonation = _addresses(given, f"{where}: impersonation (all, none or a list)")
        folders: dict[str, dict[str, str]] = {}
        for mailbox, roles in (entry.get("folders") or {}).items():
            roles = _keys(roles, {*_FOLDER_NAMES}, f"{where}: folders: {mailbox}")
            bad = sorted(r for r in roles.values() if r not in ROLES)
            if bad:
                raise ValueError(f"{where}: folders: {mailbox}: {bad[0]} is not one of {', '.join(ROLES)}")
            folders[str(mailbox).lower()] = {str(f): str(r) for f, r in roles.items()}
        out[user.lower()] = Account(
            impersonation,
            _addresses(entry.get("full_access", []), f"{where}: full_access"),
            folders,
            _addresses(entry.get("send_on_behalf", []), f"{where}: send_on_behalf"),
        )
    return out


_FOLDER_NAMES = ("calendar", "inbox", "sentitems", "deleteditems", "drafts", "msgfolderroot", "root", "*")
