"""A customer sees their own contracts, and only theirs, through viewer and node."""

from __future__ import annotations

import base64
from datetime import date, datetime, timedelta, timezone

import pytest

from models.enums import Role
from tests import factories
from tests.conftest import count_queries

MY_CONTRACTS = """query($first: Int, $after: String, $last: Int, $before: String) {
  viewer { customer { contracts(first: $first, after: $after, last: $last, before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id number kind scheduledPayment { amount currency } apr
                          vehicle { vin make } } }
  } } }
}"""


async def _customer_with_login(services, username: str, contracts: int = 1):
    dealer = await factories.dealership()
    owner = await factories.customer(services)
    made = []
    for i in range(contracts):
        made.append(await factories.loan(owner, dealer, contract_date=date(2025, 1, 1) + timedelta(days=i),
                                         first_payment_date=date(2025, 2, 1) + timedelta(days=i)))
    await factories.user(services, username, Role.CUSTOMER, customer=owner)
    return owner, made


def _numbers(data) -> list[str]:
    return [e["node"]["number"] for e in data["viewer"]["customer"]["contracts"]["edges"]]


async def test_customer_sees_own_contract_with_money_as_decimal_strings(client, services):
    _, (contract,) = await _customer_with_login(services, "alice")
    await client.login("alice", factories.TEST_PASSWORD)
    data = await client.execute(MY_CONTRACTS, {"first": 10})
    connection = data["viewer"]["customer"]["contracts"]
    assert connection["totalCount"] == 1
    node = connection["edges"][0]["node"]
    assert node["number"] == contract.number
    assert node["scheduledPayment"] == {"amount": "166.07", "currency": "USD"}
    assert node["apr"] == "12.0000"


async def test_customer_cannot_reach_another_customers_contract(client, services):
    await _customer_with_login(services, "alice")
    _, (other,) = await _customer_with_login(services, "bob")
    await client.login("alice", factories.TEST_PASSWORD)
    global_id = base64.b64encode(f"Contract:{other.id}".encode()).decode()
    data = await client.execute("query($id: ID!) { node(id: $id) { id ... on Contract { number } } }", {"id": global_id})
    assert data["node"] is None
    nodes = await client.execute("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [global_id]})
    assert nodes["nodes"] == [None]
    assert other.number not in str(await client.execute(MY_CONTRACTS, {"first": 100}))


async def test_own_contract_by_node_id(client, services):
    _, (mine,) = await _customer_with_login(services, "alice")
    await client.login("alice", factories.TEST_PASSWORD)
    own_id = (await client.execute(MY_CONTRACTS, {"first": 1}))["viewer"]["customer"]["contracts"]["edges"][0]["node"]["id"]
    data = await client.execute("query($id: ID!) { node(id: $id) { ... on Contract { number } } }", {"id": own_id})
    assert data["node"] == {"number": mine.number}


async def test_anonymous_callers_see_nothing(client, services):
    _, (contract,) = await _customer_with_login(services, "alice")
    assert (await client.execute("{ viewer { id } }"))["viewer"] is None
    body = (await client.post('{ node(id: "Q29udHJhY3Q6MQ==") { id } }')).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_keyset_pagination_walks_forward_and_back_without_gaps(client, services):
    _, contracts = await _customer_with_login(services, "alice", contracts=5)
    newest_first = [c.number for c in sorted(contracts, key=lambda c: c.contract_date, reverse=True)]
    await client.login("alice", factories.TEST_PASSWORD)

    seen, after = [], None
    while True:
        page = (await client.execute(MY_CONTRACTS, {"first": 2, "after": after}))["viewer"]["customer"]["contracts"]
        seen += [e["node"]["number"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == newest_first

    last_two = (await client.execute(MY_CONTRACTS, {"last": 2}))["viewer"]["customer"]["contracts"]
    assert [e["node"]["number"] for e in last_two["edges"]] == newest_first[-2:]
    assert last_two["pageInfo"]["hasPreviousPage"] is True
    before = last_two["pageInfo"]["startCursor"]
    prior = await client.execute(MY_CONTRACTS, {"last": 2, "before": before})
    assert _numbers(prior) == newest_first[1:3]


@pytest.mark.parametrize("variables", [{"first": 101}, {"first": -1}, {"first": 1, "last": 1}, {"after": "bm90LWpzb24"}])
async def test_bad_page_arguments_are_clear_errors(client, services, variables):
    await _customer_with_login(services, "alice")
    await client.login("alice", factories.TEST_PASSWORD)
    body = (await client.post(MY_CONTRACTS, variables)).json()
    assert body["errors"][0]["extensions"]["code"] == "INVALID"


async def test_ledger_transactions_newest_first(client, services):
    _, (contract,) = await _customer_with_login(services, "alice")
    posted = datetime(2025, 3, 1, 14, tzinfo=timezone.utc)
    await factories.payment(contract, date(2025, 2, 1), "116.07", "50.00", posted)
    await factories.payment(contract, date(2025, 3, 1), "117.23", "48.84", posted)
    await client.login("alice", factories.TEST_PASSWORD)
    data = await client.execute("""{ viewer { customer { contracts(first: 1) { edges { node {
        transactions(first: 5) { totalCount edges { node { kind effectiveDate amount { amount }
                                   principal { amount } interest { amount } } } } } } } } } }""")
    transactions = data["viewer"]["customer"]["contracts"]["edges"][0]["node"]["transactions"]
    assert transactions["totalCount"] == 2
    assert [e["node"]["effectiveDate"] for e in transactions["edges"]] == ["2025-03-01", "2025-02-01"]
    assert transactions["edges"][1]["node"]["amount"] == {"amount": "166.07"}


async def test_sql_count_does_not_grow_with_the_number_of_contracts(client, services):
    await _customer_with_login(services, "few", contracts=2)
    await _customer_with_login(services, "many", contracts=12)
    query = "{ viewer { customer { contracts(first: 50) { edges { node { number vehicle { vin make } } } } } } }"

    async def statements(username: str) -> int:
        await client.login(username, factories.TEST_PASSWORD)
        with count_queries() as counter:
            data = await client.execute(query)
        assert data["viewer"]["customer"]["contracts"]["edges"]
        return len(counter.statements)

    few, many = await statements("few"), await statements("many")
    assert few > 0, "the counter must see the statements"
    assert few == many
