"""Staff accounts created by an admin. Thin: the rules are in resolvers/identity/staff.py."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from auth.permissions import ADMINS, EVERYONE
from graph import enums
from graph.access import allow
from graph.errors import UserError, user_errors
from graph.identity.registration import global_pk
from graph.identity.types import UserType
from resolvers.identity import staff as rules


@strawberry.input(description="The staff account to create. Its owner sets the password through an emailed link.")
class CreateStaffUserInput:
    username: str = strawberry.field(
        description="The user ID: 3 to 64 letters, digits, dots, dashes or underscores (case-insensitive)."
    )
    email: str = strawberry.field(description="Where the set-up link goes (the person's work address).")
    role: enums.Role = strawberry.field(description="A staff role (not CUSTOMER).")  # type: ignore[valid-type]
    dealership_id: strawberry.ID | None = strawberry.field(
        default=None, description="Global id of the dealership: required for DEALER_USER and DEALER_ADMIN, "
        "refused for other roles."
    )


@strawberry.type(description="Result of createStaffUser.")
class CreateStaffUserPayload:
    user: UserType | None = strawberry.field(
        description="The new account. It has no usable password until the set-up link is followed."
    )
    errors: list[UserError] = strawberry.field(
        description="INVALID input (e.g. a CUSTOMER role, a dealer role without a dealership), NOT_FOUND "
        "dealership, CONFLICT for a taken user ID."
    )


@strawberry.input(description="The set-up link's token and the first password.")
class CompleteStaffSetupInput:
    token: str = strawberry.field(description="The `token` parameter of the emailed link. Works once, for 72 hours.")
    password: str = strawberry.field(
        description="12 to 128 characters, not a common or breached one, not built from your user ID or email. "
        "Never stored in clear."
    )


@strawberry.type(description="Result of completeStaffSetup.")
class CompleteStaffSetupPayload:
    message: str | None = strawberry.field(
        description="What happens next: sign in, then enrol MFA (required for staff)."
    )
    errors: list[UserError] = strawberry.field(
        description="INVALID_TOKEN for an unknown, used or expired link; WEAK_PASSWORD (the link stays usable)."
    )


@strawberry.type
class StaffMutations:
    @strawberry.mutation(
        extensions=[allow(ADMINS)],
        description="Create a staff account and email its owner a set-up link (single use, 72 hours). Staff "
        "must enrol MFA at their first sign-in.",
    )
    async def create_staff_user(self, info: Info, input: CreateStaffUserInput) -> CreateStaffUserPayload:
        ctx = info.context
        given = input.dealership_id is not None
        outcome = await rules.create_staff_user(
            ctx.services, actor=ctx.user, username=input.username, email=input.email, role=input.role,
            dealership_id=global_pk(str(input.dealership_id), "Dealership") if given else None,
            dealership_given=given, origin=ctx.origin,
        )
        if outcome.problems:
            return CreateStaffUserPayload(user=None, errors=user_errors(list(outcome.problems)))
        return CreateStaffUserPayload(user=UserType.from_model(outcome.value), errors=[])

    @strawberry.mutation(
        extensions=[allow(EVERYONE)],
        description="Follow a staff set-up link: set the first password. Does not sign in; MFA enrolment "
        "follows at the first sign-in.",
    )
    async def complete_staff_setup(self, info: Info, input: CompleteStaffSetupInput) -> CompleteStaffSetupPayload:
        ctx = info.context
        outcome = await rules.complete_staff_setup(
            ctx.services, token=input.token, password=input.password, origin=ctx.origin
        )
        return CompleteStaffSetupPayload(message=outcome.value, errors=user_errors(list(outcome.problems)))
