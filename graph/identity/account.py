"""Account self-service: signed-in devices, step-up re-authentication, password and email
changes, communication preferences. Thin: the rules live in resolvers/identity/."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.types import Info

from auth.permissions import EVERYONE, SIGNED_IN
from graph.access import allow
from graph.errors import UserError, user_errors
from graph.identity.account_types import CommunicationPreferencesType, SessionType
from graph.identity.types import UserType
from models.enums import SessionKind
from resolvers.errors import Problem
from resolvers.identity import account as account_rules
from resolvers.identity import preferences as preference_rules
from resolvers.identity import sessions as session_rules


def _session_id(raw: str) -> int | None:
    """The row id of a `Session` global id, or None for anything else (answered as NOT_FOUND)."""
    try:
        gid = relay.GlobalID.from_id(raw)
    except Exception:  # noqa: BLE001 - any malformed id is simply not one of your sessions
        return None
    if gid.type_name != SessionType.__strawberry_definition__.name or not gid.node_id.isdigit():
        return None
    return int(gid.node_id)


def _errors(problems: tuple[Problem, ...]) -> list[UserError]:
    return user_errors(list(problems))


# -- sessions ---------------------------------------------------------------------------------

@strawberry.input(description="Which of your signed-in devices to sign out.")
class RevokeSessionInput:
    session_id: strawberry.ID = strawberry.field(description="The `id` of one of your sessions (`viewer.sessions`).")


@strawberry.type(description="Result of revokeSession.")
class RevokeSessionPayload:
    revoked_session_id: strawberry.ID | None = strawberry.field(
        description="The id of the session that was signed out; null when nothing was."
    )
    errors: list[UserError] = strawberry.field(description="Why nothing was signed out; empty on success.")


@strawberry.input(description="Sign out every device of your account.")
class RevokeAllSessionsInput:
    include_current: bool = strawberry.field(
        default=False, description="Also sign out the device making this request (default false: keep it)."
    )


@strawberry.type(description="Result of revokeAllSessions.")
class RevokeAllSessionsPayload:
    revoked_count: int = strawberry.field(description="How many sessions were signed out.")
    errors: list[UserError] = strawberry.field(description="Why nothing was signed out; empty on success.")


# -- step-up ----------------------------------------------------------------------------------

@strawberry.input(
    description="Confirm it's you before a sensitive change: give exactly one of `password` or `totpCode`."
)
class ReauthenticateInput:
    password: str | None = strawberry.field(default=None, description="Your current password.")
    totp_code: str | None = strawberry.field(
        default=None, description="A code from your authenticator app (accounts with two-step verification)."
    )


@strawberry.type(description="Result of reauthenticate.")
class ReauthenticatePayload:
    reauthenticated_until: datetime | None = strawberry.field(
        description="Until when (UTC, 5 minutes) this session may make sensitive changes; null on failure."
    )
    errors: list[UserError] = strawberry.field(
        description="Why it failed (INVALID_CREDENTIALS, INVALID_CODE, LOCKED, ...); empty on success."
    )


# -- password and email -----------------------------------------------------------------------

@strawberry.input(description="Your current password and the new one.")
class ChangePasswordInput:
    current_password: str = strawberry.field(description="Your current password.")
    new_password: str = strawberry.field(
        description="The new password: 12 to 128 characters, not common, breached or easy to guess."
    )


@strawberry.type(description="Result of changePassword.")
class ChangePasswordPayload:
    viewer: UserType | None = strawberry.field(description="You, after the change; null when it failed.")
    errors: list[UserError] = strawberry.field(
        description="Why the password was not changed (REAUTHENTICATION_REQUIRED, INVALID_CREDENTIALS, "
        "WEAK_PASSWORD, ...); empty on success."
    )


@strawberry.input(description="The address you want to sign in and receive security mail with.")
class ChangeEmailInput:
    new_email: str = strawberry.field(description="The new email address; a confirmation link is sent to it.")


@strawberry.type(description="Result of changeEmail.")
class ChangeEmailPayload:
    pending_email: str | None = strawberry.field(
        description="The new address (masked) awaiting confirmation from the link mailed to it; null on failure."
    )
    errors: list[UserError] = strawberry.field(description="Why no link was sent; empty on success.")


@strawberry.input(description="The token from the link mailed to the new address.")
class ConfirmEmailChangeInput:
    token: str = strawberry.field(description="The `token` parameter of the confirmation link.")


@strawberry.type(description="Result of confirmEmailChange.")
class ConfirmEmailChangePayload:
    masked_email: str | None = strawberry.field(description="The new login email (masked); null on failure.")
    errors: list[UserError] = strawberry.field(
        description="INVALID_TOKEN when the link is unknown, expired or already used; empty on success."
    )


# -- communication preferences ----------------------------------------------------------------

@strawberry.input(
    description="The switches to change; leave a field out (or null) to keep it. Security alerts have no "
    "switch: they are always sent."
)
class UpdateCommunicationPreferencesInput:
    payment_reminders: bool | None = strawberry.field(default=None, description="Reminders before a payment is due.")
    payment_confirmations: bool | None = strawberry.field(
        default=None, description="A message when a payment is received."
    )
    statements_ready: bool | None = strawberry.field(
        default=None, description="A message when a new statement is available."
    )
    marketing: bool | None = strawberry.field(default=None, description="Offers and news.")
    paperless_statements: bool | None = strawberry.field(
        default=None, description="True: statements online only. False: paper statements are mailed too."
    )
    coverage_reminders: bool | None = strawberry.field(
        default=None, description="A message when a warranty or coverage product on your vehicle is about to end."
    )


@strawberry.type(description="Result of updateCommunicationPreferences.")
class UpdateCommunicationPreferencesPayload:
    communication_preferences: CommunicationPreferencesType | None = strawberry.field(
        description="Your preferences after the change."
    )
    errors: list[UserError] = strawberry.field(description="Why nothing changed; empty on success.")


@strawberry.type
class AccountMutations:
    @strawberry.mutation(
        extensions=[allow(SIGNED_IN)],
        description="Sign out one of your devices (see `viewer.sessions`); the current one signs you out here. "
        "A session that is not yours answers NOT_FOUND.",
    )
    async def revoke_session(self, info: Info, input: RevokeSessionInput) -> RevokeSessionPayload:
        ctx = info.context
        outcome = await session_rules.revoke_one(
            ctx.services, user=ctx.user, session_id=_session_id(input.session_id), current=ctx.session,
            origin=ctx.origin,
        )
        if outcome.problems:
            return RevokeSessionPayload(revoked_session_id=None, errors=_errors(outcome.problems))
        if outcome.was_current and ctx.session.kind == SessionKind.COOKIE:
            ctx.clear_session_cookies()
        return RevokeSessionPayload(revoked_session_id=input.session_id, errors=[])

    @strawberry.mutation(
        extensions=[allow(SIGNED_IN)],
        description="Sign out all your other devices (and this one too with `includeCurrent: true`).",
    )
    async def revoke_all_sessions(
        self, info: Info, input: RevokeAllSessionsInput | None = None
    ) -> RevokeAllSessionsPayload:
        ctx = info.context
        include_current = bool(input and input.include_current)
        count = await session_rules.revoke_all(
            ctx.services, user=ctx.user, current=ctx.session, include_current=include_current, origin=ctx.origin
        )
        if include_current and ctx.session is not None and ctx.session.kind == SessionKind.COOKIE:
            ctx.clear_session_cookies()
        return RevokeAllSessionsPayload(revoked_count=count, errors=[])

    @strawberry.mutation(
        extensions=[allow(SIGNED_IN)],
        description="Confirm it's you with your password or an authenticator code. Changing your password or "
        "email (and other sensitive changes) needs this within the last 5 minutes. Wrong passwords count "
        "towards the account lockout like failed sign-ins.",
    )
    async def reauthenticate(self, info: Info, input: ReauthenticateInput) -> ReauthenticatePayload:
        ctx = info.context
        outcome = await account_rules.reauthenticate(
            ctx.services, user=ctx.user, session=ctx.session, password=input.password, totp_code=input.totp_code,
            origin=ctx.origin,
        )
        return ReauthenticatePayload(reauthenticated_until=outcome.until, errors=_errors(outcome.problems))

    @strawberry.mutation(
        extensions=[allow(SIGNED_IN)],
        description="Change your password. Needs `reauthenticate` within the last 5 minutes and your current "
        "password. Signs out all your other devices and emails you an alert.",
    )
    async def change_password(self, info: Info, input: ChangePasswordInput) -> ChangePasswordPayload:
        ctx = info.context
        outcome = await account_rules.change_password(
            ctx.services, user=ctx.user, session=ctx.session, current_password=input.current_password,
            new_password=input.new_password, origin=ctx.origin,
        )
        if outcome.problems:
            return ChangePasswordPayload(viewer=None, errors=_errors(outcome.problems))
        return ChangePasswordPayload(viewer=UserType.from_model(ctx.user), errors=[])

    @strawberry.mutation(
        extensions=[allow(SIGNED_IN)],
        description="Change the email you sign in with and receive security mail at. Needs `reauthenticate` "
        "within the last 5 minutes. Sends a confirmation link (valid 24 hours) to the new address and an "
        "alert to the current one; nothing changes until the link is used (`confirmEmailChange`). This is "
        "the login's email only: the contact email on your contracts is not changed by it.",
    )
    async def change_email(self, info: Info, input: ChangeEmailInput) -> ChangeEmailPayload:
        ctx = info.context
        outcome = await account_rules.change_email(
            ctx.services, user=ctx.user, session=ctx.session, new_email=input.new_email, origin=ctx.origin
        )
        return ChangeEmailPayload(pending_email=outcome.masked_email, errors=_errors(outcome.problems))

    @strawberry.mutation(
        extensions=[allow(EVERYONE)],
        description="Use the link mailed by `changeEmail` (works once, from any device, signed in or not): "
        "your login email becomes the new address, and the old address is told.",
    )
    async def confirm_email_change(self, info: Info, input: ConfirmEmailChangeInput) -> ConfirmEmailChangePayload:
        ctx = info.context
        outcome = await account_rules.confirm_email_change(ctx.services, token=input.token, origin=ctx.origin)
        return ConfirmEmailChangePayload(masked_email=outcome.masked_email, errors=_errors(outcome.problems))

    @strawberry.mutation(
        extensions=[allow(SIGNED_IN)],
        description="Turn message categories on or off and choose paperless statements. Security alerts "
        "cannot be turned off (there is no field for them).",
    )
    async def update_communication_preferences(
        self, info: Info, input: UpdateCommunicationPreferencesInput
    ) -> UpdateCommunicationPreferencesPayload:
        ctx = info.context
        changes = {
            name: value for name in preference_rules.SWITCHES
            if (value := getattr(input, name)) is not None
        }
        prefs = await preference_rules.update(ctx.services, user=ctx.user, changes=changes, origin=ctx.origin)
        return UpdateCommunicationPreferencesPayload(
            communication_preferences=CommunicationPreferencesType.from_preferences(prefs), errors=[]
        )
