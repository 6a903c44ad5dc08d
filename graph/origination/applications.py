"""Financing applications at the dealer desk in the schema: create, edit, record consent, submit,
withdraw, and the dealership's pipeline (`dealer { applications }`). Thin: the rules are in
resolvers/origination/applications.py."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry
from strawberry.types import Info

from auth.permissions import DEALERS
from finance.money import ZERO
from graph import enums
from graph.access import allow
from graph.errors import UserError, user_errors
from graph.ids import row_id
from graph.origination.application_parts import ApplicantRoleEnum, HousingStatusEnum
from graph.origination.deal import DealStructureInput
from graph.origination.types import APPLICATION_TYPE_NAME, ApplicationStatusEnum, CreditApplicationType
from graph.pagination import CountedConnection, Ordering, paginate
from models.enums import ApplicantRole, ApplicationStatus, HousingStatus
from resolvers.errors import ClientFacingError, ErrorCode
from resolvers.origination import applications as rules

NEWEST_FIRST = Ordering((("created_at", True), ("id", True)))


def customer_row_id(raw: str | None) -> int | None:
    return row_id(raw, "Customer")


@strawberry.input(description="A person on the application and what underwriting weighs. Amounts are decimal "
                  "strings in dollars.")
class ApplicantInput:
    customer_id: strawberry.ID = strawberry.field(description="Global id of a customer your dealership onboarded "
                                                  "with identity verified.")
    monthly_income: Decimal = strawberry.field(description="Gross monthly income (needed to submit).")
    employer: str = strawberry.field(default="", description="Employer (at most 128 characters).")
    occupation: str = strawberry.field(default="", description="Job title (at most 64 characters).")
    months_employed: int = strawberry.field(default=0, description="Months with the current employer (0–1200).")
    housing_status: HousingStatusEnum = strawberry.field(  # type: ignore[valid-type]
        default=HousingStatus.RENT, description="Whether they own or rent their home.")
    housing_payment: Decimal = strawberry.field(default=ZERO, description="Monthly rent or mortgage payment.")

    def details(self) -> rules.ApplicantDetails:
        return rules.ApplicantDetails(
            customer_id=customer_row_id(str(self.customer_id)), monthly_income=self.monthly_income,
            employer=self.employer, occupation=self.occupation, months_employed=self.months_employed,
            housing_status=HousingStatus(self.housing_status), housing_payment=self.housing_payment)


@strawberry.input(description="The vehicle to finance or lease.")
class VehicleInput:
    vin: str = strawberry.field(description="The 17-character VIN (spaces are ignored; the check digit is checked "
                                "at submission).")
    year: int = strawberry.field(description="Model year.")
    make: str = strawberry.field(description="Manufacturer (at most 32 characters).")
    model: str = strawberry.field(description="Model (at most 48 characters).")
    condition: enums.VehicleCondition = strawberry.field(description="NEW or USED.")  # type: ignore[valid-type]
    value: Decimal = strawberry.field(description="MSRP for a new vehicle, book value for a used one (decimal "
                                      "string in dollars).")
    trim: str = strawberry.field(default="", description="Trim level (at most 48 characters).")
    mileage: int = strawberry.field(default=0, description="Odometer reading.")

    def details(self) -> rules.VehicleDetails:
        return rules.VehicleDetails(vin=self.vin, year=self.year, make=self.make, model=self.model,
                                    condition=self.condition, value=self.value, trim=self.trim, mileage=self.mileage)


@strawberry.input(description="A new application, saved as a DRAFT.")
class CreateCreditApplicationInput:
    applicant: ApplicantInput = strawberry.field(description="The main applicant.")
    co_applicant: ApplicantInput | None = strawberry.field(default=None, description="A co-applicant (another "
                                                           "person), if any.")
    vehicle: VehicleInput = strawberry.field(description="The vehicle.")
    deal: DealStructureInput = strawberry.field(description="The deal structure.")


@strawberry.input(description="Changes to a DRAFT: each section given replaces that section.")
class UpdateCreditApplicationInput:
    application_id: strawberry.ID = strawberry.field(description="The application's `id`.")
    applicant: ApplicantInput | None = strawberry.field(default=None, description="The applicant (another person "
                                                        "drops the consent recorded for the previous one).")
    co_applicant: ApplicantInput | None = strawberry.field(default=None, description="The co-applicant (added or "
                                                           "replaced).")
    remove_co_applicant: bool = strawberry.field(default=False, description="Remove the co-applicant.")
    vehicle: VehicleInput | None = strawberry.field(default=None, description="The vehicle.")
    deal: DealStructureInput | None = strawberry.field(default=None, description="The deal structure.")


@strawberry.input(description="Record an applicant's consent to a credit inquiry, given now at your desk.")
class RecordCreditConsentInput:
    application_id: strawberry.ID = strawberry.field(description="The application's `id`.")
    role: ApplicantRoleEnum = strawberry.field(description="Whose consent.")  # type: ignore[valid-type]


@strawberry.input(description="Submit a DRAFT for a credit decision.")
class SubmitCreditApplicationInput:
    application_id: strawberry.ID = strawberry.field(description="The application's `id`.")


@strawberry.input(description="Withdraw an application the customer no longer wants.")
class WithdrawCreditApplicationInput:
    application_id: strawberry.ID = strawberry.field(description="The application's `id`.")
    reason: str | None = strawberry.field(default=None, description="Why (at most 255 characters; kept in the audit "
                                          "log).")


@strawberry.type(description="Result of a change to an application.")
class CreditApplicationPayload:
    application: CreditApplicationType | None = strawberry.field(description="The application as it is now; null "
                                                                 "on failure.")
    errors: list[UserError] = strawberry.field(
        description="INVALID with the input field at fault (for submission: the application's field, e.g. "
        "[\"vehicle\", \"vin\"] or [\"coApplicant\", \"creditConsent\"]); NOT_FOUND for an application or customer "
        "that is not your dealership's; CONFLICT when the application is no longer a DRAFT (edit, consent, submit) "
        "or can no longer be withdrawn. Empty on success."
    )


def _payload(outcome: rules.ApplicationOutcome) -> CreditApplicationPayload:
    if outcome.problems:
        return CreditApplicationPayload(application=None, errors=user_errors(list(outcome.problems)))
    return CreditApplicationPayload(application=CreditApplicationType.from_model(outcome.application), errors=[])


def _application_id(raw: strawberry.ID) -> int | None:
    return row_id(str(raw), APPLICATION_TYPE_NAME)


@strawberry.type
class ApplicationMutations:
    @strawberry.mutation(
        extensions=[allow(DEALERS)],
        description="Start an application as a DRAFT: applicant (and co-applicant), vehicle and deal. The applicants "
        "must be customers your dealership onboarded with identity verified. Audited.",
    )
    async def create_credit_application(self, info: Info, input: CreateCreditApplicationInput
                                        ) -> CreditApplicationPayload:
        ctx = info.context
        outcome = await rules.create_application(
            ctx.services, dealer=ctx.user, origin=ctx.origin, applicant=input.applicant.details(),
            co_applicant=input.co_applicant.details() if input.co_applicant else None,
            vehicle=input.vehicle.details(), deal=input.deal.terms())
        return _payload(outcome)

    @strawberry.mutation(
        extensions=[allow(DEALERS)],
        description="Edit a DRAFT: each section given replaces that section. Audited.",
    )
    async def update_credit_application(self, info: Info, input: UpdateCreditApplicationInput
                                        ) -> CreditApplicationPayload:
        ctx = info.context
        outcome = await rules.update_application(
            ctx.services, dealer=ctx.user, origin=ctx.origin, application_id=_application_id(input.application_id),
            applicant=input.applicant.details() if input.applicant else None,
            co_applicant=input.co_applicant.details() if input.co_applicant else None,
            remove_co_applicant=input.remove_co_applicant,
            vehicle=input.vehicle.details() if input.vehicle else None,
            deal=input.deal.terms() if input.deal else None)
        return _payload(outcome)

    @strawberry.mutation(
        extensions=[allow(DEALERS)],
        description="Record that the applicant (or co-applicant) consented to a credit inquiry: the time and your "
        "network address are kept. Needed for each applicant before submission; recording it again keeps the first "
        "record. Audited.",
    )
    async def record_credit_consent(self, info: Info, input: RecordCreditConsentInput) -> CreditApplicationPayload:
        ctx = info.context
        outcome = await rules.record_credit_consent(
            ctx.services, dealer=ctx.user, origin=ctx.origin, application_id=_application_id(input.application_id),
            role=ApplicantRole(input.role))
        return _payload(outcome)

    @strawberry.mutation(
        extensions=[allow(DEALERS)],
        description="Submit a complete DRAFT: it becomes SUBMITTED and the credit rules decide at once (APPROVED, "
        "APPROVED_WITH_CONDITIONS, COUNTER_OFFERED, REFERRED to an underwriter, ... see `decision`). "
        "`submissionProblems` lists what would be refused. Audited; a webhook event is sent.",
    )
    async def submit_credit_application(self, info: Info, input: SubmitCreditApplicationInput
                                        ) -> CreditApplicationPayload:
        ctx = info.context
        outcome = await rules.submit_application(ctx.services, dealer=ctx.user, origin=ctx.origin,
                                                 application_id=_application_id(input.application_id))
        return _payload(outcome)

    @strawberry.mutation(
        extensions=[allow(DEALERS)],
        description="Withdraw an application (a draft, or one submitted or decided but not yet sent for signature). "
        "Audited; a webhook event is sent.",
    )
    async def withdraw_credit_application(self, info: Info, input: WithdrawCreditApplicationInput
                                          ) -> CreditApplicationPayload:
        ctx = info.context
        outcome = await rules.withdraw_application(ctx.services, dealer=ctx.user, origin=ctx.origin,
                                                   application_id=_application_id(input.application_id),
                                                   reason=input.reason)
        return _payload(outcome)


# -- the pipeline ---------------------------------------------------------------------------------

@strawberry.input(description="Which applications to list. Every condition given must hold.")
class ApplicationFilter:
    statuses: list[ApplicationStatusEnum] | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Only these statuses (any status when empty or left out).")
    from_date: date | None = strawberry.field(default=None, description="Created on or after this day (UTC).")
    to_date: date | None = strawberry.field(default=None, description="Created on or before this day (UTC).")


@strawberry.type(name="CreditApplicationConnection", description="A page of financing applications.")
class CreditApplicationConnection(CountedConnection[CreditApplicationType]):
    pass


async def dealership_pipeline(info: Info, filter: ApplicationFilter | None, *, first: int | None, after: str | None,
                              last: int | None, before: str | None) -> CreditApplicationConnection:
    """The caller's applications, newest first. Applicants load in one query for the page."""
    chosen = filter or ApplicationFilter()
    if chosen.from_date and chosen.to_date and chosen.from_date > chosen.to_date:
        raise ClientFacingError(ErrorCode.INVALID, "fromDate must not be after toDate.")
    query = rules.pipeline(info.context.user, statuses=[ApplicationStatus(s) for s in chosen.statuses or ()],
                           from_date=chosen.from_date, to_date=chosen.to_date)
    return await paginate(CreditApplicationConnection, query, NEWEST_FIRST, CreditApplicationType.from_model,
                          first=first, after=after, last=last, before=before)
