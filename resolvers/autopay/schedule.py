"""Which due date a plan works on next, and what is owed for it: pure functions over a contract
and its ledger rows (shared by plans.py, cycles.py and the schema).

"Amount due" for a due date D, on a business date: what is still owed on the installments due on
or before D (the installment of D plus anything past due), plus unpaid fees, never more than the
whole balance. Credits are applied oldest first (finance.due), so a fee never eats an installment.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal

from finance import due as due_math
from finance.money import ZERO
from models import AutopayCycle, AutopayPlan, Contract, LedgerEntry
from resolvers.servicing.positions import contract_state, installments_of

# The reminder goes out this many days before the draft day.
REMINDER_DAYS = 3
MAX_DAYS_BEFORE_DUE = 5


def draft_day(due_date: date, days_before_due: int) -> date:
    return due_date - timedelta(days=int(days_before_due))


def owed_per_installment(contract: Contract, rows: Sequence[LedgerEntry], as_of: date
                         ) -> list[tuple[due_math.Installment, Decimal]]:
    """Each installment with what is still owed on it on `as_of` (credits applied oldest first)."""
    items = sorted(installments_of(contract), key=lambda item: (item.due_date, item.number))
    effective = [row for row in rows if row.effective_date <= as_of]
    credited = max(sum((c.amount for c in due_math.credits_from_events(effective)), ZERO), ZERO)
    owed = []
    for item in items:
        paid = min(credited, item.amount)
        credited -= paid
        owed.append((item, item.amount - paid))
    return owed


def installment_owed(contract: Contract, rows: Sequence[LedgerEntry], as_of: date, due_date: date) -> Decimal:
    """What is still owed on the installment due on `due_date` (zero when paid in full or unknown)."""
    if contract_state(contract, rows, as_of).balance <= ZERO:
        return ZERO
    return sum((left for item, left in owed_per_installment(contract, rows, as_of) if item.due_date == due_date),
               ZERO)


def amount_due_for(plan: AutopayPlan, contract: Contract, rows: Sequence[LedgerEntry], as_of: date,
                   due_date: date) -> Decimal:
    """What the plan drafts for `due_date` on `as_of`: installments due up to that date still owed,
    plus unpaid fees (plus the extra toward principal under AMOUNT_DUE_PLUS_EXTRA), never more than
    the balance. Zero when the installment of `due_date` is already paid in full."""
    state = contract_state(contract, rows, as_of)
    if state.balance <= ZERO:
        return ZERO
    owed = owed_per_installment(contract, rows, as_of)
    if sum((left for item, left in owed if item.due_date == due_date), ZERO) <= ZERO:
        return ZERO
    installments = sum((left for item, left in owed if item.due_date <= due_date), ZERO)
    amount = installments + state.unpaid_fees
    if plan.amount_rule.value == "AMOUNT_DUE_PLUS_EXTRA":
        amount += Decimal(plan.extra_principal)
    return min(amount, state.balance)


def upcoming_due_date(plan: AutopayPlan, contract: Contract, rows: Sequence[LedgerEntry], today: date,
                      finished: Iterable[date]) -> date | None:
    """The next due date this plan will draft for: the first installment still owed whose draft day
    is today or later and whose cycle is not finished (drafted or skipped)."""
    done = set(finished)
    if contract_state(contract, rows, today).balance <= ZERO:
        return None
    for item, left in owed_per_installment(contract, rows, today):
        if left > ZERO and draft_day(item.due_date, plan.days_before_due) >= today and item.due_date not in done:
            return item.due_date
    return None


async def finished_due_dates(plan_id: int, using_db=None) -> set[date]:
    rows = await AutopayCycle.filter(plan_id=plan_id).using_db(using_db).values("due_date", "payment_id",
                                                                                 "skipped_reason")
    return {row["due_date"] for row in rows if row["payment_id"] is not None or row["skipped_reason"]}
