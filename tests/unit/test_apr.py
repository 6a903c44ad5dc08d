"""APR by the actuarial method of Regulation Z Appendix J (finance/apr.py).

Sources: finance-notes.md worked examples 1 and 4, and the examples of Appendix J (c) itself,
12 CFR 1026 Appendix J, "(c) Examples for the actuarial method",
https://www.consumerfinance.gov/rules-policy/regulations/1026/j/ (the dates and the odd periods
below are the appendix's; the same figures are in the public test suite of
simontreanor/FSharp.Finance.Personal, tests/AprUsActuarialTests.fs).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from finance.apr import apr_actuarial, loan_disclosure, monthly_first_period
from finance.money import MoneyError

D = Decimal


def test_worked_example_4_regular_monthly():
    """finance-notes #4 (= Appendix J (c)(1)(i)): 5,000.00, 24 × 230.00 → 9.69 %."""
    assert apr_actuarial(D("5000.00"), [D("230.00")] * 24) == D("9.69")


def test_worked_example_4_long_first_period():
    """finance-notes #4 (= Appendix J (c)(1)(ii)): 6,000.00, 36 × 200.00, first period 1 month 19 days."""
    assert apr_actuarial(D("6000.00"), [D("200.00")] * 36, first_period_fraction=D(19) / 30) == D("11.82")
    # The appendix's dates: advance 1978-02-10, first payment 1978-04-01.
    assert monthly_first_period(date(1978, 2, 10), date(1978, 4, 1)) == (1, D(19) / 30)


def test_worked_example_4_odd_final_payment():
    """finance-notes #4 (= Appendix J (c)(3)(i)): 23 × 230.00 and a last 280.00 → 10.50 %."""
    assert apr_actuarial(D("5000.00"), [D("230.00")] * 23 + [D("280.00")]) == D("10.50")


def test_worked_example_4_prepaid_finance_charge_lowers_the_amount_financed():
    """finance-notes #4: 1,000.00 at 10 % for 12 months, 50.00 prepaid → 950.00 financed → 19.77 %."""
    assert apr_actuarial(D("950.00"), [D("87.90")] * 11 + [D("87.85")]) == D("19.77")


def test_worked_example_1_through_loan_disclosure():
    tila = loan_disclosure(D("5000.00"), D("12"), 36, date(2026, 2, 15), date(2026, 1, 15))
    assert (tila.amount_financed, tila.finance_charge, tila.total_of_payments, tila.apr) == (
        D("5000.00"), D("978.60"), D("5978.60"), D("12.00"))


def test_appendix_j_c1_iii_semimonthly_short_first_period():
    """Appendix J (c)(1)(iii): 5,000.00, 24 semimonthly × 219.17; advance 2/23/78, first payment 3/1/78
    (6 days: no whole unit period, f = 6/15) → 10.34 %."""
    assert apr_actuarial(D("5000.00"), [D("219.17")] * 24, periods_per_year=24,
                         first_period_whole_periods=0, first_period_fraction=D(6) / 15) == D("10.34")


def test_appendix_j_c1_iv_quarterly_long_first_period():
    """Appendix J (c)(1)(iv): 10,000.00, 40 quarterly × 385.00; advance 5/23/78, first payment 10/1/78
    (1 quarter + 1 month 9 days: f = 39/90) → 8.97 %."""
    assert apr_actuarial(D("10000.00"), [D("385.00")] * 40, periods_per_year=4,
                         first_period_fraction=D(39) / 90) == D("8.97")


def test_appendix_j_c1_v_weekly_long_first_period():
    """Appendix J (c)(1)(v): 500.00, 30 weekly × 17.60; advance 3/20/78, first payment 4/21/78
    (4 weeks + 4 days: t = 4, f = 4/7) → 14.96 %."""
    assert apr_actuarial(D("500.00"), [D("17.60")] * 30, periods_per_year=52,
                         first_period_whole_periods=4, first_period_fraction=D(4) / 7) == D("14.96")


def test_appendix_j_c2_i_odd_first_payment():
    """Appendix J (c)(2)(i): 5,000.00; 250.00 then 23 × 230.00, monthly, regular first period → 10.08 %."""
    assert apr_actuarial(D("5000.00"), [D("250.00")] + [D("230.00")] * 23) == D("10.08")


def test_appendix_j_c2_ii_every_four_weeks_odd_first_payment():
    """Appendix J (c)(2)(ii): 400.00; 39.50 then 11 × 38.31 every 4 weeks; advance 3/18/78, first payment
    4/20/78 (1 unit + 5 days: f = 5/28), 13 unit periods a year → 28.50 %."""
    assert apr_actuarial(D("400.00"), [D("39.50")] + [D("38.31")] * 11, periods_per_year=13,
                         first_period_fraction=D(5) / 28) == D("28.50")


def test_appendix_j_c3_ii_biweekly_short_first_period_odd_final_payment():
    """Appendix J (c)(3)(ii): 200.00; 19 × 9.50 then 30.00 every 2 weeks; advance 4/3/78, first payment
    4/11/78 (8 days: t = 0, f = 8/14) → 12.22 %."""
    assert apr_actuarial(D("200.00"), [D("9.50")] * 19 + [D("30.00")], periods_per_year=26,
                         first_period_whole_periods=0, first_period_fraction=D(8) / 14) == D("12.22")


def test_appendix_j_c4_i_odd_first_and_final_payments():
    """Appendix J (c)(4)(i): 5,000.00; 250.00, 22 × 230.00, 280.00, monthly → 10.90 %."""
    assert apr_actuarial(D("5000.00"), [D("250.00")] + [D("230.00")] * 22 + [D("280.00")]) == D("10.90")


def test_appendix_j_c4_ii_every_two_months_short_first_period():
    """Appendix J (c)(4)(ii): 8,000.00; 449.36, 18 × 465.00, 200.00 every 2 months; advance 1/10/78,
    first payment 3/1/78 (1 month 22 days of a 2-month unit: f = 52/60) → 7.30 %."""
    assert apr_actuarial(D("8000.00"), [D("449.36")] + [D("465.00")] * 18 + [D("200.00")], periods_per_year=6,
                         first_period_whole_periods=0, first_period_fraction=D(52) / 60) == D("7.30")


def _exact_present_value(financed: int, payments: list[Fraction], i: Fraction, f: Fraction, first_t: int) -> Fraction:
    """The general equation in exact rational arithmetic, independent of the Decimal solver."""
    return sum((p / ((1 + f * i) * (1 + i) ** (first_t + k)) for k, p in enumerate(payments)), Fraction(0)) - financed


@pytest.mark.parametrize(("financed", "payment", "n", "days"), [
    (D("18500.00"), D("412.37"), 48, 17), (D("27999.99"), D("515.20"), 72, 29), (D("3000.00"), D("140.00"), 24, 1)])
def test_odd_days_against_an_independent_exact_check(financed, payment, n, days):
    """The 2-place APR must be the rounding of the root: the exact PV changes sign within ±0.005 of it."""
    f = D(days) / 30
    apr = apr_actuarial(financed, [payment] * n, first_period_fraction=f)
    stream = [Fraction(payment)] * n
    low, high = (Fraction(apr - D("0.005")) / 1200, Fraction(apr + D("0.005")) / 1200)
    assert _exact_present_value(int(financed * 100), [p * 100 for p in stream], low, Fraction(f), 1) >= 0
    assert _exact_present_value(int(financed * 100), [p * 100 for p in stream], high, Fraction(f), 1) <= 0


@pytest.mark.parametrize(("principal", "apr", "term"), [
    (D("5000.00"), D("12"), 36), (D("18500.00"), D("3.9"), 60), (D("42750.55"), D("11.9"), 72),
    (D("31234.56"), D("6.49"), 84), (D("9999.00"), D("24.99"), 48)])
def test_a_regular_level_payment_loan_discloses_its_note_rate(principal, apr, term):
    tila = loan_disclosure(principal, apr, term, date(2026, 6, 1), date(2026, 5, 1))
    assert abs(tila.apr - apr) <= D("0.01")  # only the cent rounding of the payment separates them


def test_a_long_first_period_without_extra_interest_lowers_the_apr():
    # Same payments as worked example 1, but the first one 1 month and 17 days after signing.
    tila = loan_disclosure(D("5000.00"), D("12"), 36, date(2026, 3, 1), date(2026, 1, 15))
    assert monthly_first_period(date(2026, 1, 15), date(2026, 3, 1)) == (1, D(17) / 30)
    assert D("11.00") < tila.apr < D("12.00")


def test_zero_finance_charge_is_zero_apr():
    assert apr_actuarial(D("1200.00"), [D("100.00")] * 12) == D("0.00")
    assert loan_disclosure(D("1000.00"), D("0"), 3, date(2026, 2, 1), date(2026, 1, 1)).apr == D("0.00")


def test_monthly_first_period_rules():
    assert monthly_first_period(date(2026, 1, 15), date(2026, 2, 15)) == (1, D(0))
    assert monthly_first_period(date(2026, 1, 15), date(2026, 2, 4)) == (0, D(20) / 30)
    assert monthly_first_period(date(2026, 1, 10), date(2026, 3, 15)) == (2, D(5) / 30)
    # Month end to month end is a whole month (Appendix J (b)(3)(iv)).
    assert monthly_first_period(date(2026, 1, 31), date(2026, 2, 28)) == (1, D(0))
    assert monthly_first_period(date(2026, 2, 28), date(2026, 3, 31)) == (1, D(0))


@pytest.mark.parametrize("call", [
    lambda: apr_actuarial(D("1000.00"), []),
    lambda: apr_actuarial(D("1000.00"), [D("100.00")] * 9),  # pays back less than lent
    lambda: apr_actuarial(D("0"), [D("100.00")]),
    lambda: apr_actuarial(D("1000.00"), [D("100.001")] * 12),
    lambda: apr_actuarial(D("1000.00"), [D("100.00")] * 12, first_period_fraction=D("1")),
    lambda: apr_actuarial(D("1000.00"), [D("100.00")] * 12, first_period_fraction=D("-0.1")),
    lambda: apr_actuarial(D("1000.00"), [D("100.00")] * 12, periods_per_year=0),
    lambda: apr_actuarial(D("1000.00"), [D("100.00")] * 12, periods_per_year=True),
    lambda: apr_actuarial(D("1000.00"), [D("100.00")] * 12, first_period_whole_periods=-1),
    lambda: monthly_first_period(date(2026, 2, 1), date(2026, 2, 1)),
    lambda: loan_disclosure(D("1000.00"), D("5"), 12, date(2026, 1, 1), date(2026, 2, 1)),
])
def test_invalid_inputs_are_refused(call):
    with pytest.raises(ValueError):
        call()


def test_floats_are_refused():
    with pytest.raises(MoneyError):
        apr_actuarial(1000.0, [D("100.00")] * 12)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        apr_actuarial(D("1000.00"), [D("100.00")] * 12, first_period_fraction=0.5)  # type: ignore[arg-type]
