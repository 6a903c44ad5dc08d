"""Payment history: the transactions connection filtered by date range and kind, in both orders,
with keyset pagination in both directions."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from models.enums import LedgerEntryKind
from tests import factories
from tests.api.servicing import builders

HISTORY = """query($first: Int, $after: String, $last: Int, $before: String, $filter: TransactionFilter,
                 $orderBy: TransactionOrder) {
  viewer { customer { contracts(first: 1) { edges { node {
    transactions(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $orderBy) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { node { id kind effectiveDate amount { amount } fees { amount } } }
    } } } } } }
}"""


async def _history(services):
    """A loan with 6 monthly payments, a late fee, an NSF reversal and its returned-payment fee."""
    owner, dealer = await builders.customer_with_login(services, "alice")
    contract = await builders.loan(owner, dealer)
    rows = []
    for month in range(6):
        rows.append(await builders.pay_loan(contract, date(2026, 2, 15) + timedelta(days=31 * month), "166.07"))
    rows.append(await builders.entry(contract, LedgerEntryKind.LATE_FEE, date(2026, 8, 27), fees="25.00",
                                     key=f"late-fee:{contract.id}:7"))
    returned = rows[-2]
    rows.append(await builders.entry(contract, LedgerEntryKind.PAYMENT_REVERSAL, returned.effective_date,
                                     principal=returned.principal, interest=returned.interest, reverses=returned))
    rows.append(await builders.entry(contract, LedgerEntryKind.RETURNED_PAYMENT_FEE, returned.effective_date,
                                     fees="25.00"))
    return contract, rows


def _page(data):
    return data["viewer"]["customer"]["contracts"]["edges"][0]["node"]["transactions"]


def _key(row):
    return (row.effective_date, row.id)


async def _walk(client, variables, *, backwards=False, size=3):
    seen, cursor = [], None
    while True:
        page_vars = dict(variables, **({"last": size, "before": cursor} if backwards else {"first": size,
                                                                                          "after": cursor}))
        page = _page(await client.execute(HISTORY, page_vars))
        ids = [edge["node"]["id"] for edge in page["edges"]]
        seen = ids + seen if backwards else seen + ids
        more = page["pageInfo"]["hasPreviousPage"] if backwards else page["pageInfo"]["hasNextPage"]
        if not more:
            return seen, page
        cursor = page["pageInfo"]["startCursor"] if backwards else page["pageInfo"]["endCursor"]


async def test_default_is_newest_first_and_pages_cover_everything_once(client, services):
    _, rows = await _history(services)
    await client.login("alice", factories.TEST_PASSWORD)
    expected = [builders.gid("LedgerTransaction", r.id) for r in sorted(rows, key=_key, reverse=True)]
    forward, _ = await _walk(client, {})
    assert forward == expected
    backward, _ = await _walk(client, {}, backwards=True)
    assert backward == expected
    everything = _page(await client.execute(HISTORY, {"first": 100}))
    assert everything["totalCount"] == len(rows)


async def test_ascending_order_pages_both_ways(client, services):
    _, rows = await _history(services)
    await client.login("alice", factories.TEST_PASSWORD)
    expected = [builders.gid("LedgerTransaction", r.id) for r in sorted(rows, key=_key)]
    order = {"orderBy": {"field": "EFFECTIVE_DATE", "direction": "ASC"}}
    forward, _ = await _walk(client, order, size=4)
    assert forward == expected
    backward, _ = await _walk(client, order, backwards=True, size=4)
    assert backward == expected


async def test_filter_by_kind_and_date_range(client, services):
    _, rows = await _history(services)
    await client.login("alice", factories.TEST_PASSWORD)
    fees = {"filter": {"kinds": ["LATE_FEE", "RETURNED_PAYMENT_FEE"]}, "first": 50}
    page = _page(await client.execute(HISTORY, fees))
    assert sorted(e["node"]["kind"] for e in page["edges"]) == ["LATE_FEE", "RETURNED_PAYMENT_FEE"]
    assert page["totalCount"] == 2

    window = {"filter": {"from": "2026-03-01", "to": "2026-05-31"}, "first": 50,
              "orderBy": {"field": "EFFECTIVE_DATE", "direction": "ASC"}}
    page = _page(await client.execute(HISTORY, window))
    expected = [r for r in sorted(rows, key=_key) if date(2026, 3, 1) <= r.effective_date <= date(2026, 5, 31)]
    assert [e["node"]["effectiveDate"] for e in page["edges"]] == [r.effective_date.isoformat() for r in expected]
    assert page["totalCount"] == len(expected) == 3

    # Filter and pagination together: payments only, two at a time, oldest first.
    payments = {"filter": {"kinds": ["PAYMENT"]}, "orderBy": {"direction": "ASC"}}
    walked, _ = await _walk(client, payments, size=2)
    assert walked == [builders.gid("LedgerTransaction", r.id) for r in sorted(rows, key=_key)
                      if r.kind == LedgerEntryKind.PAYMENT]


@pytest.mark.parametrize("variables", [
    {"filter": {"from": "2026-06-01", "to": "2026-05-01"}},
    {"first": 101},
])
async def test_bad_history_arguments_are_invalid(client, services, variables):
    await _history(services)
    await client.login("alice", factories.TEST_PASSWORD)
    body = (await client.post(HISTORY, variables)).json()
    assert body["errors"][0]["extensions"]["code"] == "INVALID"


async def test_another_customer_cannot_read_the_history(client, services):
    contract, rows = await _history(services)
    await builders.customer_with_login(services, "mallory")
    await client.login("mallory", factories.TEST_PASSWORD)
    data = await client.execute("""query($id: ID!) { node(id: $id) { ... on Contract {
        transactions(first: 50) { edges { node { id } } } } } }""", {"id": builders.gid("Contract", contract.id)})
    assert data["node"] is None
    for row in rows[:3]:
        data = await client.execute("query($id: ID!) { node(id: $id) { id } }",
                                    {"id": builders.gid("LedgerTransaction", row.id)})
        assert data["node"] is None
