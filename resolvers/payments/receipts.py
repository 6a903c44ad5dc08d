"""The receipt of a settled payment: how its ledger entry was applied and the balance right after it
(the contract's position as of the entry's effective date, counting the entries up to and including it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from models import Contract, LedgerEntry, Payment
from models.enums import PaymentStatus
from resolvers.servicing.positions import contract_state


@dataclass(frozen=True)
class Receipt:
    confirmation_number: str
    applied_on: date
    amount: Decimal
    interest: Decimal
    principal: Decimal
    fees: Decimal
    tax: Decimal
    new_balance: Decimal
    new_principal_balance: Decimal


def receipt_from(payment: Payment, contract: Contract, rows: list[LedgerEntry]) -> Receipt | None:
    """The receipt from the contract's ledger rows (any order); None unless the payment settled (a
    returned payment's receipt is gone with its money). Pure, so a page of payments shares one load."""
    if payment.status != PaymentStatus.SETTLED or payment.ledger_entry_id is None:
        return None
    entry = next((row for row in rows if row.id == payment.ledger_entry_id), None)
    if entry is None:
        return None
    upto = [r for r in rows if (r.effective_date, r.id) <= (entry.effective_date, entry.id)]
    state = contract_state(contract, upto, entry.effective_date)
    return Receipt(confirmation_number=payment.confirmation_number, applied_on=entry.effective_date,
                   amount=entry.amount, interest=entry.interest, principal=entry.principal, fees=entry.fees,
                   tax=entry.tax, new_balance=state.balance, new_principal_balance=state.principal_balance)
