"""Inserting a scheduled payment once per (user, idempotency key), and the amounts a customer may pay.

`schedule_payment` does no validation: callers (makePayment, autopay) validate first. The unique
key (created_by, idempotency_key) decides between concurrent inserts: the insert runs inside a
savepoint and an IntegrityError means another request won; its row is returned with `False`.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from finance.money import ZERO
from models import Contract, Payment, PaymentMethod, User
from models.enums import ContractKind, PaymentStatus
from resolvers.servicing.positions import ContractState, contract_state, ledger_rows

CONFIRMATION_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


def new_confirmation_number() -> str:
    """e.g. "PAY-7KQ2-M9XD-3F": random, unambiguous when read over the phone."""
    chars = "".join(secrets.choice(CONFIRMATION_ALPHABET) for _ in range(10))
    return f"PAY-{chars[:4]}-{chars[4:8]}-{chars[8:]}"


def fingerprint_of(values: dict) -> str:
    """SHA-256 of the canonical JSON of a submitted input (sorted keys, values as strings)."""
    canonical = json.dumps(values, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


async def schedule_payment(services, *, contract: Contract, method: PaymentMethod, amount: Decimal,
                           scheduled_for: date, created_by: User, idempotency_key: str, fingerprint: str,
                           using_db=None) -> tuple[Payment, bool]:
    """Insert a SCHEDULED payment, or return the one already made with this (user, key) and False."""
    for _attempt in range(3):
        try:
            async with in_transaction(using_db.connection_name if using_db else None) as savepoint:
                payment = await Payment.create(
                    contract_id=contract.id, method_id=method.id, created_by_id=created_by.id, amount=amount,
                    scheduled_for=scheduled_for, status=PaymentStatus.SCHEDULED,
                    confirmation_number=new_confirmation_number(), idempotency_key=idempotency_key,
                    request_fingerprint=fingerprint, created_at=services.clock.now(), using_db=savepoint,
                )
            return payment, True
        except IntegrityError:
            existing = await Payment.filter(created_by_id=created_by.id, idempotency_key=idempotency_key
                                            ).using_db(using_db).first()
            if existing is not None:
                return existing, False
            # A confirmation number collision (astronomically rare): try a fresh one.
    raise RuntimeError("could not allocate a confirmation number")


@dataclass(frozen=True)
class PaymentOptions:
    """Amount choices for the pay screen on a business date (zero when there is nothing to pay)."""

    regular: Decimal  # what is owed on installments due so far and the next one
    past_due: Decimal  # owed on installments already past due
    payoff: Decimal  # everything: loan payoff (interest to that day) / lease remaining payments + fees


def options_from_state(state: ContractState) -> PaymentOptions:
    payoff = state.balance
    due = state.due
    # The next installment still owed; when installments are past due, what brings the contract current
    # (the oldest unpaid installment is then the "next" one, already counted in the past-due amount).
    regular = ZERO if due.next_due_date is None else max(state.next_due_amount, due.past_due_amount)
    regular = min(regular, payoff)
    past_due = min(due.past_due_amount, payoff)
    return PaymentOptions(regular=max(regular, ZERO), past_due=max(past_due, ZERO), payoff=max(payoff, ZERO))


async def state_on(contract: Contract, business_date: date, using_db=None) -> ContractState:
    rows = await ledger_rows([contract.id], using_db)
    return contract_state(contract, rows.get(contract.id, []), business_date)


async def payment_options(services, contract: Contract, business_date: date, using_db=None) -> PaymentOptions:
    return options_from_state(await state_on(contract, business_date, using_db))


def is_lease(contract: Contract) -> bool:
    return contract.kind == ContractKind.LEASE
