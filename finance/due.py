"""Installments and delinquency for loans and leases, as of an injectable business date.

Installments are satisfied oldest first by the cumulative sum of credits (payment money net of
reversals). A credit never contains a fee: the fee part of a payment is taken out before it
counts, so an unpaid late fee can never make a full, on-time installment late. That is the FTC
Credit Practices Rule's ban on late-fee pyramiding (16 CFR 444.4) holding by construction.

Days and the grace period:
- An installment is past due from the day after its due date (days past due = as_of − due date).
- Its late fee is due when it is still not fully covered by the credits received up to the last
  day of grace (due date + grace_days). So on due + grace the fee is not due yet; on
  due + grace + 1 it is, and a payment that arrives after the grace period does not undo it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from finance.inputs import term_months as checked_term
from finance.inputs import whole_cents
from finance.loan import ScheduledInstallment, add_months
from finance.money import ZERO, as_decimal

BUCKETS = ("CURRENT", "DPD_1_29", "DPD_30_59", "DPD_60_89", "DPD_90_PLUS")
# Lower bound (days past due) of each bucket, in the order of BUCKETS.
_BUCKET_FLOORS = (0, 1, 30, 60, 90)
MAX_LEASE_TERM_MONTHS = 120


@dataclass(frozen=True, slots=True)
class Installment:
    number: int
    due_date: date
    amount: Decimal


@dataclass(frozen=True)
class Credit:
    """Payment money that counts toward installments: a payment minus its fee part; a reversal is negative."""

    effective_date: date
    amount: Decimal


@dataclass(frozen=True)
class DueStatus:
    as_of: date
    next_due_date: date | None  # first installment not fully paid (None when all are)
    next_due_amount: Decimal  # still owed on it
    past_due_amount: Decimal  # owed on installments due before as_of
    days_past_due: int  # as_of − due date of the oldest unpaid installment due before as_of
    bucket: str
    installments_paid: int
    late_fee_due_for: tuple[int, ...]  # installments not paid by the end of their grace period


def loan_installments(schedule: list[ScheduledInstallment]) -> list[Installment]:
    """The installments a loan's amortization schedule bills."""
    return [Installment(number=item.number, due_date=item.due_date, amount=item.payment) for item in schedule]


def lease_installments(first_payment_date: date, term_months: int, monthly_payment: Decimal) -> list[Installment]:
    """`term_months` equal monthly installments (tax included), day-of-month kept and clamped to month end."""
    if not isinstance(first_payment_date, date):
        raise ValueError("first_payment_date must be a date")
    n = checked_term(term_months, MAX_LEASE_TERM_MONTHS)
    amount = whole_cents("monthly payment", monthly_payment, positive=True)
    return [Installment(number=k, due_date=add_months(first_payment_date, k - 1), amount=amount)
            for k in range(1, n + 1)]


def bucket_for(days_past_due: int) -> str:
    """CURRENT at 0, then 1–29, 30–59, 60–89, 90+ days past due."""
    if days_past_due < 0:
        raise ValueError("days past due cannot be negative")
    return next(name for name, floor in reversed(list(zip(BUCKETS, _BUCKET_FLOORS))) if days_past_due >= floor)


def credits_from_events(events: Iterable[object]) -> list[Credit]:
    """Credits from ledger events (finance.servicing.LedgerEvent or rows with the same fields).

    PAYMENT counts its amount minus its fee part; PAYMENT_REVERSAL takes the same back; a
    PAYOFF_WAIVER settles what it waives. Fees, fee waivers, adjustments and refunds are not
    installment money.
    """
    signs = {"PAYMENT": 1, "PAYMENT_REVERSAL": -1, "PAYOFF_WAIVER": 1}
    credits = []
    for event in events:
        kind = getattr(event.kind, "value", event.kind)  # type: ignore[attr-defined]
        if kind in signs:
            money = as_decimal(event.amount) - as_decimal(event.fees)  # type: ignore[attr-defined]
            credits.append(Credit(event.effective_date, signs[kind] * money))  # type: ignore[attr-defined]
    return credits


class CheckedInstallments(tuple):
    """Installments already checked and in due-date order (`checked_installments`): the functions
    here take them as they are instead of checking and sorting them again on every call."""


def checked_installments(installments: Sequence[Installment]) -> CheckedInstallments:
    """`installments` checked (unique numbers, whole cents) and sorted by due date, once."""
    if isinstance(installments, CheckedInstallments):
        return installments
    items = sorted(installments, key=lambda item: (item.due_date, item.number))
    if len({item.number for item in items}) != len(items):
        raise ValueError("installment numbers must be unique")
    for item in items:
        whole_cents(f"installment {item.number} amount", item.amount)
    return CheckedInstallments(items)


def _credited_through(credits: Sequence[Credit], day: date) -> Decimal:
    """Σ credits effective on or before `day`; never below zero (a reversal undoes at most a payment)."""
    total = sum((as_decimal(c.amount) for c in credits if c.effective_date <= day), ZERO)
    return max(total, ZERO)


def _owed_after(items: Sequence[Installment], credited: Decimal) -> list[Decimal]:
    """What each installment still owes when `credited` is applied oldest first."""
    owed, left = [], credited
    for item in items:
        paid = min(left, item.amount)
        left -= paid
        owed.append(item.amount - paid)
    return owed


@dataclass(frozen=True)
class CreditFold:
    """What `due_status` needs of the credits effective on or before `through`, for a later as_of: their
    sum (not clamped) and the installments whose grace ended before `through` uncovered. Stored, it lets
    a later due status be computed from the credits after `through` alone (a checkpoint), with exactly
    the result of all the credits, for the same installments and grace."""

    through: date
    credited: Decimal
    late: tuple[int, ...]


def credit_fold(installments: Sequence[Installment], credits: Sequence[Credit], through: date,
                grace_days: int = 10) -> CreditFold:
    items = checked_installments(installments)
    credited = sum((as_decimal(c.amount) for c in credits if c.effective_date <= through), ZERO)
    return CreditFold(through=through, credited=credited,
                      late=_late_fee_due_for(items, credits, through, grace_days))


def _late_fee_due_for(items: Sequence[Installment], credits: Sequence[Credit], as_of: date,
                      grace: int, start: CreditFold | None = None) -> tuple[int, ...]:
    """Installments whose grace ended before as_of and that were not covered when it ended.

    One pass over the installments (in due-date order, so their last days of grace never go back) and
    the credits sorted by date: what `_credited_through` gives for each last day of grace, without
    summing the credits again for every installment (a long history stays linear). From a `start`
    fold, the installments it decided are taken as they are and `credits` are those after it."""
    ordered = sorted(credits, key=lambda credit: credit.effective_date)
    late = list(start.late) if start is not None else []
    credited = start.credited if start is not None else ZERO
    cumulative, index = ZERO, 0
    grace_days = timedelta(days=grace)
    for item in items:
        last_day_of_grace = item.due_date + grace_days
        if last_day_of_grace >= as_of:
            break
        cumulative += item.amount
        if start is not None and last_day_of_grace < start.through:
            continue  # decided in the fold
        while index < len(ordered) and ordered[index].effective_date <= last_day_of_grace:
            if start is None or ordered[index].effective_date > start.through:
                credited += as_decimal(ordered[index].amount)
            index += 1
        if max(credited, ZERO) < cumulative:
            late.append(item.number)
    return tuple(late)


def due_status(installments: Sequence[Installment], credits: Sequence[Credit], as_of: date,
               grace_days: int = 10, *, paid_off: bool = False, start: CreditFold | None = None) -> DueStatus:
    """Next due, past due, days past due, bucket and late fees due, as of `as_of`.

    `paid_off=True` (an addition to the shared contract) marks every installment satisfied: a
    simple-interest loan paid off early owes no more installments even though its payments did not
    add up to the schedule. With `start` (a CreditFold through a date on or before `as_of`, for the same
    installments and grace), only the credits effective after `start.through` are used.
    """
    if not isinstance(as_of, date):
        raise ValueError("as_of must be a date")
    if isinstance(grace_days, bool) or not isinstance(grace_days, int) or grace_days < 0:
        raise ValueError(f"grace_days must be a non-negative int, got {grace_days!r}")
    items = checked_installments(installments)
    if paid_off:
        return DueStatus(as_of, None, ZERO, ZERO, 0, BUCKETS[0], len(items), ())
    if start is not None:
        if as_of < start.through:
            raise ValueError(f"as_of {as_of} is before the fold's date {start.through}")
        later = [c for c in credits if c.effective_date > start.through]
        credited = max(start.credited + sum((as_decimal(c.amount) for c in later if c.effective_date <= as_of),
                                            ZERO), ZERO)
        return _status(items, credited, as_of, _late_fee_due_for(items, later, as_of, grace_days, start))
    return _status(items, _credited_through(credits, as_of), as_of,
                   _late_fee_due_for(items, credits, as_of, grace_days))


def _status(items: list[Installment], credited: Decimal, as_of: date, late_fees: tuple[int, ...]) -> DueStatus:
    owed = _owed_after(items, credited)
    unpaid = [(item, left) for item, left in zip(items, owed) if left > ZERO]
    late = [(item, left) for item, left in unpaid if item.due_date < as_of]
    days = (as_of - late[0][0].due_date).days if late else 0
    return DueStatus(
        as_of=as_of,
        next_due_date=unpaid[0][0].due_date if unpaid else None,
        next_due_amount=unpaid[0][1] if unpaid else ZERO,
        past_due_amount=sum((left for _, left in late), ZERO),
        days_past_due=days,
        bucket=bucket_for(days),
        installments_paid=len(items) - len(unpaid),
        late_fee_due_for=late_fees,
    )
