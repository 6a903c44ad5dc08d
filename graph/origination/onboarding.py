"""Customer onboarding at the dealer desk in the schema: find a customer, create one, attach an
existing one, record the in-person identity check, confirm contact details. Thin: the rules are in
resolvers/origination/customers.py."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

import strawberry
from strawberry import relay
from strawberry.types import Info

from auth.permissions import DEALERS
from graph.access import allow
from graph.errors import UserError, user_errors
from graph.ids import row_id
from graph.servicing.types import CustomerType
from models import CustomerOnboarding
from models import enums as model_enums
from resolvers.origination import customers as rules

IdDocumentTypeEnum = strawberry.enum(model_enums.IdDocumentType, name="IdDocumentType",
                                     description="The identity document checked in person: a driver's license, a "
                                     "state ID card or a passport.")


@strawberry.enum(name="CustomerMatchField", description="What a found customer matched on.")
class CustomerMatchField(Enum):
    SSN = strawberry.enum_value("SSN", description="The Social Security number (by its blind index).")
    EMAIL = strawberry.enum_value("EMAIL", description="The email address (case-insensitive).")


def _username(user) -> str | None:  # noqa: ANN001 - a related User row or None
    return user.username if user is not None else None


@strawberry.type(name="CustomerOnboarding", description="A customer as your dealership onboarded them: the in-person "
                 "identity check and the confirmation of contact details.")
class CustomerOnboardingType:
    customer: CustomerType = strawberry.field(description="The customer (names, masked email and phone, SSN last 4).")
    identity_verified: bool = strawberry.field(description="Whether the identity was checked in person; applications "
                                               "need it.")
    identity_document_type: IdDocumentTypeEnum | None = strawberry.field(  # type: ignore[valid-type]
        description="The document checked; null until then.")
    identity_document_last4: str | None = strawberry.field(description="Last 4 characters of the document's number; "
                                                           "null until checked.")
    identity_verified_at: datetime | None = strawberry.field(description="When the identity was checked.")
    identity_verified_by: str | None = strawberry.field(description="User ID of who checked it.")
    contact_confirmed_at: datetime | None = strawberry.field(description="When the customer confirmed their email "
                                                             "and phone.")
    contact_confirmed_by: str | None = strawberry.field(description="User ID of who recorded the confirmation.")
    onboarded_at: datetime = strawberry.field(description="When your dealership onboarded the customer.")
    onboarded_by: str = strawberry.field(description="User ID of who onboarded them.")

    @classmethod
    def from_model(cls, row: CustomerOnboarding) -> CustomerOnboardingType:
        verified = row.identity_verified_at is not None
        return cls(
            customer=CustomerType.from_model(row.customer), identity_verified=verified,
            identity_document_type=row.id_document_type, identity_document_last4=row.id_document_last4 or None,
            identity_verified_at=row.identity_verified_at, identity_verified_by=_username(row.identity_verified_by),
            contact_confirmed_at=row.contact_confirmed_at, contact_confirmed_by=_username(row.contact_confirmed_by),
            onboarded_at=row.created_at, onboarded_by=row.created_by.username,
        )


@strawberry.type(name="CustomerMatch", description="A customer found by SSN or email. Until your dealership onboards "
                 "them only the id shows: attach them with `onboardExistingCustomer`.")
class CustomerMatchType:
    customer_id: strawberry.ID = strawberry.field(description="The customer's global id.")
    matched_by: list[CustomerMatchField] = strawberry.field(description="What matched.")
    onboarding: CustomerOnboardingType | None = strawberry.field(description="Your dealership's onboarding of the "
                                                                 "customer; null when it has none.")


@strawberry.input(description="Look a customer up by SSN, by email, or both.")
class FindCustomerInput:
    ssn: str | None = strawberry.field(default=None, description="Social Security number, 9 digits (dashes allowed).")
    email: str | None = strawberry.field(default=None, description="Email address.")


@strawberry.type(description="Result of findCustomer.")
class FindCustomerResult:
    matches: list[CustomerMatchType] = strawberry.field(description="The customers found (none, or one per person).")
    errors: list[UserError] = strawberry.field(description="INVALID for a malformed SSN or email, or neither given.")


@strawberry.input(description="A new customer, as their identity documents and they themselves state it.")
class OnboardCustomerInput:
    first_name: str = strawberry.field(description="Given name (at most 64 characters).")
    last_name: str = strawberry.field(description="Family name (at most 64 characters).")
    date_of_birth: date = strawberry.field(description="Date of birth (18 or older).")
    ssn: str = strawberry.field(description="Social Security number, 9 digits (dashes allowed). Stored encrypted; "
                                "only the last 4 are ever shown.")
    email: str = strawberry.field(description="Email address (trimmed; the domain is lower-cased).")
    phone: str = strawberry.field(description="US phone number, 10 digits in any usual format (stored as +1 and 10 "
                                  "digits).")
    address_line1: str = strawberry.field(description="Street address.")
    address_line2: str = strawberry.field(default="", description="Apartment, suite, etc.")
    city: str = strawberry.field(description="City.")
    state: str = strawberry.field(description="Two-letter US state code.")
    postal_code: str = strawberry.field(description="ZIP code (5 digits or ZIP+4).")

    def details(self) -> rules.NewCustomer:
        return rules.NewCustomer(
            first_name=self.first_name, last_name=self.last_name, date_of_birth=self.date_of_birth, ssn=self.ssn,
            email=self.email, phone=self.phone, address_line1=self.address_line1, address_line2=self.address_line2,
            city=self.city, state=self.state, postal_code=self.postal_code)


@strawberry.input(description="Attach a customer another dealership onboarded (found with findCustomer or named by a "
                  "CONFLICT), proving you have them in front of you.")
class OnboardExistingCustomerInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer's global id.")
    ssn: str = strawberry.field(description="Their Social Security number (must be the one on file).")
    date_of_birth: date = strawberry.field(description="Their date of birth (must be the one on file).")


@strawberry.input(description="The identity document you checked in person.")
class VerifyCustomerIdentityInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer's global id.")
    document_type: IdDocumentTypeEnum = strawberry.field(description="Which document.")  # type: ignore[valid-type]
    document_last4: str = strawberry.field(description="The last 4 letters or digits of its number (never the whole "
                                           "number).")


@strawberry.input(description="The customer confirmed their contact details; correct them here first if needed.")
class ConfirmCustomerContactInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer's global id.")
    email: str | None = strawberry.field(default=None, description="Corrected email (only for a customer without an "
                                         "online account).")
    phone: str | None = strawberry.field(default=None, description="Corrected phone (only for a customer without an "
                                         "online account).")


@strawberry.type(description="Result of an onboarding step.")
class CustomerOnboardingPayload:
    onboarding: CustomerOnboardingType | None = strawberry.field(description="The onboarding as it is now; null on "
                                                                 "failure.")
    existing_customer_id: strawberry.ID | None = strawberry.field(description="With a CONFLICT on creation: the "
                                                                  "customer who already has that SSN or email.")
    errors: list[UserError] = strawberry.field(
        description="INVALID with the field at fault; CONFLICT for a duplicate customer (see `existingCustomerId`), "
        "an email another customer has, or a contact change for a customer with an online account; NOT_FOUND for a "
        "customer your dealership has not onboarded (or, attaching one, whose SSN and date of birth do not match)."
    )


def _customer_id(raw: strawberry.ID) -> int | None:
    return row_id(str(raw), "Customer")


def _payload(outcome: rules.OnboardingOutcome) -> CustomerOnboardingPayload:
    existing = outcome.existing_customer_id
    return CustomerOnboardingPayload(
        onboarding=CustomerOnboardingType.from_model(outcome.onboarding) if outcome.onboarding else None,
        existing_customer_id=strawberry.ID(str(relay.GlobalID("Customer", str(existing)))) if existing else None,
        errors=user_errors(list(outcome.problems)),
    )


@strawberry.type
class OnboardingQuery:
    @strawberry.field(
        extensions=[allow(DEALERS)],
        description="Find a customer by SSN (matched by its blind index) or email, before creating one. Customers "
        "your dealership has not onboarded show only their id. Audited.",
    )
    async def find_customer(self, info: Info, input: FindCustomerInput) -> FindCustomerResult:
        ctx = info.context
        problems, matches = await rules.find_customers(ctx.services, dealer=ctx.user, origin=ctx.origin,
                                                       ssn=input.ssn, email=input.email)
        return FindCustomerResult(
            matches=[CustomerMatchType(
                customer_id=strawberry.ID(str(relay.GlobalID("Customer", str(m.customer_id)))),
                matched_by=[CustomerMatchField(by) for by in m.matched_by],
                onboarding=CustomerOnboardingType.from_model(m.onboarding) if m.onboarding else None,
            ) for m in matches],
            errors=user_errors(problems),
        )


@strawberry.type
class OnboardingMutations:
    @strawberry.mutation(
        extensions=[allow(DEALERS)],
        description="Create a customer and onboard them at your dealership. A customer with the same SSN or email "
        "is a CONFLICT naming them: attach them with `onboardExistingCustomer` instead. Then record the identity "
        "check (`verifyCustomerIdentity`) and the contact confirmation (`confirmCustomerContact`). Audited.",
    )
    async def onboard_customer(self, info: Info, input: OnboardCustomerInput) -> CustomerOnboardingPayload:
        ctx = info.context
        return _payload(await rules.onboard_new(ctx.services, dealer=ctx.user, origin=ctx.origin,
                                                details=input.details()))

    @strawberry.mutation(
        extensions=[allow(DEALERS)],
        description="Onboard at your dealership a customer who already exists, with the SSN and date of birth on "
        "file (anything else answers NOT_FOUND). Already onboarded here: returns that onboarding. Audited.",
    )
    async def onboard_existing_customer(self, info: Info, input: OnboardExistingCustomerInput
                                        ) -> CustomerOnboardingPayload:
        ctx = info.context
        return _payload(await rules.onboard_existing(
            ctx.services, dealer=ctx.user, origin=ctx.origin, customer_id=_customer_id(input.customer_id),
            ssn=input.ssn, date_of_birth=input.date_of_birth))

    @strawberry.mutation(
        extensions=[allow(DEALERS)],
        description="Record that you checked the customer's identity document in person (type and last 4 of its "
        "number; you and now are recorded). Needed before the customer can be on an application or get a "
        "registration link. Audited.",
    )
    async def verify_customer_identity(self, info: Info, input: VerifyCustomerIdentityInput
                                       ) -> CustomerOnboardingPayload:
        ctx = info.context
        return _payload(await rules.verify_identity(
            ctx.services, dealer=ctx.user, origin=ctx.origin, customer_id=_customer_id(input.customer_id),
            document_type=model_enums.IdDocumentType(input.document_type), document_last4=input.document_last4))

    @strawberry.mutation(
        extensions=[allow(DEALERS)],
        description="Record that the customer confirmed their email and phone, correcting them first when given "
        "(normalized; not for a customer with an online account, who changes them there). Audited.",
    )
    async def confirm_customer_contact(self, info: Info, input: ConfirmCustomerContactInput
                                       ) -> CustomerOnboardingPayload:
        ctx = info.context
        return _payload(await rules.confirm_contact(
            ctx.services, dealer=ctx.user, origin=ctx.origin, customer_id=_customer_id(input.customer_id),
            email=input.email, phone=input.phone))
