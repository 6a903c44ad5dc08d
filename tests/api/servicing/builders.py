"""Builders for the servicing API tests: a customer with a login, loans and leases on known terms,
and ledger entries posted the way the engine would post them."""

from __future__ import annotations

import base64
from datetime import date, datetime, time, timezone
from decimal import Decimal

from finance.loan import add_months
from finance.servicing import allocate_payment
from models import Contract, Customer, Dealership, LedgerEntry, OdometerReading
from models.enums import ContractKind, LedgerEntryKind, OdometerSource, Role
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


def posted(day: date) -> datetime:
    return datetime.combine(day, time(14, 0), tzinfo=timezone.utc)


async def customer_with_login(services, username: str) -> tuple[Customer, Dealership]:
    dealer = await factories.dealership()
    owner = await factories.customer(services)
    await factories.user(services, username, Role.CUSTOMER, customer=owner)
    return owner, dealer


async def loan(owner: Customer, dealer: Dealership, *, contract_date: date = date(2026, 1, 15),
               first_payment_date: date = date(2026, 2, 15), **overrides) -> Contract:
    """finance-notes.md worked example 1 by default: 5,000.00 at 12 % for 36 months, payment 166.07."""
    term = overrides.get("term_months", 36)
    return await factories.loan(owner, dealer, contract_date=contract_date, first_payment_date=first_payment_date,
                                maturity_date=add_months(first_payment_date, term - 1), **overrides)


async def lease(owner: Customer, dealer: Dealership, *, contract_date: date = date(2026, 1, 15),
                first_payment_date: date = date(2026, 2, 15), odometer: int = 12, **overrides) -> Contract:
    vehicle = await factories.vehicle(odometer_at_sale=odometer)
    values = dict(LEASE_TERMS, kind=ContractKind.LEASE, apr=None, term_months=36, vehicle=vehicle,
                  contract_date=contract_date, first_payment_date=first_payment_date,
                  maturity_date=add_months(first_payment_date, 35))
    values.update(overrides)
    contract = await factories.loan(owner, dealer, **values)
    await OdometerReading.create(contract=contract, read_on=contract_date, miles=odometer,
                                 source=OdometerSource.ORIGINATION, created_at=posted(contract_date))
    return contract


async def entry(contract: Contract, kind: LedgerEntryKind, day: date, *, principal="0", interest="0", fees="0",
                tax="0", reverses: LedgerEntry | None = None, key: str | None = None, memo: str = "") -> LedgerEntry:
    parts = dict(principal=D(principal), interest=D(interest), fees=D(fees), tax=D(tax))
    return await LedgerEntry.create(contract=contract, kind=kind, effective_date=day, posted_at=posted(day),
                                    amount=sum(parts.values()), reverses=reverses, idempotency_key=key, memo=memo,
                                    **parts)


async def pay_loan(contract: Contract, day: date, amount: str | Decimal, memo: str = "") -> LedgerEntry:
    """A loan payment split by the engine on the day it is received."""
    rows = await LedgerEntry.filter(contract=contract).order_by("effective_date", "id")
    split = allocate_payment(loan_terms(contract), ledger_events(rows), D(amount), day)
    assert split.unapplied == 0
    return await entry(contract, LedgerEntryKind.PAYMENT, day, principal=split.principal, interest=split.interest,
                       fees=split.fees, memo=memo)


async def pay_lease(contract: Contract, day: date, depreciation="355.56", rent="74.00", tax="30.07",
                    fees="0") -> LedgerEntry:
    return await entry(contract, LedgerEntryKind.PAYMENT, day, principal=depreciation, interest=rent, tax=tax,
                       fees=fees)
