"""The dealer data feed's mutations: dealer administrators create and revoke API credentials; a DMS,
signed in with one (`Authorization: ApiKey <keyId>.<secret>`), pushes deals and service visits.
Thin: the rules are in resolvers/dms/."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry
from strawberry.types import Info

from auth.api_credentials import DEALS_WRITERS, SERVICE_WRITERS
from auth.permissions import DEALER_ADMINS
from graph.access import allow
from graph.dms.types import (
    CREDENTIAL_TYPE_NAME,
    HEADER,
    ApiCredentialType,
    ApiScopeEnum,
    DmsApplicationType,
    DmsServiceVisitType,
)
from graph.errors import UserError, user_errors
from graph.ids import row_id
from graph.origination.applications import ApplicantInput, VehicleInput
from graph.origination.deal import DealStructureInput
from models.enums import ApiScope
from resolvers.dms import credentials as rules
from resolvers.dms import deals, service_visits
from resolvers.dms.feed import RATE_LIMIT
from resolvers.service import visits


@strawberry.input(description="A new API credential for your dealership's DMS.")
class CreateApiCredentialInput:
    name: str = strawberry.field(description="What it is for, e.g. the DMS's name (at most 100 characters).")
    scopes: list[ApiScopeEnum] = strawberry.field(description="What it may do (at least one).")  # type: ignore[valid-type]


@strawberry.input(description="An API credential to revoke.")
class RevokeApiCredentialInput:
    credential_id: strawberry.ID = strawberry.field(description="The credential's `id`.")


@strawberry.type(description="Result of creating an API credential.")
class CreateApiCredentialPayload:
    credential: ApiCredentialType | None = strawberry.field(description="The credential; null on failure.")
    secret: str | None = strawberry.field(description=f"The secret. Shown this once: store it in the DMS now; only "
                                          f"its hash is kept. Send `{HEADER}`. Null on failure.")
    errors: list[UserError] = strawberry.field(description="INVALID (name, scopes); CONFLICT when the dealership "
                                               "already has the most active credentials allowed. Empty on success.")


@strawberry.type(description="Result of revoking an API credential.")
class RevokeApiCredentialPayload:
    credential: ApiCredentialType | None = strawberry.field(description="The credential, now inactive; null on "
                                                            "failure.")
    errors: list[UserError] = strawberry.field(description="NOT_FOUND for an id that is not one of your dealership's "
                                               "active credentials. Empty on success.")


@strawberry.input(description="A deal from your DMS, to become a DRAFT credit application of your dealership.")
class DmsPushDealInput:
    deal_id: str = strawberry.field(description="Your DMS's id of the deal (1 to 64 characters): a resend with the "
                                    "same id makes nothing and answers with the same application.")
    applicant: ApplicantInput = strawberry.field(description="The main applicant: a customer your dealership "
                                                 "onboarded with identity verified.")
    co_applicant: ApplicantInput | None = strawberry.field(default=None, description="A co-applicant (another "
                                                           "person), if any.")
    vehicle: VehicleInput = strawberry.field(description="The vehicle.")
    deal: DealStructureInput = strawberry.field(description="The deal structure.")


@strawberry.type(description="Result of pushing a deal.")
class DmsPushDealPayload:
    application: DmsApplicationType | None = strawberry.field(description="The application the deal became (the "
                                                              "same one for every resend); null on failure.")
    created: bool = strawberry.field(description="True when this push made it; false for a resend.")
    errors: list[UserError] = strawberry.field(
        description="INVALID or NOT_FOUND with the input field at fault (as `createCreditApplication`); CONFLICT "
        f"when the dealId was sent before with other content; RATE_LIMITED above {RATE_LIMIT} pushes a minute per "
        "credential. Empty on success.")


@strawberry.input(description="One operation on a pushed repair order.")
class DmsServiceOperationInput:
    code: str = strawberry.field(description=f"Your operation code (1–{visits.MAX_CODE_LENGTH} characters).")
    description: str = strawberry.field(description=f"What was done (1–{visits.MAX_DESCRIPTION_LENGTH} characters).")
    maintenance_item: str | None = strawberry.field(
        default=None, description="The maintenance schedule item performed (e.g. OIL_CHANGE), if any.")


@strawberry.input(description="A repair order from your DMS, to become a service visit recorded by your dealership.")
class DmsPushServiceVisitInput:
    repair_order_id: str = strawberry.field(description="Your DMS's repair order id (1 to 64 characters): a resend "
                                            "with the same id records nothing and answers with the same visit.")
    vin: str = strawberry.field(description="The vehicle's VIN (a vehicle we finance or lease).")
    visit_date: date = strawberry.field(description="The day of the visit (not in the future).")
    odometer: int = strawberry.field(description="The odometer in miles (not below the vehicle's known reading on or "
                                     "before that day).")
    operations: list[DmsServiceOperationInput] = strawberry.field(
        description=f"What was done (1–{visits.MAX_OPERATIONS} operations).")
    parts_total: Decimal = strawberry.field(default=Decimal(0), description="Parts charged (>= 0.00).")
    labour_total: Decimal = strawberry.field(default=Decimal(0), description="Labour charged (>= 0.00).")

    def details(self) -> visits.ServiceVisitDetails:
        return visits.ServiceVisitDetails(
            visit_date=self.visit_date, odometer=self.odometer,
            operations=tuple(visits.ServiceOperationDetails(code=op.code, description=op.description,
                                                            maintenance_item=op.maintenance_item)
                             for op in self.operations),
            parts_total=self.parts_total, labour_total=self.labour_total)


@strawberry.type(description="Result of pushing a repair order.")
class DmsPushServiceVisitPayload:
    service_visit: DmsServiceVisitType | None = strawberry.field(description="The visit the repair order became (the "
                                                                 "same one for every resend); null on failure.")
    created: bool = strawberry.field(description="True when this push recorded it; false for a resend.")
    errors: list[UserError] = strawberry.field(
        description="INVALID or NOT_FOUND with the input field at fault (as `recordServiceVisit`); CONFLICT when the "
        f"repairOrderId was sent before with other content; RATE_LIMITED above {RATE_LIMIT} pushes a minute per "
        "credential. Empty on success.")


@strawberry.type
class DmsMutations:
    @strawberry.mutation(
        extensions=[allow(DEALER_ADMINS)],
        description=f"Create an API credential for your dealership's DMS, with the scopes it needs. Returns the secret "
        f"once; the DMS sends `{HEADER}`. Dealer administrators only. Audited.",
    )
    async def create_api_credential(self, info: Info, input: CreateApiCredentialInput) -> CreateApiCredentialPayload:
        ctx = info.context
        outcome = await rules.create_credential(ctx.services, user=ctx.user, origin=ctx.origin, name=input.name,
                                                scopes=[ApiScope(s) for s in input.scopes])
        if outcome.problems:
            return CreateApiCredentialPayload(credential=None, secret=None, errors=user_errors(list(outcome.problems)))
        return CreateApiCredentialPayload(credential=ApiCredentialType.from_model(outcome.credential),
                                          secret=outcome.secret, errors=[])

    @strawberry.mutation(
        extensions=[allow(DEALER_ADMINS)],
        description="Revoke an API credential: every request with it is refused from now on. It stays listed. Dealer "
        "administrators only. Audited.",
    )
    async def revoke_api_credential(self, info: Info, input: RevokeApiCredentialInput) -> RevokeApiCredentialPayload:
        ctx = info.context
        outcome = await rules.revoke_credential(ctx.services, user=ctx.user, origin=ctx.origin,
                                                credential_id=row_id(input.credential_id, CREDENTIAL_TYPE_NAME))
        if outcome.problems:
            return RevokeApiCredentialPayload(credential=None, errors=user_errors(list(outcome.problems)))
        return RevokeApiCredentialPayload(credential=ApiCredentialType.from_model(outcome.credential), errors=[])

    @strawberry.mutation(
        extensions=[allow(DEALS_WRITERS)],
        description="DMS feed (API credential with DEALS_WRITE): a deal becomes a DRAFT credit application of the "
        "credential's dealership, checked as at the dealer desk (consent and submission stay at the desk). "
        "Idempotent by dealId. Audited.",
    )
    async def dms_push_deal(self, info: Info, input: DmsPushDealInput) -> DmsPushDealPayload:
        ctx = info.context
        application, created, problems = await deals.push_deal(
            ctx.services, credential=ctx.api_credential, origin=ctx.origin, deal_id=input.deal_id,
            applicant=input.applicant.details(),
            co_applicant=input.co_applicant.details() if input.co_applicant else None,
            vehicle=input.vehicle.details(), deal=input.deal.terms())
        if problems:
            return DmsPushDealPayload(application=None, created=False, errors=user_errors(list(problems)))
        return DmsPushDealPayload(application=DmsApplicationType.from_model(application), created=created, errors=[])

    @strawberry.mutation(
        extensions=[allow(SERVICE_WRITERS)],
        description="DMS feed (API credential with SERVICE_WRITE): a repair order becomes a service visit recorded by "
        "the credential's dealership, checked as `recordServiceVisit` (its odometer feeds the vehicle's contracts; "
        "the customer sees it in their service history). Idempotent by repairOrderId. Audited.",
    )
    async def dms_push_service_visit(self, info: Info, input: DmsPushServiceVisitInput) -> DmsPushServiceVisitPayload:
        ctx = info.context
        row, created, problems = await service_visits.push_service_visit(
            ctx.services, credential=ctx.api_credential, origin=ctx.origin, repair_order_id=input.repair_order_id,
            vin=input.vin, visit=input.details())
        if problems:
            return DmsPushServiceVisitPayload(service_visit=None, created=False, errors=user_errors(list(problems)))
        return DmsPushServiceVisitPayload(service_visit=DmsServiceVisitType.from_model(row), created=created,
                                          errors=[])
