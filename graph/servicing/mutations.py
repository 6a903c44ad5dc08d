"""Servicing mutations: odometer reports. Thin: the rules live in resolvers/servicing/."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from auth.permissions import CUSTOMERS
from graph.access import allow
from graph.errors import UserError, user_errors
from graph.servicing.inputs import ReportOdometerInput
from graph.servicing.lease import OdometerReadingType
from graph.ids import contract_row_id
from graph.servicing.types import ContractType
from resolvers.servicing.odometer import report_odometer


@strawberry.type(description="Result of reportOdometer.")
class ReportOdometerPayload:
    reading: OdometerReadingType | None = strawberry.field(description="The reading recorded; null on failure.")
    contract: ContractType | None = strawberry.field(
        description="The lease after the report (its `leaseDetails.mileage` projection includes the reading); "
        "null on failure."
    )
    errors: list[UserError] = strawberry.field(
        description="NOT_FOUND when the id is not one of your leases; INVALID (with the field) when the date is in "
        "the future or before the lease, or the miles go backwards or exceed a later reading. Empty on success."
    )


@strawberry.type
class ServicingMutations:
    @strawberry.mutation(
        extensions=[allow(CUSTOMERS)],
        description="Record an odometer reading of your leased vehicle. The mileage projection and the projected "
        "excess-mileage charge update with it.",
    )
    async def report_odometer(self, info: Info, input: ReportOdometerInput) -> ReportOdometerPayload:
        ctx = info.context
        outcome = await report_odometer(ctx.services, user=ctx.user, contract_id=contract_row_id(input.contract_id),
                                        miles=input.miles, read_on=input.read_on)
        if outcome.problems:
            return ReportOdometerPayload(reading=None, contract=None, errors=user_errors(list(outcome.problems)))
        try:  # readings loaded earlier in this request would miss the new one
            ctx.loaders.odometer.clear(outcome.contract.id)
        except KeyError:
            pass
        return ReportOdometerPayload(reading=OdometerReadingType.from_model(outcome.reading),
                                     contract=ContractType.from_model(outcome.contract), errors=[])
