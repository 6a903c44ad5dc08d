"""Two-step verification (TOTP): enrol, confirm, turn off, new recovery codes."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from auth.permissions import CUSTOMERS, SIGNED_IN, SIGNED_IN_OR_ENROLLING
from graph.access import allow
from graph.errors import UserError, user_errors
from graph.identity.types import UserType
from resolvers.identity import mfa as mfa_rules


@strawberry.input(description="Nothing to give: starts (or restarts) enrolment for the signed-in user.")
class BeginMfaEnrolmentInput:
    client_mutation_id: str | None = strawberry.field(
        default=None, description="Echo value for the client's own bookkeeping."
    )


@strawberry.type(description=(
    "A new authenticator secret, shown once. Add it to an authenticator app (scan the QR code or type the "
    "secret), then call `confirmMfaEnrolment` with a code from the app. Nothing changes until then."
))
class BeginMfaEnrolmentPayload:
    secret: str | None = strawberry.field(description="The secret in base32, for typing into the app by hand.")
    provisioning_uri: str | None = strawberry.field(description="The otpauth:// URI (TOTP, SHA-1, 6 digits, 30 s).")
    qr_code_svg: str | None = strawberry.field(description="The URI as a QR code: inline SVG markup.")
    errors: list[UserError] = strawberry.field(description="Why enrolment could not start; empty on success.")


@strawberry.input(description="A first code from the authenticator app, proving it holds the new secret.")
class ConfirmMfaEnrolmentInput:
    code: str = strawberry.field(description="The current 6-digit code.")


@strawberry.type(description="Result of confirming enrolment: MFA is on, with ten new recovery codes.")
class ConfirmMfaEnrolmentPayload:
    recovery_codes: list[str] | None = strawberry.field(
        description="Ten single-use recovery codes, shown this once: store them somewhere safe."
    )
    viewer: UserType | None = strawberry.field(description="The signed-in user, now with MFA on.")
    errors: list[UserError] = strawberry.field(description="Why the code was refused; empty on success.")


@strawberry.input(description="Nothing to give: turns MFA off for the signed-in customer.")
class DisableMfaInput:
    client_mutation_id: str | None = strawberry.field(
        default=None, description="Echo value for the client's own bookkeeping."
    )


@strawberry.type(description="Result of turning MFA off.")
class DisableMfaPayload:
    viewer: UserType | None = strawberry.field(description="The signed-in user, now without MFA.")
    errors: list[UserError] = strawberry.field(description="Why MFA stayed on; empty on success.")


@strawberry.input(description="Nothing to give: replaces every recovery code of the signed-in user.")
class RegenerateRecoveryCodesInput:
    client_mutation_id: str | None = strawberry.field(
        default=None, description="Echo value for the client's own bookkeeping."
    )


@strawberry.type(description="Ten new recovery codes; the earlier ones no longer work.")
class RegenerateRecoveryCodesPayload:
    recovery_codes: list[str] | None = strawberry.field(description="Ten single-use recovery codes, shown this once.")
    errors: list[UserError] = strawberry.field(description="Why no codes were made; empty on success.")


def _caller(info: Info):
    ctx = info.context
    return ctx.user or ctx.enrolling_user


@strawberry.type
class MfaMutations:
    @strawberry.mutation(
        extensions=[allow(SIGNED_IN_OR_ENROLLING)],
        description="Start turning on two-step verification (or moving it to a new authenticator app). Needs a "
        "sign-in or re-authentication within 5 minutes (except in the enrolment session of a new staff member).",
    )
    async def begin_mfa_enrolment(
        self, info: Info, input: BeginMfaEnrolmentInput | None = None
    ) -> BeginMfaEnrolmentPayload:
        ctx = info.context
        outcome = await mfa_rules.begin_enrolment(ctx.services, user=_caller(info), session=ctx.session,
                                                  origin=ctx.origin)
        made = outcome.enrolment
        return BeginMfaEnrolmentPayload(
            secret=made.secret if made else None, provisioning_uri=made.provisioning_uri if made else None,
            qr_code_svg=made.qr_code_svg if made else None, errors=user_errors(list(outcome.problems)),
        )

    @strawberry.mutation(
        extensions=[allow(SIGNED_IN_OR_ENROLLING)],
        description="Finish enrolment with a code from the app: MFA is on, the recovery codes are returned once, "
        "an alert is emailed, and a staff enrolment session becomes a full session.",
    )
    async def confirm_mfa_enrolment(
        self, info: Info, input: ConfirmMfaEnrolmentInput
    ) -> ConfirmMfaEnrolmentPayload:
        ctx = info.context
        outcome = await mfa_rules.confirm_enrolment(ctx.services, user=_caller(info), session=ctx.session,
                                                    code=input.code, origin=ctx.origin)
        if outcome.problems:
            return ConfirmMfaEnrolmentPayload(recovery_codes=None, viewer=None,
                                              errors=user_errors(list(outcome.problems)))
        if outcome.upgraded_session:
            ctx.user, ctx.enrolling_user = outcome.user, None
        return ConfirmMfaEnrolmentPayload(recovery_codes=list(outcome.recovery_codes),
                                          viewer=UserType.from_model(outcome.user), errors=[])

    @strawberry.mutation(
        extensions=[allow(CUSTOMERS)],
        description="Turn two-step verification off (customers only: staff must keep it). Needs a sign-in or "
        "re-authentication within 5 minutes; an alert is emailed.",
    )
    async def disable_mfa(self, info: Info, input: DisableMfaInput | None = None) -> DisableMfaPayload:
        ctx = info.context
        outcome = await mfa_rules.disable(ctx.services, user=ctx.user, session=ctx.session, origin=ctx.origin)
        if outcome.problems:
            return DisableMfaPayload(viewer=None, errors=user_errors(list(outcome.problems)))
        return DisableMfaPayload(viewer=UserType.from_model(outcome.user), errors=[])

    @strawberry.mutation(
        extensions=[allow(SIGNED_IN)],
        description="Replace all recovery codes with ten new ones (shown once). Needs a sign-in or "
        "re-authentication within 5 minutes.",
    )
    async def regenerate_recovery_codes(
        self, info: Info, input: RegenerateRecoveryCodesInput | None = None
    ) -> RegenerateRecoveryCodesPayload:
        ctx = info.context
        outcome = await mfa_rules.regenerate_recovery_codes(ctx.services, user=ctx.user, session=ctx.session,
                                                            origin=ctx.origin)
        if outcome.problems:
            return RegenerateRecoveryCodesPayload(recovery_codes=None, errors=user_errors(list(outcome.problems)))
        return RegenerateRecoveryCodesPayload(recovery_codes=list(outcome.recovery_codes), errors=[])
