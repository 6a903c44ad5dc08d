"""Coverage mutations at the dealer desk: an application's add-ons, and coverage products added to or
cancelled on a contract. Thin: the rules live in resolvers/coverage/."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from auth.permissions import DEALERS
from graph.access import allow
from graph.coverage.types import (
    COVERAGE_TYPE_NAME,
    ApplicationAddOnType,
    CoverageKindEnum,
    CoverageType,
)
from graph.errors import UserError, user_errors
from graph.ids import contract_row_id, row_id
from models.enums import CoverageKind
from resolvers.coverage import add_ons as add_on_rules
from resolvers.coverage import products as product_rules
from resolvers.coverage.checks import Product

if TYPE_CHECKING:
    from graph.origination.types import CreditApplicationType


@strawberry.input(description="A coverage product sold with the deal.")
class ApplicationAddOnInput:
    kind: CoverageKindEnum = strawberry.field(description="The product (one of each kind).")  # type: ignore[valid-type]
    provider: str = strawberry.field(description="Who provides it (at most 100 characters).")
    plan_name: str = strawberry.field(description="The plan's name (at most 100 characters).")
    term_months: int = strawberry.field(description="Months it runs from the contract date (1 to 120).")
    mileage_limit: int | None = strawberry.field(
        default=None, description="The plan's miles counted from the odometer at sale (e.g. 75000); null: none "
        "(GAP has none).")
    price: Decimal = strawberry.field(description="Its price, financed with the deal (above 0, whole cents).")

    def product(self) -> Product:
        return Product(kind=CoverageKind(self.kind), provider=self.provider, plan_name=self.plan_name,
                       term_months=self.term_months, plan_miles=self.mileage_limit, price=self.price)


@strawberry.input(description="The add-ons of a DRAFT application: they replace the ones it has.")
class SetApplicationAddOnsInput:
    application_id: strawberry.ID = strawberry.field(description="A DRAFT application of your dealership.")
    add_ons: list[ApplicationAddOnInput] = strawberry.field(description="All its add-ons ([] removes them all).")


@strawberry.type(description="Result of setApplicationAddOns.")
class SetApplicationAddOnsPayload:
    application: Annotated[CreditApplicationType, strawberry.lazy("graph.origination.types")] | None = (
        strawberry.field(description="The application, its quote now including the add-ons."))
    add_ons: list[ApplicationAddOnType] = strawberry.field(description="Its add-ons now.")
    errors: list[UserError] = strawberry.field(description="Why nothing changed; empty on success.")


@strawberry.input(description="A coverage product added to a contract after the sale (its price is recorded, not "
                  "financed).")
class AddCoverageInput:
    contract_id: strawberry.ID = strawberry.field(description="An ACTIVE contract of your dealership.")
    kind: CoverageKindEnum = strawberry.field(description="The product.")  # type: ignore[valid-type]
    provider: str = strawberry.field(description="Who provides it (at most 100 characters).")
    plan_name: str = strawberry.field(description="The plan's name (at most 100 characters).")
    start_date: date = strawberry.field(description="The first day in force: from the contract date to today.")
    term_months: int = strawberry.field(description="Months it runs from the start date (1 to 120).")
    mileage_limit: int | None = strawberry.field(
        default=None, description="The plan's miles counted from the start odometer; null: none (GAP has none).")
    price: Decimal = strawberry.field(description="What it was sold for (above 0, whole cents).")
    provider_phone: str | None = strawberry.field(
        default=None, description="The number to call (roadside assistance), with its area code.")
    start_odometer: int | None = strawberry.field(
        default=None, description="The odometer at the start; default: the latest reading on or before the start "
        "date.")


@strawberry.input(description="The coverage product to cancel.")
class CancelCoverageInput:
    coverage_id: strawberry.ID = strawberry.field(description="A coverage on a contract of your dealership.")


@strawberry.type(description="Result of addCoverage or cancelCoverage.")
class CoveragePayload:
    coverage: CoverageType | None = strawberry.field(description="The coverage; null when `errors` is not empty.")
    errors: list[UserError] = strawberry.field(description="Why nothing changed; empty on success.")


def _coverage_payload(outcome: product_rules.CoverageOutcome) -> CoveragePayload:
    if outcome.problems:
        return CoveragePayload(coverage=None, errors=user_errors(list(outcome.problems)))
    return CoveragePayload(coverage=CoverageType.from_model(outcome.coverage), errors=[])


@strawberry.type
class CoverageMutations:
    @strawberry.mutation(
        extensions=[allow(DEALERS)],
        description="Set the coverage products sold with a DRAFT application of your dealership (one of each kind). "
        "Their prices are financed: the loan's amount financed or the lease's gross capitalized cost, and so the "
        "quote, the decision and the contract's disclosures, include them. At funding each becomes a Coverage of "
        "the contract. Audited.",
    )
    async def set_application_add_ons(self, info: Info, input: SetApplicationAddOnsInput
                                      ) -> SetApplicationAddOnsPayload:
        from graph.origination.types import CreditApplicationType

        ctx = info.context
        outcome = await add_on_rules.set_add_ons(
            ctx.services, dealer=ctx.user, origin=ctx.origin,
            application_id=row_id(str(input.application_id), "CreditApplication"),
            products=[item.product() for item in input.add_ons])
        if outcome.problems:
            return SetApplicationAddOnsPayload(application=None, add_ons=[],
                                               errors=user_errors(list(outcome.problems)))
        return SetApplicationAddOnsPayload(application=CreditApplicationType.from_model(outcome.application),
                                           add_ons=[ApplicationAddOnType.from_model(r) for r in outcome.add_ons],
                                           errors=[])

    @strawberry.mutation(
        extensions=[allow(DEALERS)],
        description="Add a coverage product to an ACTIVE contract of your dealership (sold after the deal: the price "
        "is recorded, the contract's terms do not change). Audited; the customer sees it in their security events.",
    )
    async def add_coverage(self, info: Info, input: AddCoverageInput) -> CoveragePayload:
        ctx = info.context
        product = Product(kind=CoverageKind(input.kind), provider=input.provider, plan_name=input.plan_name,
                          term_months=input.term_months, plan_miles=input.mileage_limit, price=input.price,
                          provider_phone=input.provider_phone or "")
        return _coverage_payload(await product_rules.add_coverage(
            ctx.services, dealer=ctx.user, origin=ctx.origin, contract_id=contract_row_id(str(input.contract_id)),
            product=product, start_date=input.start_date, start_odometer=input.start_odometer))

    @strawberry.mutation(
        extensions=[allow(DEALERS)],
        description="Cancel a coverage product on a contract of your dealership: it stays listed as CANCELLED. "
        "Audited; the customer sees it in their security events.",
    )
    async def cancel_coverage(self, info: Info, input: CancelCoverageInput) -> CoveragePayload:
        ctx = info.context
        return _coverage_payload(await product_rules.cancel_coverage(
            ctx.services, dealer=ctx.user, origin=ctx.origin,
            coverage_id=row_id(str(input.coverage_id), COVERAGE_TYPE_NAME)))
