"""A customer's account as the support desk sees it, and the audit of every such view.

`view_customer` records "support.viewed_account" (actor: the staff member; subject: the customer's
login, so the customer sees "Support viewed your account" with the time in their security events;
details: the customer id, which is all a customer without a login leaves to link it to).
Identity values are masked (resolvers/support/masking.py). The login's state is read where login
keeps it: the 24-hour lock in the attempt counter of the user ID (auth/attempts.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Q

from auth import attempts, audit
from auth.audit import Origin
from models import Contract, Customer, User
from resolvers.identity.account import login_failure_key
from resolvers.support.subjects import login_of
from service.container import Services

MAX_CONTRACTS = 50  # a customer's contracts: far fewer in practice


@dataclass(frozen=True)
class CustomerView:
    customer: Customer
    login: User | None
    locked_until: datetime | None
    contracts: list[Contract]


async def login_locked_until(services: Services, user: User) -> datetime | None:
    return await attempts.locked_until(login_failure_key(user), clock=services.clock)


async def view_customer(services: Services, *, staff: User, origin: Origin, customer_id: int | None,
                        purpose: str = "customer_view") -> CustomerView | None:
    """The view, audited; None (and no audit) for an id that is not a customer."""
    customer = await Customer.get_or_none(id=customer_id) if customer_id is not None else None
    if customer is None:
        return None
    login = await login_of(customer.id)
    locked_until = await login_locked_until(services, login) if login is not None else None
    contracts = await Contract.filter(Q(customer_id=customer.id) | Q(co_customer_id=customer.id)).order_by(
        "-contract_date", "-id").limit(MAX_CONTRACTS)
    await audit.record("support.viewed_account", clock=services.clock, origin=origin, actor=staff, subject=login,
                       details={"customer_id": customer.id, "via": purpose})
    return CustomerView(customer=customer, login=login, locked_until=locked_until, contracts=contracts)
