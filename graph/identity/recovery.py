"""Forgot password and forgot user ID. Thin: the rules are in resolvers/identity/recovery.py."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from auth.permissions import EVERYONE
from graph.access import allow
from graph.errors import UserError, user_errors
from resolvers.identity import recovery as rules


@strawberry.input(description="Who forgot their password.")
class RequestPasswordResetInput:
    username_or_email: str = strawberry.field(description="Your user ID or the email address of your account.")


@strawberry.type(description="Result of requestPasswordReset: the same whether or not an account matched.")
class RequestPasswordResetPayload:
    message: str | None = strawberry.field(
        description="What happens next. Identical whether or not an account matched; null when `errors` is not empty."
    )
    errors: list[UserError] = strawberry.field(description="An empty input, or too many requests (RATE_LIMITED).")


@strawberry.input(description="The reset link's token and the new password.")
class ResetPasswordInput:
    token: str = strawberry.field(description="The `token` parameter of the emailed link. Works once, for 30 minutes.")
    new_password: str = strawberry.field(
        description="12 to 128 characters, not a common or breached one, not built from your user ID or email. "
        "Never stored in clear."
    )


@strawberry.type(description="Result of resetPassword.")
class ResetPasswordPayload:
    message: str | None = strawberry.field(description="What happens next: sign in again (with MFA if you use it).")
    errors: list[UserError] = strawberry.field(
        description="INVALID_TOKEN for an unknown, used or expired link; WEAK_PASSWORD (the link stays usable)."
    )


@strawberry.input(description="Who forgot their user ID.")
class RequestUsernameReminderInput:
    email: str = strawberry.field(description="The email address of your account.")


@strawberry.type(description="Result of requestUsernameReminder: the same whether or not an account matched.")
class RequestUsernameReminderPayload:
    message: str | None = strawberry.field(
        description="What happens next. Identical whether or not an account matched; null when `errors` is not empty."
    )
    errors: list[UserError] = strawberry.field(description="A malformed email address, or too many requests.")


@strawberry.type
class RecoveryMutations:
    @strawberry.mutation(
        extensions=[allow(EVERYONE)],
        description="Forgot password: if an account matches the user ID or email, mail it a reset link (single "
        "use, 30 minutes; earlier links stop working). The answer never says whether one matched. Rate-limited "
        "per IP and per user ID or email typed.",
    )
    async def request_password_reset(
        self, info: Info, input: RequestPasswordResetInput
    ) -> RequestPasswordResetPayload:
        ctx = info.context
        outcome = await rules.request_password_reset(
            ctx.services, username_or_email=input.username_or_email, origin=ctx.origin
        )
        return RequestPasswordResetPayload(message=outcome.value, errors=user_errors(list(outcome.problems)))

    @strawberry.mutation(
        extensions=[allow(EVERYONE)],
        description="Set a new password from a reset link. Signs out every device of the account and mails an "
        "alert. It does not sign in, and it does not bypass MFA: the next sign-in still needs your "
        "two-step verification code if you use one.",
    )
    async def reset_password(self, info: Info, input: ResetPasswordInput) -> ResetPasswordPayload:
        ctx = info.context
        outcome = await rules.reset_password(
            ctx.services, token=input.token, new_password=input.new_password, origin=ctx.origin
        )
        return ResetPasswordPayload(message=outcome.value, errors=user_errors(list(outcome.problems)))

    @strawberry.mutation(
        extensions=[allow(EVERYONE)],
        description="Forgot user ID: mail the user ID(s) of the accounts using this email address. The answer "
        "never says whether one exists. Rate-limited per IP and per address.",
    )
    async def request_username_reminder(
        self, info: Info, input: RequestUsernameReminderInput
    ) -> RequestUsernameReminderPayload:
        ctx = info.context
        outcome = await rules.request_username_reminder(ctx.services, email=input.email, origin=ctx.origin)
        return RequestUsernameReminderPayload(message=outcome.value, errors=user_errors(list(outcome.problems)))
