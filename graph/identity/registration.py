"""Registration: identity proofing with an emailed link, and the dealer-issued access link.
Thin: the rules are in resolvers/identity/registration.py."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry import relay
from strawberry.types import Info

from auth.permissions import DEALERS, EVERYONE
from graph.access import allow
from graph.errors import UserError, user_errors
from resolvers.identity import registration as rules
from resolvers.masking import mask_email


def global_pk(value: str, type_name: str) -> int | None:
    """The database id inside a global id of `type_name`, or None when it is not one."""
    try:
        gid = relay.GlobalID.from_id(value)
    except Exception:  # noqa: BLE001 - any malformed id is treated as "no such object"
        return None
    if gid.type_name != type_name or not gid.node_id.isdigit():
        return None
    return int(gid.node_id)


@strawberry.input(description="What the lender already has on file, to find your contract, and the login you want.")
class RegisterInput:
    contract_number: str = strawberry.field(description="The account (contract) number on your contract or statement.")
    last_name: str = strawberry.field(description="Your last name as on the contract.")
    date_of_birth: date = strawberry.field(description="Your date of birth.")
    zip_code: str = strawberry.field(description="The ZIP code of your address on file (5 digits or ZIP+4).")
    ssn_last4: str = strawberry.field(description="The last 4 digits of your SSN (never the whole number).")
    username: str = strawberry.field(
        description="The user ID you want: 3 to 64 letters, digits, dots, dashes or underscores (case-insensitive)."
    )
    email: str = strawberry.field(description="Where to send the confirmation link; it becomes your sign-in email.")
    password: str = strawberry.field(
        description="The password you want: 12 to 128 characters, not a common or breached one. Never stored in clear."
    )


@strawberry.type(description="Result of register: the same message whether or not the details matched.")
class RegisterPayload:
    message: str | None = strawberry.field(
        description="What happens next. Identical whether or not the details matched; null when `errors` is not empty."
    )
    errors: list[UserError] = strawberry.field(
        description="Input that is malformed, a weak password, a taken user ID, or too many attempts."
    )


@strawberry.input(description="The token from the confirmation link of a registration.")
class VerifyEmailInput:
    token: str = strawberry.field(description="The `token` parameter of the emailed link. Works once, for 24 hours.")


@strawberry.type(description="Result of verifyEmail: the login was created, or why not.")
class VerifyEmailPayload:
    username: str | None = strawberry.field(description="The user ID of the new login; sign in with it.")
    message: str | None = strawberry.field(description="What happens next (sign in; MFA enrolment is offered).")
    errors: list[UserError] = strawberry.field(
        description="INVALID_TOKEN for an unknown, used or expired link; CONFLICT when the user ID or the "
        "customer got a login meanwhile (the link is then used up: register again)."
    )


@strawberry.input(description="The customer to invite, after verifying their identity in person.")
class IssueRegistrationLinkInput:
    customer_id: strawberry.ID = strawberry.field(
        description="Global id of the customer (a customer of your dealership)."
    )


@strawberry.type(description="Result of issueRegistrationLink.")
class IssueRegistrationLinkPayload:
    sent_to: str | None = strawberry.field(
        description="The customer's email on file, mostly hidden, where the link went."
    )
    expires_at: datetime | None = strawberry.field(description="When the link stops working (72 hours; single use).")
    errors: list[UserError] = strawberry.field(
        description="NOT_FOUND for a customer who is not your dealership's (or does not exist); CONFLICT when "
        "the customer already has a login."
    )


@strawberry.input(description="The dealer-issued link's token and the login the customer chooses.")
class CompleteRegistrationLinkInput:
    token: str = strawberry.field(description="The `token` parameter of the emailed link. Works once, for 72 hours.")
    username: str = strawberry.field(
        description="The user ID you want: 3 to 64 letters, digits, dots, dashes or underscores (case-insensitive)."
    )
    password: str = strawberry.field(
        description="The password you want: 12 to 128 characters, not a common or breached one. Never stored in clear."
    )


@strawberry.type(description="Result of completeRegistrationLink: the login was created, or why not.")
class CompleteRegistrationLinkPayload:
    username: str | None = strawberry.field(description="The user ID of the new login; sign in with it.")
    message: str | None = strawberry.field(
        description="What happens next: sign in, then set up two-step verification (MFA), which is offered."
    )
    errors: list[UserError] = strawberry.field(
        description="INVALID_TOKEN for an unknown, used or expired link; INVALID / WEAK_PASSWORD / CONFLICT for "
        "the user ID and password (the link stays usable then)."
    )


@strawberry.type
class RegistrationMutations:
    @strawberry.mutation(
        extensions=[allow(EVERYONE)],
        description="Register for online access by proving you hold a contract. If the details match and the "
        "customer has no login yet, a single-use link (24 hours) goes to the email given; nothing is created "
        "until it is followed. The answer never says whether the details matched. Rate-limited per contract "
        "number and per IP.",
    )
    async def register(self, info: Info, input: RegisterInput) -> RegisterPayload:
        ctx = info.context
        outcome = await rules.register(
            ctx.services, contract_number=input.contract_number, last_name=input.last_name,
            date_of_birth=input.date_of_birth, zip_code=input.zip_code, ssn_last4=input.ssn_last4,
            username=input.username, email=input.email, password=input.password, origin=ctx.origin,
        )
        return RegisterPayload(message=outcome.value, errors=user_errors(list(outcome.problems)))

    @strawberry.mutation(
        extensions=[allow(EVERYONE)],
        description="Follow a registration's emailed link: creates the customer login (email verified). "
        "Does not sign in.",
    )
    async def verify_email(self, info: Info, input: VerifyEmailInput) -> VerifyEmailPayload:
        ctx = info.context
        outcome = await rules.verify_email(ctx.services, token=input.token, origin=ctx.origin)
        if outcome.problems:
            return VerifyEmailPayload(username=None, message=None, errors=user_errors(list(outcome.problems)))
        return VerifyEmailPayload(username=outcome.value.username, message=rules.DONE_MESSAGE, errors=[])

    @strawberry.mutation(
        extensions=[allow(DEALERS)],
        description="After verifying a customer's identity in person, email them a registration link (single "
        "use, 72 hours, bound to that customer) at the address on file. Only for your dealership's customers "
        "who have no login yet; issuing a new link voids the previous one.",
    )
    async def issue_registration_link(
        self, info: Info, input: IssueRegistrationLinkInput
    ) -> IssueRegistrationLinkPayload:
        ctx = info.context
        outcome = await rules.issue_registration_link(
            ctx.services, dealer=ctx.user, customer_id=global_pk(str(input.customer_id), "Customer"),
            origin=ctx.origin,
        )
        if outcome.problems:
            return IssueRegistrationLinkPayload(sent_to=None, expires_at=None,
                                                errors=user_errors(list(outcome.problems)))
        customer, expires_at = outcome.value
        return IssueRegistrationLinkPayload(sent_to=mask_email(customer.email), expires_at=expires_at, errors=[])

    @strawberry.mutation(
        extensions=[allow(EVERYONE)],
        description="Follow a dealer-issued registration link: choose user ID and password; creates the "
        "customer login (the email on file counts as verified). Does not sign in; MFA enrolment is offered "
        "at sign-in.",
    )
    async def complete_registration_link(
        self, info: Info, input: CompleteRegistrationLinkInput
    ) -> CompleteRegistrationLinkPayload:
        ctx = info.context
        outcome = await rules.complete_registration_link(
            ctx.services, token=input.token, username=input.username, password=input.password, origin=ctx.origin,
        )
        if outcome.problems:
            return CompleteRegistrationLinkPayload(username=None, message=None,
                                                   errors=user_errors(list(outcome.problems)))
        return CompleteRegistrationLinkPayload(username=outcome.value.username, message=rules.DONE_MESSAGE, errors=[])
