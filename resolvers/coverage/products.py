"""Coverage products a dealer adds to a contract after the sale, or cancels, and who sees them.

- A dealer adds products to ACTIVE contracts of its own dealership only (another dealership's
  contract answers NOT_FOUND). The price is recorded, not financed: the contract's terms do not
  change. The start date falls from the contract date to today; the start odometer is the one given
  or else the latest reading on or before the start date (the vehicle's odometer at sale when there
  is none); the mileage limit stored is that odometer + the plan's miles.
- Cancelling marks the product CANCELLED (a conditional UPDATE: cancelling twice is a CONFLICT);
  it stays listed with that status.
- Both are audited about the contract's customer's login (they see it in their security events).
- Customers see the coverages of their own contracts (as customer or co-buyer), dealers those of
  their dealership's contracts, nobody else any.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tortoise.expressions import Subquery
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from auth import audit
from auth.audit import Origin
from models import Contract, Coverage, OdometerReading, User, Vehicle
from models.enums import ContractStatus, CoverageStatus
from resolvers.coverage.checks import Product, product_problems, start_problem
from resolvers.errors import ErrorCode, Problem
from resolvers.servicing.visibility import contracts_visible_to
from service.container import Services

MAX_ODOMETER = 2_000_000
CONTRACT_NOT_FOUND = Problem(ErrorCode.NOT_FOUND, "No contract of your dealership has that id.", ("contractId",))
COVERAGE_NOT_FOUND = Problem(ErrorCode.NOT_FOUND, "No coverage of your dealership's contracts has that id.",
                             ("coverageId",))


@dataclass(frozen=True)
class CoverageOutcome:
    problems: tuple[Problem, ...] = ()
    coverage: Coverage | None = None


def coverages_visible_to(user: User | None) -> QuerySet[Coverage]:
    return Coverage.filter(contract_id__in=Subquery(contracts_visible_to(user).values("id")))


async def _customer_login(contract: Contract, connection) -> int | None:
    user = await User.filter(customer_id=contract.customer_id).using_db(connection).first()
    return user.id if user is not None else None


async def _odometer_on(contract: Contract, day: date, connection) -> int:
    reading = await (OdometerReading.filter(contract_id=contract.id, read_on__lte=day).using_db(connection)
                     .order_by("-read_on", "-miles").first())
    if reading is not None:
        return reading.miles
    vehicle = await Vehicle.filter(id=contract.vehicle_id).using_db(connection).get()
    return vehicle.odometer_at_sale


async def add_coverage(services: Services, *, dealer: User, origin: Origin, contract_id: int | None,
                       product: Product, start_date: date, start_odometer: int | None) -> CoverageOutcome:
    product = product.cleaned()
    problems = product_problems(product)
    if start_odometer is not None and not 0 <= start_odometer <= MAX_ODOMETER:
        problems.append(Problem(ErrorCode.INVALID, f"Enter the odometer (0 to {MAX_ODOMETER:,}).",
                                ("startOdometer",)))
    if problems:
        return CoverageOutcome(problems=tuple(problems))
    today, now = services.clock.today(), services.clock.now()
    async with in_transaction() as connection:
        contract = None
        if contract_id is not None:
            contract = await contracts_visible_to(dealer).filter(id=contract_id).using_db(connection).first()
        if contract is None:
            return CoverageOutcome(problems=(CONTRACT_NOT_FOUND,))
        if contract.status != ContractStatus.ACTIVE:
            return CoverageOutcome(problems=(Problem(
                ErrorCode.CONFLICT, f"Contract {contract.number} is {contract.status.value}: coverage is added to "
                "active contracts only.", ("contractId",)),))
        problem = start_problem(start_date, contract.contract_date, today)
        if problem is not None:
            return CoverageOutcome(problems=(problem,))
        odometer = start_odometer if start_odometer is not None else await _odometer_on(contract, start_date,
                                                                                         connection)
        coverage = await Coverage.create(
            using_db=connection, contract_id=contract.id, vehicle_id=contract.vehicle_id,
            dealership_id=contract.dealership_id, kind=product.kind, provider=product.provider,
            plan_name=product.plan_name, provider_phone=product.provider_phone, start_date=start_date,
            term_months=product.term_months,
            mileage_limit=None if product.plan_miles is None else odometer + product.plan_miles,
            start_odometer=odometer, price=product.price, sold_at_origination=False, added_by_id=dealer.id,
            created_at=now)
        await audit.record("coverage.added", clock=services.clock, origin=origin, actor=dealer,
                           subject=await _customer_login(contract, connection), details={
                               "coverage_id": coverage.id, "contract_id": contract.id, "kind": product.kind.value,
                               "dealership_id": contract.dealership_id, "price": str(product.price)},
                           using_db=connection)
    return CoverageOutcome(coverage=await Coverage.get(id=coverage.id))


async def cancel_coverage(services: Services, *, dealer: User, origin: Origin,
                          coverage_id: int | None) -> CoverageOutcome:
    async with in_transaction() as connection:
        coverage = None
        if coverage_id is not None:
            coverage = await coverages_visible_to(dealer).filter(id=coverage_id).using_db(connection).first()
        if coverage is None:
            return CoverageOutcome(problems=(COVERAGE_NOT_FOUND,))
        changed = await Coverage.filter(id=coverage.id, status=CoverageStatus.ACTIVE).using_db(connection).update(
            status=CoverageStatus.CANCELLED)
        if not changed:
            return CoverageOutcome(problems=(Problem(ErrorCode.CONFLICT, "This coverage is already cancelled.",
                                                     ("coverageId",)),))
        contract = await Contract.filter(id=coverage.contract_id).using_db(connection).get()
        await audit.record("coverage.cancelled", clock=services.clock, origin=origin, actor=dealer,
                           subject=await _customer_login(contract, connection), details={
                               "coverage_id": coverage.id, "contract_id": contract.id, "kind": coverage.kind.value,
                               "dealership_id": contract.dealership_id}, using_db=connection)
    return CoverageOutcome(coverage=await Coverage.get(id=coverage.id))
