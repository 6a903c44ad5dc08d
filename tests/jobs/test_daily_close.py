"""The daily close: late fees exactly once, delinquency moving with the business date, idempotent
runs (a second close of a date changes no row), batches, several processes sharing a date, a share
taken over from a dead process, autopay and statements in the close, the worker's once-a-day cycle and the CLI."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from finance.loan import add_months
from jobs.daily_close import MAX_CATCH_UP_DAYS, close_through_today, dates_to_close
from jobs.worker import Worker
from models import (
    Contract,
    ContractDelinquency,
    DailyCloseChunk,
    DailyCloseRun,
    LedgerEntry,
)
from models.enums import ContractStatus, DelinquencyBucket, LedgerEntryKind
from resolvers.servicing.close import close_day, late_fee_key
from tests.api.servicing import builders

REPO = Path(__file__).resolve().parents[2]
NO_DOCUMENTS: list = []


async def _late_loan(services, username="alice", **overrides) -> Contract:
    """Loan due on the 15th from Feb 2026, paid through September; October's installment is unpaid."""
    owner, dealer = await builders.customer_with_login(services, username)
    contract = await builders.loan(owner, dealer, **overrides)
    for number in range(1, 9):
        await builders.pay_loan(contract, add_months(date(2026, 2, 15), number - 1), "166.07")
    return contract


async def _late_fees(contract: Contract) -> list[LedgerEntry]:
    return await LedgerEntry.filter(contract=contract, kind=LedgerEntryKind.LATE_FEE).order_by("id")


async def _everything() -> tuple:
    """Every row the close may touch, for before/after comparisons."""
    ledger = await LedgerEntry.all().order_by("id").values()
    delinquency = await ContractDelinquency.all().order_by("id").values()
    runs = await DailyCloseRun.all().order_by("id").values()
    return ledger, delinquency, runs


async def test_late_fee_after_grace_exactly_once(services):
    contract = await _late_loan(services)
    # Due 10-15 with 10 days of grace: the last day of grace is 10-25, the fee is due on 10-26.
    report = await close_day(services, date(2026, 10, 25), documents=NO_DOCUMENTS)
    assert report.late_fees_assessed == 0 and await _late_fees(contract) == []
    report = await close_day(services, date(2026, 10, 26), documents=NO_DOCUMENTS)
    assert report.late_fee_keys == [late_fee_key(contract.id, 9)]
    for day in (date(2026, 10, 27), date(2026, 11, 2)):
        assert (await close_day(services, day, documents=NO_DOCUMENTS)).late_fees_assessed == 0
    (fee,) = await _late_fees(contract)
    assert (fee.amount, fee.fees, fee.effective_date) == (Decimal("25.00"), Decimal("25.00"), date(2026, 10, 26))
    assert fee.idempotency_key == f"late-fee:{contract.id}:9"


async def test_second_close_of_a_date_changes_nothing(services):
    contract = await _late_loan(services)
    first = await close_day(services, date(2026, 11, 2), documents=NO_DOCUMENTS)
    assert first.outcome == "closed" and first.late_fees_assessed == 1 and first.contracts_processed == 1
    before = await _everything()
    services.clock.advance(timedelta(hours=3))
    again = await close_day(services, date(2026, 11, 2), documents=NO_DOCUMENTS)
    assert again.outcome == "already_closed"
    assert (again.contracts_processed, again.late_fees_assessed) == (1, 1)  # the first run's counts
    assert await _everything() == before
    run = await DailyCloseRun.get(business_date=date(2026, 11, 2))
    assert run.finished_at is not None and run.late_fees_assessed == 1
    assert len(await _late_fees(contract)) == 1


async def test_fee_posted_meanwhile_by_another_close_is_not_posted_again(services):
    """The unique idempotency key settles a race: the losing insert fails in its savepoint and the
    close carries on with the other contracts."""
    contract = await _late_loan(services)
    other = await _late_loan(services, "bob")
    await builders.entry(contract, LedgerEntryKind.LATE_FEE, date(2026, 10, 26), fees="25.00",
                         key=late_fee_key(contract.id, 9))
    report = await close_day(services, date(2026, 10, 27), documents=NO_DOCUMENTS)
    assert report.late_fee_keys == [late_fee_key(other.id, 9)]
    assert len(await _late_fees(contract)) == 1 and len(await _late_fees(other)) == 1
    assert await ContractDelinquency.filter(contract_id__in=[contract.id, other.id]).count() == 2


@pytest.mark.postgres_only
async def test_racing_closes_post_each_late_fee_once(services):
    contracts = [await _late_loan(services, f"user{n}") for n in range(4)]
    days = [date(2026, 11, 2), date(2026, 11, 2), date(2026, 11, 3), date(2026, 10, 30)]
    reports = await asyncio.gather(*(close_day(services, day, documents=NO_DOCUMENTS) for day in days))
    assert sum(r.late_fees_assessed for r in reports) == len(contracts)
    for contract in contracts:
        assert len(await _late_fees(contract)) == 1
    assert await ContractDelinquency.all().count() == len(contracts)
    assert {r.outcome for r in reports} <= {"closed", "in_progress"}


async def test_delinquency_moves_with_the_business_date(services):
    owner, dealer = await builders.customer_with_login(services, "alice")
    contract = await builders.loan(owner, dealer, contract_date=date(2026, 9, 25), first_payment_date=date(2026, 10, 25))
    seen = []
    for day in (date(2026, 10, 25), date(2026, 10, 26), date(2026, 11, 24), date(2026, 12, 24),
                date(2027, 1, 23), date(2027, 2, 20)):
        await close_day(services, day, documents=NO_DOCUMENTS)
        row = await ContractDelinquency.get(contract=contract)
        seen.append((row.as_of, row.days_past_due, row.bucket, row.past_due_amount))
    assert seen == [
        (date(2026, 10, 25), 0, DelinquencyBucket.CURRENT, Decimal("0.00")),
        (date(2026, 10, 26), 1, DelinquencyBucket.DPD_1_29, Decimal("166.07")),
        (date(2026, 11, 24), 30, DelinquencyBucket.DPD_30_59, Decimal("166.07")),
        (date(2026, 12, 24), 60, DelinquencyBucket.DPD_60_89, Decimal("332.14")),
        (date(2027, 1, 23), 90, DelinquencyBucket.DPD_90_PLUS, Decimal("498.21")),
        (date(2027, 2, 20), 118, DelinquencyBucket.DPD_90_PLUS, Decimal("664.28")),
    ]
    # One fee per installment past grace: 10-25, 11-25, 12-25, 01-25 (not 02-25, not yet due).
    assert [f.idempotency_key for f in await _late_fees(contract)] == [
        late_fee_key(contract.id, n) for n in (1, 2, 3, 4)]
    # Closing an older date again later never moves the snapshot back.
    await DailyCloseRun.filter(business_date=date(2026, 11, 24)).delete()
    await close_day(services, date(2026, 11, 24), documents=NO_DOCUMENTS)
    assert (await ContractDelinquency.get(contract=contract)).as_of == date(2027, 2, 20)


async def test_batches_cover_every_active_contract_and_skip_the_others(services):
    owner, dealer = await builders.customer_with_login(services, "alice")
    active = [await builders.loan(owner, dealer) for _ in range(5)]
    paid_off = await builders.loan(owner, dealer, status=ContractStatus.PAID_OFF)
    await ContractDelinquency.create(contract=paid_off, as_of=date(2026, 1, 1), updated_at=services.clock.now())
    report = await close_day(services, date(2026, 11, 2), batch_size=2, documents=NO_DOCUMENTS)
    assert report.contracts_processed == 5
    rows = await ContractDelinquency.all()
    assert sorted(r.contract_id for r in rows) == sorted(c.id for c in active)
    # Never paid: a fee for each of the 9 installments past grace, per contract.
    assert report.late_fees_assessed == 45
    assert await _late_fees(paid_off) == []


async def test_a_contract_with_an_inconsistent_ledger_does_not_stop_the_close(services):
    good = await _late_loan(services)
    owner, dealer = await builders.customer_with_login(services, "broken")
    broken = await builders.loan(owner, dealer)
    # Interest paid on the contract date, before any has accrued: the engine refuses this ledger.
    await builders.entry(broken, LedgerEntryKind.PAYMENT, broken.contract_date, interest="50.00")
    report = await close_day(services, date(2026, 11, 2), documents=NO_DOCUMENTS)
    assert report.outcome == "closed" and report.contracts_skipped == [broken.id]
    assert report.contracts_processed == 1 and len(await _late_fees(good)) == 1
    assert await _late_fees(broken) == []
    assert not await ContractDelinquency.filter(contract=broken).exists()


async def test_document_runs_are_called_with_the_business_date(services):
    calls = []

    async def statements(svc, day):
        calls.append(day)
        return 3

    report = await close_day(services, date(2026, 11, 1), documents=[statements])
    assert calls == [date(2026, 11, 1)] and report.statements_generated == 3
    assert (await DailyCloseRun.get(business_date=date(2026, 11, 1))).statements_generated == 3
    await close_day(services, date(2026, 11, 1), documents=[statements])
    assert calls == [date(2026, 11, 1)]


async def test_a_failing_close_is_retried_and_then_finishes(services):
    contract = await _late_loan(services)

    async def broken(svc, day):
        raise RuntimeError("statement renderer down")

    with pytest.raises(RuntimeError):
        await close_day(services, date(2026, 11, 2), documents=[broken])
    run = await DailyCloseRun.get(business_date=date(2026, 11, 2))
    assert run.finished_at is None
    # Another process sees a fresh unfinished run as in progress; after STALE_AFTER it takes over.
    assert (await close_day(services, date(2026, 11, 2), documents=NO_DOCUMENTS)).outcome == "in_progress"
    services.clock.advance(timedelta(hours=1))
    report = await close_day(services, date(2026, 11, 2), documents=NO_DOCUMENTS)
    assert report.outcome == "closed" and report.late_fees_assessed == 0  # posted by the first attempt
    assert len(await _late_fees(contract)) == 1
    assert (await DailyCloseRun.get(business_date=date(2026, 11, 2))).finished_at is not None


async def test_worker_closes_once_per_business_date_and_catches_up(services):
    contract = await _late_loan(services)
    worker = Worker(services)
    await worker.run_once()
    assert [r.business_date for r in await DailyCloseRun.all()] == [date(2026, 11, 2)]
    before = await _everything()
    services.clock.advance(timedelta(hours=2))
    await worker.run_once()
    assert await _everything() == before
    # The worker was down for three days: it closes each missed date, oldest first.
    services.clock.advance(timedelta(days=3))
    await worker.run_once()
    assert [r.business_date for r in await DailyCloseRun.all().order_by("business_date")] == [
        date(2026, 11, 2) + timedelta(days=n) for n in range(4)]
    assert (await ContractDelinquency.get(contract=contract)).as_of == date(2026, 11, 5)
    assert len(await _late_fees(contract)) == 1


async def test_catch_up_is_bounded(services):
    today = services.clock.today()
    assert await dates_to_close(today) == [today]
    await DailyCloseRun.create(business_date=today - timedelta(days=100), started_at=services.clock.now(),
                               finished_at=services.clock.now())
    days = await dates_to_close(today)
    assert len(days) == MAX_CATCH_UP_DAYS and days[-1] == today
    reports = await close_through_today(services)
    assert [r.business_date for r in reports] == days
    assert await dates_to_close(today) == []


def test_cli_close_day(services, settings_env):
    """`autofin close-day --date` in its own process against the test database."""
    env = {**os.environ, **settings_env, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "service.cli", "close-day", "--date", "2026-11-02"]
    first = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert "business date 2026-11-02 closed: 0 contracts, 0 late fees" in first.stdout
    second = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert second.returncode == 0 and "was already closed" in second.stdout
    bad = subprocess.run(command[:-1] + ["2026-13-45"], env=env, cwd=REPO, capture_output=True, text=True,
                         timeout=120)
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr


@pytest.mark.postgres_only
async def test_processes_closing_one_date_share_its_contracts(services):
    """Three closes of one date at once (three worker processes): each share of contracts is done by
    one of them, the date is closed once, with every late fee once."""
    contracts = [await _late_loan(services, f"user{n}") for n in range(6)]
    day = date(2026, 11, 2)
    reports = await asyncio.gather(*(close_day(services, day, batch_size=1, documents=NO_DOCUMENTS)
                                     for _ in range(3)))
    assert sum(r.contracts_processed for r in reports) == len(contracts)
    assert sum(r.late_fees_assessed for r in reports) == len(contracts)
    assert "closed" in {r.outcome for r in reports} <= {"closed", "in_progress"}
    run = await DailyCloseRun.get(business_date=day)
    assert run.finished_at is not None and (run.contracts_processed, run.late_fees_assessed) == (6, 6)
    shares = await DailyCloseChunk.filter(run=run).order_by("phase", "number")
    assert [s.phase for s in shares] == [1] * 6 + [3] and all(s.finished_at for s in shares)
    for contract in contracts:
        assert len(await _late_fees(contract)) == 1
    assert (await close_day(services, day, documents=NO_DOCUMENTS)).outcome == "already_closed"


async def test_a_share_held_by_a_process_that_died_is_taken_over(services):
    contracts = [await _late_loan(services, f"user{n}") for n in range(3)]
    day = date(2026, 11, 2)
    report = await close_day(services, day, batch_size=1, documents=NO_DOCUMENTS)
    run = await DailyCloseRun.get(business_date=day)
    # As if the process holding the second share had died before finishing it (and before the run).
    await DailyCloseRun.filter(id=run.id).update(finished_at=None)
    second = await DailyCloseChunk.get(run=run, phase=1, number=1)
    await DailyCloseChunk.filter(id=second.id).update(finished_at=None, claimed_at=services.clock.now())
    assert (await close_day(services, day, documents=NO_DOCUMENTS)).outcome == "in_progress"
    services.clock.advance(timedelta(hours=1))
    again = await close_day(services, day, documents=NO_DOCUMENTS)
    assert again.outcome == "closed" and again.shares_done == 1 and again.contracts_processed == 1
    assert again.late_fees_assessed == 0  # posted the first time: the share's work is idempotent
    assert report.late_fees_assessed == 3 and all([len(await _late_fees(c)) == 1 for c in contracts])
    assert (await DailyCloseRun.get(id=run.id)).finished_at is not None


async def test_the_close_drafts_the_autopay_due_that_day(services):
    """The close runs each share's autopay plans with the ledger it loaded: the reminder three days
    before the draft day, the draft on it, each once however often the date is closed."""
    from models import AutopayCycle, AutopayPlan, Payment, User
    from tests.api.payments.payment_helpers import setup

    _, contract, method = await setup(services)  # 166.07 a month from 2026-11-15
    user = await User.get(customer_id=contract.customer_id)
    now = services.clock.now()
    plan = await AutopayPlan.create(contract=contract, user=user, method=method, days_before_due=0,
                                    created_at=now, updated_at=now)
    reminded = await close_day(services, date(2026, 11, 12), documents=NO_DOCUMENTS)
    assert (reminded.autopay_reminders, reminded.autopay_drafts) == (1, 0)
    drafted = await close_day(services, date(2026, 11, 15), documents=NO_DOCUMENTS)
    assert (drafted.autopay_reminders, drafted.autopay_drafts) == (0, 1)
    [payment] = await Payment.all()
    assert payment.idempotency_key == f"autopay:{plan.id}:2026-11-15" and payment.amount == Decimal("166.07")
    assert (await AutopayCycle.get(plan=plan)).payment_id == payment.id
    # Closing the date again, even with its run record gone, drafts nothing more.
    await DailyCloseRun.filter(business_date=date(2026, 11, 15)).delete()
    again = await close_day(services, date(2026, 11, 15), documents=NO_DOCUMENTS)
    assert again.outcome == "closed" and again.autopay_drafts == 0
    assert await Payment.all().count() == 1
    assert (await DailyCloseRun.get(business_date=date(2026, 11, 15))).autopay_drafts == 0


async def test_the_statement_cycle_is_shared_out_by_contract(services, monkeypatch):
    from models import Document
    from models.enums import DocumentKind
    from resolvers.servicing import documents

    monkeypatch.setattr(documents, "BATCH_SIZE", 2)
    owner, dealer = await builders.customer_with_login(services, "alice")
    contracts = [await builders.loan(owner, dealer) for _ in range(5)]
    report = await close_day(services, date(2026, 11, 1), batch_size=2)
    assert report.outcome == "closed" and report.statements_generated == len(contracts)
    run = await DailyCloseRun.get(business_date=date(2026, 11, 1))
    assert await DailyCloseChunk.filter(run=run, phase=2).count() == 3 and run.statements_generated == 5
    assert await Document.filter(kind=DocumentKind.STATEMENT).count() == 5
