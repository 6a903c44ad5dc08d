"""The ledger entries a correction posts, planned before anything is written (pure, from ledger rows).

A correction never edits a posted entry: it appends reversals and new entries (models/ledger.py).

- Reversal: the exact undo of a PAYMENT (finance.servicing.reversal_of: same day, same parts, `reverses` the
  payment), like an NSF return but without a returned-payment fee.
- New payment: a PAYMENT of the given amount on the given day, split the way a settled payment is split on
  that day (resolvers.payments.processing.split_payment: the contract's allocation order, interest accrued to
  that day, installment money before fees).
- Payments after a back-dated one: a payment posted on day d changes what every later payment found (less
  interest accrued, less principal due), so each live PAYMENT effective after d is split again in date
  order as if the ledger had been right; one whose split changes is reversed and posted again with the
  same amount and date (its split anew). One whose split does not change stays as it is. Entries other
  than payments (fees, waivers, refunds) stay as they are. A reversal alone (the contract a payment is
  moved away from) changes nothing later, as an NSF return does not.
- Fee waiver: a FEE_WAIVER of the fee's unpaid part, `reverses` the fee (so a fee is waived once), on the
  business date. Fees are paid oldest first, so the unpaid part of the fees is the newest fees' part.
- Every plan is checked: the contract's figures on the business date must compute from the ledger with
  the planned entries (nothing driven below zero), otherwise the correction is refused and nothing posts.

Idempotency keys: "correction:<id>:reversal", "correction:<id>:payment", "correction:<id>:waiver",
"correction:<id>:replay-reversal:<entry id>" and "correction:<id>:replay:<entry id>": posting twice posts once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from finance.money import ZERO
from finance.servicing import reversal_of
from models import Contract
from models.enums import LedgerEntryKind
from resolvers.payments.processing import split_payment
from resolvers.servicing.positions import (
    FEE_KINDS,
    LedgerRow,
    contract_state,
    ledger_event,
)

# Ids given to planned rows while planning: after every real id, so they sort as the inserted rows will.
_PLANNED_IDS = 10**17
_PARTS = ("principal", "interest", "fees", "tax")


class PlanError(ValueError):
    """The correction cannot be posted on this ledger (the message says why, for support staff)."""


@dataclass(frozen=True)
class Planned:
    """One entry to insert."""

    contract_id: int
    kind: LedgerEntryKind
    effective_date: date
    amount: Decimal
    principal: Decimal
    interest: Decimal
    fees: Decimal
    tax: Decimal
    reverses_id: int | None
    memo: str
    key: str

    def parts(self) -> tuple[Decimal, ...]:
        return tuple(getattr(self, name) for name in _PARTS)


class Planner:
    """Plans the entries of one correction over one or two contracts' ledgers."""

    def __init__(self, prefix: str, now: datetime) -> None:
        self.prefix = prefix
        self.now = now
        self.entries: list[Planned] = []

    def _row(self, planned: Planned) -> LedgerRow:
        return LedgerRow(_PLANNED_IDS + len(self.entries), planned.contract_id, planned.kind, planned.effective_date,
                         self.now, planned.amount, planned.principal, planned.interest, planned.fees, planned.tax,
                         planned.reverses_id, planned.memo, planned.key)

    def _add(self, planned: Planned) -> LedgerRow:
        row = self._row(planned)
        self.entries.append(planned)
        return row

    def reversal(self, row: LedgerRow, key: str, memo: str) -> LedgerRow:
        undo = reversal_of(ledger_event(row))
        return self._add(Planned(row.contract_id, LedgerEntryKind.PAYMENT_REVERSAL, undo.effective_date, undo.amount,
                                 undo.principal, undo.interest, undo.fees, undo.tax, row.id, memo[:255],
                                 f"{self.prefix}:{key}"))

    def payment(self, contract: Contract, rows: Sequence[LedgerRow], amount: Decimal, on: date, key: str,
                memo: str) -> LedgerRow:
        parts = split_payment(contract, rows, amount, on)
        if parts is None:
            raise PlanError(f"A payment of {amount} on {on.isoformat()} is more than contract {contract.number} owed "
                            "that day; it cannot be applied there.")
        return self._add(Planned(contract.id, LedgerEntryKind.PAYMENT, on, amount, parts["principal"],
                                 parts["interest"], parts["fees"], parts["tax"], None, memo[:255],
                                 f"{self.prefix}:{key}"))

    def fee_waiver(self, fee: LedgerRow, amount: Decimal, on: date, memo: str) -> LedgerRow:
        return self._add(Planned(fee.contract_id, LedgerEntryKind.FEE_WAIVER, on, amount, ZERO, ZERO, amount, ZERO,
                                 fee.id, memo[:255], f"{self.prefix}:waiver"))


def live_payments(rows: Sequence[LedgerRow]) -> list[LedgerRow]:
    """PAYMENT rows not reversed, oldest first."""
    reversed_ids = reversed_entry_ids(rows)
    return sorted((r for r in rows if r.kind == LedgerEntryKind.PAYMENT and r.id not in reversed_ids),
                  key=lambda r: (r.effective_date, r.id))


def reversed_entry_ids(rows: Sequence[LedgerRow]) -> set[int]:
    return {r.reverses_id for r in rows if r.reverses_id is not None}


def apply_payment(planner: Planner, contract: Contract, rows: Sequence[LedgerRow], amount: Decimal, on: date,
                  memo: str, *, reversed_now: LedgerRow | None = None) -> list[LedgerRow]:
    """Plan a PAYMENT on `on` and re-split the live payments after it; return the ledger with them.

    `rows` already holds every row planned for this contract so far (e.g. the reversal of the payment
    being re-applied); `reversed_now` is that payment, which is not re-split."""
    later = [r for r in live_payments(rows) if r.effective_date > on and r is not reversed_now]
    later_ids = {r.id for r in later}
    # The ledger as it should have been: the rows before, the new payment, then each later payment as
    # it splits now (a replaced payment and its reversal cancel out, so they are left out of it).
    work = [r for r in rows if r.id not in later_ids]
    work.append(planner.payment(contract, work, amount, on, "payment", memo))
    replaced: list[LedgerRow] = []
    for row in later:
        parts = split_payment(contract, work, row.amount, row.effective_date)
        if parts is None:
            raise PlanError(f"The payment of {row.amount} on {row.effective_date.isoformat()} would be more than "
                            f"contract {contract.number} owed that day after this correction.")
        if tuple(parts[name] for name in _PARTS) == tuple(getattr(row, name) for name in _PARTS):
            work.append(row)
            continue
        note = f"Re-applied after a correction: {row.memo}".rstrip(": ")
        replaced += [row, planner.reversal(row, f"replay-reversal:{row.id}", note)]
        work.append(planner.payment(contract, work, row.amount, row.effective_date, f"replay:{row.id}", note))
    return work + replaced


def unpaid_fee_part(contract: Contract, rows: Sequence[LedgerRow], fee: LedgerRow, today: date) -> Decimal:
    """What is still unpaid of `fee`: the contract's unpaid fees on `today` belong to its newest fees not
    waived (payments pay fees oldest first)."""
    waived = {r.reverses_id for r in rows if r.kind == LedgerEntryKind.FEE_WAIVER and r.reverses_id is not None}
    fees = sorted((r for r in rows if r.kind in FEE_KINDS and r.id not in waived and r.effective_date <= today),
                  key=lambda r: (r.effective_date, r.id), reverse=True)
    left = contract_state(contract, rows, max(today, contract.contract_date)).unpaid_fees
    for row in fees:
        take = min(left, row.fees)
        if row.id == fee.id:
            return take
        left -= take
    return ZERO


def check_figures(contract: Contract, rows: Sequence[LedgerRow], today: date) -> None:
    """The contract's figures must compute from the planned ledger (through its last entry and today)."""
    last = max([today, contract.contract_date, *(r.effective_date for r in rows)])
    try:
        contract_state(contract, rows, last)
    except ValueError as error:
        raise PlanError(f"Contract {contract.number}'s ledger would not balance after this correction ({error}).") \
            from None
