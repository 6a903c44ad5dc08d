"""Who can reach a document: only the customers on its contract, through the API or a signed link
that is short-lived, bound to one user and re-checked on use. Every refusal is a plain 404."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from models import Contract, User
from models.enums import Role
from resolvers.servicing import documents as rules
from resolvers.servicing.documents import generate_statement
from tests import factories
from tests.api.documents import helpers

OCTOBER = (date(2026, 10, 1), date(2026, 10, 31))
MY_DOCUMENTS = """{ viewer { customer { contracts(first: 10) { edges { node { number
  documents(first: 10) { totalCount edges { node { id title downloadUrl } } } } } } } } }"""
NODE = "query($id: ID!) { node(id: $id) { id ... on Document { title downloadUrl } } }"


async def _two_customers(services):
    """alice has a loan with an October statement; bob has his own."""
    alice, alice_user = await helpers.customer(services, "alice")
    bob, bob_user = await helpers.customer(services, "bob")
    dealer = await factories.dealership()
    alice_loan = await helpers.loan(alice, dealer)
    bob_loan = await helpers.loan(bob, dealer)
    for contract in (alice_loan, bob_loan):
        await helpers.monthly_loan_payments(contract, through=date(2026, 10, 31))
    alice_doc = await generate_statement(services, alice_loan, *OCTOBER)
    bob_doc = await generate_statement(services, bob_loan, *OCTOBER)
    return alice_user, alice_doc, bob_user, bob_doc


async def _my_document(client) -> dict:
    data = await client.execute(MY_DOCUMENTS)
    (contract,) = data["viewer"]["customer"]["contracts"]["edges"]
    return contract["node"]["documents"]["edges"][0]["node"]


def _with(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    return parts.path + "?" + urlencode({**query, **changes})


async def test_download_url_is_signed_for_the_viewer_and_short_lived(client, services):
    alice_user, alice_doc, *_ = await _two_customers(services)
    await client.login("alice", factories.TEST_PASSWORD)
    url = (await _my_document(client))["downloadUrl"]
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert parts.path == f"/documents/{alice_doc.id}"
    assert query["user"] == [str(alice_user.id)]
    assert int(query["expires"][0]) == int(services.clock.now().timestamp()) + 300
    assert len(query["signature"][0]) == 64
    # No session travels with the link: a plain GET from anyone holding it works while it is valid.
    client.token = None
    response = await client.http.get(url)
    assert response.status_code == 200 and response.content == bytes(alice_doc.content)


async def test_link_expires_after_five_minutes(client, services, clock):
    await _two_customers(services)
    await client.login("alice", factories.TEST_PASSWORD)
    url = (await _my_document(client))["downloadUrl"]
    clock.advance(timedelta(minutes=4, seconds=59))
    assert (await client.http.get(url)).status_code == 200
    clock.advance(timedelta(minutes=1, seconds=2))  # 6 minutes after it was issued
    expired = await client.http.get(url)
    assert expired.status_code == 404
    assert expired.headers["content-type"].startswith("text/plain") and b"%PDF" not in expired.content


@pytest.mark.parametrize("tamper", ["signature", "expires", "user", "document", "missing", "garbage"])
async def test_tampered_links_are_not_found(client, services, tamper):
    alice_user, alice_doc, _, bob_doc = await _two_customers(services)
    await client.login("bob", factories.TEST_PASSWORD)
    url = (await _my_document(client))["downloadUrl"]
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    if tamper == "signature":
        signature = query["signature"]
        flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
        url = _with(url, signature=flipped)
    elif tamper == "expires":
        url = _with(url, expires=str(int(query["expires"]) + 60))
    elif tamper == "user":
        url = _with(url, user=str(alice_user.id))
    elif tamper == "document":  # bob's valid signature, alice's document
        url = url.replace(f"/documents/{bob_doc.id}?", f"/documents/{alice_doc.id}?")
    elif tamper == "missing":
        url = f"/documents/{alice_doc.id}"
    else:
        url = f"/documents/{alice_doc.id}?expires=x&user=%00&signature=" + "é" * 64
    client.token = None
    response = await client.http.get(url)
    assert response.status_code == 404
    assert b"%PDF" not in response.content


async def test_a_link_signed_for_another_customer_is_not_found(client, services):
    """A genuine signature for bob on alice's document: bob is not on her contract."""
    _, alice_doc, bob_user, _ = await _two_customers(services)
    forged_for_bob = rules.signed_download_path(services, alice_doc.id, bob_user.id)
    assert (await client.http.get(forged_for_bob)).status_code == 404
    for_alice_own = rules.signed_download_path(services, alice_doc.id, (await User.get(username="alice")).id)
    assert (await client.http.get(for_alice_own)).status_code == 200


async def test_link_stops_working_when_the_user_is_no_longer_on_the_contract(client, services):
    owner, _ = await helpers.customer(services, "alice")
    co_owner, _ = await helpers.customer(services, "carl")
    contract = await helpers.loan(owner, co_customer=co_owner)
    document = await generate_statement(services, contract, *OCTOBER)
    await client.login("carl", factories.TEST_PASSWORD)
    url = (await _my_document(client))["downloadUrl"]
    assert (await client.http.get(url)).status_code == 200
    await Contract.filter(id=contract.id).update(co_customer_id=None)
    assert (await client.http.get(url)).status_code == 404
    # And a deactivated login loses the links it was given.
    alice_url = rules.signed_download_path(services, document.id, (await User.get(username="alice")).id)
    assert (await client.http.get(alice_url)).status_code == 200
    await User.filter(username="alice").update(is_active=False)
    assert (await client.http.get(alice_url)).status_code == 404


async def test_another_customers_document_is_null_through_the_api(client, services):
    _, alice_doc, _, bob_doc = await _two_customers(services)
    await client.login("alice", factories.TEST_PASSWORD)
    own = await _my_document(client)
    assert own["id"] == helpers.gid("Document", alice_doc.id)
    assert (await client.execute(NODE, {"id": own["id"]}))["node"]["title"] == "Statement for October 2026"

    bobs = helpers.gid("Document", bob_doc.id)
    assert (await client.execute(NODE, {"id": bobs}))["node"] is None
    nodes = await client.execute("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [bobs, own["id"]]})
    assert nodes["nodes"] == [None, {"id": own["id"]}]


async def test_dealers_see_the_contract_but_not_its_documents(client, services):
    owner, _ = await helpers.customer(services)
    dealer = await factories.dealership()
    contract = await helpers.loan(owner, dealer)
    document = await generate_statement(services, contract, *OCTOBER)
    dealer_user = await factories.user(services, "dee", Role.DEALER_USER, dealership=dealer)
    from auth.sessions import start_session
    from models.enums import SessionKind

    client.token = (await start_session(dealer_user, kind=SessionKind.BEARER, clock=services.clock,
                                        settings=services.settings, ip="127.0.0.1", user_agent="test")).token
    data = await client.execute(
        "query($id: ID!) { node(id: $id) { ... on Contract { number"
        " documents { totalCount edges { node { id } } } } } }",
        {"id": helpers.gid("Contract", contract.id)},
    )
    assert data["node"]["number"] == contract.number
    assert data["node"]["documents"] == {"totalCount": 0, "edges": []}
    assert (await client.execute(NODE, {"id": helpers.gid("Document", document.id)}))["node"] is None
    dealer_link = rules.signed_download_path(services, document.id, dealer_user.id)
    assert (await client.http.get(dealer_link)).status_code == 404


async def test_documents_connection_pages_and_filters_by_kind(client, services):
    owner, _ = await helpers.customer(services, "alice")
    contract = await helpers.loan(owner, contract_date=date(2025, 6, 2), first_payment_date=date(2025, 7, 2))
    from finance.loan import add_months
    from resolvers.servicing.documents import ensure_tax_document

    start = date(2025, 6, 1)
    while start < date(2026, 11, 1):
        await generate_statement(services, contract, start, add_months(start, 1) - timedelta(days=1))
        start = add_months(start, 1)
    await ensure_tax_document(services, contract, 2025)
    await client.login("alice", factories.TEST_PASSWORD)
    query = """query($kind: DocumentKind, $first: Int, $after: String) {
      viewer { customer { contracts(first: 1) { edges { node {
        documents(kind: $kind, first: $first, after: $after) { totalCount
        pageInfo { hasNextPage endCursor } edges { node { kind periodStart } } } } } } } } }"""

    def connection(data):
        return data["viewer"]["customer"]["contracts"]["edges"][0]["node"]["documents"]

    tax = connection(await client.execute(query, {"kind": "TAX_INTEREST_STATEMENT"}))
    assert tax["totalCount"] == 1 and tax["edges"][0]["node"]["periodStart"] == "2025-01-01"
    seen, after = [], None
    while True:
        page = connection(await client.execute(query, {"kind": "STATEMENT", "first": 5, "after": after}))
        assert page["totalCount"] == 17
        seen += [e["node"]["periodStart"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == sorted(seen, reverse=True) and len(seen) == 17 and seen[0] == "2026-10-01"
    everything = connection(await client.execute(query, {"first": 20}))
    assert everything["totalCount"] == 18


async def test_only_get_is_served(client, services):
    _, alice_doc, _, _ = await _two_customers(services)
    response = await client.http.post(f"/documents/{alice_doc.id}")
    assert response.status_code == 405
