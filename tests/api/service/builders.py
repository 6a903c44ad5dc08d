"""Builders for the service-history tests: vehicles with valid VINs on a customer's lease, signed-in
dealer users, and the recordServiceVisit call."""

from __future__ import annotations

import itertools
from datetime import date

from finance.vin import vin_check_digit
from models import Contract, Dealership, User, Vehicle
from models.enums import Role
from tests import factories
from tests.api.origination.desk import sign_in
from tests.api.servicing import builders

_seq = itertools.count(1)
ERRORS = "errors { code message field }"
VISIT_FIELDS = """id vin visitDate odometer partsTotal { amount } labourTotal { amount } total { amount } servicedBy
  paidByCoverageId source recordedAt operations { code description maintenanceItem }"""
RECORD = f"""mutation($input: RecordServiceVisitInput!) {{ recordServiceVisit(input: $input) {{
  visit {{ {VISIT_FIELDS} }} {ERRORS} }} }}"""
HISTORY = f"""query($id: ID!) {{ node(id: $id) {{ ... on Vehicle {{ vin
  serviceHistory(first: 20) {{ totalCount edges {{ node {{ {VISIT_FIELDS} }} }} }} }} }} }}"""
DESK = f"""query($vin: String) {{ dealer {{ serviceVisits(vin: $vin, first: 20) {{ totalCount
  edges {{ node {{ {VISIT_FIELDS} }} }} }} }} }}"""
DUE = """query($id: ID!) { node(id: $id) { ... on Vehicle { maintenanceDue { asOf odometer inServiceOn
  items { item description intervalMiles intervalMonths lastPerformedOn lastPerformedOdometer dueOn dueOdometer
          status } } } } }"""


def valid_vin(prefix: str = "2T3P1RFV") -> str:
    """A 17-character VIN with a correct check digit, new each call."""
    raw = f"{prefix}0RW{next(_seq):06d}"
    return raw[:8] + vin_check_digit(raw) + raw[9:]


def wrong_check_digit(vin: str) -> str:
    wrong = "1" if vin[8] != "1" else "2"
    return vin[:8] + wrong + vin[9:]


async def customer_lease(services, username: str = "alice", *, make: str = "Toyota", model: str = "RAV4",
                         contract_date: date = date(2026, 1, 15), odometer: int = 12) -> tuple[Contract, Vehicle]:
    """A lease (finance-notes worked example 2) of a Toyota RAV4 with a valid VIN for a new customer login."""
    owner, dealer = await builders.customer_with_login(services, username)
    contract = await builders.lease(owner, dealer, contract_date=contract_date, odometer=odometer)
    await Vehicle.filter(id=contract.vehicle_id).update(vin=valid_vin(), make=make, model=model)
    return contract, await Vehicle.get(id=contract.vehicle_id)


async def dealer_user(services, username: str, dealership: Dealership | None = None,
                      role: Role = Role.DEALER_USER) -> User:
    dealership = dealership or await factories.dealership(name=f"Service Center {username}")
    return await factories.user(services, username, role, dealership=dealership)


async def as_user(client, services, username: str) -> None:
    await sign_in(client, services, await User.get(username=username))


def operation(code: str, item: str | None = None, description: str | None = None) -> dict:
    return {"code": code, "description": description or f"Operation {code}", "maintenanceItem": item}


def visit_input(vin: str, visit_date: str, odometer: int, operations: list[dict] | None = None, **extra) -> dict:
    return {"vin": vin, "visitDate": visit_date, "odometer": odometer,
            "operations": operations if operations is not None else [operation("LOF1", "OIL_CHANGE")], **extra}


async def record(client, vin: str, visit_date: str, odometer: int, operations: list[dict] | None = None,
                 **extra) -> dict:
    variables = {"input": visit_input(vin, visit_date, odometer, operations, **extra)}
    return (await client.execute(RECORD, variables))["recordServiceVisit"]


def codes(payload: dict) -> list[tuple[str, list[str] | None]]:
    return [(error["code"], error["field"]) for error in payload["errors"]]
