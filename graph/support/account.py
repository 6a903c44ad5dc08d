"""Support's actions on a customer's login: unlock, reset MFA, resend an email. Each goes through a
case whose customer's identity is verified. Thin: the rules live in resolvers/support/account_actions.py."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from auth.permissions import SUPPORT_STAFF
from graph.access import allow
from graph.errors import UserError, user_errors
from graph.ids import row_id
from graph.support.customers import SupportLoginType
from graph.support.verification import CASE_TYPE_NAME
from resolvers.support import account_actions as rules
from resolvers.support.customer_view import login_locked_until

SupportEmailKindEnum = strawberry.enum(
    rules.EmailKind, name="SupportEmailKind",
    description="VERIFICATION: the email-verification link of a registration the customer started but did not "
    "confirm, again to the address they registered with. REGISTRATION: a registration link to the email on file, "
    "for a customer without a login.",
)
VERIFIED_CASE = ("The case's `id`: its customer is the one acted on, and the case needs a live identity "
                 "verification (`supportVerifyIdentity` or a confirmed code).")


@strawberry.input(description="Act on the login of a case's customer.")
class SupportAccountActionInput:
    case_id: strawberry.ID = strawberry.field(description=VERIFIED_CASE)


@strawberry.input(description="Resend an email to a case's customer.")
class SupportResendEmailInput:
    case_id: strawberry.ID = strawberry.field(description=VERIFIED_CASE)
    kind: SupportEmailKindEnum = strawberry.field(description="Which email.")  # type: ignore[valid-type]


@strawberry.type(description="Result of a support action on a customer's login.")
class SupportAccountActionPayload:
    login: SupportLoginType | None = strawberry.field(description="The login after the change; null on failure or "
                                                                  "when the customer has none.")
    sent_to: str | None = strawberry.field(description="Where the email about it went, masked; null on failure.")
    errors: list[UserError] = strawberry.field(
        description="VERIFICATION_REQUIRED without a live verification for the case; NOT_FOUND for an unknown case; "
        "INVALID for a resolved case or when there is nothing to do (not locked, MFA off, no login, no pending "
        "registration); CONFLICT to resend for a customer who has a login. Empty on success."
    )


async def _payload(info: Info, outcome: rules.ActionOutcome) -> SupportAccountActionPayload:
    if outcome.problems:
        return SupportAccountActionPayload(login=None, sent_to=None, errors=user_errors(list(outcome.problems)))
    login = None
    if outcome.user is not None:
        login = SupportLoginType.from_model(outcome.user,
                                            await login_locked_until(info.context.services, outcome.user))
    return SupportAccountActionPayload(login=login, sent_to=outcome.sent_to, errors=[])


@strawberry.type
class SupportAccountMutations:
    @strawberry.mutation(
        extensions=[allow(SUPPORT_STAFF)],
        description="Unlock the case's customer's login after too many failed sign-ins (needs a verified case): "
        "they can sign in at once. Audited and shown to the customer; they are emailed.",
    )
    async def support_unlock_account(self, info: Info, input: SupportAccountActionInput) -> SupportAccountActionPayload:
        ctx = info.context
        return await _payload(info, await rules.unlock_account(ctx.services, staff=ctx.user, origin=ctx.origin,
                                                               case_id=row_id(input.case_id, CASE_TYPE_NAME)))

    @strawberry.mutation(
        extensions=[allow(SUPPORT_STAFF)],
        description="Reset the case's customer's two-step verification (needs a verified case): the authenticator "
        "and recovery codes stop working and every device is signed out; they sign in with the password and enrol "
        "again. Audited and shown to the customer; they are emailed an alert.",
    )
    async def support_reset_mfa(self, info: Info, input: SupportAccountActionInput) -> SupportAccountActionPayload:
        ctx = info.context
        return await _payload(info, await rules.reset_mfa(ctx.services, staff=ctx.user, origin=ctx.origin,
                                                          case_id=row_id(input.case_id, CASE_TYPE_NAME)))

    @strawberry.mutation(
        extensions=[allow(SUPPORT_STAFF)],
        description="Resend an email-verification link (a registration not yet confirmed) or a registration link "
        "(a customer without a login) to the case's customer (needs a verified case). Audited.",
    )
    async def support_resend_email(self, info: Info, input: SupportResendEmailInput) -> SupportAccountActionPayload:
        ctx = info.context
        return await _payload(info, await rules.resend_email(
            ctx.services, staff=ctx.user, origin=ctx.origin, case_id=row_id(input.case_id, CASE_TYPE_NAME),
            kind=rules.EmailKind(input.kind)))
