"""Ledger checkpoints: the dashboard's figures from a checkpoint and the rows after it are exactly the
figures from the whole ledger; a checkpoint that no longer matches the ledger (a row posted back into
its period) or the terms (a payment-plan change) is not used; the daily close writes them."""

from __future__ import annotations

from datetime import date, timedelta

from models import Contract, LedgerCheckpoint, LedgerEntry
from models.enums import ContractKind, LedgerEntryKind
from resolvers.servicing.close import close_day
from resolvers.servicing.positions import (
    contract_state,
    figures_for,
    ledger_rows,
    usable_checkpoints,
)
from service.demo_data import seed_demo
from tests.api.servicing import builders

DASHBOARD = """{ viewer { customer { contracts(first: 50) { edges { node { number
  balance { amount } principalBalance { amount } unpaidFees { amount }
  nextDue { date amount { amount } } pastDue { amount { amount } daysPastDue bucket }
  paymentOptions { regular { amount } pastDue { amount } payoff { amount } }
  recentTransactions(first: 20) { id kind effectiveDate amount { amount } } } } } } } }"""


def same_figures(fast, whole) -> None:
    assert (fast.balance, fast.principal_balance, fast.unpaid_fees, fast.due, fast.loan) == \
        (whole.balance, whole.principal_balance, whole.unpaid_fees, whole.due, whole.loan)
    newest = sorted(whole.entries, key=lambda row: (row.effective_date, row.id), reverse=True)[:20]
    assert sorted(fast.entries, key=lambda row: (row.effective_date, row.id), reverse=True)[:20] == newest
    assert not fast.complete and whole.complete


async def whole_states(contracts, as_of):
    rows = await ledger_rows(c.id for c in contracts)
    return {c.id: contract_state(c, rows.get(c.id, []), as_of) for c in contracts}


async def test_figures_from_checkpoints_are_the_whole_ledgers(services):
    await seed_demo(services, progress=lambda _: None, documents=False, origination=False)
    contracts = list(await Contract.all().order_by("id"))
    today = services.clock.today()
    for as_of in (today, today + timedelta(days=17), today + timedelta(days=95)):
        whole = await whole_states(contracts, as_of)
        await LedgerCheckpoint.all().delete()
        cold = await figures_for(contracts, as_of, now=services.clock.now())  # computes and stores them
        assert await LedgerCheckpoint.filter(through=as_of - timedelta(days=1)).count() == len(contracts)
        assert set(await usable_checkpoints(contracts, as_of)) == {c.id for c in contracts}
        warm = await figures_for(contracts, as_of, now=services.clock.now())  # from the stored ones
        for contract in contracts:
            same_figures(cold[contract.id], whole[contract.id])
            same_figures(warm[contract.id], whole[contract.id])
    # A checkpoint serves later days too (its date is not moved back by an older request).
    later = today + timedelta(days=200)
    await figures_for(contracts, today - timedelta(days=30), now=services.clock.now())
    assert await LedgerCheckpoint.filter(through=today + timedelta(days=94)).count() == len(contracts)
    whole = await whole_states(contracts, later)
    fast = await figures_for(contracts, later, now=services.clock.now())
    for contract in contracts:
        same_figures(fast[contract.id], whole[contract.id])


async def test_a_row_posted_back_into_a_checkpoints_period_or_new_terms_are_noticed(services):
    owner, dealer = await builders.customer_with_login(services, "alice")
    loan = await builders.loan(owner, dealer)  # 166.07 a month from 2026-02-15
    for number in range(1, 9):
        await builders.pay_loan(loan, date(2026, 2, 15) + timedelta(days=31 * (number - 1)), "166.07")
    lease = await builders.lease(owner, dealer)
    contracts = [loan, lease]
    today = services.clock.today()
    await figures_for(contracts, today, now=services.clock.now())
    assert set(await usable_checkpoints(contracts, today)) == {loan.id, lease.id}
    # A fee effective last month, posted today: the loan's checkpoint no longer counts its rows.
    await builders.entry(loan, LedgerEntryKind.LATE_FEE, date(2026, 10, 26), fees="25.00")
    assert set(await usable_checkpoints(contracts, today)) == {lease.id}
    fast = await figures_for(contracts, today, now=services.clock.now())
    whole = await whole_states(contracts, today)
    for contract in contracts:
        same_figures(fast[contract.id], whole[contract.id])
    assert fast[loan.id].unpaid_fees == 25 and set(await usable_checkpoints(contracts, today)) == {loan.id, lease.id}
    # A due-date change moves the installments: the lease's checkpoint is not used with the new terms.
    await Contract.filter(id=lease.id).update(
        applied_changes=[{"kind": "DUE_DATE_CHANGE", "from_installment": 12, "new_due_day": 25}])
    contracts = [loan, await Contract.get(id=lease.id)]
    assert set(await usable_checkpoints(contracts, today)) == {loan.id}
    fast = await figures_for(contracts, today, now=services.clock.now())
    whole = await whole_states(contracts, today)
    same_figures(fast[lease.id], whole[lease.id])


async def test_the_dashboard_is_the_same_from_checkpoints(services, client):
    await seed_demo(services, progress=lambda _: None, documents=False, origination=False)
    await client.login("david", "demo-password-david")  # a late fee and a returned payment
    cold = await client.execute(DASHBOARD)
    assert await LedgerCheckpoint.all().count() > 0
    assert await client.execute(DASHBOARD) == cold
    # A payment effective today (after the checkpoint) shows at once.
    contract = await Contract.filter(customer__user__username="david", kind=ContractKind.LOAN).first()
    await builders.pay_loan(contract, services.clock.today(), "100.00")
    changed = await client.execute(DASHBOARD)
    await LedgerCheckpoint.all().delete()
    assert await client.execute(DASHBOARD) == changed != cold


async def test_the_daily_close_writes_checkpoints_through_the_day_before(services):
    await seed_demo(services, progress=lambda _: None, documents=False, origination=False)
    contracts = list(await Contract.filter(status="ACTIVE").order_by("id"))
    day = services.clock.today()
    await close_day(services, day, documents=[])
    stored = await LedgerCheckpoint.all()
    assert {c.contract_id for c in stored} == {c.id for c in contracts}
    assert {c.through for c in stored} == {day - timedelta(days=1)}
    assert set(await usable_checkpoints(contracts, day)) == {c.id for c in contracts}
    assert await LedgerEntry.all().count() > 0
