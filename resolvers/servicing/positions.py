"""What a contract stands at on a business date, derived from its ledger (never stored).

One query loads the ledger rows of many contracts (`ledger_rows`); the rest is pure: the rows
become finance `LedgerEvent`s and `Credit`s, the contract terms become installments, and
finance.servicing / finance.due compute the position and the due status.

Figures (the same for the dashboard, the daily close and statements):

- Loan balance = payoff on the business date: principal + interest accrued to that day + unpaid
  fees (finance.servicing.loan_position). Principal balance = the loan's principal.
- Lease balance = what the lessee still owes under the schedule: every scheduled payment (tax
  included) not yet paid, whether past due or still to come, plus unpaid fees. The residual value
  is not part of it: buying the vehicle at the end is an option, not a debt. A lease's principal
  balance is the adjusted capitalized cost less the depreciation paid so far (it ends at the
  residual value).
- Installments: the amortization schedule's payments (loan) or `term_months` equal monthly
  payments of `scheduled_payment` (lease), with the approved payment-plan changes applied
  (finance.schedule_changes: a due-date change or a deferral moves due dates, never amounts). Credits: each payment's amount less its fee part, a
  reversal negative (finance.due.credits_from_events). Grace: `contract.grace_days`.
- A contract PAID_OFF, or a loan whose payoff is zero, owes no installment.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache

from tortoise.backends.base.client import BaseDBAsyncClient

from finance import due as due_math
from finance.loan import ScheduledInstallment, amortization_schedule
from finance.money import ZERO
from finance.schedule_changes import Change, apply_changes
from finance.servicing import (
    LedgerEvent,
    LoanPosition,
    LoanTerms,
    loan_position,
    parse_allocation,
)
from models import Contract, LedgerEntry
from models.enums import ContractKind, ContractStatus, LedgerEntryKind

FEE_KINDS = (LedgerEntryKind.LATE_FEE, LedgerEntryKind.RETURNED_PAYMENT_FEE)


@dataclass(frozen=True)
class ContractState:
    """A contract's figures on `as_of` (see the module docstring for what each one means)."""

    contract_id: int
    kind: ContractKind
    as_of: date
    due: due_math.DueStatus
    loan: LoanPosition | None  # None for leases
    balance: Decimal
    principal_balance: Decimal
    unpaid_fees: Decimal
    # The ledger rows effective on or before as_of, oldest first.
    entries: tuple[LedgerEntry, ...]

    @property
    def next_due_amount(self) -> Decimal:
        """What is owed on the next installment, never more than the whole balance (a loan's last
        installment is capped at its payoff)."""
        return min(self.due.next_due_amount, self.balance)

    def newest_first(self) -> list[LedgerEntry]:
        return sorted(self.entries, key=lambda row: (row.effective_date, row.id), reverse=True)

    def last_payment(self) -> LedgerEntry | None:
        """The newest PAYMENT that was not returned (a returned one shows as its reversal)."""
        reversed_ids = {row.reverses_id for row in self.entries if row.kind == LedgerEntryKind.PAYMENT_REVERSAL}
        payments = [row for row in self.newest_first()
                    if row.kind == LedgerEntryKind.PAYMENT and row.id not in reversed_ids]
        return payments[0] if payments else None


# -- loading -----------------------------------------------------------------------------------

LEDGER_COLUMNS = ("id", "contract_id", "kind", "effective_date", "posted_at", "amount", "principal", "interest",
                  "fees", "tax", "reverses_id", "memo", "idempotency_key")


class LedgerRow:
    """A ledger entry as read for figures: LedgerEntry's columns as plain attributes, converted by the
    model's own fields (Decimal money, LedgerEntryKind, dates), without a model instance per row.
    Read-only by convention: the ledger is append-only (models/ledger.py)."""

    __slots__ = LEDGER_COLUMNS

    def __init__(self, id, contract_id, kind, effective_date, posted_at, amount, principal,  # noqa: A002
                 interest, fees, tax, reverses_id, memo, idempotency_key) -> None:
        self.id = id
        self.contract_id = contract_id
        self.kind = kind
        self.effective_date = effective_date
        self.posted_at = posted_at
        self.amount = amount
        self.principal = principal
        self.interest = interest
        self.fees = fees
        self.tax = tax
        self.reverses_id = reverses_id
        self.memo = memo
        self.idempotency_key = idempotency_key

    @property
    def pk(self) -> int:
        return self.id

    def __eq__(self, other: object) -> bool:
        return isinstance(other, (LedgerRow, LedgerEntry)) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        return f"<LedgerRow {self.id} {self.kind} {self.effective_date} {self.amount}>"


async def ledger_rows(contract_ids: Iterable[int], using_db: BaseDBAsyncClient | None = None
                      ) -> dict[int, list[LedgerRow]]:
    """Every ledger row of the given contracts, oldest first, in ONE query (as LedgerRow values:
    a long history costs its rows, not a model instance each)."""
    ids = sorted(set(contract_ids))
    grouped: dict[int, list[LedgerRow]] = defaultdict(list)
    if not ids:
        return grouped
    values = await (LedgerEntry.filter(contract_id__in=ids).order_by("effective_date", "id").using_db(using_db)
                    .values_list(*LEDGER_COLUMNS))
    for value in values:
        row = LedgerRow(*value)
        grouped[row.contract_id].append(row)
    return grouped


async def states_for(contracts: Sequence[Contract], as_of: date, using_db: BaseDBAsyncClient | None = None
                     ) -> dict[int, ContractState]:
    """The state of each contract on `as_of`: one query whatever the number of contracts."""
    rows = await ledger_rows((c.id for c in contracts), using_db)
    return {c.id: contract_state(c, rows.get(c.id, []), as_of) for c in contracts}


# -- pure derivations --------------------------------------------------------------------------

def loan_terms(contract: Contract) -> LoanTerms:
    return LoanTerms(
        amount_financed=contract.amount_financed, apr_percent=contract.apr, interest_start=contract.contract_date,
        day_count_basis=contract.day_count_basis, allocation_order=parse_allocation(contract.payment_allocation),
    )


def ledger_event(row: LedgerEntry) -> LedgerEvent:
    return LedgerEvent(kind=_kind(row), effective_date=row.effective_date, amount=row.amount,
                       principal=row.principal, interest=row.interest, fees=row.fees, tax=row.tax)


def ledger_events(rows: Iterable[LedgerEntry]) -> list[LedgerEvent]:
    return [ledger_event(row) for row in rows]


def _kind(row: LedgerEntry) -> str:
    return row.kind.value if isinstance(row.kind, LedgerEntryKind) else str(row.kind)


@lru_cache(maxsize=4096)
def _schedule(amount: Decimal, apr: Decimal, term: int, first_payment: date) -> tuple[ScheduledInstallment, ...]:
    return tuple(amortization_schedule(amount, apr, term, first_payment))


def schedule_of(contract: Contract) -> list[ScheduledInstallment]:
    """A loan's amortization schedule from its stored terms (cached: the terms never change)."""
    return list(_schedule(contract.amount_financed, contract.apr, contract.term_months,
                          contract.first_payment_date))


def original_installments(contract: Contract) -> list[due_math.Installment]:
    """The installments as signed, before any payment-plan change."""
    if contract.kind == ContractKind.LOAN:
        return due_math.loan_installments(schedule_of(contract))
    return due_math.lease_installments(contract.first_payment_date, contract.term_months,
                                       contract.scheduled_payment)


def applied_changes(contract: Contract) -> list[Change]:
    """The approved payment-plan changes of the contract, oldest first."""
    return [Change(**change) for change in contract.applied_changes or ()]


def installments_of(contract: Contract) -> list[due_math.Installment]:
    """The installments in force, in due-date order: as signed, with every approved plan change applied."""
    return apply_changes(original_installments(contract), applied_changes(contract))


def maturity_of(contract: Contract) -> date:
    """The due date of the last installment in force (a deferral moves it later)."""
    return installments_of(contract)[-1].due_date


def unpaid_fees(rows: Iterable[LedgerEntry]) -> Decimal:
    """Fees assessed − fees paid (net of reversals) − fees waived or credited."""
    total = ZERO
    for row in rows:
        if row.kind in FEE_KINDS:
            total += row.fees
        elif row.kind == LedgerEntryKind.PAYMENT_REVERSAL:
            total += row.fees
        elif row.kind in (LedgerEntryKind.PAYMENT, LedgerEntryKind.FEE_WAIVER, LedgerEntryKind.ADJUSTMENT,
                          LedgerEntryKind.PAYOFF_WAIVER):
            total -= row.fees
    return max(total, ZERO)


def _net_principal_paid(rows: Iterable[LedgerEntry]) -> Decimal:
    total = ZERO
    for row in rows:
        if row.kind == LedgerEntryKind.PAYMENT_REVERSAL:
            total -= row.principal
        elif row.kind in (LedgerEntryKind.PAYMENT, LedgerEntryKind.ADJUSTMENT, LedgerEntryKind.PAYOFF_WAIVER):
            total += row.principal
    return total


def contract_state(contract: Contract, rows: Sequence[LedgerEntry], as_of: date) -> ContractState:
    """The figures of one contract on `as_of` from its ledger rows (any order; later rows ignored)."""
    effective = tuple(sorted((r for r in rows if r.effective_date <= as_of),
                             key=lambda r: (r.effective_date, r.id)))
    installments = installments_of(contract)
    credits = due_math.credits_from_events(effective)
    grace = int(contract.grace_days)
    if contract.kind == ContractKind.LOAN:
        # Before the contract date nothing has accrued: take the position on the contract date.
        position = loan_position(loan_terms(contract), ledger_events(effective), max(as_of, contract.contract_date))
        balance = position.total_due_to_pay_off
        settled = contract.status == ContractStatus.PAID_OFF or balance == ZERO
        status = due_math.due_status(installments, credits, as_of, grace, paid_off=settled)
        return ContractState(
            contract_id=contract.id, kind=contract.kind, as_of=as_of, due=status, loan=position, balance=balance,
            principal_balance=position.principal, unpaid_fees=position.unpaid_fees, entries=effective,
        )
    fees = unpaid_fees(effective)
    settled = contract.status == ContractStatus.PAID_OFF
    status = due_math.due_status(installments, credits, as_of, grace, paid_off=settled)
    scheduled_total = sum((item.amount for item in installments), ZERO)
    credited = max(sum((c.amount for c in credits), ZERO), ZERO)
    remaining = ZERO if settled else max(scheduled_total - credited, ZERO)
    return ContractState(
        contract_id=contract.id, kind=contract.kind, as_of=as_of, due=status, loan=None,
        balance=remaining + fees, principal_balance=contract.amount_financed - _net_principal_paid(effective),
        unpaid_fees=fees, entries=effective,
    )
