"""A page of payments with their methods and receipts costs the same SQL whatever its length."""

from __future__ import annotations

from decimal import Decimal

from resolvers.payments.processing import process_due_payments
from tests import factories
from tests.api.payments.payment_helpers import make, setup
from tests.api.servicing import builders
from tests.conftest import count_queries

LISTING = """query($id: ID!) { node(id: $id) { ... on Contract { payments(first: 20) { edges { node {
  confirmationNumber status method { kind last4 }
  receipt { principal { amount } interest { amount } newBalance { amount } } } } } } } }"""


async def _listing(client, contract) -> tuple[list, int]:
    with count_queries() as counter:
        data = await client.execute(LISTING, {"id": builders.gid("Contract", contract.id)})
    return data["node"]["payments"]["edges"], len(counter.statements)


async def test_the_sql_count_of_a_payments_page_does_not_grow_with_its_length(client, services):
    _, contract, method = await setup(services)
    await client.login("alice", factories.TEST_PASSWORD)
    await make(client, contract, method, key="p-1", choice="OTHER", other="10.00")
    await process_due_payments(services)
    one, queries_for_one = await _listing(client, contract)
    for n in range(2, 6):
        await make(client, contract, method, key=f"p-{n}", choice="OTHER", other="10.00")
    await process_due_payments(services)
    five, queries_for_five = await _listing(client, contract)
    assert len(one) == 1 and len(five) == 5
    assert all(edge["node"]["status"] == "SETTLED" and edge["node"]["receipt"] for edge in five)
    assert queries_for_five == queries_for_one
    # Newest first: each newer payment leaves a lower balance.
    balances = [edge["node"]["receipt"]["newBalance"]["amount"] for edge in five]
    assert balances == sorted(balances, key=Decimal)
