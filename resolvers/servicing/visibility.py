"""Which rows a caller may see. Every path to servicing data (viewer, node, connections) starts
from these querysets, so ownership is checked where data is loaded, not in the client's path.
A row outside them answers exactly like a row that does not exist.

Staff roles see nothing here yet: support and analytics access arrives with their own audited
entry points.
"""

from __future__ import annotations

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from models import Contract, Customer, CustomerOnboarding, LedgerEntry, User, Vehicle
from models.enums import DEALER_ROLES, Role


def contracts_visible_to(user: User | None) -> QuerySet[Contract]:
    if user is None or not user.is_active:
        return Contract.filter(id__in=[])
    if user.role == Role.CUSTOMER:
        return Contract.filter(Q(customer_id=user.customer_id) | Q(co_customer_id=user.customer_id))
    if user.role in DEALER_ROLES:
        return Contract.filter(dealership_id=user.dealership_id)
    return Contract.filter(id__in=[])


def contract_visible(user: User | None, contract: Contract) -> bool:
    """`contracts_visible_to` for a contract already loaded (the same rule, row by row)."""
    if user is None or not user.is_active:
        return False
    if user.role == Role.CUSTOMER:
        return user.customer_id is not None and user.customer_id in (contract.customer_id, contract.co_customer_id)
    if user.role in DEALER_ROLES:
        return contract.dealership_id == user.dealership_id
    return False


def customers_visible_to(user: User | None) -> QuerySet[Customer]:
    if user is None or not user.is_active:
        return Customer.filter(id__in=[])
    if user.role == Role.CUSTOMER:
        return Customer.filter(id=user.customer_id)
    if user.role in DEALER_ROLES:
        # Customers on the dealership's contracts, and those it onboarded (resolvers/origination/customers.py).
        on_contracts = Contract.filter(dealership_id=user.dealership_id).values("customer_id")
        onboarded = CustomerOnboarding.filter(dealership_id=user.dealership_id).values("customer_id")
        return Customer.filter(Q(id__in=Subquery(on_contracts)) | Q(id__in=Subquery(onboarded)))
    return Customer.filter(id__in=[])


def vehicles_visible_to(user: User | None) -> QuerySet[Vehicle]:
    return Vehicle.filter(id__in=Subquery(contracts_visible_to(user).values("vehicle_id")))


def ledger_visible_to(user: User | None) -> QuerySet[LedgerEntry]:
    return LedgerEntry.filter(contract_id__in=Subquery(contracts_visible_to(user).values("id")))
