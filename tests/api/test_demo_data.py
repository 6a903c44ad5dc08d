"""The demo seed: deterministic, consistent with the finance code and the database's checks."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from finance.loan import add_months
from finance.money import ZERO
from finance.servicing import loan_position
from models import (
    CreditApplication,
    Contract,
    Customer,
    Dealership,
    LedgerEntry,
    OdometerReading,
    User,
    Vehicle,
)
from models.enums import ApplicationStatus, ContractKind, LedgerEntryKind, OdometerSource, Role
from resolvers.servicing.close import close_day, late_fee_key
from resolvers.servicing.positions import contract_state, ledger_events, loan_terms
from service.demo_data import (
    DemoDataError,
    contract_installments,
    database_is_empty,
    format_logins,
    seed_demo,
    vin_check_digit,
    vin_is_valid,
)
from tests.conftest import truncate_all

EXPECTED_COUNTS = {"dealerships": 1, "customers": 6, "vehicles": 8, "contracts": 8, "users": 11,
                   "odometer_readings": 9}
MODELS = {"dealerships": Dealership, "customers": Customer, "vehicles": Vehicle, "contracts": Contract,
          "ledger_entries": LedgerEntry, "users": User, "odometer_readings": OdometerReading}


async def seed(services, documents: bool = False, origination: bool = False) -> tuple:
    """Seed without the PDF backfill (slow, and covered by test_seed_generates_past_documents) and
    without the demo applications (covered by test_seed_makes_applications_for_each_desk)."""
    lines: list[str] = []
    summary = await seed_demo(services, progress=lines.append, documents=documents, origination=origination)
    return summary, lines


async def snapshot() -> tuple:
    """Everything that must come out the same on every run (ids and ciphertexts may differ)."""
    contracts = await Contract.all().order_by("number").values_list(
        "number", "kind", "contract_date", "first_payment_date", "maturity_date", "amount_financed",
        "scheduled_payment", "apr", "residual_value", "money_factor", "vehicle__vin", "customer__email")
    vehicles = await Vehicle.all().order_by("vin").values_list(
        "vin", "year", "make", "model", "msrp", "odometer_at_sale")
    ledger = await LedgerEntry.all().order_by("contract__number", "id").values_list(
        "contract__number", "kind", "effective_date", "posted_at", "amount", "principal", "interest", "fees", "tax")
    customers = await Customer.all().order_by("email").values_list("email", "phone", "ssn_blind_index", "ssn_last4")
    users = await User.all().order_by("username").values_list("username", "email", "role")
    readings = await OdometerReading.all().order_by("contract__number", "read_on").values_list(
        "contract__number", "read_on", "miles", "source", "reported_by__username")
    return contracts, vehicles, ledger, customers, users, readings


async def test_seed_creates_the_documented_rows_and_reports_progress(services):
    assert await database_is_empty()
    summary, lines = await seed(services)
    assert {k: v for k, v in summary.counts.items() if k != "ledger_entries"} == EXPECTED_COUNTS
    for name, model in MODELS.items():
        assert await model.all().count() == summary.counts[name], name
    assert summary.counts["ledger_entries"] > 50
    assert "customers 6/6" in lines and "contracts 8/8" in lines
    assert f"ledger entries {summary.counts['ledger_entries']}" in lines
    assert not await database_is_empty()


async def test_logins_cover_every_role_and_alice_holds_a_loan_and_a_lease(services):
    summary, _ = await seed(services)
    roles = Counter(login.role for login in summary.logins)
    assert roles == Counter({"CUSTOMER": 4, **{role.value: 1 for role in Role if role != Role.CUSTOMER}})
    assert {login.username for login in summary.logins} >= {"alice", "bob", "dealer", "dealeradmin", "admin"}
    assert all(login.password == f"demo-password-{login.username}" for login in summary.logins)
    alice = await User.get(username="alice").prefetch_related("customer")
    kinds = sorted(c.kind for c in await Contract.filter(customer_id=alice.customer_id))
    assert kinds == [ContractKind.LEASE, ContractKind.LOAN]
    assert alice.email == alice.customer.email == "alice.johnson@example.com"
    assert await Customer.filter(user=None).count() == 2  # not yet registered
    assert await Contract.filter(co_customer_id__not_isnull=True).count() >= 1
    dealers = await User.filter(role__in=[Role.DEALER_USER, Role.DEALER_ADMIN])
    assert len(dealers) == 2 and all(u.dealership_id is not None for u in dealers)
    table = format_logins(summary)
    assert table.splitlines()[0].split() == ["username", "password", "role", "description"]
    assert "demo-password-alice" in table and len(table.splitlines()) == len(summary.logins) + 2
    assert format_logins() == table  # the CLI prints them without a summary for a database seeded earlier


async def test_seed_is_deterministic(services):
    await seed(services)
    first = await snapshot()
    await truncate_all()
    await seed(services)
    assert await snapshot() == first


async def test_vins_have_valid_check_digits():
    assert vin_check_digit("1M8GDM9AXKP042788") == "X"  # the textbook example
    assert vin_check_digit("11111111111111111") == "1"
    assert vin_is_valid("1HGCM82633A004352") and not vin_is_valid("1HGCM82643A004352")
    with pytest.raises(ValueError):
        vin_check_digit("1HGCM82633A00435O")  # letter O is not allowed


async def test_seeded_vins_are_valid(services):
    await seed(services)
    vins = await Vehicle.all().values_list("vin", flat=True)
    assert len(vins) == 8 and all(vin_is_valid(vin) for vin in vins)


async def test_customers_ssns_are_encrypted_and_never_real(services):
    await seed(services)
    for customer in await Customer.all():
        ssn = services.cipher.decrypt(customer.ssn_encrypted, table="customers", column="ssn")
        assert ssn.startswith("900") and len(ssn) == 9 and ssn not in customer.ssn_encrypted
        assert customer.ssn_last4 == ssn[-4:]
        assert customer.ssn_blind_index == services.cipher.blind_index(ssn, purpose="customers.ssn")


async def test_ledger_entries_add_up_and_show_every_kind(services):
    await seed(services)
    entries = await LedgerEntry.all()
    assert all(e.principal + e.interest + e.fees + e.tax == e.amount for e in entries)
    kinds = Counter(e.kind for e in entries)
    assert kinds[LedgerEntryKind.LATE_FEE] == 1 and kinds[LedgerEntryKind.RETURNED_PAYMENT_FEE] == 1
    reversal = next(e for e in entries if e.kind == LedgerEntryKind.PAYMENT_REVERSAL)
    original = await reversal.reverses
    assert original.kind == LedgerEntryKind.PAYMENT
    assert (original.amount, original.principal, original.interest) == (
        reversal.amount, reversal.principal, reversal.interest)
    today = services.clock.today()
    assert all(e.effective_date < today and e.posted_at.date() < today for e in entries)


async def test_contract_dates_and_terms_match_the_finance_code(services):
    await seed(services)
    today = services.clock.today()
    for contract in await Contract.all():
        assert add_months(today, -21) < contract.contract_date <= add_months(today, -6)
        assert contract.first_payment_date > contract.contract_date
        assert contract.maturity_date == add_months(contract.first_payment_date, contract.term_months - 1)
        schedule = contract_installments(contract)
        assert contract.scheduled_payment == schedule[0].amount
        due = [item for item in schedule if item.due_date < today]
        # The history reaches the most recent installment, due within the last month.
        assert due and due[-1].due_date >= today - timedelta(days=31)
        payments = await LedgerEntry.filter(contract=contract, kind=LedgerEntryKind.PAYMENT).count()
        reversals = await LedgerEntry.filter(contract=contract, kind=LedgerEntryKind.PAYMENT_REVERSAL).count()
        assert payments - reversals == len(due)


async def _engine_agrees_with_the_ledger(today) -> None:
    """Loans: the ledger's net principal is the engine's principal balance; the history follows the
    schedule closely (per-diem interest moves it by a few dollars at most), nothing is owed beyond the
    last open fee, and no installment is past due."""
    loans = await Contract.filter(kind=ContractKind.LOAN)
    assert len(loans) >= 4
    for loan in loans:
        entries = await LedgerEntry.filter(contract=loan).order_by("effective_date", "id")
        paid = sum((e.principal for e in entries if e.kind == LedgerEntryKind.PAYMENT), ZERO)
        reversed_ = sum((e.principal for e in entries if e.kind == LedgerEntryKind.PAYMENT_REVERSAL), ZERO)
        position = loan_position(loan_terms(loan), ledger_events(entries), today)
        assert loan.amount_financed - paid + reversed_ == position.principal, loan.number
        scheduled = sum((i.principal for i in contract_installments(loan) if i.due_date >= today), ZERO)
        assert abs(position.principal - scheduled) < Decimal("25.00"), (loan.number, position.principal, scheduled)
        assert position.unpaid_fees == ZERO
        assert Decimal("3.9") <= loan.apr <= Decimal("11.9") and 36 <= loan.term_months <= 72
    for contract in await Contract.all():
        entries = await LedgerEntry.filter(contract=contract)
        state = contract_state(contract, entries, today)
        assert state.due.past_due_amount == ZERO and state.due.bucket == "CURRENT", contract.number


async def test_loan_ledger_is_the_engines_split(services):
    await seed(services)
    await _engine_agrees_with_the_ledger(services.clock.today())
    # Payments a few days off their due date pay a different interest than the schedule's.
    civic = await Contract.get(vehicle__model="Civic")
    early = await LedgerEntry.filter(contract=civic, kind=LedgerEntryKind.PAYMENT).order_by("effective_date")
    schedule = {i.due_date: i for i in contract_installments(civic)}
    assert any(e.effective_date not in schedule for e in early)
    assert all(e.amount == civic.scheduled_payment for e in early)


async def test_the_late_fee_carries_the_close_key_and_a_close_adds_nothing(services):
    await seed(services)
    fee = await LedgerEntry.get(kind=LedgerEntryKind.LATE_FEE).prefetch_related("contract")
    assert fee.idempotency_key == late_fee_key(fee.contract.id, 5)
    before = await LedgerEntry.all().count()
    report = await close_day(services, documents=[])
    assert report.contracts_processed == 8 and report.late_fees_assessed == 0
    assert await LedgerEntry.all().count() == before


async def test_leases_have_odometer_history(services):
    await seed(services)
    for lease in await Contract.filter(kind=ContractKind.LEASE).prefetch_related("vehicle"):
        readings = await OdometerReading.filter(contract=lease).order_by("read_on").prefetch_related("reported_by")
        assert readings[0].source == OdometerSource.ORIGINATION and readings[0].miles == lease.vehicle.odometer_at_sale
        assert readings[0].read_on == lease.contract_date
        assert len(readings) == 3 and all(r.read_on < services.clock.today() for r in readings)
        assert [r.miles for r in readings] == sorted(r.miles for r in readings)
        for reading in readings[1:]:
            assert (reading.source == OdometerSource.CUSTOMER) == (reading.reported_by is not None)


async def test_every_demo_login_verifies(services):
    summary, _ = await seed(services)
    for login in summary.logins:
        user = await User.get(username=login.username)
        assert user.role.value == login.role
        assert await services.passwords.verify(user.password_hash, login.password) == (True, False)


async def test_alice_signs_in_through_the_api(client, services):
    await seed(services)
    viewer = await client.login("alice", "demo-password-alice")
    assert viewer["username"] == "alice" and viewer["role"] == "CUSTOMER"


async def test_seed_refuses_a_database_that_is_not_empty(services):
    await seed(services)
    with pytest.raises(DemoDataError, match="not empty"):
        await seed_demo(services, progress=lambda _: None, documents=False)
    assert await Contract.all().count() == 8


@pytest.mark.parametrize("today", ["2028-02-29", "2027-01-31", "2026-12-31", "2029-03-01"])
async def test_seed_is_consistent_whatever_the_date(services, today):
    services.clock.set(datetime.combine(date.fromisoformat(today), datetime.min.time(), tzinfo=timezone.utc))
    summary, _ = await seed(services)
    assert summary.counts["contracts"] == 8
    day = services.clock.today()
    assert await LedgerEntry.filter(effective_date__gte=day).count() == 0
    await _engine_agrees_with_the_ledger(day)


async def test_seed_generates_past_documents(services):
    from models import Document
    from models.enums import DocumentKind

    summary, lines = await seed(services, documents=True)
    assert summary.counts["documents"] == await Document.all().count() > 0
    assert await Document.filter(kind=DocumentKind.STATEMENT).count() > 0
    assert any(line.startswith("documents ") for line in lines)


async def test_seed_makes_applications_for_each_desk(services):
    summary, lines = await seed(services, origination=True)
    assert summary.counts["applications"] == 3 and "applications 3/3" in lines
    statuses = dict(await CreditApplication.all().values_list("applicants__customer__first_name", "status"))
    assert statuses == {"Maria": ApplicationStatus.REFERRED, "James": ApplicationStatus.APPROVED,
                        "Priya": ApplicationStatus.DRAFT}
    # The applicants carry the sandbox bureau's documented test SSNs, encrypted like every SSN.
    for customer in await Customer.filter(applications__id__not_isnull=True):
        ssn = services.cipher.decrypt(customer.ssn_encrypted, table="customers", column="ssn")
        assert ssn.startswith("50010") and ssn not in customer.ssn_encrypted
