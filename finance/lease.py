"""Closed-end vehicle lease payment (Regulation M style), per finance-notes.md.

adjusted cap cost = gross cap cost − cap cost reduction; depreciation = adjusted − residual;
monthly depreciation = round(depreciation / n); rent charge = round((adjusted + residual) · MF);
base = depreciation part + rent charge; tax = round(base · tax rate); payment = base + tax.
The tax rate is a fraction (0.0825 for 8.25 %); the APR equivalent MF × 2400 is in percent.

Also here: the Regulation M §1013.4 disclosure, mileage projection, end-of-term options and an
early termination estimate (each documents its formula).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import NamedTuple

from finance.inputs import rate_below, whole_cents
from finance.inputs import term_months as checked_term
from finance.money import ZERO, as_decimal, round_money

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


class Assumption(NamedTuple):
    """One assumption behind an estimate, returned with it so the customer sees what it rests on."""

    name: str
    value: str
    explanation: str


# --- Regulation M §1013.4 disclosure -------------------------------------------------------------


@dataclass(frozen=True)
class LeaseDisclosure:
    """The Regulation M (12 CFR 1013.4) figures of a closed-end vehicle lease.

    rent_charge_total follows §1013.4(f)(4): total of base payments − depreciation, so the parts of
    §1013.4(f) add up to the cent even though the monthly depreciation is rounded.
    total_of_payments follows §1013.4(e): amount due at signing + the periodic payments not paid at
    signing + other charges (here the disposition fee).
    """

    gross_cap_cost: Decimal
    cap_cost_reduction: Decimal
    adjusted_cap_cost: Decimal
    residual_value: Decimal
    depreciation: Decimal  # depreciation and any amortized amounts, §1013.4(f)(3)
    rent_charge_total: Decimal
    total_of_base_payments: Decimal
    term_months: int
    monthly_depreciation: Decimal
    monthly_rent_charge: Decimal
    base_monthly_payment: Decimal
    monthly_tax: Decimal
    total_monthly_payment: Decimal
    money_factor: Decimal
    apr_equivalent: Decimal  # money factor × 2400, percent
    amount_due_at_signing: Decimal
    other_charges: Decimal
    total_of_payments: Decimal


def lease_disclosure(
    gross_cap_cost: Decimal, cap_cost_reduction: Decimal, residual_value: Decimal, money_factor: Decimal,
    term_months: int, tax_rate: Decimal, *, disposition_fee: Decimal = ZERO, fees_at_signing: Decimal = ZERO,
    first_payment_at_signing: bool = True,
) -> LeaseDisclosure:
    """All §1013.4 figures, from the same inputs as lease_payment (worked example 2 holds unchanged).

    Amount due at signing = cap cost reduction + fees paid at signing + the first monthly payment
    when it is due at signing (as on most vehicle leases).
    """
    lease = lease_payment(gross_cap_cost, cap_cost_reduction, residual_value, money_factor, term_months, tax_rate)
    disposition = whole_cents("disposition fee", disposition_fee)
    at_signing_fees = whole_cents("fees at signing", fees_at_signing)
    first = lease.monthly_payment if first_payment_at_signing else ZERO
    due_at_signing = as_decimal(cap_cost_reduction) + at_signing_fees + first
    periodic_after_signing = lease.monthly_payment * term_months - first
    total_base = lease.base_payment * term_months
    return LeaseDisclosure(
        gross_cap_cost=as_decimal(gross_cap_cost), cap_cost_reduction=as_decimal(cap_cost_reduction),
        adjusted_cap_cost=lease.adjusted_cap_cost, residual_value=as_decimal(residual_value),
        depreciation=lease.depreciation, rent_charge_total=total_base - lease.depreciation,
        total_of_base_payments=total_base, term_months=term_months,
        monthly_depreciation=lease.monthly_depreciation, monthly_rent_charge=lease.monthly_rent_charge,
        base_monthly_payment=lease.base_payment, monthly_tax=lease.monthly_tax,
        total_monthly_payment=lease.monthly_payment, money_factor=as_decimal(money_factor),
        apr_equivalent=lease.apr_equivalent, amount_due_at_signing=due_at_signing, other_charges=disposition,
        total_of_payments=due_at_signing + periodic_after_signing + disposition,
    )


# --- Mileage ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MileageProjection:
    """Miles driven so far and where the current pace leads at maturity.

    Miles are counted from the odometer at delivery (start_odometer); projected_odometer_at_maturity
    is the same projection as an odometer reading.
    """

    miles_driven: int
    allowed_miles_total: int
    projected_miles_at_maturity: int
    projected_excess_miles: int
    projected_excess_charge: Decimal
    average_miles_per_day: Decimal  # 2 places, for display; the projection uses the exact pace
    projected_odometer_at_maturity: int = 0
    last_reading_date: date | None = None


def _whole_miles(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _checked_readings(start_date: date, start_odometer: int, readings: Sequence[tuple[date, int]],
                      as_of: date) -> list[tuple[date, int]]:
    """Readings up to as_of, oldest first; an odometer never goes backwards (or below delivery)."""
    usable = sorted((r for r in readings if r[0] <= as_of), key=lambda r: r[0])
    previous = (start_date, start_odometer)
    for day, miles in usable:
        if not isinstance(day, date) or isinstance(miles, bool) or not isinstance(miles, int):
            raise ValueError(f"a reading is (date, int miles), got {(day, miles)!r}")
        if day < start_date or miles < previous[1]:
            raise ValueError(f"reading {miles} on {day} goes backwards from {previous[1]} on {previous[0]}")
        previous = (day, miles)
    return usable


def _positive_int(name: str, value: int, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return value


def mileage_projection(
    *, start_date: date, maturity_date: date, start_odometer: int, readings: Sequence[tuple[date, int]],
    annual_allowance: int, term_months: int, excess_rate: Decimal, as_of: date,
) -> MileageProjection:
    """Project miles at maturity from the pace so far (miles since delivery / days since delivery).

    Allowed miles = annual allowance × term / 12 (rounded to a whole mile). With no reading after
    the delivery day there is no pace yet, so the projection is the miles driven so far.
    Readings dated after as_of are ignored; excess charge = round(excess miles × excess rate).
    """
    if not all(isinstance(d, date) for d in (start_date, maturity_date, as_of)):
        raise ValueError("start_date, maturity_date and as_of must be dates")
    if maturity_date <= start_date or as_of < start_date:
        raise ValueError("the maturity date must follow the start date, and as_of must not precede it")
    _positive_int("start odometer", start_odometer, 0)
    n = checked_term(term_months, MAX_TERM_MONTHS)
    allowance = _positive_int("annual mileage allowance", annual_allowance)
    rate = whole_cents("excess mileage rate", excess_rate)
    usable = _checked_readings(start_date, start_odometer, readings, as_of)
    last_day, last_odometer = usable[-1] if usable else (start_date, start_odometer)
    driven = last_odometer - start_odometer
    elapsed = (last_day - start_date).days
    pace = Decimal(driven) / elapsed if elapsed > 0 else Decimal(0)
    remaining_days = max((maturity_date - last_day).days, 0)
    projected = driven + _whole_miles(pace * remaining_days)
    allowed = _whole_miles(Decimal(allowance) * n / 12)
    excess = max(projected - allowed, 0)
    return MileageProjection(
        miles_driven=driven, allowed_miles_total=allowed, projected_miles_at_maturity=projected,
        projected_excess_miles=excess, projected_excess_charge=round_money(excess * rate),
        average_miles_per_day=round_money(pace), projected_odometer_at_maturity=start_odometer + projected,
        last_reading_date=last_day if usable else None,
    )


# --- End of term --------------------------------------------------------------------------------


@dataclass(frozen=True)
class EndOfTerm:
    purchase_option_price: Decimal  # residual + purchase option fee, §1013.4(i)
    disposition_fee: Decimal  # owed if the vehicle is returned instead
    residual_value: Decimal = ZERO
    purchase_option_fee: Decimal = ZERO


def end_of_term(residual_value: Decimal, purchase_option_fee: Decimal, disposition_fee: Decimal) -> EndOfTerm:
    """The two end-of-term options: buy at residual + purchase option fee, or return and pay the disposition fee."""
    residual = whole_cents("residual value", residual_value)
    option_fee = whole_cents("purchase option fee", purchase_option_fee)
    return EndOfTerm(purchase_option_price=residual + option_fee,
                     disposition_fee=whole_cents("disposition fee", disposition_fee),
                     residual_value=residual, purchase_option_fee=option_fee)


# --- Early termination --------------------------------------------------------------------------


@dataclass(frozen=True)
class EarlyTermination:
    adjusted_lease_balance: Decimal
    realized_value: Decimal
    disposition_fee: Decimal
    early_termination_fee: Decimal
    unpaid_amounts: Decimal
    estimate: Decimal  # what the lessee would owe, never below 0
    assumptions: tuple[Assumption, ...]


def adjusted_lease_balance(base_monthly_payment: Decimal, residual_value: Decimal, money_factor: Decimal,
                           remaining_payments: int) -> Decimal:
    """The constant-yield (actuarial) balance: Σ_{k=1..m} B·v^k + R·v^m, v = 1/(1 + 2·MF).

    2·MF is the money factor's monthly rate (APR equivalent MF × 2400 % / 12). Each remaining base
    payment B pays the month that ends on it (the convention under which the money-factor rent
    charge (adjusted cap cost + residual) × MF is the usual approximation), and the residual R is
    discounted from the last one.
    """
    base = whole_cents("base monthly payment", base_monthly_payment)
    residual = whole_cents("residual value", residual_value)
    factor = rate_below("money factor", money_factor, MAX_MONEY_FACTOR)
    m = _positive_int("remaining payments", remaining_payments)
    with localcontext() as ctx:
        ctx.prec = 40
        v = 1 / (1 + 2 * factor)
        annuity = sum((v ** k for k in range(1, m + 1)), Decimal(0))
        return round_money(base * annuity + residual * v ** m)


def early_termination_estimate(
    *, base_monthly_payment: Decimal, residual_value: Decimal, money_factor: Decimal, remaining_payments: int,
    realized_value: Decimal, disposition_fee: Decimal = ZERO, early_termination_fee: Decimal = ZERO,
    unpaid_amounts: Decimal = ZERO,
) -> EarlyTermination:
    """Estimate = max(0, adjusted lease balance − realized value + disposition fee + early termination fee
    + unpaid amounts), the usual structure of a vehicle lease's early termination clause
    (Regulation M §1013.4(g) requires the method to be disclosed; the contract's own method governs).
    """
    balance = adjusted_lease_balance(base_monthly_payment, residual_value, money_factor, remaining_payments)
    realized = whole_cents("realized value", realized_value)
    disposition = whole_cents("disposition fee", disposition_fee)
    termination_fee = whole_cents("early termination fee", early_termination_fee)
    unpaid = whole_cents("unpaid amounts", unpaid_amounts)
    estimate = max(balance - realized + disposition + termination_fee + unpaid, ZERO)
    monthly_rate = as_decimal(money_factor) * 2
    assumptions = (
        Assumption("method", "constant yield (actuarial)",
                   "remaining base payments and the residual discounted at the money factor's monthly rate"),
        Assumption("monthly_rate", str(monthly_rate), "money factor × 2 (its APR equivalent × 2400 %, per month)"),
        Assumption("remaining_payments", str(remaining_payments), "base payments not yet due"),
        Assumption("realized_value", str(realized), "assumed amount the vehicle brings when returned (an estimate)"),
        Assumption("early_termination_fee", str(termination_fee), "contract fee for ending early (0 if none)"),
        Assumption("disposition_fee", str(disposition), "fee for returning the vehicle"),
        Assumption("unpaid_amounts", str(unpaid), "past-due payments and fees owed on the termination date"),
        Assumption("excluded", "taxes, excess wear and mileage",
                   "not estimated here; assessed at inspection and added by the lessor"),
    )
    return EarlyTermination(adjusted_lease_balance=balance, realized_value=realized, disposition_fee=disposition,
                            early_termination_fee=termination_fee, unpaid_amounts=unpaid, estimate=estimate,
                            assumptions=assumptions)
