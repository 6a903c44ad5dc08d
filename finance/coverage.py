"""Coverage status of a vehicle's warranties and coverage products (pure: no I/O).

A coverage runs from its start date for `term_months` and, where it has a mileage limit, until the
odometer reaches that limit, whichever comes first:
- it ends on `add_months(start, term_months)` (finance.loan.add_months: the same day of the month,
  clamped to the month's end) and is no longer in force from that day on;
- `mileage_limit` is the ODOMETER reading at which it ends (start odometer + the plan's miles for a
  product; the maker's miles for a factory warranty, which count from 0 on a new vehicle).

Status, as of a business date and the latest odometer reading on or before it:
- EXPIRED: the end date is reached, or the odometer is at or past the limit;
- EXPIRING_SOON: it ends within EXPIRING_SOON_DAYS (60) days, or within EXPIRING_SOON_MILES (1,000)
  miles of its limit;
- ACTIVE otherwise (also before its start date: it is bought and will run);
- CANCELLED: a product the dealer cancelled (no figures are meaningful then, but they are given).

Remaining months are whole months left (the largest n with start + n months on or before the end,
counted from the business date), remaining days the calendar days to the end date, and remaining
miles the limit minus the latest reading (never below 0). Without any reading the start odometer
counts.

The expiry notice (the daily job) is due for a coverage in force that ends within NOTICE_DAYS (30)
days or NOTICE_MILES (1,000) miles of its limit.

Factory warranty: the make's basic and powertrain terms (finance/factory_warranties.py) from the
in-service date: the contract date for a NEW vehicle. A USED vehicle's in-service date is not known
here; it is estimated as January 1 of its model year (`estimated` says so), never later than the
contract date.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import Enum

from finance.factory_warranties import WarrantyTerm, terms_for
from finance.loan import add_months

EXPIRING_SOON_DAYS = 60
EXPIRING_SOON_MILES = 1_000
NOTICE_DAYS = 30
NOTICE_MILES = 1_000


class Standing(str, Enum):
    ACTIVE = "ACTIVE"
    EXPIRING_SOON = "EXPIRING_SOON"
    EXPIRED = "EXPIRED"
    CANCELLED = "CANCELLED"


class FactoryPart(str, Enum):
    BASIC = "FACTORY_BASIC"
    POWERTRAIN = "FACTORY_POWERTRAIN"


@dataclass(frozen=True)
class Reading:
    """An odometer reading: miles on a day."""

    read_on: date
    miles: int


@dataclass(frozen=True)
class CoverageTerms:
    start_date: date
    term_months: int
    mileage_limit: int | None = None  # the odometer reading at which it ends; None: no mileage limit
    start_odometer: int = 0


@dataclass(frozen=True)
class CoverageStanding:
    status: Standing
    ends_on: date
    ends_at_miles: int | None
    remaining_months: int
    remaining_days: int
    remaining_miles: int | None
    odometer: Reading | None  # the reading the figures used (None: none on or before the date)


def ends_on(start: date, term_months: int) -> date:
    """The first day a coverage of `term_months` from `start` is no longer in force."""
    return add_months(start, term_months)


def whole_months_between(first: date, last: date) -> int:
    """Whole months from `first` to `last` (0 when `last` is not after `first`)."""
    if last <= first:
        return 0
    months = (last.year - first.year) * 12 + last.month - first.month
    while months > 0 and add_months(first, months) > last:
        months -= 1
    return months


def latest_reading(readings: Iterable[Reading], today: date) -> Reading | None:
    """The newest reading on or before `today` (the highest miles on that day)."""
    past = [r for r in readings if r.read_on <= today]
    return max(past, key=lambda r: (r.read_on, r.miles)) if past else None


def standing(terms: CoverageTerms, today: date, readings: Iterable[Reading] = (), *,
             cancelled: bool = False) -> CoverageStanding:
    """The coverage's status and what remains of it on `today`, given the vehicle's odometer readings."""
    if terms.term_months <= 0:
        raise ValueError("a coverage runs at least one month")
    end = ends_on(terms.start_date, terms.term_months)
    reading = latest_reading(readings, today)
    miles_now = reading.miles if reading is not None else terms.start_odometer
    from_day = max(today, terms.start_date)
    remaining_miles = None if terms.mileage_limit is None else max(terms.mileage_limit - miles_now, 0)
    remaining_days = max((end - from_day).days, 0)
    expired = today >= end or remaining_miles == 0
    if expired:
        remaining_days, remaining_miles = 0, (None if remaining_miles is None else 0)
    if cancelled:
        status = Standing.CANCELLED
    elif expired:
        status = Standing.EXPIRED
    elif (end - today).days <= EXPIRING_SOON_DAYS or (
            remaining_miles is not None and remaining_miles <= EXPIRING_SOON_MILES):
        status = Standing.EXPIRING_SOON
    else:
        status = Standing.ACTIVE
    return CoverageStanding(
        status=status, ends_on=end, ends_at_miles=terms.mileage_limit,
        remaining_months=0 if expired else whole_months_between(from_day, end), remaining_days=remaining_days,
        remaining_miles=remaining_miles, odometer=reading,
    )


def notice_due(result: CoverageStanding, today: date) -> bool:
    """Whether the "about to expire" notice is due: in force, and ending within NOTICE_DAYS days or
    NOTICE_MILES miles of its limit."""
    if result.status in (Standing.EXPIRED, Standing.CANCELLED):
        return False
    near_miles = result.remaining_miles is not None and result.remaining_miles <= NOTICE_MILES
    return (result.ends_on - today).days <= NOTICE_DAYS or near_miles


# -- factory warranty ---------------------------------------------------------------------------

@dataclass(frozen=True)
class FactoryCoverage:
    part: FactoryPart
    terms: CoverageTerms
    in_service_date: date
    estimated: bool  # the in-service date is an estimate (a used vehicle)


def in_service_date(*, is_new: bool, model_year: int, contract_date: date) -> tuple[date, bool]:
    """(the in-service date, whether it is an estimate): the contract date for a new vehicle;
    January 1 of the model year for a used one, never after the contract date."""
    if is_new:
        return contract_date, False
    return min(date(model_year, 1, 1), contract_date), True


def _factory_terms(term: WarrantyTerm, start: date) -> CoverageTerms:
    return CoverageTerms(start_date=start, term_months=term.months, mileage_limit=term.miles, start_odometer=0)


def factory_coverages(make: str, *, is_new: bool, model_year: int, contract_date: date) -> list[FactoryCoverage]:
    """The make's basic and powertrain warranty (empty for a make without terms in the table)."""
    warranty = terms_for(make)
    if warranty is None:
        return []
    start, estimated = in_service_date(is_new=is_new, model_year=model_year, contract_date=contract_date)
    return [FactoryCoverage(FactoryPart.BASIC, _factory_terms(warranty.basic, start), start, estimated),
            FactoryCoverage(FactoryPart.POWERTRAIN, _factory_terms(warranty.powertrain, start), start, estimated)]
