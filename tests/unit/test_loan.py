"""Loan math against finance-notes.md worked example 1 and basic invariants."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from finance.loan import add_months, amortization_schedule, disclosures, level_payment
from finance.money import MoneyError

D = Decimal


def test_worked_example_1_payment_schedule_and_disclosures():
    schedule = amortization_schedule(D("5000.00"), D("12"), 36, date(2026, 2, 15))
    assert level_payment(D("5000.00"), D("12"), 36) == D("166.07")
    first, second, last = schedule[0], schedule[1], schedule[-1]
    assert (first.payment, first.interest, first.principal, first.balance_after) == (
        D("166.07"), D("50.00"), D("116.07"), D("4883.93"))
    assert (second.interest, second.principal, second.balance_after) == (D("48.84"), D("117.23"), D("4766.70"))
    assert last.number == 36 and last.payment == D("166.15") and last.balance_after == D("0.00")
    assert all(item.payment == D("166.07") for item in schedule[:-1])
    tila = disclosures(schedule, D("5000.00"))
    assert (tila.amount_financed, tila.total_of_payments, tila.finance_charge) == (
        D("5000.00"), D("5978.60"), D("978.60"))


def test_zero_apr_splits_principal_evenly_and_last_payment_absorbs_rounding():
    assert level_payment(D("1000.00"), D("0"), 3) == D("333.33")
    schedule = amortization_schedule(D("1000.00"), D("0"), 3, date(2026, 1, 10))
    assert [s.payment for s in schedule] == [D("333.33"), D("333.33"), D("333.34")]
    assert all(s.interest == D("0.00") for s in schedule)
    assert disclosures(schedule, D("1000.00")).finance_charge == D("0.00")


@pytest.mark.parametrize(
    ("principal", "apr", "term"),
    [(D("-1.00"), D("5"), 12), (D("0"), D("5"), 12), (D("100.005"), D("5"), 12), (D("1000"), D("-1"), 12),
     (D("1000"), D("100"), 12), (D("1000"), D("5"), 0), (D("1000"), D("5"), -3), (D("1000"), D("5"), True),
     (D("1000"), D("5"), D("12"))],
)
def test_invalid_loan_terms_are_refused(principal, apr, term):
    with pytest.raises(ValueError):  # MoneyError is a ValueError
        level_payment(principal, apr, term)
    with pytest.raises(ValueError):
        amortization_schedule(principal, apr, term, date(2026, 1, 1))


def test_floats_are_refused_as_money_errors():
    with pytest.raises(MoneyError):
        level_payment(5000.0, D("12"), 36)  # type: ignore[arg-type]
    with pytest.raises(MoneyError):
        level_payment(D("5000"), 12.0, 36)  # type: ignore[arg-type]


def test_disclosures_need_a_schedule():
    with pytest.raises(ValueError):
        disclosures([], D("100.00"))


def test_due_dates_keep_the_day_and_clamp_to_month_end():
    schedule = amortization_schedule(D("1200.00"), D("6"), 5, date(2027, 12, 31))
    assert [s.due_date for s in schedule] == [
        date(2027, 12, 31), date(2028, 1, 31), date(2028, 2, 29), date(2028, 3, 31), date(2028, 4, 30)]
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 3, 15), -3) == date(2025, 12, 15)


@pytest.mark.parametrize(
    ("principal", "apr", "term"),
    [(D("5000.00"), D("12"), 36), (D("18500.00"), D("3.9"), 60), (D("42750.55"), D("11.9"), 72),
     (D("999.99"), D("24.99"), 12), (D("27000.00"), D("0"), 48), (D("1.00"), D("7.5"), 1),
     (D("31234.56"), D("6.4900"), 96)],
)
def test_schedule_repays_exactly_the_principal(principal, apr, term):
    schedule = amortization_schedule(principal, apr, term, date(2026, 5, 20))
    assert len(schedule) == term
    assert sum(s.principal for s in schedule) == principal
    assert schedule[-1].balance_after == D("0.00")
    payment = level_payment(principal, apr, term)
    for item in schedule:
        assert item.principal + item.interest == item.payment
        assert item.principal >= 0 and item.interest >= 0
        assert item.payment == item.payment.quantize(D("0.01"))
    assert all(s.payment == payment for s in schedule[:-1])
    # The final payment only absorbs rounding: within a cent per period of the level payment.
    assert abs(schedule[-1].payment - payment) <= D("0.01") * term


def test_a_few_cents_over_a_long_term_cannot_have_a_level_payment():
    # round(0.50 / 96) = 0.01, and 95 such payments would repay more than was lent.
    with pytest.raises(ValueError, match="too small"):
        amortization_schedule(D("0.50"), D("0"), 96, date(2026, 1, 1))
