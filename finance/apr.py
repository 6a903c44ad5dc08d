"""The annual percentage rate by the actuarial method of Regulation Z, Appendix J (12 CFR 1026).

Appendix J (b)(8), the general equation for a single advance A repaid by payments P_k:

    A = Σ P_k / ((1 + f·i) · (1 + i)^t_k)

i is the unit-period rate, t_k the number of whole unit periods from the start of the term to
payment k, f the fraction of a unit period in the odd part of the first period (Appendix J (b)(5):
odd days / 30 for a monthly unit period). The APR is the unit-period rate times the number of
unit periods in a year (Appendix J (b)(1)), disclosed in percent to two places.

Solver: bisection on i, at 50 significant digits. The present value is strictly decreasing in i, so
once a bracket [lo, hi] with PV(lo) ≥ A > PV(hi) is found the root cannot be missed. It stops when
the bracket is narrower than 1e-18 of a unit period (an APR error below 1e-14 percentage points for
weekly periods: far inside the 1/8 point tolerance of §1026.22(a)(2)), and after at most
MAX_ITERATIONS halvings in any case.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext

from finance.inputs import whole_cents
from finance.loan import TilaDisclosure, add_months, amortization_schedule, disclosures
from finance.money import ZERO

PRECISION = 50
TOLERANCE = Decimal("1e-18")  # width of the final bracket, in unit-period rate
MAX_ITERATIONS = 300  # 2^-300 of the bracket: the tolerance is always reached well before
MAX_BRACKET = Decimal(1000)  # 100,000 % per unit period: no consumer credit gets anywhere near
# Appendix J (b)(5)(iv): a month's odd days are counted in thirtieths of it.
DAYS_PER_MONTH = 30
APR_PLACES = Decimal("0.01")


def _present_value(payments: Sequence[Decimal], i: Decimal, f: Decimal, first_t: int) -> Decimal:
    """Σ P_k / ((1 + f·i)(1 + i)^t_k) with t_k = first_t + k − 1; the powers built by multiplication."""
    v = 1 / (1 + i)
    factor = v ** first_t
    total = Decimal(0)
    for payment in payments:
        total += payment * factor
        factor *= v
    return total / (1 + f * i)


def _checked_stream(amount_financed: Decimal, payments: Sequence[Decimal]) -> tuple[Decimal, list[Decimal]]:
    financed = whole_cents("amount financed", amount_financed, positive=True)
    stream = [whole_cents(f"payment {k}", p) for k, p in enumerate(payments, start=1)]
    if not stream:
        raise ValueError("the APR needs at least one payment")
    if sum(stream, ZERO) < financed:
        # A negative finance charge: not a credit transaction the APR can describe.
        raise ValueError("the payments total less than the amount financed")
    return financed, stream


def _unit_rate(financed: Decimal, stream: list[Decimal], f: Decimal, first_t: int) -> Decimal:
    """The unit-period rate i solving the general equation, by bisection (see the module docstring)."""
    if sum(stream, ZERO) == financed:
        return Decimal(0)
    lo, hi = Decimal(0), Decimal(1)
    while _present_value(stream, hi, f, first_t) >= financed:
        lo, hi = hi, hi * 2
        if hi > MAX_BRACKET:
            raise ValueError("no APR below the bracket limit solves the payment stream")
    for _ in range(MAX_ITERATIONS):
        if hi - lo < TOLERANCE:
            break
        mid = (lo + hi) / 2
        if _present_value(stream, mid, f, first_t) >= financed:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def apr_actuarial(amount_financed: Decimal, payments: Sequence[Decimal], *,
                  first_period_fraction: Decimal = ZERO, periods_per_year: int = 12,
                  first_period_whole_periods: int = 1) -> Decimal:
    """APR in percent, two places half up, of `amount_financed` repaid by `payments`, one per unit period.

    Payment k falls t_k = first_period_whole_periods + k − 1 whole unit periods after the start
    (1 by default: a regular first period, or a long one of 1 period + f); `first_period_fraction`
    is f, the odd part of the first period (e.g. 19/30 for 1 month and 19 days). A short first
    period is first_period_whole_periods=0 with f = its fraction (Appendix J (c)(1)(iii)).
    """
    f = Decimal(first_period_fraction) if isinstance(first_period_fraction, int) else first_period_fraction
    if not isinstance(f, Decimal) or not ZERO <= f < 1:
        raise ValueError(f"first_period_fraction must be a Decimal in [0, 1), got {first_period_fraction!r}")
    for name, value, low in (("periods_per_year", periods_per_year, 1),
                             ("first_period_whole_periods", first_period_whole_periods, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    financed, stream = _checked_stream(amount_financed, payments)
    with localcontext() as ctx:
        ctx.prec = PRECISION
        i = _unit_rate(financed, stream, f, first_period_whole_periods)
        return (i * periods_per_year * 100).quantize(APR_PLACES, rounding=ROUND_HALF_UP)


def _is_month_end(day: date) -> bool:
    return (day + timedelta(days=1)).month != day.month


def monthly_first_period(contract_date: date, first_payment_date: date) -> tuple[int, Decimal]:
    """(whole months, fraction) from the contract date to the first payment, per Appendix J (b)(5).

    Whole months are counted back from the first payment date (same day of the month, clamped;
    month end to month end when the payment falls on a month's last day, Appendix J (b)(3)(iv));
    the days left over are thirtieths of a month.
    """
    if not isinstance(contract_date, date) or not isinstance(first_payment_date, date):
        raise ValueError("contract_date and first_payment_date must be dates")
    if first_payment_date <= contract_date:
        raise ValueError("the first payment must fall after the contract date")
    months = 0
    while _months_back(first_payment_date, months + 1) >= contract_date:
        months += 1
    odd_days = (_months_back(first_payment_date, months) - contract_date).days
    return months, Decimal(odd_days) / DAYS_PER_MONTH


def _months_back(day: date, months: int) -> date:
    """`day` moved back whole months; from a month's last day, to the last day of the earlier month."""
    back = add_months(day, -months)
    if _is_month_end(day):
        back = back.replace(day=calendar.monthrange(back.year, back.month)[1])
    return back


def loan_disclosure(amount_financed: Decimal, apr_percent: Decimal, term_months: int,
                    first_payment_date: date, contract_date: date) -> TilaDisclosure:
    """§1026.18 figures for a level-payment loan, with the APR computed back from the payment stream.

    The schedule's interest is charged by whole months (finance-notes.md), so an odd first period
    is not charged extra; the disclosed APR, from the actual payments and dates, reflects that.
    """
    schedule = amortization_schedule(amount_financed, apr_percent, term_months, first_payment_date)
    whole, fraction = monthly_first_period(contract_date, first_payment_date)
    apr = apr_actuarial(amount_financed, [item.payment for item in schedule],
                        first_period_fraction=fraction, first_period_whole_periods=whole)
    base = disclosures(schedule, amount_financed)
    return TilaDisclosure(amount_financed=base.amount_financed, finance_charge=base.finance_charge,
                          total_of_payments=base.total_of_payments, apr=apr)
