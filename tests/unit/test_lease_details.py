"""Regulation M disclosure, mileage projection, end-of-term options and early termination (finance/lease.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from finance.lease import (
    adjusted_lease_balance,
    early_termination_estimate,
    end_of_term,
    lease_disclosure,
    lease_payment,
    mileage_projection,
)
from finance.money import MoneyError

D = Decimal
EXAMPLE = dict(gross_cap_cost=D("38000.00"), cap_cost_reduction=D("2000.00"), residual_value=D("23200.00"),
               money_factor=D("0.00125"), term_months=36, tax_rate=D("0.07"))


def test_disclosure_of_worked_example_2():
    d = lease_disclosure(**EXAMPLE, disposition_fee=D("395.00"))
    assert (d.gross_cap_cost, d.cap_cost_reduction, d.adjusted_cap_cost, d.residual_value) == (
        D("38000.00"), D("2000.00"), D("36000.00"), D("23200.00"))
    assert (d.depreciation, d.monthly_depreciation, d.monthly_rent_charge, d.base_monthly_payment) == (
        D("12800.00"), D("355.56"), D("74.00"), D("429.56"))
    assert (d.monthly_tax, d.total_monthly_payment, d.apr_equivalent, d.money_factor) == (
        D("30.07"), D("459.63"), D("3.00"), D("0.00125"))
    # §1013.4(f): depreciation + rent charge = total of base payments, to the cent.
    assert d.total_of_base_payments == D("15464.16") == d.depreciation + d.rent_charge_total
    assert d.rent_charge_total == D("2664.16")
    # §1013.4(e): due at signing (2,000.00 + first 459.63) + 35 × 459.63 + disposition 395.00.
    assert d.amount_due_at_signing == D("2459.63")
    assert d.total_of_payments == D("2459.63") + 35 * D("459.63") + D("395.00") == D("18941.68")


def test_disclosure_with_first_payment_in_a_month_and_fees_at_signing():
    d = lease_disclosure(**EXAMPLE, fees_at_signing=D("695.00"), first_payment_at_signing=False)
    assert d.amount_due_at_signing == D("2695.00")
    assert d.total_of_payments == D("2695.00") + 36 * D("459.63")
    assert lease_payment(**EXAMPLE).monthly_payment == d.total_monthly_payment  # lease_payment unchanged


MILEAGE = dict(start_date=date(2026, 1, 1), maturity_date=date(2029, 1, 1), start_odometer=10,
               annual_allowance=12000, term_months=36, excess_rate=D("0.25"))


def test_mileage_projection_at_the_current_pace():
    reading_day = date(2026, 4, 11)  # 100 days after delivery
    projection = mileage_projection(**MILEAGE, readings=[(date(2026, 2, 1), 400), (reading_day, 1510)],
                                    as_of=date(2026, 5, 1))
    remaining = (date(2029, 1, 1) - reading_day).days
    assert projection.miles_driven == 1500 and projection.average_miles_per_day == D("15.00")
    assert projection.projected_miles_at_maturity == 1500 + 15 * remaining == 16440
    assert projection.allowed_miles_total == 36000
    assert (projection.projected_excess_miles, projection.projected_excess_charge) == (0, D("0.00"))
    assert projection.projected_odometer_at_maturity == 16450 and projection.last_reading_date == reading_day


def test_mileage_projection_over_the_allowance_charges_the_excess():
    projection = mileage_projection(**MILEAGE, readings=[(date(2026, 4, 11), 5010)], as_of=date(2026, 4, 11))
    remaining = (date(2029, 1, 1) - date(2026, 4, 11)).days
    assert projection.projected_miles_at_maturity == 5000 + 50 * remaining
    excess = 5000 + 50 * remaining - 36000
    assert projection.projected_excess_miles == excess
    assert projection.projected_excess_charge == (excess * D("0.25")).quantize(D("0.01"))


def test_mileage_without_readings_and_with_future_readings():
    none = mileage_projection(**MILEAGE, readings=[], as_of=date(2026, 1, 1))
    assert (none.miles_driven, none.projected_miles_at_maturity, none.last_reading_date) == (0, 0, None)
    later = mileage_projection(**MILEAGE, readings=[(date(2026, 6, 1), 9000)], as_of=date(2026, 5, 1))
    assert later.miles_driven == 0  # a reading after as_of is not known yet on as_of
    odd_allowance = mileage_projection(**{**MILEAGE, "annual_allowance": 10000, "term_months": 39},
                                       readings=[], as_of=date(2026, 1, 1))
    assert odd_allowance.allowed_miles_total == 32500


@pytest.mark.parametrize("override", [
    {"readings": [(date(2026, 2, 1), 5)]},  # below the delivery odometer
    {"readings": [(date(2026, 2, 1), 500), (date(2026, 3, 1), 400)]},  # backwards
    {"readings": [(date(2025, 12, 1), 500)]},  # before delivery
    {"readings": [(date(2026, 2, 1), 500.0)]},
    {"annual_allowance": 0}, {"annual_allowance": True}, {"term_months": 0}, {"excess_rate": D("-0.25")},
    {"excess_rate": 0.25}, {"maturity_date": date(2026, 1, 1)}, {"as_of": date(2025, 12, 31)}, {"start_odometer": -1},
])
def test_invalid_mileage_inputs_are_refused(override):
    arguments = {**MILEAGE, "readings": [], "as_of": date(2026, 6, 1), **override}
    with pytest.raises(ValueError):
        mileage_projection(**arguments)


def test_end_of_term_options():
    options = end_of_term(D("23200.00"), D("350.00"), D("395.00"))
    assert (options.purchase_option_price, options.disposition_fee) == (D("23550.00"), D("395.00"))
    assert (options.residual_value, options.purchase_option_fee) == (D("23200.00"), D("350.00"))
    with pytest.raises(ValueError):
        end_of_term(D("-1.00"), D("0"), D("0"))
    with pytest.raises(MoneyError):
        end_of_term(D("23200.00"), 350.0, D("0"))  # type: ignore[arg-type]


def _exact_balance(base: str, residual: str, factor: str, m: int) -> Fraction:
    """Σ B·v^k + R·v^m in exact rationals, independent of the Decimal code."""
    v = 1 / (1 + 2 * Fraction(factor))
    return sum((Fraction(base) * v ** k for k in range(1, m + 1)), Fraction(0)) + Fraction(residual) * v ** m


@pytest.mark.parametrize("m", [1, 12, 24, 35, 36])
def test_adjusted_lease_balance_is_the_constant_yield_balance(m):
    balance = adjusted_lease_balance(D("429.56"), D("23200.00"), D("0.00125"), m)
    exact = _exact_balance("429.56", "23200.00", "0.00125", m)
    assert abs(Fraction(balance) - exact) <= Fraction(1, 200)


def test_balance_at_signing_is_close_to_the_adjusted_cap_cost_and_falls_to_the_residual():
    at_signing = adjusted_lease_balance(D("429.56"), D("23200.00"), D("0.00125"), 36)
    assert abs(at_signing - D("36000.00")) < D("36000.00") * D("0.001")  # money factor is an approximation
    balances = [adjusted_lease_balance(D("429.56"), D("23200.00"), D("0.00125"), m) for m in range(36, 0, -1)]
    assert balances == sorted(balances, reverse=True) and balances[-1] > D("23200.00")


def test_early_termination_estimate_and_its_assumptions():
    estimate = early_termination_estimate(
        base_monthly_payment=D("429.56"), residual_value=D("23200.00"), money_factor=D("0.00125"),
        remaining_payments=12, realized_value=D("25000.00"), disposition_fee=D("395.00"),
        early_termination_fee=D("200.00"), unpaid_amounts=D("459.63"))
    balance = adjusted_lease_balance(D("429.56"), D("23200.00"), D("0.00125"), 12)
    assert estimate.adjusted_lease_balance == balance
    assert estimate.estimate == balance - D("25000.00") + D("395.00") + D("200.00") + D("459.63")
    names = {a.name for a in estimate.assumptions}
    assert {"method", "monthly_rate", "realized_value", "early_termination_fee"} <= names
    assert all(len(a) == 3 and isinstance(a.value, str) for a in estimate.assumptions)


def test_early_termination_is_never_negative():
    estimate = early_termination_estimate(base_monthly_payment=D("429.56"), residual_value=D("23200.00"),
                                          money_factor=D("0.00125"), remaining_payments=3,
                                          realized_value=D("40000.00"))
    assert estimate.estimate == D("0.00") and estimate.early_termination_fee == D("0.00")


@pytest.mark.parametrize("override", [
    {"remaining_payments": 0}, {"remaining_payments": True}, {"money_factor": D("0.5")},
    {"realized_value": D("-1.00")}, {"early_termination_fee": D("1.001")}, {"base_monthly_payment": 429.56},
])
def test_invalid_early_termination_inputs(override):
    arguments = dict(base_monthly_payment=D("429.56"), residual_value=D("23200.00"), money_factor=D("0.00125"),
                     remaining_payments=12, realized_value=D("25000.00"))
    with pytest.raises(ValueError):
        early_termination_estimate(**{**arguments, **override})


@pytest.mark.parametrize("override", [{"disposition_fee": D("-1")}, {"fees_at_signing": D("0.001")},
                                      {"residual_value": D("40000.00")}])
def test_invalid_disclosure_inputs(override):
    with pytest.raises(ValueError):
        lease_disclosure(**{**EXAMPLE, **override})

