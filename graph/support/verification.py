"""Verifying a caller's identity for a case: a knowledge check, or a one-time code sent to the
email or phone on file. Thin: the rules live in resolvers/support/verification.py.

(The dealer's `verifyCustomerIdentity` records an in-person ID check at onboarding; the desk's
mutations are named `support...` so the two cannot be confused.)"""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

import strawberry
from strawberry.types import Info

from auth.permissions import SUPPORT_STAFF
from graph.access import allow
from graph.errors import UserError, user_errors
from graph.ids import row_id
from models import IdentityVerification
from models import enums as model_enums
from resolvers.support import verification as rules

CASE_TYPE_NAME = "Case"  # graph/support/cases.py

VerificationMethodEnum = strawberry.enum(
    model_enums.VerificationMethod, name="IdentityVerificationMethod",
    description="KNOWLEDGE: date of birth, ZIP code and SSN last four checked against the record. EMAIL_CODE / "
    "SMS_CODE: a one-time code sent to the email or phone on file.",
)
VerificationStatusEnum = strawberry.enum(
    model_enums.VerificationStatus, name="IdentityVerificationStatus",
    description="PENDING: a code was sent and not yet confirmed. VERIFIED: the caller is the customer (until "
    "`expiresAt`). FAILED: a wrong knowledge check, or a code that was used up, replaced or not delivered.",
)


@strawberry.enum(name="VerificationChannel", description="Where to send a one-time code: always the one on file.")
class VerificationChannel(Enum):
    EMAIL = strawberry.enum_value("EMAIL", description="The customer's email address on file.")
    SMS = strawberry.enum_value("SMS", description="The customer's phone on file, by text message.")


@strawberry.type(name="SupportIdentityVerification", description="One identity check of a case's customer.")
class IdentityVerificationType:
    method: VerificationMethodEnum = strawberry.field(description="How.")  # type: ignore[valid-type]
    status: VerificationStatusEnum = strawberry.field(description="Where it is.")  # type: ignore[valid-type]
    created_at: datetime = strawberry.field(description="When it started (UTC).")
    code_expires_at: datetime | None = strawberry.field(description="A code: when it stops working (UTC).")
    attempts_left: int | None = strawberry.field(description="A pending code: how many more tries it allows.")
    verified_at: datetime | None = strawberry.field(description="When the caller was verified (UTC).")
    expires_at: datetime | None = strawberry.field(
        description=f"When the verification stops allowing account actions for this case "
        f"({int(rules.VERIFIED_FOR.total_seconds() // 60)} minutes after `verifiedAt`)."
    )

    @classmethod
    def from_model(cls, row: IdentityVerification) -> IdentityVerificationType:
        pending = row.status == model_enums.VerificationStatus.PENDING
        return cls(method=row.method, status=row.status, created_at=row.created_at, code_expires_at=row.code_expires_at,
                   attempts_left=max(rules.MAX_CODE_ATTEMPTS - row.attempts, 0) if pending else None,
                   verified_at=row.verified_at, expires_at=row.expires_at)


@strawberry.input(description="The answers the caller gives, checked against the record (all three must match).")
class SupportVerifyIdentityInput:
    case_id: strawberry.ID = strawberry.field(description="The case's `id`.")
    date_of_birth: date = strawberry.field(description="The caller's date of birth.")
    postal_code: str = strawberry.field(description="The ZIP code of the mailing address on file.")
    ssn_last4: str = strawberry.field(description="The last 4 digits of the caller's SSN.")


@strawberry.input(description="Send a one-time code to the customer's email or phone on file.")
class SupportSendVerificationCodeInput:
    case_id: strawberry.ID = strawberry.field(description="The case's `id`.")
    channel: VerificationChannel = strawberry.field(description="EMAIL or SMS (to the address or number on file).")


@strawberry.input(description="The code the caller reads out.")
class SupportConfirmVerificationCodeInput:
    case_id: strawberry.ID = strawberry.field(description="The case's `id`.")
    code: str = strawberry.field(description="The 6-digit code.")


@strawberry.type(description="Result of an identity check.")
class SupportVerificationPayload:
    verification: IdentityVerificationType | None = strawberry.field(
        description="The check; null when it could not be made (see `errors`). A wrong knowledge answer is not an "
        "error: it comes back FAILED."
    )
    sent_to: str | None = strawberry.field(description="A code sent: where, masked.")
    errors: list[UserError] = strawberry.field(
        description="NOT_FOUND for an unknown case; INVALID for bad input or a resolved case; LOCKED after "
        f"{rules.FAILURE_LIMIT} failed verifications of the customer within 24 hours; RATE_LIMITED for too many "
        "codes; INVALID_CODE for a wrong, expired or used code. Empty on success."
    )


def _payload(outcome: rules.VerificationOutcome) -> SupportVerificationPayload:
    if outcome.problems:
        return SupportVerificationPayload(verification=None, sent_to=None, errors=user_errors(list(outcome.problems)))
    return SupportVerificationPayload(verification=IdentityVerificationType.from_model(outcome.verification),
                                      sent_to=outcome.sent_to, errors=[])


@strawberry.type
class SupportVerificationMutations:
    @strawberry.mutation(
        extensions=[allow(SUPPORT_STAFF)],
        description="Check the caller's date of birth, ZIP code and SSN last four against the case's customer. All "
        f"three right: VERIFIED for {int(rules.VERIFIED_FOR.total_seconds() // 60)} minutes, for this case only. "
        f"Wrong: FAILED (which fact is not said); {rules.FAILURE_LIMIT} failures within 24 hours lock verification "
        "of the customer. Audited; the customer sees it in their security events.",
    )
    async def support_verify_identity(self, info: Info, input: SupportVerifyIdentityInput) -> SupportVerificationPayload:
        ctx = info.context
        return _payload(await rules.verify_knowledge(
            ctx.services, staff=ctx.user, origin=ctx.origin, case_id=row_id(input.case_id, CASE_TYPE_NAME),
            date_of_birth=input.date_of_birth, postal_code=input.postal_code, ssn_last4=input.ssn_last4))

    @strawberry.mutation(
        extensions=[allow(SUPPORT_STAFF)],
        description="Send a 6-digit code to the case's customer at the email or phone ON FILE (never elsewhere). It "
        f"works once, for {int(rules.CODE_TTL.total_seconds() // 60)} minutes and {rules.MAX_CODE_ATTEMPTS} tries; "
        "a new code replaces it. Audited.",
    )
    async def support_send_verification_code(self, info: Info,
                                             input: SupportSendVerificationCodeInput) -> SupportVerificationPayload:
        ctx = info.context
        method = (model_enums.VerificationMethod.EMAIL_CODE if input.channel == VerificationChannel.EMAIL
                  else model_enums.VerificationMethod.SMS_CODE)
        return _payload(await rules.send_code(ctx.services, staff=ctx.user, origin=ctx.origin,
                                              case_id=row_id(input.case_id, CASE_TYPE_NAME), method=method))

    @strawberry.mutation(
        extensions=[allow(SUPPORT_STAFF)],
        description="Confirm the code the caller reads out: VERIFIED for "
        f"{int(rules.VERIFIED_FOR.total_seconds() // 60)} minutes, for this case only. Audited.",
    )
    async def support_confirm_verification_code(
        self, info: Info, input: SupportConfirmVerificationCodeInput
    ) -> SupportVerificationPayload:
        ctx = info.context
        return _payload(await rules.confirm_code(ctx.services, staff=ctx.user, origin=ctx.origin,
                                                 case_id=row_id(input.case_id, CASE_TYPE_NAME), code=input.code))
