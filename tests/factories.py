"""Small builders for test data: each makes a valid row with overridable fields."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from models import Contract, Customer, Dealership, LedgerEntry, User, Vehicle
from models.enums import ContractKind, LedgerEntryKind, Role, VehicleCondition
from service.container import Services

_seq = itertools.count(1)
TEST_PASSWORD = "correct horse battery staple"


async def dealership(**overrides) -> Dealership:
    n = next(_seq)
    values = dict(code=f"D{n:04d}", name=f"Dealer {n}", city="Austin", state="TX", phone="5125550100")
    return await Dealership.create(**{**values, **overrides})


async def customer(services: Services, ssn: str = "123456789", **overrides) -> Customer:
    n = next(_seq)
    cipher = services.cipher
    values = dict(
        first_name=f"Pat{n}", last_name="Doe", date_of_birth=date(1985, 4, 12), email=f"pat{n}@example.com",
        phone="5125550199", address_line1="1 Main St", city="Austin", state="TX", postal_code="78701",
        ssn_encrypted=cipher.encrypt(ssn, table="customers", column="ssn"),
        ssn_blind_index=cipher.blind_index(ssn, purpose="customers.ssn"), ssn_last4=ssn[-4:],
    )
    return await Customer.create(**{**values, **overrides})


async def vehicle(**overrides) -> Vehicle:
    n = next(_seq)
    values = dict(vin=f"1HGCM82633A{n:06d}", year=2024, make="Honda", model="Accord", trim="EX",
                  condition=VehicleCondition.NEW, msrp=Decimal("31000.00"))
    return await Vehicle.create(**{**values, **overrides})


async def loan(owner: Customer, dealer: Dealership, **overrides) -> Contract:
    n = next(_seq)
    values = dict(
        number=f"{4000000000 + n}", kind=ContractKind.LOAN, customer=owner, dealership=dealer,
        vehicle=overrides.pop("vehicle", None) or await vehicle(),
        contract_date=date(2026, 1, 15), first_payment_date=date(2026, 2, 15), maturity_date=date(2029, 1, 15),
        term_months=36, amount_financed=Decimal("5000.00"), scheduled_payment=Decimal("166.07"),
        apr=Decimal("12.0000"), late_fee=Decimal("25.00"), returned_payment_fee=Decimal("25.00"),
    )
    return await Contract.create(**{**values, **overrides})


async def payment(contract: Contract, when: date, principal: str, interest: str, posted_at) -> LedgerEntry:
    p, i = Decimal(principal), Decimal(interest)
    return await LedgerEntry.create(contract=contract, kind=LedgerEntryKind.PAYMENT, effective_date=when,
                                    posted_at=posted_at, amount=p + i, principal=p, interest=i)


async def user(services: Services, username: str, role: Role, password: str = TEST_PASSWORD, **links) -> User:
    return await User.create(username=username, email=f"{username}@example.com", role=role,
                             password_hash=services.passwords.hash_sync(password), **links)
