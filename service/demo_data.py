"""The deterministic demo seed behind `autofin seed-demo` and `make serve`.

One dealership, six customers, eight vehicles, eight contracts (loans and leases) with 12 to 20
months of payment history up to today, odometer readings for the leases, and one login per role.
Everything is derived from a fixed seed and from `services.clock.today()`, so two runs on the same
day produce the same contract numbers, VINs and amounts, and the history always ends with the
installments already due.

The history goes through the servicing engine, as real payments would: a loan payment is split by
finance.servicing.allocate_payment on the day it is received (interest accrued to that day first,
so a payment a few days early or late pays a little less or more interest); a lease payment splits
into depreciation, rent charge and tax. A fee the customer pays with an installment is the
payment's designated fee part, on top of the installment. The late fee carries the daily close's
idempotency key (`late-fee:<contract>:<installment>`), so a close run on the seeded data does not
assess it again.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import NamedTuple

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from auth.totp import encrypt_secret
from auth.usernames import normalize_username
from finance.lease import lease_payment
from finance.loan import add_months, amortization_schedule
from finance.money import ZERO
from finance.servicing import LedgerEvent, allocate_payment, reversal_of
from finance.vin import vin_check_digit, vin_is_valid  # noqa: F401 - vin_is_valid re-exported for callers
from models import (
    Contract,
    Customer,
    Dealership,
    LedgerEntry,
    OdometerReading,
    User,
    Vehicle,
)
from models.enums import (
    ContractKind,
    LedgerEntryKind,
    OdometerSource,
    Role,
    VehicleCondition,
)
from resolvers.servicing.close import late_fee_key
from resolvers.servicing.positions import ledger_event, loan_terms
from service.container import Services

SEED = 20261125
D = Decimal
LATE_FEE = D("25.00")
RETURNED_PAYMENT_FEE = D("25.00")
GRACE_DAYS = 10  # a late fee is assessed on the day after the grace period
SALES_TAX_RATE = D("0.0825")  # stored as a fraction, as finance/lease.py takes it (8.25 %)
POSTING_TIME = time(14, 0, tzinfo=timezone.utc)


class DemoDataError(RuntimeError):
    """The demo seed cannot run (the database already holds data)."""


# ---------------------------------------------------------------------------------------------
# The plan: who, what and which terms. Kept as data so the story can be read at a glance.
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PersonPlan:
    first: str
    last: str
    born: date
    street: str
    city: str
    postal_code: str
    registered: bool  # has a portal login


CUSTOMERS = (
    PersonPlan("Alice", "Johnson", date(1988, 3, 14), "2417 Bluebonnet Ln", "Austin", "78704", True),
    PersonPlan("Bob", "Martinez", date(1979, 11, 2), "1108 Riverside Dr", "Austin", "78741", True),
    PersonPlan("Carol", "Nguyen", date(1992, 6, 27), "5530 N Lamar Blvd", "Austin", "78751", True),
    PersonPlan("David", "Okafor", date(1984, 1, 9), "903 W Pecan St", "Pflugerville", "78660", True),
    PersonPlan("Elena", "Martinez", date(1981, 8, 19), "1108 Riverside Dr", "Austin", "78741", False),
    PersonPlan("Frank", "Delgado", date(1970, 4, 30), "318 E Main St", "Round Rock", "78664", False),
)


@dataclass(frozen=True)
class VehiclePlan:
    key: str
    year: int
    make: str
    model: str
    trim: str
    condition: VehicleCondition
    msrp: Decimal
    vds: str  # VIN positions 1-8: manufacturer id and vehicle descriptor
    year_code: str  # VIN position 10
    plant: str  # VIN position 11

    @property
    def label(self) -> str:
        return f"{self.year} {self.make} {self.model}"


NEW, USED = VehicleCondition.NEW, VehicleCondition.USED
VEHICLES = (
    VehiclePlan("rav4", 2024, "Toyota", "RAV4", "XLE", NEW, D("33750.00"), "2T3P1RFV", "R", "W"),
    VehiclePlan("civic", 2023, "Honda", "Civic", "Sport", USED, D("26500.00"), "2HGFE2F5", "P", "H"),
    VehiclePlan("f150", 2025, "Ford", "F-150", "XLT", NEW, D("54300.00"), "1FTFW1E5", "S", "F"),
    VehiclePlan("model3", 2024, "Tesla", "Model 3", "Long Range", NEW, D("42490.00"), "5YJ3E1EB", "R", "F"),
    VehiclePlan("outback", 2023, "Subaru", "Outback", "Premium", USED, D("31295.00"), "4S4BTAFC", "P", "3"),
    VehiclePlan("tucson", 2025, "Hyundai", "Tucson", "SEL", NEW, D("32200.00"), "5NMJB3DE", "S", "H"),
    VehiclePlan("cx5", 2024, "Mazda", "CX-5", "2.5 S Preferred", NEW, D("31200.00"), "JM3KFBCM", "R", "0"),
    VehiclePlan("equinox", 2022, "Chevrolet", "Equinox", "LT", USED, D("28900.00"), "3GNAXKEV", "N", "L"),
)


@dataclass(frozen=True)
class Story:
    """Servicing events on a contract: payments a few days off their due date, a late fee, an NSF."""

    shifts: dict[int, int] = field(default_factory=dict)  # installment number -> days early (<0) / late
    late_on: int | None = None  # paid after the grace period: a LATE_FEE, then paid with the next one
    nsf_on: int | None = None  # paid, returned NSF, fee charged, paid again


@dataclass(frozen=True)
class ContractPlan:
    customer: str  # first name
    vehicle: str  # VehiclePlan.key
    months_ago: int  # contract signed at least this many whole months before today
    term: int
    co_customer: str | None = None
    # Loan terms.
    apr: Decimal | None = None
    amount_financed: Decimal | None = None
    # Lease terms.
    gross_cap_cost: Decimal | None = None
    cap_cost_reduction: Decimal | None = None
    residual_percent: Decimal | None = None
    money_factor: Decimal | None = None
    mileage: int | None = None
    story: Story = Story()

    @property
    def kind(self) -> ContractKind:
        return ContractKind.LOAN if self.apr is not None else ContractKind.LEASE


CONTRACTS = (
    ContractPlan("Alice", "civic", 18, 60, apr=D("6.90"), amount_financed=D("22850.00"), story=Story({7: -3})),
    ContractPlan("Alice", "rav4", 13, 36, gross_cap_cost=D("33400.00"), cap_cost_reduction=D("2500.00"),
                 residual_percent=D("60"), money_factor=D("0.00165"), mileage=12000),
    ContractPlan("Bob", "f150", 12, 72, co_customer="Elena", apr=D("7.49"), amount_financed=D("48900.00")),
    ContractPlan("Carol", "model3", 15, 36, gross_cap_cost=D("41990.00"), cap_cost_reduction=D("3000.00"),
                 residual_percent=D("55"), money_factor=D("0.00210"), mileage=10000, story=Story({2: -2})),
    ContractPlan("Carol", "equinox", 19, 36, apr=D("3.90"), amount_financed=D("16400.00")),
    ContractPlan("David", "outback", 14, 48, apr=D("9.90"), amount_financed=D("24150.00"),
                 story=Story(late_on=5, nsf_on=9)),
    ContractPlan("Elena", "cx5", 12, 36, gross_cap_cost=D("30800.00"), cap_cost_reduction=D("2000.00"),
                 residual_percent=D("62"), money_factor=D("0.00125"), mileage=12000),
    ContractPlan("Frank", "tucson", 16, 60, apr=D("11.90"), amount_financed=D("29750.00"), story=Story({3: 4})),
)

STAFF = (
    ("dealer", Role.DEALER_USER, "Sales and finance staff at Sunrise Motors"),
    ("dealeradmin", Role.DEALER_ADMIN, "Manages Sunrise Motors' users"),
    ("underwriter", Role.UNDERWRITER, "Credit decisions"),
    ("support", Role.SUPPORT, "Customer support agent"),
    ("supportlead", Role.SUPPORT_LEAD, "Support lead (fee waivers, escalations)"),
    ("analyst", Role.ANALYST, "Portfolio analytics, read only"),
    ("admin", Role.ADMIN, "Administrator"),
)


class DemoLogin(NamedTuple):
    username: str
    password: str
    role: str
    description: str


@dataclass(frozen=True)
class DemoSummary:
    logins: list[DemoLogin]
    counts: dict[str, int]


def demo_password(username: str) -> str:
    """Demo passwords are public on purpose: `demo-password-<username>`."""
    return f"demo-password-{username}"


def demo_totp_secret(username: str) -> str:
    """Staff must sign in with TOTP, so each demo staff login has MFA on with a secret derived from
    its name: public on purpose, like the passwords. `autofin demo-totp <username>` prints the
    current code (development only)."""
    digest = hashlib.sha256(f"autofin-demo-totp:{username}".encode("utf-8")).digest()[:20]
    return base64.b32encode(digest).decode("ascii")


# ---------------------------------------------------------------------------------------------
# VINs (the check digit is finance.vin's)
# ---------------------------------------------------------------------------------------------

def make_vin(plan: VehiclePlan, serial: int) -> str:
    """A VIN for the plan's make/model/year with a 6-digit serial and a correct check digit."""
    draft = f"{plan.vds}0{plan.year_code}{plan.plant}{serial:06d}"
    return draft[:8] + vin_check_digit(draft) + draft[9:]


# ---------------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------------

async def database_is_empty(using_db: BaseDBAsyncClient | None = None) -> bool:
    """True when there are no users and no contracts, i.e. nothing a seed could collide with."""
    has_users = await User.all().using_db(using_db).exists()
    has_contracts = await Contract.all().using_db(using_db).exists()
    return not has_users and not has_contracts


async def seed_demo(
    services: Services, *, progress: Callable[[str], None] = print, documents: bool = True,
    origination: bool = True,
) -> DemoSummary:
    """Create the demo data in one transaction and return the logins and row counts.

    Refuses (DemoDataError) on a database that already has users or contracts: the seed is
    meant for an empty database, never to merge into real data.
    """
    if not await database_is_empty():
        raise DemoDataError("the database is not empty; the demo seed only runs on an empty database")
    logins = demo_logins()
    # Hashing first keeps the (slow, argon2) work outside the transaction and its locks.
    hashes = await asyncio.gather(*(services.passwords.hash(login.password) for login in logins))
    progress(f"password hashes {len(hashes)}/{len(logins)}")
    seeder = _Seeder(services, random.Random(SEED), progress)
    async with in_transaction() as conn:
        if not await database_is_empty(conn):  # lost a race with another writer
            raise DemoDataError("the database is not empty; the demo seed only runs on an empty database")
        counts = await seeder.run(conn, dict(zip((login.username for login in logins), hashes)))
    if documents:
        # Past statements and tax documents, so the demo shows real documents (no emails).
        from jobs.statements import backfill_documents

        counts["documents"] = await backfill_documents(services, services.clock.today())
        progress(f"documents {counts['documents']}")
    if origination:
        # Applications at the dealership, through the dealer's own rules (service/demo_origination.py).
        from service.demo_origination import seed_origination

        counts["applications"] = await seed_origination(services, progress=progress)
    from service.demo_support import seed_support  # support desk cases (service/demo_support.py)
    await seed_support(services, progress=progress)
    return DemoSummary(logins=logins, counts=counts)


def format_logins(summary: DemoSummary | None = None) -> str:
    """The demo logins as a small aligned table for the console.

    Without a summary it lists the planned logins (they are the same on every run), so
    `autofin serve` can show them for a database seeded earlier.
    """
    header = DemoLogin("username", "password", "role", "description")
    rows = [header, *(summary.logins if summary else demo_logins())]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths)) + "  " + row[3] for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths) + "  " + "-" * len(header.description))
    return "\n".join(line.rstrip() for line in lines)


def demo_logins() -> list[DemoLogin]:
    """Registered customers first, then one login per staff role. Pure: the plan fixes them all."""
    customers = [
        DemoLogin(normalize_username(p.first), demo_password(normalize_username(p.first)), Role.CUSTOMER.value,
                  _customer_description(p))
        for p in CUSTOMERS if p.registered
    ]
    staff = [DemoLogin(name, demo_password(name), role.value, text) for name, role, text in STAFF]
    return customers + staff


def _customer_description(person: PersonPlan) -> str:
    """'Alice Johnson: loan 2023 Honda Civic, lease 2024 Toyota RAV4' for the logins table."""
    labels = {vehicle.key: vehicle.label for vehicle in VEHICLES}
    deals = [
        f"{plan.kind.value.lower()} {labels[plan.vehicle]}" + (f" with {plan.co_customer}" if plan.co_customer else "")
        for plan in CONTRACTS if person.first in (plan.customer, plan.co_customer)
    ]
    eventful = any(p.story.late_on or p.story.nsf_on for p in CONTRACTS if p.customer == person.first)
    return f"{person.first} {person.last}: {', '.join(deals)}" + (" (late fee, returned payment)" if eventful else "")


# ---------------------------------------------------------------------------------------------
# The seeder: creates rows in plan order, drawing every "random" detail from one seeded RNG.
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Installment:
    """One month of a contract's schedule: a loan's amortization schedule (what is billed; the ledger
    splits each payment by the day it arrives) or a lease's depreciation, rent charge and tax."""

    number: int
    due_date: date
    principal: Decimal
    interest: Decimal
    tax: Decimal

    @property
    def amount(self) -> Decimal:
        return self.principal + self.interest + self.tax


def contract_installments(contract: Contract) -> list[Installment]:
    """The full schedule of a seeded contract, recomputed from its stored terms."""
    if contract.kind == ContractKind.LOAN:
        schedule = amortization_schedule(contract.amount_financed, contract.apr, contract.term_months,
                                         contract.first_payment_date)
        return [Installment(s.number, s.due_date, s.principal, s.interest, ZERO) for s in schedule]
    lease = lease_payment(contract.gross_cap_cost, contract.cap_cost_reduction, contract.residual_value,
                          contract.money_factor, contract.term_months, contract.sales_tax_rate)
    return [
        Installment(number, add_months(contract.first_payment_date, number - 1), lease.monthly_depreciation,
                    lease.monthly_rent_charge, lease.monthly_tax)
        for number in range(1, contract.term_months + 1)
    ]


def _at_posting_time(day: date) -> datetime:
    return datetime.combine(day, POSTING_TIME)


class _Seeder:
    def __init__(self, services: Services, rng: random.Random, progress: Callable[[str], None]) -> None:
        self.services = services
        self.rng = rng
        self.progress = progress
        self.today = services.clock.today()
        self.conn: BaseDBAsyncClient | None = None
        self.customers: dict[str, Customer] = {}
        self.vehicles: dict[str, Vehicle] = {}
        self.users: dict[int, User] = {}  # by customer id
        self.ledger_count = 0
        # The engine's view of each contract's ledger so far (contract id -> events, oldest first).
        self.events: dict[int, list[LedgerEvent]] = {}

    async def run(self, conn: BaseDBAsyncClient, hashes: dict[str, str]) -> dict[str, int]:
        self.conn = conn
        dealership = await self._dealership()
        await self._customers()
        await self._vehicles()
        contracts = await self._contracts(dealership)
        for contract, plan in zip(contracts, CONTRACTS):
            await self._history(contract, plan.story)
        self.progress(f"ledger entries {self.ledger_count}")
        users = await self._users(dealership, hashes)
        readings = 0
        for contract, plan in zip(contracts, CONTRACTS):
            if plan.kind == ContractKind.LEASE:
                readings += await self._odometer(contract, plan)
        self.progress(f"odometer readings {readings}")
        return {"dealerships": 1, "customers": len(self.customers), "vehicles": len(self.vehicles),
                "contracts": len(contracts), "ledger_entries": self.ledger_count, "users": users,
                "odometer_readings": readings}

    async def _dealership(self) -> Dealership:
        dealership = await Dealership.create(
            using_db=self.conn, code="SUNRISE01", name="Sunrise Motors", city="Austin", state="TX",
            phone="5125550100", created_at=_at_posting_time(add_months(self.today, -36)),
        )
        self.progress("dealership Sunrise Motors")
        return dealership

    async def _customers(self) -> None:
        cipher, used_ssns = self.services.cipher, set()
        for plan in CUSTOMERS:
            ssn = self._ssn(used_ssns)
            self.customers[plan.first] = await Customer.create(
                using_db=self.conn, first_name=plan.first, last_name=plan.last, date_of_birth=plan.born,
                email=f"{plan.first.lower()}.{plan.last.lower()}@example.com",
                phone=f"5125550{self.rng.randrange(101, 200)}",  # 555-0100..0199: reserved for fiction
                address_line1=plan.street, city=plan.city, state="TX", postal_code=plan.postal_code,
                ssn_encrypted=cipher.encrypt(ssn, table="customers", column="ssn"),
                ssn_blind_index=cipher.blind_index(ssn, purpose="customers.ssn"), ssn_last4=ssn[-4:],
                created_at=_at_posting_time(add_months(self.today, -20)),
            )
        self.progress(f"customers {len(self.customers)}/{len(CUSTOMERS)}")

    def _ssn(self, used: set[str]) -> str:
        """Area 900 is never issued, so these can never be someone's real SSN."""
        while True:
            ssn = f"900{self.rng.randrange(1, 100):02d}{self.rng.randrange(1, 10000):04d}"
            if ssn not in used:
                used.add(ssn)
                return ssn

    async def _vehicles(self) -> None:
        for plan in VEHICLES:
            odometer = self.rng.randrange(5, 40) if plan.condition == NEW else self.rng.randrange(18000, 42000)
            self.vehicles[plan.key] = await Vehicle.create(
                using_db=self.conn, vin=make_vin(plan, self.rng.randrange(100000, 1000000)), year=plan.year,
                make=plan.make, model=plan.model, trim=plan.trim, condition=plan.condition, msrp=plan.msrp,
                odometer_at_sale=odometer,
            )
        self.progress(f"vehicles {len(self.vehicles)}/{len(VEHICLES)}")

    async def _contracts(self, dealership: Dealership) -> list[Contract]:
        numbers: set[str] = set()
        contracts = []
        for plan in CONTRACTS:
            contracts.append(await self._contract(plan, dealership, self._contract_number(numbers)))
        self.progress(f"contracts {len(contracts)}/{len(CONTRACTS)}")
        return contracts

    def _contract_number(self, used: set[str]) -> str:
        while True:
            number = str(self.rng.randrange(10**9, 10**10))
            if number not in used:
                used.add(number)
                return number

    def _dates(self, plan: ContractPlan) -> tuple[date, date, date]:
        """Signed `months_ago` months (plus up to three weeks) before today; due day capped at 28."""
        signed = add_months(self.today, -plan.months_ago) - timedelta(days=self.rng.randrange(0, 21))
        first = add_months(signed, 1)
        first = first.replace(day=min(first.day, 28))  # lenders avoid due dates that move
        return signed, first, add_months(first, plan.term - 1)

    async def _contract(self, plan: ContractPlan, dealership: Dealership, number: str) -> Contract:
        signed, first, maturity = self._dates(plan)
        common = dict(
            using_db=self.conn, number=number, kind=plan.kind, customer=self.customers[plan.customer],
            co_customer=self.customers[plan.co_customer] if plan.co_customer else None,
            vehicle=self.vehicles[plan.vehicle], dealership=dealership, contract_date=signed,
            first_payment_date=first, maturity_date=maturity, term_months=plan.term,
            late_fee=LATE_FEE, returned_payment_fee=RETURNED_PAYMENT_FEE, created_at=_at_posting_time(signed),
        )
        if plan.kind == ContractKind.LOAN:
            return await Contract.create(**common, **self._loan_terms(plan, first))
        return await Contract.create(**common, **self._lease_terms(plan))

    @staticmethod
    def _loan_terms(plan: ContractPlan, first: date) -> dict:
        schedule = amortization_schedule(plan.amount_financed, plan.apr, plan.term, first)
        return dict(amount_financed=plan.amount_financed, scheduled_payment=schedule[0].payment,
                    apr=plan.apr.quantize(D("0.0001")))

    def _lease_terms(self, plan: ContractPlan) -> dict:
        msrp = next(v.msrp for v in VEHICLES if v.key == plan.vehicle)
        residual = (msrp * plan.residual_percent / 100).quantize(D("0.01"))
        lease = lease_payment(plan.gross_cap_cost, plan.cap_cost_reduction, residual, plan.money_factor,
                              plan.term, SALES_TAX_RATE)
        return dict(
            amount_financed=lease.adjusted_cap_cost, scheduled_payment=lease.monthly_payment,
            gross_cap_cost=plan.gross_cap_cost, cap_cost_reduction=plan.cap_cost_reduction,
            residual_value=residual, money_factor=plan.money_factor, sales_tax_rate=SALES_TAX_RATE,
            annual_mileage_allowance=plan.mileage, excess_mileage_rate=D("0.25"),
            purchase_option_fee=D("350.00"), disposition_fee=D("395.00"),
        )

    # -- ledger ------------------------------------------------------------------------------

    async def _entry(self, contract: Contract, kind: LedgerEntryKind, effective: date, memo: str, *,
                     principal: Decimal = ZERO, interest: Decimal = ZERO, fees: Decimal = ZERO,
                     tax: Decimal = ZERO, posted: date | None = None, reverses: LedgerEntry | None = None,
                     key: str | None = None) -> LedgerEntry:
        """One ledger row; the amount is the sum of its parts, as the database checks."""
        self.ledger_count += 1
        row = await LedgerEntry.create(
            using_db=self.conn, contract=contract, kind=kind, effective_date=effective,
            posted_at=_at_posting_time(posted or effective), amount=principal + interest + fees + tax,
            principal=principal, interest=interest, fees=fees, tax=tax, reverses=reverses, memo=memo,
            idempotency_key=key,
        )
        self.events.setdefault(contract.id, []).append(ledger_event(row))
        return row

    def _split(self, contract: Contract, item: Installment, when: date) -> dict[str, Decimal]:
        """How the installment's money splits when received on `when`: by the engine for a loan (interest
        accrued to that day first, then principal), by the lease's fixed parts for a lease."""
        if contract.kind == ContractKind.LEASE:
            return dict(principal=item.principal, interest=item.interest, tax=item.tax)
        split = allocate_payment(loan_terms(contract), self.events.get(contract.id, []), item.amount, when)
        if split.unapplied or split.fees:
            raise DemoDataError(f"installment {item.number} of {contract.number} would overpay the loan")
        return dict(principal=split.principal, interest=split.interest)

    async def _pay(self, contract: Contract, item: Installment, when: date, fees: Decimal, memo: str) -> LedgerEntry:
        """The installment received on `when`, plus `fees` the customer pays with it (its designated fee part)."""
        return await self._entry(contract, LedgerEntryKind.PAYMENT, when, memo, fees=fees,
                                 **self._split(contract, item, when))

    async def _history(self, contract: Contract, story: Story) -> None:
        """One payment per installment already due; a fee left unpaid rides on the next payment."""
        outstanding_fees = ZERO
        for item in contract_installments(contract):
            if item.due_date >= self.today:
                break
            fees, outstanding_fees = outstanding_fees, ZERO
            memo = f"Payment, installment {item.number} of {contract.term_months}" + (" and fees" if fees else "")
            if item.number == story.late_on:
                outstanding_fees = await self._late_payment(contract, item, fees, memo)
            elif item.number == story.nsf_on:
                await self._returned_payment(contract, item, fees, memo)
            else:
                await self._pay(contract, item, self._paid_on(item, story), fees, memo)

    def _paid_on(self, item: Installment, story: Story) -> date:
        """The due date, or a few days off it, but never in the future."""
        shifted = item.due_date + timedelta(days=story.shifts.get(item.number, 0))
        return shifted if shifted < self.today else item.due_date

    async def _late_payment(self, contract: Contract, item: Installment, fees: Decimal, memo: str) -> Decimal:
        """Paid after the grace period: the late fee is assessed first (as the daily close would, with its
        key) and stays open until the next payment."""
        assessed = item.due_date + timedelta(days=GRACE_DAYS + 1)
        await self._entry(contract, LedgerEntryKind.LATE_FEE, assessed, f"Late fee, installment {item.number}",
                          fees=contract.late_fee, key=late_fee_key(contract.id, item.number))
        await self._pay(contract, item, assessed + timedelta(days=3), fees, memo)
        return contract.late_fee

    async def _returned_payment(self, contract: Contract, item: Installment, fees: Decimal, memo: str) -> None:
        """Paid on time, returned NSF three days later (the reversal undoes the payment as of its own day),
        then paid again within the grace period together with the returned-payment fee."""
        original = await self._pay(contract, item, item.due_date, fees, memo)
        returned_on = item.due_date + timedelta(days=3)
        undo = reversal_of(ledger_event(original))
        await self._entry(
            contract, LedgerEntryKind.PAYMENT_REVERSAL, undo.effective_date,
            f"Returned payment (NSF), reverses the payment of {original.effective_date.isoformat()}",
            principal=undo.principal, interest=undo.interest, fees=undo.fees, tax=undo.tax,
            posted=returned_on, reverses=original,
        )
        await self._entry(contract, LedgerEntryKind.RETURNED_PAYMENT_FEE, returned_on, "Returned payment fee",
                          fees=contract.returned_payment_fee)
        await self._pay(contract, item, returned_on + timedelta(days=3), fees + contract.returned_payment_fee,
                        f"Payment, installment {item.number} of {contract.term_months} (replaces returned payment)")

    # -- odometer ----------------------------------------------------------------------------

    async def _odometer(self, contract: Contract, plan: ContractPlan) -> int:
        """The reading at delivery and two reports since (a third and two thirds of the way to today),
        at a pace of 80-130 % of the allowance. By the customer when they have a login, else at service."""
        vehicle = self.vehicles[plan.vehicle]
        start = vehicle.odometer_at_sale
        await OdometerReading.create(using_db=self.conn, contract=contract, read_on=contract.contract_date,
                                     miles=start, source=OdometerSource.ORIGINATION,
                                     created_at=_at_posting_time(contract.contract_date))
        pace = Decimal(plan.mileage) * Decimal(self.rng.randrange(80, 131)) / 100 / 365
        user = self.users.get(contract.customer_id)
        elapsed = (self.today - contract.contract_date).days
        created = 1
        for thirds in (1, 2):
            read_on = contract.contract_date + timedelta(days=elapsed * thirds // 3)
            if not contract.contract_date < read_on < self.today:
                continue
            miles = start + int(pace * (read_on - contract.contract_date).days)
            await OdometerReading.create(
                using_db=self.conn, contract=contract, read_on=read_on, miles=miles,
                source=OdometerSource.CUSTOMER if user else OdometerSource.SERVICE, reported_by=user,
                created_at=_at_posting_time(read_on),
            )
            created += 1
        return created

    # -- users ---------------------------------------------------------------------------------

    async def _users(self, dealership: Dealership, hashes: dict[str, str]) -> int:
        now = self.services.clock.now()
        created = 0
        for plan in CUSTOMERS:
            if plan.registered:
                customer = self.customers[plan.first]
                self.users[customer.id] = await self._user(normalize_username(plan.first), customer.email,
                                                           Role.CUSTOMER, hashes, now, customer=customer)
                created += 1
        for username, role, _ in STAFF:
            links = {"dealership": dealership} if role in (Role.DEALER_USER, Role.DEALER_ADMIN) else {}
            mfa = dict(mfa_secret_encrypted=encrypt_secret(self.services.cipher, demo_totp_secret(username)),
                       mfa_enabled_at=now)
            await self._user(username, f"{username}@autofin.example", role, hashes, now, **links, **mfa)
            created += 1
        self.progress(f"users {created}/{len(hashes)}")
        return created

    async def _user(self, username: str, email: str, role: Role, hashes: dict[str, str], now: datetime,
                    **links) -> User:
        return await User.create(using_db=self.conn, username=username, email=email, role=role,
                                 password_hash=hashes[username], email_verified_at=now, created_at=now, **links)
