"""Whose security events a support action belongs to: the customer's login, when there is one.

Audit events about a customer are recorded with the customer's user as subject, so the customer
sees them in `viewer.securityEvents`. A customer with no login has no user: the event's subject is
null and its details carry `customer_id`."""

from __future__ import annotations

from models import User


async def login_of(customer_id: int, using_db=None) -> User | None:
    query = User.filter(customer_id=customer_id)
    return await (query.using_db(using_db) if using_db is not None else query).first()
