"""Helpers for the support desk's API tests (other support test modules may import them): staff
signed in as SUPPORT or SUPPORT_LEAD, a customer with or without a login, and a case row."""

from __future__ import annotations

import base64

from auth.sessions import start_session
from models import Contract, Customer, SupportCase, User
from models.enums import CaseCategory, CaseStatus, Role, SessionKind
from tests import factories

CASE_TYPE_NAME = "Case"


def gid(type_name: str, row_id: int) -> str:
    return base64.b64encode(f"{type_name}:{row_id}".encode()).decode()


def case_gid(case: SupportCase) -> str:
    return gid(CASE_TYPE_NAME, case.id)


def customer_gid(customer: Customer) -> str:
    return gid("Customer", customer.id)


async def staff_user(services, username: str = "sam", role: Role = Role.SUPPORT) -> User:
    """A support user (SUPPORT by default, or SUPPORT_LEAD), created once per username."""
    existing = await User.get_or_none(username=username)
    return existing or await factories.user(services, username, role)


async def sign_in_staff(client, services, username: str = "sam", role: Role = Role.SUPPORT) -> User:
    """Sign `client` in as a support user with a full bearer session (MFA is taken as done)."""
    user = await staff_user(services, username, role)
    issued = await start_session(user, kind=SessionKind.BEARER, clock=services.clock, settings=services.settings,
                                 ip="127.0.0.1", user_agent="desk-test")
    client.token = issued.token
    return user


async def sign_in_lead(client, services, username: str = "lena") -> User:
    return await sign_in_staff(client, services, username, Role.SUPPORT_LEAD)


async def customer_with_login(services, username: str = "alice", **fields) -> tuple[Customer, User]:
    customer = await factories.customer(services, **fields)
    user = await factories.user(services, username, Role.CUSTOMER, customer=customer)
    return customer, user


async def make_case(services, customer: Customer, *, contract: Contract | None = None, staff: User | None = None,
                    category: CaseCategory = CaseCategory.ACCOUNT_ACCESS, subject: str = "Cannot sign in",
                    status: CaseStatus = CaseStatus.OPEN) -> SupportCase:
    """A case row for `customer` (straight into the table, as openCase would leave it)."""
    now = services.clock.now()
    return await SupportCase.create(customer=customer, contract=contract, category=category, subject=subject,
                                    status=status, assigned_to=staff, opened_by=staff, created_at=now, updated_at=now,
                                    resolved_at=now if status == CaseStatus.RESOLVED else None)
