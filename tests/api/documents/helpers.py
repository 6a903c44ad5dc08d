"""Builders for the documents tests: customers with logins, loans and leases on known terms, ledger
entries posted the way the engine posts them, and reading a PDF back as text."""

from __future__ import annotations

import base64
import io
from datetime import date, datetime, time, timezone
from decimal import Decimal

from pypdf import PdfReader

from finance.loan import add_months
from finance.servicing import allocate_payment
from models import Contract, Customer, Dealership, LedgerEntry, User
from models.enums import ContractKind, LedgerEntryKind, Role
from resolvers.servicing.positions import ledger_events, loan_terms
from tests import factories

D = Decimal
# finance-notes.md worked example 2: adjusted cap cost 36,000.00, payment 459.63 (7 % tax).
LEASE_TERMS = dict(gross_cap_cost=D("38000.00"), cap_cost_reduction=D("2000.00"), residual_value=D("23200.00"),
                   money_factor=D("0.00125"), sales_tax_rate=D("0.0700"), amount_financed=D("36000.00"),
                   scheduled_payment=D("459.63"), annual_mileage_allowance=12000, excess_mileage_rate=D("0.25"),
                   purchase_option_fee=D("350.00"), disposition_fee=D("395.00"))


def gid(type_name: str, row_id: int) -> str:
    return base64.b64encode(f"{type_name}:{row_id}".encode()).decode()


def at(day: date, hour: int = 14) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=timezone.utc)


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


async def customer(services, username: str | None = None, **overrides) -> tuple[Customer, User | None]:
    """A customer, with a CUSTOMER login when `username` is given."""
    owner = await factories.customer(services, **overrides)
    user = await factories.user(services, username, Role.CUSTOMER, customer=owner) if username else None
    return owner, user


async def loan(owner: Customer, dealer: Dealership | None = None, *, contract_date: date = date(2026, 1, 15),
               first_payment_date: date = date(2026, 2, 15), **overrides) -> Contract:
    """5,000.00 at 12 % for 36 months, payment 166.07 (finance-notes.md worked example 1)."""
    dealer = dealer or await factories.dealership()
    term = overrides.get("term_months", 36)
    return await factories.loan(owner, dealer, contract_date=contract_date, first_payment_date=first_payment_date,
                                maturity_date=add_months(first_payment_date, term - 1), **overrides)


async def lease(owner: Customer, dealer: Dealership | None = None, *, contract_date: date = date(2026, 1, 15),
                first_payment_date: date = date(2026, 2, 15), **overrides) -> Contract:
    dealer = dealer or await factories.dealership()
    values = dict(LEASE_TERMS, kind=ContractKind.LEASE, apr=None, term_months=36, contract_date=contract_date,
                  first_payment_date=first_payment_date, maturity_date=add_months(first_payment_date, 35))
    values.update(overrides)
    return await factories.loan(owner, dealer, **values)


async def entry(contract: Contract, kind: LedgerEntryKind, day: date, *, principal="0", interest="0", fees="0",
                tax="0", reverses: LedgerEntry | None = None, memo: str = "") -> LedgerEntry:
    parts = dict(principal=D(principal), interest=D(interest), fees=D(fees), tax=D(tax))
    return await LedgerEntry.create(contract=contract, kind=kind, effective_date=day, posted_at=at(day),
                                    amount=sum(parts.values()), reverses=reverses, memo=memo, **parts)


async def pay_loan(contract: Contract, day: date, amount: str = "166.07") -> LedgerEntry:
    """A loan payment split by the engine as of the day it is received."""
    rows = await LedgerEntry.filter(contract=contract).order_by("effective_date", "id")
    split = allocate_payment(loan_terms(contract), ledger_events(rows), D(amount), day)
    assert split.unapplied == 0
    return await entry(contract, LedgerEntryKind.PAYMENT, day, principal=split.principal, interest=split.interest,
                       fees=split.fees, memo="Payment")


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
