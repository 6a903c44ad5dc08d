"""Closed-end vehicle lease payment (Regulation M style), per finance-notes.md.

adjusted cap cost = gross cap cost − cap cost reduction; depreciation = adjusted − residual;
monthly depreciation = round(depreciation / n); rent charge = round((adjusted + residual) · MF);
base = depreciation part + rent charge; tax = round(base · tax rate); payment = base + tax.
The tax rate is a fraction (0.0825 for 8.25 %); the APR equivalent MF × 2400 is in percent.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from finance.inputs import rate_below, whole_cents
from finance.inputs import term_months as checked_term
from finance.money import ZERO, round_money

MAX_TERM_MONTHS = 120
# A money factor of 0.01 is already a 24 % APR; anything near 1 is an APR typed by mistake.
MAX_MONEY_FACTOR = Decimal("0.01")


@dataclass(frozen=True)
class LeasePayment:
    adjusted_cap_cost: Decimal
    depreciation: Decimal
    monthly_depreciation: Decimal
    monthly_rent_charge: Decimal
    base_payment: Decimal
    monthly_tax: Decimal
    monthly_payment: Decimal
    apr_equivalent: Decimal


def lease_payment(
    gross_cap_cost: Decimal,
    cap_cost_reduction: Decimal,
    residual_value: Decimal,
    money_factor: Decimal,
    term_months: int,
    tax_rate: Decimal,
) -> LeasePayment:
    """The monthly lease payment and its parts; ValueError/MoneyError on inconsistent terms."""
    gross = whole_cents("gross cap cost", gross_cap_cost)
    reduction = whole_cents("cap cost reduction", cap_cost_reduction)
    residual = whole_cents("residual value", residual_value)
    factor = rate_below("money factor", money_factor, MAX_MONEY_FACTOR)
    tax = rate_below("tax rate (a fraction, 0.0825 for 8.25 %)", tax_rate, Decimal(1))
    n = checked_term(term_months, MAX_TERM_MONTHS)
    adjusted = gross - reduction
    if adjusted <= ZERO:
        raise ValueError("cap cost reduction must be less than the gross cap cost")
    if residual > adjusted:
        # Negative depreciation would mean the lessee is paid to drive the car.
        raise ValueError("residual value must not exceed the adjusted cap cost")
    depreciation = adjusted - residual
    monthly_depreciation = round_money(depreciation / n)
    rent_charge = round_money((adjusted + residual) * factor)
    base = monthly_depreciation + rent_charge
    monthly_tax = round_money(base * tax)
    return LeasePayment(
        adjusted_cap_cost=adjusted, depreciation=depreciation, monthly_depreciation=monthly_depreciation,
        monthly_rent_charge=rent_charge, base_payment=base, monthly_tax=monthly_tax,
        monthly_payment=base + monthly_tax, apr_equivalent=factor * 2400,
    )
