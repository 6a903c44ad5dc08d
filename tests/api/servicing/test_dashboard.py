"""The dashboard in one request: balance, next due, past due, last payment, recent transactions,
equal to the finance functions' figures, with a constant number of SQL statements."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from finance import due as due_math
from finance.loan import add_months, amortization_schedule
from finance.servicing import loan_position
from models import LedgerEntry
from models.enums import LedgerEntryKind
from resolvers.servicing.positions import ledger_events, loan_terms
from tests import factories
from tests.api.servicing import builders
from tests.conftest import count_queries

D = Decimal
DASHBOARD = """{ viewer { customer { contracts(first: 50) { edges { node {
  id number kind status
  vehicle { vin make model }
  balance { amount } principalBalance { amount } unpaidFees { amount }
  nextDue { date amount { amount } }
  pastDue { amount { amount } daysPastDue bucket }
  autopay { enabled }
  lastPayment { id effectiveDate amount { amount } principal { amount } interest { amount } }
  recentTransactions(first: 5) { id kind effectiveDate amount { amount } }
} } } } } }"""


def _nodes(data) -> dict[str, dict]:
    return {e["node"]["number"]: e["node"] for e in data["viewer"]["customer"]["contracts"]["edges"]}


async def test_loan_figures_equal_the_engine(client, services):
    """Today 2026-11-02. Payments on time for Feb..Aug (7), September's paid 5 days late, nothing since:
    the October installment (due 10-15) is past due 18 days."""
    owner, dealer = await builders.customer_with_login(services, "alice")
    contract = await builders.loan(owner, dealer)
    for number in range(1, 8):
        await builders.pay_loan(contract, add_months(date(2026, 2, 15), number - 1), "166.07")
    await builders.pay_loan(contract, date(2026, 9, 20), "166.07")
    fee = await builders.entry(contract, LedgerEntryKind.LATE_FEE, date(2026, 10, 26), fees="25.00",
                               key=f"late-fee:{contract.id}:9")
    await client.login("alice", factories.TEST_PASSWORD)
    node = _nodes(await client.execute(DASHBOARD))[contract.number]

    today = services.clock.today()
    rows = await LedgerEntry.filter(contract=contract).order_by("effective_date", "id")
    position = loan_position(loan_terms(contract), ledger_events(rows), today)
    schedule = amortization_schedule(D("5000.00"), D("12"), 36, date(2026, 2, 15))
    status = due_math.due_status(due_math.loan_installments(schedule), due_math.credits_from_events(rows), today, 10)
    assert node["balance"]["amount"] == str(position.principal + position.accrued_interest + position.unpaid_fees)
    assert node["principalBalance"]["amount"] == str(position.principal)
    assert node["unpaidFees"]["amount"] == "25.00" == str(position.unpaid_fees)
    assert node["nextDue"] == {"date": "2026-10-15", "amount": {"amount": "166.07"}}
    assert status.next_due_date == date(2026, 10, 15) and status.days_past_due == 18
    assert node["pastDue"] == {"amount": {"amount": "166.07"}, "daysPastDue": 18, "bucket": "DPD_1_29"}
    assert node["autopay"] == {"enabled": False}
    assert node["lastPayment"]["effectiveDate"] == "2026-09-20"
    paid = rows[-2]
    assert node["lastPayment"]["principal"]["amount"] == str(paid.principal)
    assert node["lastPayment"]["interest"]["amount"] == str(paid.interest)
    assert [t["id"] for t in node["recentTransactions"]] == [
        builders.gid("LedgerTransaction", r.id) for r in sorted(rows, key=lambda r: (r.effective_date, r.id),
                                                                 reverse=True)[:5]]
    assert node["recentTransactions"][0]["id"] == builders.gid("LedgerTransaction", fee.id)


async def test_lease_balance_is_remaining_scheduled_payments(client, services):
    owner, dealer = await builders.customer_with_login(services, "alice")
    contract = await builders.lease(owner, dealer)
    for number in range(1, 9):  # Feb..Sep paid; Oct 15 unpaid, 18 days past due
        await builders.pay_lease(contract, add_months(date(2026, 2, 15), number - 1))
    await client.login("alice", factories.TEST_PASSWORD)
    node = _nodes(await client.execute(DASHBOARD))[contract.number]
    assert node["kind"] == "LEASE"
    assert node["balance"]["amount"] == str(D("459.63") * 28)  # 36 scheduled − 8 paid
    assert node["principalBalance"]["amount"] == str(D("36000.00") - 8 * D("355.56"))
    assert node["nextDue"] == {"date": "2026-10-15", "amount": {"amount": "459.63"}}
    assert node["pastDue"] == {"amount": {"amount": "459.63"}, "daysPastDue": 18, "bucket": "DPD_1_29"}
    assert node["lastPayment"]["effectiveDate"] == "2026-09-15"


async def test_returned_payment_is_not_the_last_payment_and_counts_as_unpaid(client, services):
    owner, dealer = await builders.customer_with_login(services, "alice")
    contract = await builders.loan(owner, dealer, contract_date=date(2026, 8, 20), first_payment_date=date(2026, 9, 20))
    first = await builders.pay_loan(contract, date(2026, 9, 20), "166.07")
    second = await builders.pay_loan(contract, date(2026, 10, 20), "166.07")
    await builders.entry(contract, LedgerEntryKind.PAYMENT_REVERSAL, second.effective_date,
                         principal=second.principal, interest=second.interest, reverses=second)
    await builders.entry(contract, LedgerEntryKind.RETURNED_PAYMENT_FEE, date(2026, 10, 23), fees="25.00")
    await client.login("alice", factories.TEST_PASSWORD)
    node = _nodes(await client.execute(DASHBOARD))[contract.number]
    assert node["lastPayment"]["id"] == builders.gid("LedgerTransaction", first.id)
    assert node["pastDue"] == {"amount": {"amount": "166.07"}, "daysPastDue": 13, "bucket": "DPD_1_29"}
    assert node["unpaidFees"]["amount"] == "25.00"


async def test_buckets_move_as_the_business_date_advances(client, services):
    owner, dealer = await builders.customer_with_login(services, "alice")
    contract = await builders.loan(owner, dealer, contract_date=date(2026, 9, 25), first_payment_date=date(2026, 10, 25))
    seen = []
    for days in (0, 30, 30, 30, 30):
        services.clock.advance(timedelta(days=days))
        await client.login("alice", factories.TEST_PASSWORD)  # a new day, a new session
        node = _nodes(await client.execute(DASHBOARD))[contract.number]
        seen.append((node["pastDue"]["daysPastDue"], node["pastDue"]["bucket"]))
    assert seen == [(8, "DPD_1_29"), (38, "DPD_30_59"), (68, "DPD_60_89"), (98, "DPD_90_PLUS"),
                    (128, "DPD_90_PLUS")]
    # Paying everything that is due brings it back to CURRENT.
    for number in range(1, 6):
        await builders.pay_loan(contract, services.clock.today(), "166.07")
    node = _nodes(await client.execute(DASHBOARD))[contract.number]
    assert node["pastDue"] == {"amount": {"amount": "0.00"}, "daysPastDue": 0, "bucket": "CURRENT"}


async def test_paid_off_loan_owes_nothing(client, services):
    owner, dealer = await builders.customer_with_login(services, "alice")
    contract = await builders.loan(owner, dealer, contract_date=date(2026, 9, 1), first_payment_date=date(2026, 10, 1))
    rows = await LedgerEntry.filter(contract=contract)
    from finance.servicing import payoff_quote

    quote = payoff_quote(loan_terms(contract), ledger_events(rows), date(2026, 10, 20))
    await builders.pay_loan(contract, date(2026, 10, 20), quote.total)
    await client.login("alice", factories.TEST_PASSWORD)
    node = _nodes(await client.execute(DASHBOARD))[contract.number]
    assert node["balance"]["amount"] == "0.00"
    assert node["nextDue"] is None
    assert node["pastDue"]["bucket"] == "CURRENT"


async def test_another_customer_gets_nothing(client, services):
    owner, dealer = await builders.customer_with_login(services, "alice")
    contract = await builders.loan(owner, dealer)
    await builders.pay_loan(contract, date(2026, 2, 15), "166.07")
    await builders.customer_with_login(services, "mallory")
    await client.login("mallory", factories.TEST_PASSWORD)
    assert _nodes(await client.execute(DASHBOARD)) == {}
    data = await client.execute("""query($id: ID!) { node(id: $id) { ... on Contract { balance { amount }
        lastPayment { id } } } }""", {"id": builders.gid("Contract", contract.id)})
    assert data["node"] is None


async def _portfolio(services, username: str, contracts: int, entries: int) -> None:
    owner, dealer = await builders.customer_with_login(services, username)
    for index in range(contracts):
        start = date(2024, 1, 1) + timedelta(days=index)
        if index % 2:
            contract = await builders.lease(owner, dealer, contract_date=start,
                                            first_payment_date=add_months(start, 1))
            for number in range(entries):
                await builders.pay_lease(contract, add_months(start, number + 1))
        else:
            contract = await builders.loan(owner, dealer, contract_date=start, first_payment_date=add_months(start, 1))
            for number in range(entries):
                await builders.pay_loan(contract, add_months(start, number + 1), "166.07")


async def test_sql_count_is_constant_whatever_the_contracts_and_transactions(client, services):
    await _portfolio(services, "few", contracts=2, entries=2)
    await _portfolio(services, "many", contracts=12, entries=30)

    async def statements(username: str, expected_contracts: int) -> int:
        await client.login(username, factories.TEST_PASSWORD)
        with count_queries() as counter:
            data = await client.execute(DASHBOARD)
        nodes = _nodes(data)
        assert len(nodes) == expected_contracts
        assert all(node["recentTransactions"] and node["lastPayment"] for node in nodes.values())
        return len(counter.statements)

    few, many = await statements("few", 2), await statements("many", 12)
    assert few > 0, "the counter must see the statements"
    assert few == many, (few, many)
    # viewer's session, customer, contracts page, vehicles, ledger: nothing per contract.
    assert many <= 8, many


async def test_loan_and_lease_details_add_no_query_per_contract(client, services):
    await _portfolio(services, "few", contracts=2, entries=2)
    await _portfolio(services, "many", contracts=12, entries=30)
    query = """{ viewer { customer { contracts(first: 20) { edges { node {
      number balance { amount } payoffQuote { total { amount } }
      leaseDetails { mileage { readings { miles } projection { projectedMilesAtMaturity } }
                     endOfTerm { earlyTermination { estimate { amount } } } }
    } } } } } }"""

    async def statements(username: str) -> int:
        await client.login(username, factories.TEST_PASSWORD)
        with count_queries() as counter:
            data = await client.execute(query)
        assert any(e["node"]["leaseDetails"] for e in data["viewer"]["customer"]["contracts"]["edges"])
        return len(counter.statements)

    assert await statements("few") == await statements("many")
