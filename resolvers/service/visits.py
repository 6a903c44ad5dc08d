"""Recording a service visit for a VIN: the one entry point for the dealer mutation
(graph/service/mutations.py) and the DMS feed's pushed repair orders (resolvers/dms/).

Any dealership's service department may service any car, so the VIN need not be on one of its
contracts; the visit belongs to the vehicle. Rules, all checked before anything is written:
- the VIN has 17 allowed characters and its check digit matches (finance/vin.py), and it is a
  vehicle autofin knows (a row in vehicles);
- the visit date is not in the future (the clock's business date);
- the odometer fits the vehicle's known readings in time: not below any reading on or before the
  visit date, not above any reading after it. The known readings are every odometer reading of
  every contract on the vehicle, each contract's odometer at delivery, and earlier service visits;
- parts and labour totals are >= 0 (whole cents), and at least one operation, each with a code and
  a description; a maintenance item, when given, is one the make's schedule knows;
- the paying coverage, when given, is a coverage of that vehicle.

A refusal raises ServiceVisitRefused with every problem found (the caller's transaction rolls back,
so nothing is written). On success, in the caller's transaction: the visit and its operations, an
OdometerReading(source=SERVICE) on each ACTIVE contract of the vehicle that had begun by the visit
date (lease mileage projections read them), and an audit event per customer login on those
contracts (details: ids only). The vehicle row is locked first, then its contracts (as odometer
reports lock the contract), so two visits or a visit and a reading cannot interleave their checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from tortoise.backends.base.client import BaseDBAsyncClient

from auth import audit
from auth.audit import Origin
from finance import maintenance
from finance.vin import normalize_vin, vin_characters_problem, vin_is_valid
from models import (
    Contract,
    Coverage,
    OdometerReading,
    ServiceOperation,
    ServiceVisit,
    User,
    Vehicle,
)
from models.enums import ContractStatus, OdometerSource
from resolvers.errors import ErrorCode, Problem
from resolvers.servicing.odometer import MAX_MILES, start_reading
from service.container import Services

MAX_OPERATIONS = 50
MAX_CODE_LENGTH = 32
MAX_DESCRIPTION_LENGTH = 200
MAX_TOTAL = Decimal("1000000.00")
AUDIT_ACTION = "service.visit_recorded"
NO_ORIGIN = Origin()


@dataclass(frozen=True)
class ServiceOperationDetails:
    """One operation performed at the visit. `maintenance_item` names a schedule item (e.g. OIL_CHANGE)."""

    code: str
    description: str
    maintenance_item: str | None = None


@dataclass(frozen=True)
class ServiceVisitDetails:
    """What a service department reports about a visit (the VIN is passed beside it)."""

    visit_date: date
    odometer: int
    operations: tuple[ServiceOperationDetails, ...] = ()
    parts_total: Decimal = Decimal(0)
    labour_total: Decimal = Decimal(0)
    paid_by_coverage_id: int | None = None


class ServiceVisitRefused(Exception):
    """The visit breaks a rule: `problems` says which (fields named as in the GraphQL input)."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(problem.message for problem in self.problems))


@dataclass
class _Known:
    """The vehicle's odometer history: (day, miles) pairs from every source."""

    points: list[tuple[date, int]] = field(default_factory=list)


# -- pure checks ----------------------------------------------------------------------------------

def _vin_problem(vin: str) -> Problem | None:
    why = vin_characters_problem(vin)
    if why is not None:
        return Problem(ErrorCode.INVALID, f"That is not a VIN: {why}.", ("vin",))
    if not vin_is_valid(vin):
        return Problem(ErrorCode.INVALID, "That VIN's check digit (9th character) does not match: check for a "
                                          "mistyped character.", ("vin",))
    return None


def _money_problem(amount: Decimal, name: str) -> Problem | None:
    if not amount.is_finite() or amount < 0 or amount > MAX_TOTAL or amount != amount.quantize(Decimal("0.01")):
        return Problem(ErrorCode.INVALID, f"{name} must be between 0.00 and {MAX_TOTAL:,} in whole cents.",
                       (name,))
    return None


def detail_problems(visit: ServiceVisitDetails, today: date, make: str | None = None,
                    model: str | None = None) -> list[Problem]:
    """Every rule about the visit's own fields (no database)."""
    problems: list[Problem] = []
    if visit.visit_date > today:
        problems.append(Problem(ErrorCode.INVALID, f"The visit date cannot be in the future (today is "
                                                   f"{today.isoformat()}).", ("visitDate",)))
    if not 0 <= visit.odometer <= MAX_MILES:
        problems.append(Problem(ErrorCode.INVALID, f"The odometer must be between 0 and {MAX_MILES:,} miles.",
                                ("odometer",)))
    for amount, name in ((visit.parts_total, "partsTotal"), (visit.labour_total, "labourTotal")):
        problem = _money_problem(amount, name)
        if problem is not None:
            problems.append(problem)
    if not visit.operations:
        problems.append(Problem(ErrorCode.INVALID, "A visit needs at least one operation.", ("operations",)))
    elif len(visit.operations) > MAX_OPERATIONS:
        problems.append(Problem(ErrorCode.INVALID, f"A visit has at most {MAX_OPERATIONS} operations.",
                                ("operations",)))
    known_items = maintenance.item_codes(make, model) if make is not None else maintenance.all_item_codes()
    for index, operation in enumerate(visit.operations[:MAX_OPERATIONS]):
        where = ("operations", str(index))
        if not operation.code.strip() or len(operation.code.strip()) > MAX_CODE_LENGTH:
            problems.append(Problem(ErrorCode.INVALID, f"An operation code is 1 to {MAX_CODE_LENGTH} characters.",
                                    (*where, "code")))
        if not operation.description.strip() or len(operation.description.strip()) > MAX_DESCRIPTION_LENGTH:
            problems.append(Problem(ErrorCode.INVALID, "An operation description is 1 to "
                                                       f"{MAX_DESCRIPTION_LENGTH} characters.",
                                    (*where, "description")))
        item = operation.maintenance_item
        if item is not None and item.strip().upper() not in known_items:
            problems.append(Problem(ErrorCode.INVALID, f"{item!r} is not a maintenance item of this vehicle's "
                                                       f"schedule (one of {', '.join(sorted(known_items))}).",
                                    (*where, "maintenanceItem")))
    return problems


def odometer_problem(points: list[tuple[date, int]], visit_date: date, odometer: int) -> Problem | None:
    """The odometer against the vehicle's known readings: not below one on or before the visit date,
    not above one after it."""
    earlier = [miles for day, miles in points if day <= visit_date]
    later = [miles for day, miles in points if day > visit_date]
    if earlier and odometer < max(earlier):
        return Problem(ErrorCode.INVALID, f"The odometer cannot go backwards: the vehicle's latest known reading "
                                          f"on or before {visit_date.isoformat()} is {max(earlier):,} miles.",
                       ("odometer",))
    if later and odometer > min(later):
        return Problem(ErrorCode.INVALID, f"A later reading of this vehicle shows {min(later):,} miles; the visit's "
                                          "odometer cannot be higher than a later reading.", ("odometer",))
    return None


# -- recording ------------------------------------------------------------------------------------

async def _known_points(vehicle: Vehicle, contracts: list[Contract], connection: BaseDBAsyncClient
                        ) -> list[tuple[date, int]]:
    readings = list(await OdometerReading.filter(contract_id__in=[c.id for c in contracts])
                    .order_by("read_on", "id").using_db(connection)) if contracts else []
    points = [(reading.read_on, reading.miles) for reading in readings]
    for contract in contracts:
        points.append(start_reading(contract, vehicle, [r for r in readings if r.contract_id == contract.id]))
    visits = await ServiceVisit.filter(vehicle_id=vehicle.id).using_db(connection).values_list("visit_date",
                                                                                                "odometer")
    points.extend((day, miles) for day, miles in visits)
    return points


async def _customer_logins(contracts: list[Contract], connection: BaseDBAsyncClient) -> list[int]:
    customer_ids = {c.customer_id for c in contracts} | {c.co_customer_id for c in contracts if c.co_customer_id}
    if not customer_ids:
        return []
    return sorted(await User.filter(customer_id__in=customer_ids).using_db(connection).values_list("id", flat=True))


async def record_service_visit(services: Services, *, dealership_id: int, vin: str, visit: ServiceVisitDetails,
                               recorded_by: User | None, credential_id: int | None, using_db: BaseDBAsyncClient,
                               origin: Origin = NO_ORIGIN) -> ServiceVisit:
    """Record `visit` for the vehicle with `vin`, serviced by `dealership_id`, in the caller's transaction
    `using_db`. `recorded_by` is the dealer user (None for a DMS push), `credential_id` the API credential
    that pushed it (None by hand). Raises ServiceVisitRefused (nothing written) when a rule fails."""
    connection = using_db
    today = services.clock.today()
    vin = normalize_vin(vin or "")
    problem = _vin_problem(vin)
    if problem is not None:
        raise ServiceVisitRefused([problem, *detail_problems(visit, today)])
    vehicle = await Vehicle.filter(vin=vin).using_db(connection).select_for_update().first()
    if vehicle is None:
        raise ServiceVisitRefused([Problem(ErrorCode.NOT_FOUND, "No vehicle with that VIN is financed or leased "
                                                                "with us.", ("vin",)),
                                   *detail_problems(visit, today)])
    problems = detail_problems(visit, today, vehicle.make, vehicle.model)
    if visit.paid_by_coverage_id is not None:
        coverage = await Coverage.filter(id=visit.paid_by_coverage_id).using_db(connection).first()
        if coverage is None or coverage.vehicle_id != vehicle.id:
            problems.append(Problem(ErrorCode.INVALID, "The paying coverage must be a coverage of this vehicle.",
                                    ("paidByCoverageId",)))
    if problems:
        raise ServiceVisitRefused(problems)
    contracts = list(await Contract.filter(vehicle_id=vehicle.id).order_by("id").using_db(connection)
                     .select_for_update())
    problem = odometer_problem(await _known_points(vehicle, contracts, connection), visit.visit_date,
                               visit.odometer)
    if problem is not None:
        raise ServiceVisitRefused([problem])

    now = services.clock.now()
    row = await ServiceVisit.create(
        vehicle_id=vehicle.id, dealership_id=dealership_id, visit_date=visit.visit_date, odometer=visit.odometer,
        parts_total=visit.parts_total, labour_total=visit.labour_total,
        paid_by_coverage_id=visit.paid_by_coverage_id, recorded_by_id=recorded_by.id if recorded_by else None,
        recorded_by_credential_id=credential_id, created_at=now, using_db=connection,
    )
    await ServiceOperation.bulk_create([
        ServiceOperation(visit_id=row.id, code=operation.code.strip(), description=operation.description.strip(),
                         maintenance_item=operation.maintenance_item.strip().upper()
                         if operation.maintenance_item else None)
        for operation in visit.operations
    ], using_db=connection)
    active = [c for c in contracts if c.status == ContractStatus.ACTIVE and c.contract_date <= visit.visit_date]
    for contract in active:
        await OdometerReading.create(contract_id=contract.id, read_on=visit.visit_date, miles=visit.odometer,
                                     source=OdometerSource.SERVICE, reported_by_id=None, created_at=now,
                                     using_db=connection)
    details = {"visit_id": row.id, "vehicle_id": vehicle.id, "dealership_id": dealership_id}
    if credential_id is not None:
        details["credential_id"] = credential_id
    owners = [c for c in contracts if c.status == ContractStatus.ACTIVE]
    subjects = await _customer_logins(owners, connection) or [None]
    for subject in subjects:
        await audit.record(AUDIT_ACTION, clock=services.clock, origin=origin, actor=recorded_by, subject=subject,
                           details=details, using_db=connection)
    return row
