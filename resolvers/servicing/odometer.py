"""Odometer reports: a lessee records a reading of their leased vehicle.

Rules: only a lease the caller holds (or co-signed) — anything else answers NOT_FOUND, like a
contract that does not exist; the day is not in the future (business date) and not before the
contract date; the miles are not below the latest reading on or before that day (the odometer at
signing counts as a reading on the contract date) and not above any later reading. The check and
the insert run in one transaction holding the contract row, so two reports cannot interleave.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tortoise.transactions import in_transaction

from models import Contract, OdometerReading, User, Vehicle
from models.enums import ContractKind, OdometerSource
from resolvers.errors import ErrorCode, Problem
from resolvers.servicing.visibility import contracts_visible_to
from service.container import Services

MAX_MILES = 2_000_000
NOT_FOUND = Problem(ErrorCode.NOT_FOUND, "No lease of yours has that id.", ("contractId",))


@dataclass(frozen=True)
class OdometerOutcome:
    problems: tuple[Problem, ...] = ()
    reading: OdometerReading | None = None
    contract: Contract | None = None


def start_reading(contract: Contract, vehicle: Vehicle, readings: list[OdometerReading]) -> tuple[date, int]:
    """The odometer when the lease began: the ORIGINATION reading, else the vehicle's odometer at sale."""
    origin = next((r for r in readings if r.source == OdometerSource.ORIGINATION), None)
    if origin is not None:
        return origin.read_on, origin.miles
    return contract.contract_date, vehicle.odometer_at_sale


def _check(contract: Contract, vehicle: Vehicle, readings: list[OdometerReading], miles: int, read_on: date,
           today: date) -> list[Problem]:
    problems = []
    if read_on > today:
        problems.append(Problem(ErrorCode.INVALID, f"The reading date cannot be in the future (today is "
                                                   f"{today.isoformat()}).", ("readOn",)))
    elif read_on < contract.contract_date:
        problems.append(Problem(ErrorCode.INVALID, "The reading date cannot be before the lease began "
                                                   f"({contract.contract_date.isoformat()}).", ("readOn",)))
    if not 0 <= miles <= MAX_MILES:
        problems.append(Problem(ErrorCode.INVALID, f"Miles must be between 0 and {MAX_MILES:,}.", ("miles",)))
    if problems:
        return problems
    start_on, start_miles = start_reading(contract, vehicle, readings)
    known = [(start_on, start_miles)] + [(r.read_on, r.miles) for r in readings]
    earlier = [m for day, m in known if day <= read_on]
    later = [m for day, m in known if day > read_on]
    if earlier and miles < max(earlier):
        problems.append(Problem(ErrorCode.INVALID, f"The odometer cannot go backwards: a reading on or before "
                                                   f"that day shows {max(earlier):,} miles.", ("miles",)))
    elif later and miles > min(later):
        problems.append(Problem(ErrorCode.INVALID, f"A later reading shows {min(later):,} miles; a reading "
                                                   "cannot be higher than a later one.", ("miles",)))
    return problems


async def report_odometer(services: Services, *, user: User, contract_id: int | None, miles: int,
                          read_on: date | None) -> OdometerOutcome:
    if contract_id is None:
        return OdometerOutcome(problems=(NOT_FOUND,))
    today = services.clock.today()
    day = read_on or today
    async with in_transaction() as connection:
        mine = contracts_visible_to(user).filter(id=contract_id, kind=ContractKind.LEASE)
        contract = await mine.using_db(connection).select_for_update().first()
        if contract is None:
            return OdometerOutcome(problems=(NOT_FOUND,))
        vehicle = await Vehicle.get(id=contract.vehicle_id).using_db(connection)
        readings = list(await OdometerReading.filter(contract_id=contract.id).order_by("read_on", "id")
                        .using_db(connection))
        problems = _check(contract, vehicle, readings, miles, day, today)
        if problems:
            return OdometerOutcome(problems=tuple(problems))
        reading = await OdometerReading.create(
            contract_id=contract.id, read_on=day, miles=miles, source=OdometerSource.CUSTOMER, reported_by_id=user.id,
            created_at=services.clock.now(), using_db=connection,
        )
    return OdometerOutcome(reading=reading, contract=contract)
