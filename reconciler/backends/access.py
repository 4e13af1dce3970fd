"""What to tell an administrator when a mailbox refuses the reconciler's identity: the mailbox, the right the
operation needs, and the commands that grant it. One wording for both protocols' refusals.

The rights README asks for, per job: plan, drift, `show`, `responses`, `import` and `access` read (Graph
`Calendars.Read`; EWS a Reviewer delegate on the Calendar folder, or impersonation); apply writes (Graph
`Calendars.ReadWrite`; EWS ApplicationImpersonation, or an Editor delegate who may send on the owner's
behalf). Nothing needs mail rights. The advice never names a right the identity already holds: a write
refused names the write right, a read refused the read right, a mailbox outside the scope the scope.
"""

from __future__ import annotations

READ, WRITE, SEND, SCOPE, IMPERSONATE = "read", "write", "send", "scope", "impersonate"


def _said(*parts: str) -> str:
    return " ".join(parts)


def graph(mailbox: str, refused: str, detail: str) -> str:
    """A Graph 403 for `mailbox`: `refused` is READ, WRITE or SCOPE (Graph's "Access to OData is
    disabled.")."""
    if refused == SCOPE:
        return _said(
            f"mailbox {mailbox} is outside the app's mailbox scope ({detail}): add it to the management",
            "scope of the app's role assignment (Set-ManagementScope <scope> -RecipientRestrictionFilter",
            "..., or New-ManagementScope and New-ManagementRoleAssignment -App <app id> -Role",
            '"Application Calendars.ReadWrite" -CustomResourceScope <scope>);',
            f"Test-ServicePrincipalAuthorization -Identity <app id> -Resource {mailbox} shows what the app",
            "may do there",
        )
    if refused == WRITE:
        return _said(
            f"the app may read but not change {mailbox}'s calendar ({detail}): apply needs the",
            "Calendars.ReadWrite application permission (New-ManagementRoleAssignment -App <app id> -Role",
            '"Application Calendars.ReadWrite"); run apply with the identity that holds it, the plan\'s read',
            "identity cannot send",
        )
    return _said(
        f"the app may not read {mailbox}'s calendar ({detail}): plan, drift, show and responses need the",
        "Calendars.Read application permission (New-ManagementRoleAssignment -App <app id> -Role",
        '"Application Calendars.Read"), apply Calendars.ReadWrite',
    )


def ews(mailbox: str, refused: str, detail: str) -> str:
    """An EWS refusal for `mailbox`: READ or WRITE (ErrorAccessDenied), SEND (ErrorSendAsDenied) or
    IMPERSONATE (ErrorImpersonateUserDenied: outside the impersonation scope)."""
    folder = f"-Identity {mailbox}:\\Calendar -User <account> -AccessRights"
    if refused == IMPERSONATE:
        return _said(
            f"the service account may not impersonate mailbox {mailbox}: grant it the",
            "ApplicationImpersonation role within a management scope that includes the mailbox",
            "(New-ManagementScope <scope> -RecipientRestrictionFilter ...; New-ManagementRoleAssignment",
            "-Role ApplicationImpersonation -User <account> -CustomRecipientWriteScope <scope>), or use",
            f"target.access: delegate with folder rights on the calendar ({detail})",
        )
    if refused == SEND:
        return _said(
            f"the account may change {mailbox}'s calendar but not send meeting messages on its behalf",
            f"({detail}): add -SharingPermissionFlags Delegate to its Editor permission",
            f"(Set-MailboxFolderPermission {folder} Editor -SharingPermissionFlags Delegate), or apply",
            "with impersonation",
        )
    if refused == WRITE:
        return _said(
            f"the account may not change {mailbox}'s calendar ({detail}): apply needs",
            "ApplicationImpersonation or Editor on the Calendar folder (Add-MailboxFolderPermission",
            f"{folder} Editor -SharingPermissionFlags Delegate); run apply with the account that holds it,",
            "the plan's Reviewer account cannot send",
        )
    return _said(
        f"the account may not read {mailbox}'s calendar ({detail}): plan needs Reviewer on the Calendar",
        f"folder (Add-MailboxFolderPermission {folder} Reviewer) or ApplicationImpersonation",
    )


SCOPING = {
    "graph": _said(
        "scope the app to the organizers with RBAC for Applications (New-ServicePrincipal -AppId <app id>",
        "-ObjectId <object id>; New-ManagementScope -Name reconciler-organizers -RecipientRestrictionFilter",
        "\"MemberOfGroup -eq '<group of the organizers>'\"; New-ManagementRoleAssignment -App <app id> -Role",
        '"Application Calendars.ReadWrite" (the plan\'s app: "Application Calendars.Read")',
        "-CustomResourceScope reconciler-organizers), remove its tenant-wide Calendars.* consent in Entra,",
        "and check with Test-ServicePrincipalAuthorization -Identity <app id> -Resource <mailbox>",
    ),
    "ews": _said(
        "limit the account's ApplicationImpersonation to the organizers (New-ManagementScope -Name",
        "reconciler-organizers -RecipientRestrictionFilter",
        "\"MemberOfGroup -eq '<group of the organizers>'\"; New-ManagementRoleAssignment -Role",
        "ApplicationImpersonation -User <account>",
        "-CustomRecipientWriteScope reconciler-organizers), or give the plan account Reviewer on the",
        "organizers' calendars only (Add-MailboxFolderPermission <mailbox>:\\Calendar -User <account>",
        "-AccessRights Reviewer)",
    ),
}
"""How to keep an identity to the organizers' mailboxes, per protocol (`reconciler access`)."""
