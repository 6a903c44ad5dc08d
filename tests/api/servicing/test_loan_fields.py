"""Loan fields: amortization schedule, TILA disclosure (APR by Appendix J), payoff quote; null on leases."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from finance.apr import loan_disclosure
from finance.loan import amortization_schedule
from finance.servicing import payoff_quote
from models import LedgerEntry
from models.enums import LedgerEntryKind
from resolvers.servicing.positions import ledger_events, loan_terms
from tests import factories
from tests.api.servicing import builders

D = Decimal
LOAN_FIELDS = """query($id: ID!, $goodThrough: Date) { node(id: $id) { ... on Contract {
  kind
  amortizationSchedule { number dueDate payment { amount } interest { amount } principal { amount }
                         balanceAfter { amount } }
  disclosure { amountFinanced { amount } financeCharge { amount } totalOfPayments { amount } apr }
  payoffQuote(goodThrough: $goodThrough) { goodThrough principal { amount } interest { amount } fees { amount }
                                           total { amount } perDiem { amount } }
  leaseDetails { disclosure { residualValue { amount } } }
} } }"""


async def _loan(services, **overrides):
    owner, dealer = await builders.customer_with_login(services, "alice")
    return await builders.loan(owner, dealer, **overrides)


async def _fields(client, contract, good_through=None):
    await client.login("alice", factories.TEST_PASSWORD)
    data = await client.execute(LOAN_FIELDS, {"id": builders.gid("Contract", contract.id),
                                              "goodThrough": good_through})
    return data["node"]


async def test_schedule_and_disclosure_match_worked_example_1(client, services):
    """finance-notes.md example 1: 5,000.00 at 12 % for 36 months → 166.07, final 166.15, total 5,978.60."""
    contract = await _loan(services, contract_date=date(2026, 1, 15), first_payment_date=date(2026, 2, 15))
    node = await _fields(client, contract)
    schedule = node["amortizationSchedule"]
    assert len(schedule) == 36
    assert schedule[0] == {"number": 1, "dueDate": "2026-02-15", "payment": {"amount": "166.07"},
                           "interest": {"amount": "50.00"}, "principal": {"amount": "116.07"},
                           "balanceAfter": {"amount": "4883.93"}}
    assert schedule[1]["interest"] == {"amount": "48.84"} and schedule[1]["balanceAfter"] == {"amount": "4766.70"}
    assert schedule[-1]["payment"] == {"amount": "166.15"} and schedule[-1]["balanceAfter"] == {"amount": "0.00"}
    expected = amortization_schedule(D("5000.00"), D("12"), 36, date(2026, 2, 15))
    assert [s["payment"]["amount"] for s in schedule] == [str(i.payment) for i in expected]
    assert node["disclosure"] == {"amountFinanced": {"amount": "5000.00"}, "financeCharge": {"amount": "978.60"},
                                  "totalOfPayments": {"amount": "5978.60"}, "apr": "12.00"}
    assert node["leaseDetails"] is None


async def test_disclosure_apr_reflects_an_odd_first_period(client, services):
    """A first period of 1 month and 19 days: the APR is computed from the actual stream (Appendix J)."""
    contract = await _loan(services, contract_date=date(2026, 1, 1), first_payment_date=date(2026, 2, 20))
    node = await _fields(client, contract)
    expected = loan_disclosure(D("5000.00"), D("12.0000"), 36, date(2026, 2, 20), date(2026, 1, 1))
    assert node["disclosure"]["apr"] == str(expected.apr)
    assert D(node["disclosure"]["apr"]) < D("12.00")  # the odd days are not charged by the schedule


async def test_payoff_quote_equals_the_engine_and_defaults_to_today(client, services):
    contract = await _loan(services)
    for day in (date(2026, 2, 15), date(2026, 3, 12), date(2026, 4, 20)):
        await builders.pay_loan(contract, day, "166.07")
    await builders.entry(contract, LedgerEntryKind.LATE_FEE, date(2026, 5, 26), fees="25.00")
    rows = await LedgerEntry.filter(contract=contract).order_by("effective_date", "id")
    today = services.clock.today()

    node = await _fields(client, contract)
    quote = payoff_quote(loan_terms(contract), ledger_events(rows), today)
    assert node["payoffQuote"] == {
        "goodThrough": today.isoformat(), "principal": {"amount": str(quote.principal)},
        "interest": {"amount": str(quote.interest)}, "fees": {"amount": "25.00"},
        "total": {"amount": str(quote.total)}, "perDiem": {"amount": str(quote.per_diem)},
    }
    assert D(node["payoffQuote"]["total"]["amount"]) == quote.principal + quote.interest + D("25.00")

    later = today + timedelta(days=30)
    node = await _fields(client, contract, later.isoformat())
    ahead = payoff_quote(loan_terms(contract), ledger_events(rows), later)
    assert node["payoffQuote"]["goodThrough"] == later.isoformat()
    assert node["payoffQuote"]["total"] == {"amount": str(ahead.total)}
    assert ahead.total > quote.total


@pytest.mark.parametrize("days, message", [(-1, "today"), (31, "30 days")])
async def test_payoff_quote_date_out_of_range_is_a_clear_error(client, services, days, message):
    contract = await _loan(services)
    await client.login("alice", factories.TEST_PASSWORD)
    good_through = (services.clock.today() + timedelta(days=days)).isoformat()
    body = (await client.post(LOAN_FIELDS, {"id": builders.gid("Contract", contract.id),
                                            "goodThrough": good_through})).json()
    error = body["errors"][0]
    assert error["extensions"]["code"] == "INVALID" and message in error["message"]
    assert error["path"][-1] == "payoffQuote"


async def test_loan_fields_are_null_on_a_lease(client, services):
    owner, dealer = await builders.customer_with_login(services, "alice")
    contract = await builders.lease(owner, dealer)
    node = await _fields(client, contract)
    assert node["kind"] == "LEASE"
    assert node["amortizationSchedule"] is None and node["disclosure"] is None and node["payoffQuote"] is None
    assert node["leaseDetails"]["disclosure"]["residualValue"] == {"amount": "23200.00"}


async def test_another_customer_gets_no_schedule_or_quote(client, services):
    contract = await _loan(services)
    await builders.customer_with_login(services, "mallory")
    await client.login("mallory", factories.TEST_PASSWORD)
    data = await client.execute(LOAN_FIELDS, {"id": builders.gid("Contract", contract.id), "goodThrough": None})
    assert data["node"] is None
