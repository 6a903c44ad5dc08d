"""Retail installment loans: level payment, amortization schedule and TILA disclosures.

Pure Decimal arithmetic following finance-notes.md: every posted amount (payment, a period's
interest) is rounded half-up to the cent, and the final installment absorbs the rounding so the
schedule ends at exactly 0.00. The APR by Appendix J is a separate concern (not here).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext

from finance.inputs import rate_below, term_months, whole_cents
from finance.money import ZERO, round_money

# Enough digits that (1 + r)^-n is exact to far below a cent for any realistic term.
PRECISION = 40
MAX_TERM_MONTHS = 600


@dataclass(frozen=True)
class ScheduledInstallment:
    number: int
    due_date: date
    payment: Decimal
    interest: Decimal
    principal: Decimal
    balance_after: Decimal


@dataclass(frozen=True)
class TilaDisclosure:
    """The Regulation Z §1026.18 amounts that follow from a schedule.

    `apr` (percent, 2 places) is filled in by finance.apr.loan_disclosure, which computes it from
    the payment stream by Appendix J; `disclosures` alone leaves it None.
    """

    amount_financed: Decimal
    finance_charge: Decimal
    total_of_payments: Decimal
    apr: Decimal | None = None


def add_months(start: date, months: int) -> date:
    """`start` moved by whole months, keeping its day-of-month and clamping to the month's end.

    Always computed from the original date (not chained), so Jan 31 → Feb 28 → Mar 31.
    """
    index = start.year * 12 + (start.month - 1) + months
    year, month = divmod(index, 12)
    day = start.day
    if day > 28:  # only days 29-31 can pass a month's end (a schedule builds hundreds of these per request)
        day = min(day, _month_length(year, month + 1))
    return date(year, month + 1, day)


def _month_length(year: int, month: int) -> int:
    if month == 2:
        return 29 if calendar.isleap(year) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _principal(value: Decimal | int | str) -> Decimal:
    return whole_cents("principal", value, positive=True)


def _apr(value: Decimal | int | str) -> Decimal:
    """APR in percent, 0 <= APR < 100 (anything above is a typo for a fraction or a bug)."""
    return rate_below("APR (percent)", value, 100)


def _term(value: int) -> int:
    return term_months(value, MAX_TERM_MONTHS)


def monthly_rate(apr_percent: Decimal) -> Decimal:
    """r = APR / 100 / 12, unrounded (rounding happens only on posted amounts)."""
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return apr_percent / Decimal(1200)


def level_payment(principal: Decimal, apr_percent: Decimal, term_months: int) -> Decimal:
    """The level monthly payment round(P·r / (1 − (1+r)^−n)); round(P/n) at APR 0."""
    amount, apr, n = _principal(principal), _apr(apr_percent), _term(term_months)
    if apr == ZERO:
        return round_money(amount / n)
    with localcontext() as ctx:
        ctx.prec = PRECISION
        r = monthly_rate(apr)
        exact = amount * r / (1 - (1 + r) ** -n)
        return round_money(exact)


def amortization_schedule(
    principal: Decimal, apr_percent: Decimal, term_months: int, first_payment_date: date
) -> list[ScheduledInstallment]:
    """The installments of a level-payment loan, ending at a balance of exactly 0.00.

    Each period's interest is round(balance·r); the last installment is balance + interest.
    """
    if not isinstance(first_payment_date, date):
        raise ValueError("first_payment_date must be a date")
    payment = level_payment(principal, apr_percent, term_months)
    balance, r = _principal(principal), monthly_rate(_apr(apr_percent))
    schedule: list[ScheduledInstallment] = []
    for number in range(1, term_months + 1):
        interest = round_money(balance * r)
        last = number == term_months
        principal_part = balance if last else payment - interest
        if principal_part > balance:
            # Only for amounts of a few cents over long terms, where the rounded payment
            # would repay the loan early; such a loan cannot have a level payment.
            raise ValueError(f"principal {principal} is too small for a {term_months}-month schedule")
        balance -= principal_part
        schedule.append(ScheduledInstallment(
            number=number, due_date=add_months(first_payment_date, number - 1),
            payment=principal_part + interest, interest=interest, principal=principal_part,
            balance_after=balance,
        ))
    return schedule


def disclosures(schedule: list[ScheduledInstallment], amount_financed: Decimal) -> TilaDisclosure:
    """Total of payments is the sum of the scheduled payments; finance charge = total − financed."""
    if not schedule:
        raise ValueError("a schedule needs at least one installment")
    financed = _principal(amount_financed)
    total = sum((item.payment for item in schedule), ZERO)
    return TilaDisclosure(amount_financed=financed, finance_charge=total - financed, total_of_payments=total)
