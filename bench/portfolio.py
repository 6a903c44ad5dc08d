"""A realistic portfolio for the benchmarks, bulk-loaded into a fresh database.

`build(db_url, scale=1.0, progress=print)` drops and re-creates the database (PostgreSQL) or the
file (SQLite), applies autofin's committed migrations, and loads, at scale 1.0:

- 20,000 customers with a portal login each (username `bench<customer id>`, one shared password
  whose argon2id hash, at the server's default profile, is computed ONCE: hashing 20,000 passwords
  is not what the benchmark measures), 25,000 contracts (two thirds loans, one third leases; some
  customers hold two or three, some contracts have a co-buyer), a vehicle each, 12 dealerships;
- each contract's ledger up to today, made like service/demo_data.py makes the demo's: one payment
  per installment already due, split by finance/ (a loan payment pays the interest accrued to the
  day it arrives, then principal, by finance.servicing's rules; a lease payment splits into
  depreciation, rent charge and tax by finance.lease). Most contracts are 24 months old (a share
  6 to 23, a share older, up to their term); most customers pay within a few days of the due date;
  about 10 % of contracts had one late payment (LATE_FEE with the daily close's idempotency key,
  paid with the next installment), 3 % a returned payment (reversal, fee, paid again) and 4 % are
  behind today (their last one or two installments unpaid, with the late fees a daily close would
  have assessed already);
- a bank account (account number AES-256-GCM encrypted with the run's field key, blind index,
  sandbox numbers that settle) for every customer on autopay, every customer with a bench session
  and half of the others; an ACTIVE autopay plan on a quarter of the contracts (those not behind);
- bearer sessions made directly in `sessions` for a sample of customers (tokens kept for wrk);
- the scaling customers: 1, 5, 20 and 50 contracts, each with 12 or 240 months of history. The
  schema caps a term at 96 months (contracts_term_range), so "240 months" is a ledger as long as
  240 monthly payments: a 0 % APR loan (captive-finance promotion) 95 months old whose installments
  were each paid in 2 or 3 parts within five days of their due date (240 rows per contract);
- one long-history contract for the history page: 5,100 ledger rows (the same kind of 0 % loan,
  each installment paid in about 54 parts), so `transactions(first: 50)` has more than 100 pages.

Loan splits are computed incrementally (`LoanLedger`, finance.servicing's accrual one event at a
time) rather than by re-reading the whole ledger for every payment as `allocate_payment` does:
tests/bench/test_portfolio.py checks both give the same cents. Past payments are ledger rows only
(no `payments` rows: the history predates the portal).

PostgreSQL: asyncpg `copy_records_to_table`, foreign-key triggers off for the load (the ids are
assigned here and consistent; CHECK constraints and unique indexes still apply), then the id
sequences are moved past the loaded ids and the tables ANALYZEd. SQLite: executemany.
"""

from __future__ import annotations

import asyncio
import base64
import json
import random
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal, localcontext
from pathlib import Path
from typing import Self

from bench.config import FULL_CONTRACTS, FULL_CUSTOMERS, WORK_DIR, Keys

D = Decimal
ZERO = Decimal("0.00")
SEED = 20260801
PASSWORD = "bench-Password-2026-first-of-month"
LATE_FEE_CENTS = 2500
RETURNED_FEE_CENTS = 2500
GRACE_DAYS = 10
ROUTING_NUMBER = "011000015"  # a valid ABA check digit (README's example)
SANDBOX_SPECIAL_ENDINGS = ("0002", "9995", "0119")  # decline / NSF / timeout in gateways/sandbox.py
SESSION_SAMPLE = 4_000
LOGIN_SAMPLE = 2_000
PAY_SAMPLE = 1_000
SCALING_CONTRACTS = (1, 5, 20, 50)
SCALING_MONTHS = (12, 240)
HISTORY_ROWS = 5_100
POSTING = dtime(14, 0, tzinfo=UTC)
USER_AGENT = "autofin-bench/1.0"

Progress = Callable[[str], None]


def scaling_label(contracts: int, months: int) -> str:
    return f"{contracts} contract{'s' if contracts != 1 else ''} x {months} months"


def global_id(type_name: str, row_id: int) -> str:
    """strawberry's relay GlobalID: base64 of "Type:id"."""
    return base64.b64encode(f"{type_name}:{row_id}".encode()).decode()


@dataclass
class Portfolio:
    db_url: str
    customers: int
    contracts: int
    session_tokens: list[str]
    scaling_tokens: dict[str, str]
    history_contract_id: str
    history_token: str
    login_users: list[tuple[str, str]]
    # (bearer token, contract global id, payment method global id) of customers who can pay.
    pay_targets: list[tuple[str, str, str]] = field(default_factory=list)
    ledger_entries: int = 0
    payment_methods: int = 0
    autopay_plans: int = 0
    # label -> (contracts, months, ledger rows per contract)
    scaling: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    history_entries: int = 0
    business_date: str = ""
    scale: float = 1.0
    build_seconds: float = 0.0
    keys: Keys | None = field(default=None, repr=False)

    @property
    def db(self) -> str:
        return "sqlite" if self.db_url.startswith("sqlite:") else "postgres"

    def counts(self) -> dict:
        return {"customers": self.customers, "contracts": self.contracts, "ledger_entries": self.ledger_entries,
                "payment_methods": self.payment_methods, "autopay_plans": self.autopay_plans,
                "sessions": len(self.session_tokens), "history_entries": self.history_entries,
                "business_date": self.business_date, "build_seconds": round(self.build_seconds, 1),
                "scale": self.scale}

    # Saved under var/bench (never committed) so `--reuse` can skip a rebuild; it holds the run's
    # keys and bearer tokens of bench-only data.
    def save(self, path: Path) -> None:
        data = asdict(self)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data))
        path.chmod(0o600)

    @classmethod
    def load(cls, path: Path) -> Portfolio:
        data = json.loads(path.read_text())
        data["keys"] = Keys(**data["keys"]) if data.get("keys") else None
        data["login_users"] = [tuple(item) for item in data["login_users"]]
        data["pay_targets"] = [tuple(item) for item in data["pay_targets"]]
        data["scaling"] = {label: tuple(value) for label, value in data["scaling"].items()}
        return cls(**data)


# ---------------------------------------------------------------------------------------------
# Loan payments one at a time, with finance.servicing's arithmetic
# ---------------------------------------------------------------------------------------------

class LoanLedger:
    """finance.servicing.allocate_payment (INTEREST, PRINCIPAL order, no fee in the split) applied one
    event at a time: interest accrues unrounded between principal changes on the principal of each
    segment, and the accrued interest on day D is the rounded total minus the interest already paid.
    Events must come in effective-date order (the order the ledger stores them)."""

    def __init__(self, amount_financed: Decimal, apr: Decimal, start: date) -> None:
        from finance.servicing import _exact_interest  # the engine's own one-division accrual

        self._accrual = _exact_interest
        self.apr = apr
        self.principal = amount_financed
        self.exact = D(0)
        self.cursor = start
        self.interest_paid = D(0)

    def _advance(self, day: date) -> None:
        if day < self.cursor:
            raise ValueError(f"event on {day} before the last one ({self.cursor})")
        if day > self.cursor:
            self.exact += self._accrual(self.principal, self.apr, (day - self.cursor).days, "ACTUAL_365")
            self.cursor = day

    def pay(self, amount: Decimal, day: date) -> tuple[Decimal, Decimal]:
        """(principal, interest) of `amount` received on `day`; never more than is owed."""
        from finance.money import round_money

        self._advance(day)
        accrued = round_money(self.exact) - self.interest_paid
        interest = min(amount, accrued)
        principal = min(amount - interest, self.principal)
        self.interest_paid += interest
        self.principal -= principal
        return principal, interest

    def reverse(self, principal: Decimal, interest: Decimal, day: date) -> None:
        """A PAYMENT_REVERSAL dated on the reversed payment's day (the last event so far)."""
        self._advance(day)
        self.principal += principal
        self.interest_paid -= interest

    @property
    def owed(self) -> Decimal:
        from finance.money import round_money

        return self.principal + round_money(self.exact) - self.interest_paid


# ---------------------------------------------------------------------------------------------
# The generator: plain rows with ids assigned here
# ---------------------------------------------------------------------------------------------

TABLES: dict[str, tuple[str, ...]] = {
    "dealerships": ("id", "code", "name", "city", "state", "phone", "created_at"),
    "customers": ("id", "first_name", "last_name", "date_of_birth", "email", "phone", "address_line1",
                  "address_line2", "city", "state", "postal_code", "ssn_encrypted", "ssn_blind_index", "ssn_last4",
                  "created_at"),
    "users": ("id", "username", "email", "password_hash", "role", "is_active", "email_verified_at", "created_at",
              "customer_id"),
    "vehicles": ("id", "vin", "year", "make", "model", "trim", "condition", "msrp", "odometer_at_sale"),
    "contracts": ("id", "number", "kind", "status", "contract_date", "first_payment_date", "maturity_date",
                  "term_months", "amount_financed", "scheduled_payment", "apr", "gross_cap_cost",
                  "cap_cost_reduction", "residual_value", "money_factor", "sales_tax_rate",
                  "annual_mileage_allowance", "excess_mileage_rate", "purchase_option_fee", "disposition_fee",
                  "late_fee", "returned_payment_fee", "day_count_basis", "payment_allocation", "created_at",
                  "co_customer_id", "customer_id", "dealership_id", "vehicle_id", "grace_days"),
    "ledger_entries": ("id", "kind", "effective_date", "posted_at", "amount", "principal", "interest", "fees", "tax",
                       "memo", "contract_id", "reverses_id", "idempotency_key"),
    "payment_methods": ("id", "kind", "holder_name", "routing_number", "account_number_encrypted",
                        "account_blind_index", "account_type", "last4", "is_default", "created_at", "customer_id"),
    "autopay_plans": ("id", "status", "days_before_due", "amount_rule", "extra_principal", "consecutive_failures",
                      "created_at", "updated_at", "contract_id", "method_id", "user_id"),
    "sessions": ("id", "token_hash", "kind", "scope", "created_at", "last_seen_at", "expires_at", "ip", "user_agent",
                 "user_id"),
}
LOAD_ORDER = tuple(TABLES)

FIRST_NAMES = ("James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
               "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Carlos", "Karen",
               "Luis", "Nancy", "Wei", "Lisa", "Ahmed", "Betty", "Jose", "Sandra", "Anh", "Ashley", "Raj", "Maria")
LAST_NAMES = ("Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
              "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
              "Lee", "Perez", "Thompson", "White", "Harris", "Nguyen", "Clark", "Lewis", "Walker", "Patel", "Kim")
CITIES = (("Austin", "TX", "787"), ("Dallas", "TX", "752"), ("Houston", "TX", "770"), ("Phoenix", "AZ", "850"),
          ("Denver", "CO", "802"), ("Atlanta", "GA", "303"), ("Columbus", "OH", "432"), ("Charlotte", "NC", "282"),
          ("Nashville", "TN", "372"), ("Tampa", "FL", "336"), ("Portland", "OR", "972"), ("Raleigh", "NC", "276"))
STREETS = ("Oak St", "Maple Ave", "Cedar Ln", "Elm St", "Pine Dr", "Lakeview Rd", "Hillcrest Dr", "Main St",
           "Park Ave", "Sunset Blvd", "River Rd", "Meadow Ln")
APRS = (D("0.00"), D("1.90"), D("3.90"), D("4.90"), D("5.90"), D("6.90"), D("7.49"), D("8.90"), D("9.90"),
        D("11.90"), D("14.90"))
LOAN_TERMS = (36, 48, 60, 60, 72, 72, 84)
LEASE_TERMS = (36, 36, 39, 48)


def _at(day: date) -> datetime:
    return datetime.combine(day, POSTING)


@dataclass
class _Tables:
    rows: dict[str, list[tuple]] = field(default_factory=lambda: {name: [] for name in TABLES})
    next_id: dict[str, int] = field(default_factory=lambda: {name: 1 for name in TABLES})

    def add(self, table: str, values: Sequence) -> int:
        row_id = self.next_id[table]
        self.next_id[table] = row_id + 1
        self.rows[table].append((row_id, *values))
        return row_id


@dataclass
class _ContractPlan:
    customer_id: int
    co_customer_id: int | None
    kind: str  # LOAN | LEASE
    age_months: int
    story: str  # ontime | late | nsf | behind
    term: int | None = None
    apr: Decimal | None = None
    amount: Decimal | None = None
    parts_per_installment: float = 1.0  # > 1: each installment paid in parts (long synthetic histories)
    autopay: bool = False


class Generator:
    """Draws the whole portfolio from one seeded RNG; writes rows through `sink(table, rows)`."""

    def __init__(self, *, scale: float, keys: Keys, today: date, progress: Progress) -> None:
        from auth.crypto import FieldCipher
        from auth.passwords import Passwords
        from service.demo_data import VEHICLES

        self.rng = random.Random(SEED)
        self.today = today
        self.now = datetime.now(UTC)
        self.progress = progress
        self.customers_wanted = max(1, round(FULL_CUSTOMERS * scale))
        self.contracts_wanted = max(self.customers_wanted, round(FULL_CONTRACTS * scale))
        self.cipher = FieldCipher.from_settings(keys.field_encryption_key, keys.blind_index_key)
        # One hash at the production profile (default): every bench user has the same password.
        self.password_hash = Passwords("default").hash_sync(PASSWORD)
        self.vehicle_plans = VEHICLES
        self.t = _Tables()
        self.user_of: dict[int, int] = {}  # customer id -> user id
        self.method_of: dict[int, int] = {}  # customer id -> payment method id
        self.contracts_of: dict[int, list[int]] = {}
        self.ledger_count = 0
        self.dealerships: list[int] = []

    # -- people ------------------------------------------------------------------------------

    def dealerships_and_people(self, extra_customers: int) -> list[int]:
        rng = self.rng
        for index in range(12):
            city, state, _ = CITIES[index % len(CITIES)]
            self.dealerships.append(self.t.add("dealerships", (
                f"BENCH{index + 1:03d}", f"{city} Auto Group {index + 1}", city, state, f"512555{index:04d}",
                _at(self.today - timedelta(days=3650)))))
        customers = []
        for index in range(self.customers_wanted + extra_customers):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            city, state, zip3 = rng.choice(CITIES)
            ssn = f"9{rng.randrange(10, 100):02d}{rng.randrange(10, 100):02d}{rng.randrange(0, 10000):04d}"
            customer_id = self.t.next_id["customers"]
            email = f"{first.lower()}.{last.lower()}.{customer_id}@example.com"
            created = _at(self.today - timedelta(days=rng.randrange(200, 1500)))
            self.t.add("customers", (
                first, last, date(1950 + rng.randrange(0, 55), rng.randrange(1, 13), rng.randrange(1, 29)), email,
                f"555{rng.randrange(1000000, 9999999)}", f"{rng.randrange(100, 9999)} {rng.choice(STREETS)}", "",
                city, state, f"{zip3}{rng.randrange(10, 100)}",
                self.cipher.encrypt(ssn, table="customers", column="ssn"),
                self.cipher.blind_index(ssn, purpose="customers.ssn"), ssn[-4:], created))
            self.user_of[customer_id] = self.t.add("users", (
                f"bench{customer_id}", email, self.password_hash, "CUSTOMER", True, created, created, customer_id))
            customers.append(customer_id)
        return customers

    def bank_account(self, customer_id: int) -> int:
        if customer_id in self.method_of:
            return self.method_of[customer_id]
        while True:
            account = f"{self.rng.randrange(10**9, 10**12)}"
            if account[-4:] not in SANDBOX_SPECIAL_ENDINGS:
                break
        from resolvers.payments.methods import ACCOUNT_COLUMN, BLIND_INDEX_PURPOSE, TABLE

        method_id = self.t.add("payment_methods", (
            "BANK_ACCOUNT", f"Bench Customer {customer_id}", ROUTING_NUMBER,
            self.cipher.encrypt(account, table=TABLE, column=ACCOUNT_COLUMN),
            self.cipher.blind_index(f"{ROUTING_NUMBER}:{account}", purpose=BLIND_INDEX_PURPOSE),
            "CHECKING", account[-4:], True, self.now - timedelta(days=400), customer_id))
        self.method_of[customer_id] = method_id
        return method_id

    # -- contracts ---------------------------------------------------------------------------

    def regular_plans(self, customers: list[int]) -> list[_ContractPlan]:
        rng = self.rng
        owners = list(customers)
        extra = self.contracts_wanted - len(customers)
        # Some customers hold a second (and a few a third) contract.
        owners += [rng.choice(customers) for _ in range(max(0, extra))]
        plans = []
        for customer_id in owners:
            kind = "LOAN" if rng.random() < 0.66 else "LEASE"
            draw = rng.random()
            story = "late" if draw < 0.10 else "nsf" if draw < 0.13 else "behind" if draw < 0.17 else "ontime"
            age_draw = rng.random()
            age = 24 if age_draw < 0.7 else rng.randrange(6, 24) if age_draw < 0.85 else rng.randrange(25, 48)
            co = rng.choice(customers) if rng.random() < 0.08 and len(customers) > 1 else None
            if co == customer_id:
                co = None
            plan = _ContractPlan(customer_id, co, kind, age, story)
            plan.autopay = story != "behind" and rng.random() < 0.25 / 0.96
            plans.append(plan)
        return plans

    def contract(self, plan: _ContractPlan) -> tuple[int, list, LoanLedger | None, int]:
        """Insert the contract and its vehicle; return (contract id, installments, the loan's running
        ledger or None for a lease, term) where an installment is (number, due date, principal, interest, tax)."""
        from finance.lease import lease_payment
        from finance.loan import add_months, amortization_schedule

        rng = self.rng
        vehicle = rng.choice(self.vehicle_plans)
        index = self.t.next_id["contracts"]
        if plan.kind == "LOAN":
            term = plan.term or rng.choice([t for t in LOAN_TERMS if t > plan.age_months] or [96])
        else:
            term = plan.term or rng.choice([t for t in LEASE_TERMS if t > plan.age_months] or [48])
        term = max(term, plan.age_months + 1)
        signed = add_months(self.today, -plan.age_months) - timedelta(days=rng.randrange(0, 28))
        first = add_months(signed, 1)
        first = first.replace(day=min(first.day, 28))
        maturity = add_months(first, term - 1)
        vehicle_id = self._vehicle(vehicle, index)
        common_tail = (LATE_FEE_CENTS, RETURNED_FEE_CENTS, "ACTUAL_365", "INTEREST,PRINCIPAL,FEES", _at(signed),
                       plan.co_customer_id, plan.customer_id, rng.choice(self.dealerships), vehicle_id, GRACE_DAYS)
        if plan.kind == "LOAN":
            amount = plan.amount or D(rng.randrange(240, 1100) * 50)
            apr = plan.apr if plan.apr is not None else rng.choice(APRS)
            schedule = amortization_schedule(amount, apr, term, first)
            installments = [(s.number, s.due_date, s.principal, s.interest, D(0)) for s in schedule]
            contract_id = self.t.add("contracts", (
                f"{7_000_000_000 + index}", "LOAN", "ACTIVE", signed, first, schedule[-1].due_date, term,
                _cents(amount), _cents(schedule[0].payment), apr.quantize(D("0.0001")), None, None, None, None, None,
                None, None, None, None, *common_tail))
            ledger = LoanLedger(amount, apr, signed)
        else:
            msrp = vehicle.msrp
            gross = (msrp * D(rng.randrange(94, 100)) / 100).quantize(D("0.01"))
            reduction = D(rng.randrange(10, 41) * 100)
            residual = (msrp * D(rng.randrange(50, 63)) / 100).quantize(D("0.01"))
            money_factor = D(rng.randrange(100, 251)) / D(100000)
            tax_rate = D("0.0825")
            lease = lease_payment(gross, reduction, residual, money_factor, term, tax_rate)
            installments = [(n, add_months(first, n - 1), lease.monthly_depreciation, lease.monthly_rent_charge,
                             lease.monthly_tax) for n in range(1, term + 1)]
            contract_id = self.t.add("contracts", (
                f"{7_000_000_000 + index}", "LEASE", "ACTIVE", signed, first, maturity, term,
                _cents(lease.adjusted_cap_cost), _cents(lease.monthly_payment), None, _cents(gross),
                _cents(reduction), _cents(residual), money_factor.quantize(D("0.000001")), tax_rate,
                rng.choice((10000, 12000, 15000)), 25, 35000, 39500, *common_tail))
            ledger = None
        self.contracts_of.setdefault(plan.customer_id, []).append(contract_id)
        return contract_id, installments, ledger, term

    def _vehicle(self, plan, index: int) -> int:
        from service.demo_data import make_vin

        new = self.rng.random() < 0.6
        return self.t.add("vehicles", (
            make_vin(plan, index % 1_000_000), plan.year, plan.make, plan.model, plan.trim, "NEW" if new else "USED",
            _cents(plan.msrp), self.rng.randrange(5, 40) if new else self.rng.randrange(15000, 60000)))

    # -- ledger --------------------------------------------------------------------------------

    def _entry(self, contract_id: int, kind: str, effective: date, memo: str, *, principal: Decimal = ZERO,
               interest: Decimal = ZERO, fees: Decimal = ZERO, tax: Decimal = ZERO, posted: date | None = None,
               reverses: int | None = None, key: str | None = None) -> int:
        self.ledger_count += 1
        amount = principal + interest + fees + tax
        return self.t.add("ledger_entries", (
            kind, effective, _at(posted or effective), _cents(amount), _cents(principal), _cents(interest),
            _cents(fees), _cents(tax), memo, contract_id, reverses, key))

    def history(self, contract_id: int, plan: _ContractPlan, installments: list, ledger: LoanLedger | None,
                term: int) -> None:
        from resolvers.servicing.close import late_fee_key

        rng = self.rng
        due = [item for item in installments if item[1] < self.today]
        unpaid_from = len(due) - rng.choice((1, 1, 2)) if plan.story == "behind" else len(due)
        special = rng.randrange(0, max(1, unpaid_from - 1)) if plan.story in ("late", "nsf") else -1
        outstanding_fees = D(0)

        def pay(item, when: date, amount: Decimal, fees: Decimal, memo: str) -> tuple[int, Decimal, Decimal]:
            if ledger is None:  # a lease installment: depreciation, rent charge and tax (finance.lease)
                principal, interest, tax = item[2], item[3], item[4]
                entry = self._entry(contract_id, "PAYMENT", when, memo, principal=principal, interest=interest,
                                    fees=fees, tax=tax)
                return entry, principal, interest
            amount = min(amount, ledger.owed)
            if amount <= 0:
                return 0, D(0), D(0)
            principal, interest = ledger.pay(amount, when)
            entry = self._entry(contract_id, "PAYMENT", when, memo, principal=principal, interest=interest, fees=fees)
            return entry, principal, interest

        for position, item in enumerate(due):
            number, due_date = item[0], item[1]
            amount = item[2] + item[3] + item[4]
            memo = f"Payment, installment {number} of {term}"
            if position >= unpaid_from:
                assessed = due_date + timedelta(days=GRACE_DAYS + 1)
                if assessed < self.today:  # the daily close of that day assessed it already
                    self._entry(contract_id, "LATE_FEE", assessed, f"Late fee, installment {number}",
                                fees=_dec(LATE_FEE_CENTS), key=late_fee_key(contract_id, number))
                continue
            fees, outstanding_fees = outstanding_fees, D(0)
            if fees:
                memo += " and fees"
            if position == special and plan.story == "late" and due_date + timedelta(days=GRACE_DAYS + 4) < self.today:
                assessed = due_date + timedelta(days=GRACE_DAYS + 1)
                self._entry(contract_id, "LATE_FEE", assessed, f"Late fee, installment {number}",
                            fees=_dec(LATE_FEE_CENTS), key=late_fee_key(contract_id, number))
                pay(item, assessed + timedelta(days=3), amount, fees, memo)
                outstanding_fees = _dec(LATE_FEE_CENTS)
            elif position == special and plan.story == "nsf" and due_date + timedelta(days=6) < self.today:
                original, principal, interest = pay(item, due_date, amount, fees, memo)
                returned = due_date + timedelta(days=3)
                tax = item[4] if ledger is None else D(0)
                self._entry(contract_id, "PAYMENT_REVERSAL", due_date,
                            f"Returned payment (NSF), reverses the payment of {due_date.isoformat()}",
                            principal=principal, interest=interest, fees=fees, tax=tax, posted=returned,
                            reverses=original)
                if ledger is not None:
                    ledger.reverse(principal, interest, due_date)
                self._entry(contract_id, "RETURNED_PAYMENT_FEE", returned, "Returned payment fee",
                            fees=_dec(RETURNED_FEE_CENTS))
                pay(item, returned + timedelta(days=3), amount, fees + _dec(RETURNED_FEE_CENTS),
                    f"{memo} (replaces returned payment)")
            elif plan.parts_per_installment > 1:
                parts = int(plan.parts_per_installment) + (rng.random() < plan.parts_per_installment % 1)
                self._parts(item, amount, parts, fees, memo, pay)
            else:
                shift = rng.choice((-3, -2, -1, 0, 0, 0, 0, 0, 1, 2))
                when = due_date + timedelta(days=shift)
                pay(item, when if when < self.today else due_date, amount, fees, memo)

    def _parts(self, item, amount: Decimal, parts: int, fees: Decimal, memo: str, pay) -> None:
        """The installment paid in `parts` payments spread over due date -5 .. +5 (within grace)."""
        cents = _cents(amount)
        base, left = divmod(cents, parts)
        for part in range(parts):
            offset = -5 + (10 * part) // max(1, parts - 1) if parts > 1 else 0
            when = min(item[1] + timedelta(days=offset), self.today - timedelta(days=1))
            piece = _dec(base + (1 if part < left else 0))
            if piece > 0:
                pay(item, when, piece, fees if part == 0 else D(0), f"{memo}, part {part + 1} of {parts}")

    # -- sessions ------------------------------------------------------------------------------

    def session(self, customer_id: int) -> str:
        from auth.tokens import new_token, token_hash

        token = new_token()
        self.t.add("sessions", (token_hash(token), "BEARER", "FULL", self.now, self.now,
                                self.now + timedelta(hours=12), "127.0.0.1", USER_AGENT, self.user_of[customer_id]))
        return token

    def autopay(self, contract_id: int, customer_id: int) -> None:
        method = self.bank_account(customer_id)
        self.t.add("autopay_plans", ("ACTIVE", self.rng.choice((0, 0, 0, 1, 2, 3, 5)), "AMOUNT_DUE", 0, 0,
                                     self.now - timedelta(days=300), self.now - timedelta(days=300), contract_id,
                                     method, self.user_of[customer_id]))


def _cents(amount: Decimal) -> int:
    with localcontext() as ctx:
        ctx.prec = 28
        cents = amount * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"{amount} is not whole cents")
    return int(cents)


def _dec(cents: int) -> Decimal:
    return (D(cents) / 100).quantize(D("0.01"))


# ---------------------------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------------------------

def _pg_dsn(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


async def _recreate_postgres(db_url: str) -> None:
    import asyncpg

    base, _, name = db_url.rstrip("/").rpartition("/")
    if not name or name in ("postgres", "template0", "template1") or name.startswith("autofin_test"):
        raise ValueError(f"refusing to drop database {name!r}: the bench uses its own")
    admin = await asyncpg.connect(_pg_dsn(f"{base}/postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


class PostgresSink:
    def __init__(self, db_url: str) -> None:
        self.db_url = db_url
        self.conn = None

    async def __aenter__(self) -> Self:
        import asyncpg

        self.conn = await asyncpg.connect(_pg_dsn(self.db_url))
        # Ids are assigned by the generator; FK triggers off for the load (CHECKs and unique indexes stay).
        await self.conn.execute("SET session_replication_role = replica")
        return self

    async def write(self, table: str, rows: list[tuple]) -> None:
        if rows:
            await self.conn.copy_records_to_table(table, records=rows, columns=list(TABLES[table]))

    async def finish(self, progress: Progress) -> None:
        await self.conn.execute("SET session_replication_role = DEFAULT")
        for table in TABLES:
            await self.conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT max(id) FROM {table}), 0) + 1,"
                " false)")
        progress("ANALYZE")
        await self.conn.execute("ANALYZE")

    async def __aexit__(self, *exc) -> None:
        await self.conn.close()


class SqliteSink:
    def __init__(self, db_url: str) -> None:
        self.path = db_url.removeprefix("sqlite://")
        self.conn: sqlite3.Connection | None = None

    async def __aenter__(self) -> Self:
        self.conn = sqlite3.connect(self.path)
        self.conn.execute("PRAGMA foreign_keys = OFF")
        self.conn.execute("PRAGMA synchronous = OFF")
        return self

    @staticmethod
    def _value(value):
        if isinstance(value, datetime):
            return str(value)  # Tortoise's SQLite format: "2026-08-01 14:00:00+00:00"
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, bool):
            return int(value)
        return value

    async def write(self, table: str, rows: list[tuple]) -> None:
        if not rows:
            return
        columns = TABLES[table]
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        self.conn.executemany(sql, ([self._value(v) for v in row] for row in rows))
        self.conn.commit()

    async def finish(self, progress: Progress) -> None:
        problems = self.conn.execute("PRAGMA foreign_key_check").fetchall()
        if problems:
            raise RuntimeError(f"foreign key problems after the load: {problems[:5]}")
        self.conn.execute("ANALYZE")
        self.conn.commit()

    async def __aexit__(self, *exc) -> None:
        self.conn.close()


# ---------------------------------------------------------------------------------------------
# build
# ---------------------------------------------------------------------------------------------

async def _prepare(db_url: str, progress: Progress) -> None:
    from service import db

    if db_url.startswith("sqlite:"):
        path = Path(db_url.removeprefix("sqlite://"))
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        await _recreate_postgres(db_url)
    await db.migrate(db_url, progress=lambda _: None)
    progress(f"database ready ({'SQLite' if db_url.startswith('sqlite:') else 'PostgreSQL'}, migrations applied)")


async def build_async(db_url: str, *, scale: float, progress: Progress, keys: Keys | None = None,
                      today: date | None = None, with_scaling: bool = True) -> Portfolio:
    started = time.perf_counter()
    keys = keys or Keys.generate()
    today = today or datetime.now(UTC).date()
    await _prepare(db_url, progress)
    gen = Generator(scale=scale, keys=keys, today=today, progress=progress)
    rng = gen.rng
    scaling_customers = len(SCALING_CONTRACTS) * len(SCALING_MONTHS)
    customers = gen.dealerships_and_people(extra_customers=scaling_customers + 1)
    regular_customers = customers[:gen.customers_wanted]
    special = customers[gen.customers_wanted:]
    progress(f"customers and logins: {len(customers):,}")

    sink_type = SqliteSink if db_url.startswith("sqlite:") else PostgresSink
    async with sink_type(db_url) as sink:
        for table in ("dealerships", "customers", "users"):
            await sink.write(table, gen.t.rows[table])
            gen.t.rows[table] = []

        plans = gen.regular_plans(regular_customers)
        total = len(plans)
        step = max(250, total // 20)
        autopay_count = 0
        behind: set[int] = set()
        first_contract_of: dict[int, int] = {}

        async def flush() -> None:
            for table in ("vehicles", "contracts", "ledger_entries"):
                await sink.write(table, gen.t.rows[table])
                gen.t.rows[table] = []

        for done, plan in enumerate(plans, start=1):
            contract_id, installments, ledger, term = gen.contract(plan)
            gen.history(contract_id, plan, installments, ledger, term)
            first_contract_of.setdefault(plan.customer_id, contract_id)
            if plan.autopay:
                gen.autopay(contract_id, plan.customer_id)
                autopay_count += 1
            if plan.story == "behind":
                behind.add(plan.customer_id)
            if len(gen.t.rows["ledger_entries"]) >= 50_000:
                await flush()
            if done % step == 0 or done == total:
                progress(f"contracts {done:,}/{total:,}  ledger entries {gen.ledger_count:,}")
        await flush()

        # The scaling customers: N contracts x M months of history (0 % loans; see the module docstring).
        scaling: dict[str, tuple[int, int, int]] = {}
        scaling_tokens: dict[str, str] = {}
        position = 0
        for months in SCALING_MONTHS if with_scaling else ():
            for count in SCALING_CONTRACTS:
                customer_id = special[position]
                position += 1
                before = gen.ledger_count
                for _ in range(count):
                    if months <= 95:
                        plan = _ContractPlan(customer_id, None, "LOAN", months, "ontime", term=max(60, months + 1),
                                             apr=D("6.90"), amount=D("28000.00"))
                    else:
                        plan = _ContractPlan(customer_id, None, "LOAN", 95, "ontime", term=96, apr=D("0.00"),
                                             amount=D("38400.00"), parts_per_installment=240 / 95)
                    contract_id, installments, ledger, term = gen.contract(plan)
                    gen.history(contract_id, plan, installments, ledger, term)
                label = scaling_label(count, months)
                scaling[label] = (count, months, round((gen.ledger_count - before) / count))
                scaling_tokens[label] = gen.session(customer_id)
        # The long history.
        history_customer = special[position]
        before = gen.ledger_count
        plan = _ContractPlan(history_customer, None, "LOAN", 95, "ontime", term=96, apr=D("0.00"),
                             amount=D("96000.00"), parts_per_installment=HISTORY_ROWS / 93.5)
        history_contract, installments, ledger, term = gen.contract(plan)
        gen.history(history_contract, plan, installments, ledger, term)
        history_entries = gen.ledger_count - before
        history_token = gen.session(history_customer)
        await flush()
        progress(f"scaling customers: {len(scaling)}; the long history: {history_entries:,} rows")

        # Sessions, payment methods, the login and pay samples.
        sample = rng.sample(regular_customers, min(SESSION_SAMPLE, len(regular_customers)))
        session_tokens = []
        pay_targets = []
        for customer_id in sample:
            token = gen.session(customer_id)
            session_tokens.append(token)
            method = gen.bank_account(customer_id)
            if len(pay_targets) < PAY_SAMPLE and customer_id not in behind:
                pay_targets.append((token, global_id("Contract", first_contract_of[customer_id]),
                                    global_id("PaymentMethod", method)))
        for customer_id in regular_customers:
            if customer_id not in gen.method_of and rng.random() < 0.5:
                gen.bank_account(customer_id)
        logins = rng.sample(regular_customers, min(LOGIN_SAMPLE, len(regular_customers)))
        login_users = [(f"bench{customer_id}", PASSWORD) for customer_id in logins]
        for table in ("payment_methods", "autopay_plans", "sessions"):
            await sink.write(table, gen.t.rows[table])
        progress(f"payment methods {len(gen.method_of):,}, autopay plans {autopay_count:,}, "
                 f"sessions {len(session_tokens) + len(scaling_tokens) + 1:,}")
        await sink.finish(progress)

    portfolio = Portfolio(
        db_url=db_url, customers=len(customers), contracts=gen.t.next_id["contracts"] - 1,
        session_tokens=session_tokens, scaling_tokens=scaling_tokens,
        history_contract_id=global_id("Contract", history_contract), history_token=history_token,
        login_users=login_users, pay_targets=pay_targets, ledger_entries=gen.ledger_count,
        payment_methods=len(gen.method_of), autopay_plans=autopay_count, scaling=scaling,
        history_entries=history_entries, business_date=today.isoformat(), scale=scale,
        build_seconds=time.perf_counter() - started, keys=keys)
    progress(f"portfolio built in {portfolio.build_seconds:.1f} s: {portfolio.customers:,} customers, "
             f"{portfolio.contracts:,} contracts, {portfolio.ledger_entries:,} ledger entries")
    return portfolio


def build(db_url: str, *, scale: float, progress: Progress = print, keys: Keys | None = None,
          with_scaling: bool = True) -> Portfolio:
    """Drop and re-create the bench database and load a portfolio of `scale` (1.0 = 20,000 customers,
    25,000 contracts). The server and any worker must run with `portfolio.keys` (bench.server.autofin_env).
    `with_scaling=False` leaves out the scaling customers (the quick test does not need them)."""
    return asyncio.run(build_async(db_url, scale=scale, progress=progress, keys=keys, with_scaling=with_scaling))


async def refresh_sessions(portfolio: Portfolio) -> None:
    """Keep the bench sessions alive between scenarios (idle timeout 15 minutes): harness set-up, not
    part of any measurement."""
    now = datetime.now(UTC)
    if portfolio.db == "sqlite":
        conn = sqlite3.connect(portfolio.db_url.removeprefix("sqlite://"))
        try:
            conn.execute("UPDATE sessions SET last_seen_at = ? WHERE user_agent = ? AND revoked_at IS NULL",
                         (str(now), USER_AGENT))
            conn.commit()
        finally:
            conn.close()
        return
    import asyncpg

    conn = await asyncpg.connect(_pg_dsn(portfolio.db_url))
    try:
        await conn.execute("UPDATE sessions SET last_seen_at = $1 WHERE user_agent = $2 AND revoked_at IS NULL",
                           now, USER_AGENT)
    finally:
        await conn.close()


def portfolio_path(db: str) -> Path:
    return WORK_DIR / f"portfolio-{db}.json"


def write_lines(path: Path, lines: Iterable[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{line}\n" for line in lines))
    return path
