"""recordServiceVisit: a dealer's service department records a visit for a VIN. Thin: the rules live
in resolvers/service/visits.py (the DMS feed calls the same function)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry
from strawberry.types import Info
from tortoise.transactions import in_transaction

from auth.permissions import DEALERS
from graph.access import allow
from graph.errors import UserError, user_errors
from graph.ids import row_id
from graph.service.types import COVERAGE_TYPE_NAME, ServiceVisitType, with_operations
from models import ServiceVisit
from resolvers.service import visits as rules

NOT_A_COVERAGE = 0  # a coverage id that is malformed or of another type: no row has id 0, so it is refused


@strawberry.input(name="ServiceOperationInput", description="One operation performed at the visit.")
class ServiceOperationInput:
    code: str = strawberry.field(description=f"Your operation code (1–{rules.MAX_CODE_LENGTH} characters).")
    description: str = strawberry.field(
        description=f"What was done (1–{rules.MAX_DESCRIPTION_LENGTH} characters).")
    maintenance_item: str | None = strawberry.field(
        default=None, description="The maintenance schedule item performed (e.g. OIL_CHANGE, TIRE_ROTATION), if "
        "any: it resets that item's interval in the customer's maintenance outlook.")


@strawberry.input(description="A service visit for a vehicle, as the service department's repair order shows it.")
class RecordServiceVisitInput:
    vin: str = strawberry.field(description="The vehicle's VIN (17 characters, check digit verified). Any vehicle "
                                "we finance or lease, not only your dealership's.")
    visit_date: date = strawberry.field(description="The day of the visit (not in the future).")
    odometer: int = strawberry.field(description="The odometer in miles: not below the vehicle's known reading "
                                     "on or before that day.")
    operations: list[ServiceOperationInput] = strawberry.field(
        description=f"What was done (1–{rules.MAX_OPERATIONS} operations).")
    parts_total: Decimal = strawberry.field(default=Decimal(0), description="Parts charged (>= 0.00).")
    labour_total: Decimal = strawberry.field(default=Decimal(0), description="Labour charged (>= 0.00).")
    paid_by_coverage_id: strawberry.ID | None = strawberry.field(
        default=None, description="The `id` of the vehicle's coverage that paid for the visit, if one did.")


@strawberry.type(description="Result of recordServiceVisit.")
class RecordServiceVisitPayload:
    visit: ServiceVisitType | None = strawberry.field(description="The visit recorded; null on failure.")
    errors: list[UserError] = strawberry.field(
        description="INVALID (with the field) for a bad VIN, a future date, an odometer below the vehicle's known "
        "reading, negative totals, no operations, an unknown maintenance item or a coverage not of this vehicle; "
        "NOT_FOUND for a VIN we do not finance or lease. Empty on success.")


def details_of(input: RecordServiceVisitInput) -> rules.ServiceVisitDetails:
    coverage = None
    if input.paid_by_coverage_id is not None:
        coverage = row_id(input.paid_by_coverage_id, COVERAGE_TYPE_NAME) or NOT_A_COVERAGE
    return rules.ServiceVisitDetails(
        visit_date=input.visit_date, odometer=input.odometer,
        operations=tuple(rules.ServiceOperationDetails(code=op.code, description=op.description,
                                                       maintenance_item=op.maintenance_item)
                         for op in input.operations),
        parts_total=input.parts_total, labour_total=input.labour_total, paid_by_coverage_id=coverage)


@strawberry.type
class ServiceMutations:
    @strawberry.mutation(
        extensions=[allow(DEALERS)],
        description="Record a service visit for a vehicle (dealers' service departments; any dealership may service "
        "any car we finance). The odometer becomes a reading on the vehicle's active contracts (lease mileage "
        "projections use it), the customer sees the visit in their vehicle's `serviceHistory`, and maintenance "
        "items performed reset in `maintenanceDue`. Audited for the customer.",
    )
    async def record_service_visit(self, info: Info, input: RecordServiceVisitInput) -> RecordServiceVisitPayload:
        ctx = info.context
        try:
            async with in_transaction() as connection:
                row = await rules.record_service_visit(
                    ctx.services, dealership_id=ctx.user.dealership_id, vin=input.vin, visit=details_of(input),
                    recorded_by=ctx.user, credential_id=None, using_db=connection, origin=ctx.origin)
        except rules.ServiceVisitRefused as refused:
            return RecordServiceVisitPayload(visit=None, errors=user_errors(list(refused.problems)))
        row = await ServiceVisit.get(id=row.id).select_related("vehicle", "dealership")
        [node] = await with_operations([ServiceVisitType.from_model(row)])
        return RecordServiceVisitPayload(visit=node, errors=[])
