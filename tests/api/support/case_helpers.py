"""Helpers for the support case tests: staff sessions, customers with contracts, and the GraphQL text."""

from __future__ import annotations

from datetime import date

from auth.sessions import start_session
from models import Contract, Customer, User
from models.enums import Role, SessionKind
from tests import factories
from tests.api.servicing import builders

ERRORS = "errors { code message field }"
CASE = """id category status subject createdAt updatedAt resolvedAt openedBySystem noteCount
  customer { id displayName hasLogin } contract { id number kind status } assignee { username isYou }
  planChangeRequest { id kind status } verification { verified expiresAt }"""
OPEN_CASE = f"""mutation($input: OpenCaseInput!) {{ openCase(input: $input) {{ case {{ {CASE} }} {ERRORS} }} }}"""
ADD_NOTE = f"""mutation($input: AddCaseNoteInput!) {{ addCaseNote(input: $input) {{
  case {{ id status noteCount }} note {{ id body author {{ username isYou }} }} {ERRORS} }} }}"""
ASSIGN = f"""mutation($input: AssignCaseInput!) {{ assignCase(input: $input) {{
  case {{ id assignee {{ username isYou }} }} {ERRORS} }} }}"""
SET_STATUS = f"""mutation($input: SetCaseStatusInput!) {{ setCaseStatus(input: $input) {{
  case {{ id status resolvedAt noteCount }} {ERRORS} }} }}"""
QUEUE = f"""query($filter: CaseFilter, $first: Int, $after: String) {{ support {{
  cases(filter: $filter, first: $first, after: $after) {{ totalCount pageInfo {{ hasNextPage endCursor }}
    edges {{ node {{ {CASE} }} }} }} }} }}"""
ONE_CASE = """query($id: ID!) { support { case(id: $id) { id subject status
  notes { totalCount edges { node { body author { username } } } } } } }"""


def gid(type_name: str, row_id: int) -> str:
    return builders.gid(type_name, row_id)


async def staff_token(services, username: str, role: Role = Role.SUPPORT) -> tuple[User, str]:
    """A support (or other staff) user with a bearer session, as the desk would have after MFA."""
    user = await factories.user(services, username, role)
    issued = await start_session(user, kind=SessionKind.BEARER, clock=services.clock, settings=services.settings,
                                 ip="127.0.0.1", user_agent="test")
    return user, issued.token


async def token_for(services, user: User) -> str:
    issued = await start_session(user, kind=SessionKind.BEARER, clock=services.clock, settings=services.settings,
                                 ip="127.0.0.1", user_agent="test")
    return issued.token


async def customer_and_loan(services, username: str | None = "alice",
                            contract_date: date = date(2026, 10, 15)) -> tuple[Customer, Contract]:
    """A customer (with a login named `username`, or none) and a loan of theirs."""
    dealer = await factories.dealership()
    owner = await factories.customer(services)
    if username is not None:
        await factories.user(services, username, Role.CUSTOMER, customer=owner)
    first = date(contract_date.year + (contract_date.month == 12), contract_date.month % 12 + 1, 15)
    contract = await builders.loan(owner, dealer, contract_date=contract_date, first_payment_date=first)
    return owner, contract


def open_input(customer: Customer, contract: Contract | None = None, *, key: str = "k-1", category: str = "OTHER",
               subject: str = "Asks about the payoff letter", **extra) -> dict:
    value = {"customerId": gid("Customer", customer.id), "category": category, "subject": subject,
             "idempotencyKey": key, **extra}
    if contract is not None:
        value["contractId"] = gid("Contract", contract.id)
    return {"input": value}


def codes(payload: dict) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


async def as_token(client, token: str) -> None:
    client.token = token
