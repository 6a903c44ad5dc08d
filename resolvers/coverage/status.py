"""The coverage status lines of a contract's vehicle: its factory warranty (basic and powertrain,
from the make's terms) and each coverage product, with the figures of finance/coverage.py as of a
business date and the contract's odometer readings (any source: the customer, origination, service
visits). Pure over rows already loaded (the GraphQL layer loads them in batches)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from finance import coverage as math
from models import Contract, Coverage, OdometerReading, Vehicle
from models.enums import CoverageStatus, VehicleCondition


@dataclass(frozen=True)
class CoverageLine:
    kind: str  # "FACTORY_BASIC", "FACTORY_POWERTRAIN" or a CoverageKind value
    provider: str
    plan_name: str
    provider_phone: str
    start_date: date
    term_months: int
    start_odometer: int
    standing: math.CoverageStanding
    start_estimated: bool = False  # a used vehicle's factory warranty: the in-service date is estimated
    coverage: Coverage | None = None  # None for the factory warranty


def readings_of(contract: Contract, vehicle: Vehicle, rows: Iterable[OdometerReading]) -> list[math.Reading]:
    """The contract's readings, and the vehicle's odometer at sale as of the contract date."""
    readings = [math.Reading(row.read_on, row.miles) for row in rows]
    readings.append(math.Reading(contract.contract_date, vehicle.odometer_at_sale))
    return readings


def coverage_terms(row: Coverage) -> math.CoverageTerms:
    return math.CoverageTerms(start_date=row.start_date, term_months=row.term_months,
                              mileage_limit=row.mileage_limit, start_odometer=row.start_odometer)


def coverage_lines(contract: Contract, vehicle: Vehicle, coverages: Iterable[Coverage],
                   odometer: Iterable[OdometerReading], today: date) -> list[CoverageLine]:
    readings = readings_of(contract, vehicle, odometer)
    lines = []
    for part in math.factory_coverages(vehicle.make, is_new=vehicle.condition == VehicleCondition.NEW,
                                       model_year=vehicle.year, contract_date=contract.contract_date):
        lines.append(CoverageLine(
            kind=part.part.value, provider=vehicle.make, plan_name=f"{vehicle.make} "
            f"{'basic' if part.part == math.FactoryPart.BASIC else 'powertrain'} warranty", provider_phone="",
            start_date=part.in_service_date, term_months=part.terms.term_months, start_odometer=0,
            standing=math.standing(part.terms, today, readings), start_estimated=part.estimated))
    for row in sorted(coverages, key=lambda c: (c.start_date, c.id)):
        lines.append(CoverageLine(
            kind=row.kind.value, provider=row.provider, plan_name=row.plan_name, provider_phone=row.provider_phone,
            start_date=row.start_date, term_months=row.term_months, start_odometer=row.start_odometer,
            standing=math.standing(coverage_terms(row), today, readings,
                                   cancelled=row.status == CoverageStatus.CANCELLED),
            coverage=row))
    return lines
