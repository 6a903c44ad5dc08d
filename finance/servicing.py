"""Simple-interest servicing of retail installment loans, derived from the ledger (finance-notes.md).

The balance a customer sees is never stored: it is recomputed from the immutable ledger events.

- Interest accrues daily on each day's principal balance at APR / 100 / 365 (ACTUAL_365: a day is
  1/365 of a year, also in leap years, so a leap year earns 366/365 of the annual rate). It accrues
  **unrounded**, segment by segment between principal changes, and the total accrued from
  `interest_start` to a date is rounded once (half up). Accrued unpaid interest on D is that rounded
  total minus the interest already credited, so splitting payments never moves a cent.
- Day semantics: interest accrued "to D" covers the days interest_start .. D-1. A payment received on
  D pays the interest accrued to D and its principal part stops accruing from D on. A payment on the
  contract date therefore finds no interest and goes to principal.
- Events effective after `as_of` are ignored; events on `as_of` count.

Sign conventions of the ledger kinds (all parts of an event are non-negative, as the ledger stores
them; the kind says which way they move the position):

  PAYMENT              reduces principal / accrued interest / unpaid fees by its parts; amount beyond
                       the parts is unapplied money (to be refunded), with no effect on the balance.
  PAYMENT_REVERSAL     restores exactly the parts the reversed payment took. To undo "exactly that
                       day's effect" (NSF), date it on the reversed payment's effective date.
  LATE_FEE, RETURNED_PAYMENT_FEE
                       add their `fees` part to unpaid fees.
  FEE_WAIVER           removes its `fees` part from unpaid fees.
  ADJUSTMENT           a credit: its principal / interest / fees parts REDUCE the balances, like a
                       payment that the customer did not make. An increase needs its own kind.
  PAYOFF_WAIVER        waives a small residual after a payoff: reduces principal / interest / fees
                       like a payment (finance-notes.md "waived, not chased").
  REFUND               returns unapplied money to the customer; recorded, no effect on the balance.

A ledger that would drive principal, accrued interest or unpaid fees below zero is inconsistent and
raises ValueError rather than showing a customer a negative balance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext

from finance.inputs import rate_below, whole_cents
from finance.money import ZERO, as_decimal, round_money

DAY_COUNT_BASES = ("ACTUAL_365",)
DEFAULT_ALLOCATION = ("INTEREST", "PRINCIPAL", "FEES")
ALLOCATION_TARGETS = frozenset(DEFAULT_ALLOCATION)

PAYMENT = "PAYMENT"
PAYMENT_REVERSAL = "PAYMENT_REVERSAL"
LATE_FEE = "LATE_FEE"
RETURNED_PAYMENT_FEE = "RETURNED_PAYMENT_FEE"
FEE_WAIVER = "FEE_WAIVER"
ADJUSTMENT = "ADJUSTMENT"
PAYOFF_WAIVER = "PAYOFF_WAIVER"
REFUND = "REFUND"
EVENT_KINDS = (PAYMENT, PAYMENT_REVERSAL, LATE_FEE, RETURNED_PAYMENT_FEE, FEE_WAIVER, ADJUSTMENT,
               PAYOFF_WAIVER, REFUND)
# Kinds whose parts reduce the balances without being money the customer paid.
_CREDIT_KINDS = (ADJUSTMENT, PAYOFF_WAIVER)

# Digits for the unrounded accrual: a 100-year sum at cents stays exact far below 1e-20.
PRECISION = 50
_DAYS_PER_YEAR = {"ACTUAL_365": 365}


def parse_allocation(value: str) -> tuple[str, ...]:
    """Contract.payment_allocation ("INTEREST,PRINCIPAL,FEES") as a checked allocation order."""
    return _checked_order(tuple(part.strip().upper() for part in value.split(",")))


def _checked_order(order: Sequence[str]) -> tuple[str, ...]:
    order = tuple(order)
    if len(order) != len(ALLOCATION_TARGETS) or set(order) != ALLOCATION_TARGETS:
        raise ValueError(f"allocation order must be a permutation of {DEFAULT_ALLOCATION}, got {order}")
    return order


def _days_per_year(basis: str) -> int:
    if basis not in _DAYS_PER_YEAR:
        raise ValueError(f"unknown day count basis {basis!r}; known: {DAY_COUNT_BASES}")
    return _DAYS_PER_YEAR[basis]


@dataclass(frozen=True)
class LoanTerms:
    amount_financed: Decimal
    apr_percent: Decimal  # 12.0000 means 12 %
    interest_start: date  # the contract date: interest accrues from this day
    day_count_basis: str = "ACTUAL_365"
    allocation_order: tuple[str, ...] = DEFAULT_ALLOCATION

    def __post_init__(self) -> None:
        whole_cents("amount financed", self.amount_financed, positive=True)
        rate_below("APR (percent)", self.apr_percent, 100)
        if not isinstance(self.interest_start, date):
            raise ValueError("interest_start must be a date")
        _days_per_year(self.day_count_basis)
        _checked_order(self.allocation_order)


@dataclass(frozen=True)
class LedgerEvent:
    """One stored ledger row as the engine sees it (parts non-negative, in whole cents)."""

    kind: str
    effective_date: date
    amount: Decimal
    principal: Decimal = ZERO
    interest: Decimal = ZERO
    fees: Decimal = ZERO
    tax: Decimal = ZERO

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise ValueError(f"unknown ledger event kind {self.kind!r}")
        if not isinstance(self.effective_date, date):
            raise ValueError("effective_date must be a date")
        for name in ("amount", "principal", "interest", "fees", "tax"):
            whole_cents(f"{self.kind} {name}", getattr(self, name))
        if self.principal + self.interest + self.fees + self.tax > self.amount:
            raise ValueError(f"{self.kind} parts exceed its amount {self.amount}")


@dataclass(frozen=True)
class Allocation:
    """How one payment splits; interest + principal + fees + unapplied == the amount."""

    interest: Decimal
    principal: Decimal
    fees: Decimal
    unapplied: Decimal  # beyond the payoff: to be refunded


@dataclass(frozen=True)
class LoanPosition:
    """The truth on `as_of`, derived from the ledger.

    *_paid_to_date count the customer's payments net of reversals; reductions the customer did not
    pay (ADJUSTMENT, PAYOFF_WAIVER, FEE_WAIVER) are in *_credited_to_date, so an annual interest
    statement reports only interest actually paid.
    """

    as_of: date
    principal: Decimal
    accrued_interest: Decimal
    unpaid_fees: Decimal
    interest_paid_to_date: Decimal
    principal_paid_to_date: Decimal
    fees_paid_to_date: Decimal
    # Additions to the shared contract (defaults keep keyword construction compatible).
    interest_accrued_to_date: Decimal = ZERO  # round(total accrual interest_start..as_of)
    principal_credited_to_date: Decimal = ZERO
    interest_credited_to_date: Decimal = ZERO
    fees_credited_to_date: Decimal = ZERO
    per_diem: Decimal = ZERO  # interest one more day adds on today's principal (rounded)

    @property
    def total_due_to_pay_off(self) -> Decimal:
        return self.principal + self.accrued_interest + self.unpaid_fees


@dataclass(frozen=True)
class PayoffQuote:
    """Amount that pays the loan off if received on `good_through`; add per_diem for each later day."""

    good_through: date
    principal: Decimal
    interest: Decimal
    fees: Decimal
    total: Decimal
    per_diem: Decimal


def daily_rate(apr_percent: Decimal, basis: str = "ACTUAL_365") -> Decimal:
    """APR / 100 / 365, unrounded (50 significant digits): rounding belongs to posted amounts only."""
    apr = rate_below("APR (percent)", apr_percent, 100)
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return apr / Decimal(100 * _days_per_year(basis))


def per_diem(principal: Decimal, apr_percent: Decimal, basis: str = "ACTUAL_365") -> Decimal:
    """One day's interest on `principal`, rounded half up to the cent (finance-notes example 3: 3.78)."""
    amount = whole_cents("principal", principal)
    apr = rate_below("APR (percent)", apr_percent, 100)
    return round_money(_exact_interest(amount, apr, 1, basis))


def _exact_interest(principal: Decimal, apr_percent: Decimal, days: int, basis: str) -> Decimal:
    """principal · APR/100 · days/365 with one division, so the accrual is as exact as it can be."""
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return principal * apr_percent * days / Decimal(100 * _days_per_year(basis))


@dataclass
class _Totals:
    """Running sums of the ledger, signed by kind (see the module docstring)."""

    principal_paid: Decimal = ZERO
    interest_paid: Decimal = ZERO
    fees_paid: Decimal = ZERO
    principal_credited: Decimal = ZERO
    interest_credited: Decimal = ZERO
    fees_credited: Decimal = ZERO
    fees_assessed: Decimal = ZERO

    def apply(self, event: LedgerEvent) -> None:
        kind = event.kind
        if kind in (PAYMENT, PAYMENT_REVERSAL):
            sign = 1 if kind == PAYMENT else -1
            self.principal_paid += sign * event.principal
            self.interest_paid += sign * event.interest
            self.fees_paid += sign * event.fees
        elif kind in _CREDIT_KINDS:
            self.principal_credited += event.principal
            self.interest_credited += event.interest
            self.fees_credited += event.fees
        elif kind in (LATE_FEE, RETURNED_PAYMENT_FEE):
            self.fees_assessed += event.fees
        elif kind == FEE_WAIVER:
            self.fees_credited += event.fees
        # REFUND: recorded only; it returns unapplied money, which never entered the balance.

    def principal_reduction(self) -> Decimal:
        return self.principal_paid + self.principal_credited

    def interest_reduction(self) -> Decimal:
        return self.interest_paid + self.interest_credited

    def unpaid_fees(self) -> Decimal:
        return self.fees_assessed - self.fees_paid - self.fees_credited


def _events_through(terms: LoanTerms, events: Sequence[LedgerEvent], as_of: date) -> list[LedgerEvent]:
    """The events effective on or before `as_of`, oldest first (stable for same-day events)."""
    for event in events:
        if event.effective_date < terms.interest_start:
            raise ValueError(f"{event.kind} on {event.effective_date} is before interest starts "
                             f"({terms.interest_start})")
    return sorted((e for e in events if e.effective_date <= as_of), key=lambda e: e.effective_date)


def _check_day(totals: _Totals, principal: Decimal, accrued: Decimal, day: date) -> None:
    """After all of a day's events: nothing the customer owes may be negative."""
    if principal < ZERO:
        raise ValueError(f"ledger drives principal below zero on {day}")
    if accrued - totals.interest_reduction() < ZERO:
        raise ValueError(f"ledger credits more interest than accrued by {day}")
    if totals.unpaid_fees() < ZERO:
        raise ValueError(f"ledger credits more fees than assessed by {day}")


@dataclass(frozen=True)
class LoanFold:
    """`loan_position`'s running state after every event effective on or before `through`: the
    unrounded accrual up to the last of those events (`cursor`) and the ledger's running sums. Stored,
    it lets a later position be computed from the events after `through` alone (a checkpoint), with
    exactly the result of the whole ledger, as long as the events up to `through` are the same ones."""

    through: date
    cursor: date
    exact: Decimal
    principal_paid: Decimal = ZERO
    interest_paid: Decimal = ZERO
    fees_paid: Decimal = ZERO
    principal_credited: Decimal = ZERO
    interest_credited: Decimal = ZERO
    fees_credited: Decimal = ZERO
    fees_assessed: Decimal = ZERO


_TOTAL_FIELDS = ("principal_paid", "interest_paid", "fees_paid", "principal_credited", "interest_credited",
                 "fees_credited", "fees_assessed")


def _fold(terms: LoanTerms, ordered: Sequence[LedgerEvent], totals: _Totals, exact: Decimal,
          cursor: date) -> tuple[_Totals, Decimal, date]:
    """Accrue and apply `ordered` (oldest first) from the state (totals, exact, cursor), checking each day."""
    basis, apr = terms.day_count_basis, as_decimal(terms.apr_percent)
    for index, event in enumerate(ordered):
        principal = terms.amount_financed - totals.principal_reduction()
        exact += _exact_interest(principal, apr, (event.effective_date - cursor).days, basis)
        cursor = event.effective_date
        totals.apply(event)
        last_of_day = index + 1 == len(ordered) or ordered[index + 1].effective_date != cursor
        if last_of_day:
            _check_day(totals, terms.amount_financed - totals.principal_reduction(), round_money(exact), cursor)
    return totals, exact, cursor


def loan_fold(terms: LoanTerms, events: Sequence[LedgerEvent], through: date) -> LoanFold:
    """The running state after the events effective on or before `through` (see LoanFold)."""
    if not isinstance(through, date):
        raise ValueError("through must be a date")
    totals, exact, cursor = _fold(terms, _events_through(terms, events, through), _Totals(), Decimal(0),
                                  terms.interest_start)
    return LoanFold(through=through, cursor=cursor, exact=exact,
                    **{name: getattr(totals, name) for name in _TOTAL_FIELDS})


def loan_position(terms: LoanTerms, events: Sequence[LedgerEvent], as_of: date, *,
                  start: LoanFold | None = None) -> LoanPosition:
    """The loan's balances on `as_of`: one pass over the ledger, accruing between principal changes.

    With `start` (a LoanFold through a date on or before `as_of`), the pass starts from that state and
    only the events effective after `start.through` are applied (earlier ones in `events` are ignored)."""
    if not isinstance(as_of, date):
        raise ValueError("as_of must be a date")
    if as_of < terms.interest_start:
        raise ValueError(f"as_of {as_of} is before interest starts ({terms.interest_start})")
    basis, apr = terms.day_count_basis, as_decimal(terms.apr_percent)
    ordered = _events_through(terms, events, as_of)
    if start is None:
        totals, exact, cursor = _Totals(), Decimal(0), terms.interest_start
    else:
        if as_of < start.through:
            raise ValueError(f"as_of {as_of} is before the fold's date {start.through}")
        totals = _Totals(**{name: getattr(start, name) for name in _TOTAL_FIELDS})
        exact, cursor = start.exact, start.cursor
        ordered = [event for event in ordered if event.effective_date > start.through]
    totals, exact, cursor = _fold(terms, ordered, totals, exact, cursor)
    principal = terms.amount_financed - totals.principal_reduction()
    exact += _exact_interest(principal, apr, (as_of - cursor).days, basis)
    accrued_total = round_money(exact)
    return LoanPosition(
        as_of=as_of, principal=principal, accrued_interest=accrued_total - totals.interest_reduction(),
        unpaid_fees=totals.unpaid_fees(), interest_paid_to_date=totals.interest_paid,
        principal_paid_to_date=totals.principal_paid, fees_paid_to_date=totals.fees_paid,
        interest_accrued_to_date=accrued_total, principal_credited_to_date=totals.principal_credited,
        interest_credited_to_date=totals.interest_credited, fees_credited_to_date=totals.fees_credited,
        per_diem=per_diem(principal, apr, basis),
    )


def allocate_payment(
    terms: LoanTerms,
    events: Sequence[LedgerEvent],
    amount: Decimal,
    on: date,
    *,
    owed_on_installments: Decimal | None = None,
) -> Allocation:
    """Split a payment received on `on` in the contract's order; the excess over the payoff is unapplied.

    The position is taken on `on` (interest accrued to that day), so an early payment pays less
    interest and a late one more, as on a real simple-interest auto loan. Only events effective on or
    before `on` are considered.

    `owed_on_installments` (what is still owed on the installments due, past and next, from
    finance.due.due_status) makes "PRINCIPAL" in the order mean the principal *due* (that amount
    minus the accrued interest), as finance-notes.md describes: interest, then principal due, then
    fees, and only then extra principal. An unpaid late fee therefore never takes money meant for an
    installment (FTC Credit Practices Rule, 16 CFR 444.4, no pyramiding), and a payment larger than
    the installment pays the fee before reducing principal early. Without it, "PRINCIPAL" means the
    whole principal balance and fees come last.
    """
    remaining = whole_cents("payment amount", amount, positive=True)
    position = loan_position(terms, events, on)
    principal_owed = position.principal
    if owed_on_installments is not None:
        due = whole_cents("owed on installments", owed_on_installments)
        principal_owed = min(position.principal, max(ZERO, due - position.accrued_interest))
    owed = {"INTEREST": position.accrued_interest, "PRINCIPAL": principal_owed, "FEES": position.unpaid_fees}
    applied: dict[str, Decimal] = {}
    for target in terms.allocation_order:
        applied[target] = min(remaining, owed[target])
        remaining -= applied[target]
    extra_principal = min(remaining, position.principal - applied["PRINCIPAL"])
    return Allocation(interest=applied["INTEREST"], principal=applied["PRINCIPAL"] + extra_principal,
                      fees=applied["FEES"], unapplied=remaining - extra_principal)


def payment_event(
    terms: LoanTerms,
    events: Sequence[LedgerEvent],
    amount: Decimal,
    on: date,
    *,
    owed_on_installments: Decimal | None = None,
) -> LedgerEvent:
    """The PAYMENT event to store for `amount` received on `on` (its unapplied part is not a part)."""
    split = allocate_payment(terms, events, amount, on, owed_on_installments=owed_on_installments)
    return LedgerEvent(kind=PAYMENT, effective_date=on, amount=as_decimal(amount), principal=split.principal,
                       interest=split.interest, fees=split.fees)


def reversal_of(payment: LedgerEvent) -> LedgerEvent:
    """The PAYMENT_REVERSAL that undoes `payment` exactly: same day, same parts."""
    if payment.kind != PAYMENT:
        raise ValueError(f"only a PAYMENT can be reversed, not {payment.kind}")
    return LedgerEvent(kind=PAYMENT_REVERSAL, effective_date=payment.effective_date, amount=payment.amount,
                       principal=payment.principal, interest=payment.interest, fees=payment.fees,
                       tax=payment.tax)


def payoff_quote(terms: LoanTerms, events: Sequence[LedgerEvent], good_through: date) -> PayoffQuote:
    """Principal + interest accrued to `good_through` + unpaid fees, and the per diem for later days.

    Paying `total` on `good_through` leaves a zero position; each day later adds `per_diem` (the
    rounded daily interest on the remaining principal).
    """
    position = loan_position(terms, events, good_through)
    return PayoffQuote(
        good_through=good_through, principal=position.principal, interest=position.accrued_interest,
        fees=position.unpaid_fees, total=position.total_due_to_pay_off, per_diem=position.per_diem,
    )
