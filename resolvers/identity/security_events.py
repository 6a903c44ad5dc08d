"""A user's own security events: the audit log rows about them, with a human description.

Only rows whose subject is the user are ever selected. When staff acted on the account, the
event says so (`by_staff`) and the staff member's network address is not shown.
"""

from __future__ import annotations

from tortoise.queryset import QuerySet

from models import AuditEvent, User

# Human text per audit action; an action not listed here is shown by its name.
DESCRIPTIONS: dict[str, str] = {
    # signing in and out
    "login.succeeded": "Signed in",
    "login.failed": "A sign-in attempt with your user ID failed",
    "login.challenge_required": "A sign-in attempt was asked to solve a security challenge",
    "login.mfa_required": "Password accepted at sign-in; an authenticator code was asked for",
    "mfa.challenge_failed": "A wrong authenticator or recovery code was entered at sign-in",
    "mfa.recovery_code_used": "A recovery code was used to sign in",
    "login.locked": "Account locked for 24 hours after too many failed sign-in attempts",
    "login.rejected_locked": "A sign-in attempt was refused because the account was locked",
    "account.unlocked": "Account unlocked",
    "logout": "Signed out",
    "session.revoked": "Signed out a device",
    "session.revoked_all": "Signed out of all devices",
    # changes to the account
    "reauth.succeeded": "Confirmed it was you before a sensitive change",
    "reauth.failed": "A wrong password or code was given to confirm it was you",
    "password.changed": "Password changed",
    "password.change_failed": "A password change was refused (wrong current password)",
    "password.reset_requested": "Password reset requested",
    "password.reset": "Password reset with an emailed link",
    "payment_method.added": "Payment method added",
    "payment_method.removed": "Payment method removed",
    "payment_method.default_changed": "Default payment method changed",
    "autopay.enrolled": "Autopay turned on",
    "autopay.changed": "Autopay changed",
    "autopay.paused": "Autopay paused for one payment",
    "autopay.cancelled": "Autopay turned off",
    "username.reminder_requested": "User ID reminder requested",
    "username.reminder_sent": "User ID reminder sent by email",
    "email.change_requested": "Email address change requested",
    "email.changed": "Email address changed",
    "email.verified": "Email address verified",
    "mfa.enabled": "Two-step verification turned on",
    "mfa.disabled": "Two-step verification turned off",
    "mfa.reset": "Two-step verification reset",
    "mfa.recovery_codes_regenerated": "New recovery codes created",
    "preferences.updated": "Communication preferences updated",
    # the account's life
    "registration.completed": "Account created",
    "staff.created": "Account created by an administrator",
    "staff.setup_completed": "Account set up",
    "coverage.added": "Your dealership added a coverage product to your vehicle",
    "coverage.cancelled": "Your dealership cancelled a coverage product on your vehicle",
    "service.visit_recorded": "A dealership recorded a service visit on your vehicle",
    "support.viewed_account": "Support viewed your account",
    "support.viewed_messages": "Support read your secure messages",
    "support.replied_to_message": "Support replied to your secure message",
    "support.assigned_message_thread": "Your secure message thread was assigned to a support specialist",
    "support.linked_message_thread": "Support linked your secure message thread to a case",
    "support.closed_message_thread": "Support closed your secure message thread",
    "support.verification_code_sent": "Support sent you a verification code",
    "support.identity_verified": "Support verified your identity",
    "support.identity_verification_failed": "A support identity check for your account failed",
    "support.identity_verification_refused": "A support identity check was refused after too many failures",
    "support.correction_proposed": "Support proposed a correction to your account's payments or fees",
    "support.correction_posted": "A correction to your account's payments or fees was approved and posted",
    "support.correction_rejected": "A proposed correction to your account was not approved; nothing changed",
    "support.correction_cancelled": "A proposed correction to your account was withdrawn; nothing changed",
    "support.case_opened": "Support opened a case about your account",
    "support.case_note_added": "Support added a note to a case about your account",
    "support.case_assigned": "A case about your account was assigned to a support specialist",
    "support.case_status_changed": "The status of a case about your account changed",
}


def events_about(user: User | None) -> QuerySet[AuditEvent]:
    """Audit events whose subject is `user` (none for nobody)."""
    if user is None:
        return AuditEvent.filter(id__in=[])
    return AuditEvent.filter(subject_id=user.id)


def describe(action: str) -> str:
    return DESCRIPTIONS.get(action, action)


def by_staff(row: AuditEvent) -> bool:
    """Someone other than the user acted (support, admin); system events have no actor."""
    return row.actor_id is not None and row.actor_id != row.subject_id
