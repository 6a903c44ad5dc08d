"""The row-by-row visibility rule (`contract_visible`, used where a customer's contracts are loaded
whole and paged in memory) must say exactly what the queryset rule (`contracts_visible_to`) selects,
for every role: a new rule for a role in one place and not the other fails here."""

from __future__ import annotations

from models import Contract
from models.enums import Role
from resolvers.servicing.customer_contracts import contracts_of_customers
from resolvers.servicing.visibility import contract_visible, contracts_visible_to
from tests import factories


async def test_the_row_rule_and_the_query_rule_agree_for_every_role(services):
    dealer, other_dealer = await factories.dealership(), await factories.dealership()
    ann, bob = await factories.customer(services), await factories.customer(services, ssn="987654321")
    await factories.loan(ann, dealer)
    await factories.loan(bob, other_dealer, co_customer=ann)
    await factories.loan(bob, dealer)
    contracts = await Contract.all()
    users = [await factories.user(services, f"{role.value.lower()}-user", role,
                                  customer=ann if role == Role.CUSTOMER else None,
                                  dealership=dealer if role in (Role.DEALER_USER, Role.DEALER_ADMIN) else None)
             for role in Role]
    users.append(None)
    for user in users:
        by_query = {contract.id for contract in await contracts_visible_to(user)}
        by_row = {contract.id for contract in contracts if contract_visible(user, contract)}
        assert by_row == by_query, user and user.role


async def test_a_customers_contracts_include_the_ones_they_co_signed(services):
    dealer = await factories.dealership()
    ann, bob = await factories.customer(services), await factories.customer(services, ssn="987654321")
    own = await factories.loan(ann, dealer)
    shared = await factories.loan(bob, dealer, co_customer=ann)
    found = await contracts_of_customers([ann.id, bob.id, 999_999])
    assert {c.id for c in found[ann.id]} == {own.id, shared.id}
    assert {c.id for c in found[bob.id]} == {shared.id}
    assert found[999_999] == []
