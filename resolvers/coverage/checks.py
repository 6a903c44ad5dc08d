"""Checking a coverage product as entered (pure): provider, plan, term, mileage, price, phone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from models.enums import CoverageKind
from resolvers.errors import ErrorCode, Problem
from resolvers.origination.quotes import amount_problem

MAX_TEXT = 100
TERM_MONTHS = (1, 120)
PLAN_MILES = (1, 300_000)
PHONE = re.compile(r"^\+?[0-9][0-9 ().-]{6,18}[0-9]$")
MAX_PRICE = Decimal("25000.00")  # far above any coverage product: a typo guard
# Products measured in months only (a mileage limit makes no sense for them).
NO_MILEAGE = frozenset({CoverageKind.GAP})


@dataclass(frozen=True)
class Product:
    """A coverage product as a dealer enters it. `plan_miles`: the plan's miles from its start odometer."""

    kind: CoverageKind
    provider: str
    plan_name: str
    term_months: int
    plan_miles: int | None
    price: Decimal
    provider_phone: str = ""

    def cleaned(self) -> Product:
        return Product(self.kind, self.provider.strip(), self.plan_name.strip(), self.term_months, self.plan_miles,
                       self.price, self.provider_phone.strip())


def _invalid(message: str, *field: str) -> Problem:
    return Problem(ErrorCode.INVALID, message, field)


def product_problems(product: Product, prefix: tuple[str, ...] = ()) -> list[Problem]:
    """What no coverage product may hold, each with its input field (under `prefix`)."""
    p = product.cleaned()
    found: list[Problem | None] = []
    for name, value in (("provider", p.provider), ("planName", p.plan_name)):
        if not value or len(value) > MAX_TEXT:
            found.append(_invalid(f"Enter the {'plan name' if name == 'planName' else name} "
                                  f"(at most {MAX_TEXT} characters).", *prefix, name))
    if isinstance(p.term_months, bool) or not TERM_MONTHS[0] <= p.term_months <= TERM_MONTHS[1]:
        found.append(_invalid(f"Enter a term of {TERM_MONTHS[0]} to {TERM_MONTHS[1]} months.", *prefix, "termMonths"))
    if p.plan_miles is not None:
        if p.kind in NO_MILEAGE:
            found.append(_invalid("GAP coverage has no mileage limit; leave it out.", *prefix, "mileageLimit"))
        elif not PLAN_MILES[0] <= p.plan_miles <= PLAN_MILES[1]:
            found.append(_invalid(f"Enter the plan's miles ({PLAN_MILES[0]:,} to {PLAN_MILES[1]:,}).", *prefix,
                                  "mileageLimit"))
    price = amount_problem(p.price, "price")
    if price is not None:
        found.append(_invalid(price.message, *prefix, "price"))
    elif p.price <= 0 or p.price > MAX_PRICE:
        found.append(_invalid(f"Enter a price above 0.00 and at most {MAX_PRICE:,}.", *prefix, "price"))
    if p.provider_phone and not PHONE.match(p.provider_phone):
        found.append(_invalid("Enter the phone number with its area code (digits, spaces, ( ) - . +).", *prefix,
                              "providerPhone"))
    return [problem for problem in found if problem is not None]


def start_problem(start: date, contract_date: date, today: date) -> Problem | None:
    if start < contract_date or start > today:
        return _invalid("The start date falls from the contract date to today.", "startDate")
    return None
