"""Builders for the documents tests: customers with logins, loans and leases on known terms, ledger
entries posted the way the engine posts them, and reading a PDF back as text."""

from __future__ import annotations

import io
from datetime import date, datetime, time, timezone

from pypdf import PdfReader

from finance.loan import add_months
from models import Contract, Customer, Dealership, LedgerEntry, User
from models.enums import ContractKind, LedgerEntryKind, Role
from tests import factories
from tests.api.servicing import builders
from tests.api.servicing.builders import D, LEASE_TERMS, entry, gid  # noqa: F401 - shared with the servicing tests


def at(day: date, hour: int = 14) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=timezone.utc)


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


async def customer(services, username: str | None = None, **overrides) -> tuple[Customer, User | None]:
    """A customer, with a CUSTOMER login when `username` is given."""
    owner = await factories.customer(services, **overrides)
    user = await factories.user(services, username, Role.CUSTOMER, customer=owner) if username else None
    return owner, user


async def loan(owner: Customer, dealer: Dealership | None = None, **overrides) -> Contract:
    """5,000.00 at 12 % for 36 months, payment 166.07 (finance-notes.md worked example 1)."""
    return await builders.loan(owner, dealer or await factories.dealership(), **overrides)


async def lease(owner: Customer, dealer: Dealership | None = None, *, contract_date: date = date(2026, 1, 15),
                first_payment_date: date = date(2026, 2, 15), **overrides) -> Contract:
    dealer = dealer or await factories.dealership()
    values = dict(LEASE_TERMS, kind=ContractKind.LEASE, apr=None, term_months=36, contract_date=contract_date,
                  first_payment_date=first_payment_date, maturity_date=add_months(first_payment_date, 35))
    values.update(overrides)
    return await factories.loan(owner, dealer, **values)


async def pay_loan(contract: Contract, day: date, amount: str = "166.07") -> LedgerEntry:
    """A loan payment split by the engine as of the day it is received."""
    return await builders.pay_loan(contract, day, amount, memo="Payment")


async def pay_lease(contract: Contract, day: date, fees: str = "0") -> LedgerEntry:
    return await entry(contract, LedgerEntryKind.PAYMENT, day, principal="355.56", interest="74.00", tax="30.07",
                       fees=fees)


async def reverse(payment: LedgerEntry) -> LedgerEntry:
    """A returned payment: undoes the payment as of its own day."""
    contract = await payment.contract
    return await entry(contract, LedgerEntryKind.PAYMENT_REVERSAL, payment.effective_date,
                       principal=payment.principal, interest=payment.interest, fees=payment.fees, tax=payment.tax,
                       reverses=payment, memo="Returned payment (NSF)")


async def monthly_loan_payments(contract: Contract, through: date, day_of_month: int = 15) -> list[LedgerEntry]:
    """One 166.07 payment per installment due on or before `through`, on its due date."""
    made, number = [], 0
    while (due := add_months(contract.first_payment_date, number)) <= through:
        made.append(await pay_loan(contract, due.replace(day=min(day_of_month, 28))))
        number += 1
    return made
