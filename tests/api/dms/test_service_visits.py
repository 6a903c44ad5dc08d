"""dmsPushServiceVisit through GraphQL: a repair order becomes a service visit recorded by the
credential's dealership through the service rules (resolvers/service/visits.py); a resend with the
same repairOrderId records nothing and answers with the same visit; other content under the same id
is a CONFLICT; a refused push stores nothing; two concurrent pushes record one visit (PostgreSQL)."""

from __future__ import annotations

import asyncio

import pytest

from models import AuditEvent, DmsReference, OdometerReading, ServiceOperation, ServiceVisit
from models.enums import DmsObjectKind, Role
from tests import factories
from tests.api.dms.builders import ERRORS, admin, as_dms, create_key, error_codes

VIN = "1HGCM82633A004352"  # a valid check digit
PUSH = f"""mutation($input: DmsPushServiceVisitInput!) {{ dmsPushServiceVisit(input: $input) {{
  serviceVisit {{ id vin visitDate odometer }} created {ERRORS} }} }}"""


def visit_variables(repair_order_id: str, **overrides) -> dict:
    return {"input": {"repairOrderId": repair_order_id, "vin": VIN, "visitDate": "2026-10-20", "odometer": 15200,
                      "operations": [{"code": "OC100", "description": "Oil and filter change"},
                                     {"code": "TR200", "description": "Tire rotation"}],
                      "partsTotal": "64.20", "labourTotal": "89.00", **overrides}}


async def push(client, key, variables: dict) -> dict:
    body = await as_dms(client, key, PUSH, variables)
    assert "errors" not in body, body
    return body["data"]["dmsPushServiceVisit"]


async def financed_vehicle(services):
    """A vehicle on an active loan of a customer with a login (the visit is audited for them)."""
    customer = await factories.customer(services)
    await factories.user(services, "owner", Role.CUSTOMER, customer=customer)
    vehicle = await factories.vehicle(vin=VIN)
    await factories.loan(customer, await factories.dealership(), vehicle=vehicle)
    return vehicle


async def test_a_repair_order_becomes_a_service_visit(client, services):
    await financed_vehicle(services)
    user = await admin(client, services)
    key = await create_key(client, scopes=["SERVICE_WRITE"])

    done = await push(client, key, visit_variables("RO-5001"))
    assert done["errors"] == [] and done["created"] is True
    assert {k: done["serviceVisit"][k] for k in ("vin", "visitDate", "odometer")} == {
        "vin": VIN, "visitDate": "2026-10-20", "odometer": 15200}
    visit = await ServiceVisit.get()
    assert visit.dealership_id == user.dealership_id and visit.recorded_by_id is None
    assert visit.recorded_by_credential_id is not None and str(visit.parts_total) == "64.20"
    assert await ServiceOperation.filter(visit_id=visit.id).count() == 2
    assert await OdometerReading.filter(miles=15200).count() == 1
    reference = await DmsReference.get()
    assert (reference.kind, reference.external_id, reference.object_id) == (
        DmsObjectKind.REPAIR_ORDER, "RO-5001", visit.id)
    assert await AuditEvent.filter(action="service.visit_recorded").count() == 1
    assert await AuditEvent.filter(action="dms.repair_order_pushed").count() == 1


async def test_a_resend_records_nothing_and_returns_the_same_visit(client, services):
    await financed_vehicle(services)
    await admin(client, services)
    key = await create_key(client)
    first = await push(client, key, visit_variables("RO-1"))
    events = await AuditEvent.all().count()

    again = await push(client, key, visit_variables("RO-1", vin=VIN.lower(), partsTotal="64.2"))
    assert again["errors"] == [] and again["created"] is False
    assert again["serviceVisit"] == first["serviceVisit"]
    assert await ServiceVisit.all().count() == 1 and await ServiceOperation.all().count() == 2
    assert await OdometerReading.all().count() == 1 and await AuditEvent.all().count() == events

    changed = await push(client, key, visit_variables("RO-1", odometer=15300))
    assert [(e["code"], e["field"]) for e in changed["errors"]] == [("CONFLICT", ["repairOrderId"])]
    assert changed["serviceVisit"] is None and await ServiceVisit.all().count() == 1


async def test_a_refused_repair_order_stores_nothing(client, services):
    await financed_vehicle(services)
    await admin(client, services)
    key = await create_key(client)
    unknown = await push(client, key, visit_variables("RO-1", vin="1M8GDM9AXKP042788"))
    assert [(e["code"], e["field"]) for e in unknown["errors"]] == [("NOT_FOUND", ["vin"])]
    future = await push(client, key, visit_variables("RO-1", visitDate="2026-12-01"))
    assert ["INVALID"] == [e["code"] for e in future["errors"]]
    empty = await push(client, key, visit_variables("RO-1", operations=[]))
    assert [e["field"] for e in empty["errors"]] == [["operations"]]
    assert await ServiceVisit.all().count() == 0 and await DmsReference.all().count() == 0
    assert await OdometerReading.all().count() == 0

    fixed = await push(client, key, visit_variables("RO-1"))
    assert fixed["errors"] == [] and fixed["created"] is True


async def test_a_credential_without_service_write_is_refused(client, services):
    await financed_vehicle(services)
    await admin(client, services)
    key = await create_key(client, scopes=["DEALS_WRITE"])
    body = await as_dms(client, key, PUSH, visit_variables("RO-1"))
    assert error_codes(body) == {"FORBIDDEN"} and await ServiceVisit.all().count() == 0


@pytest.mark.postgres_only
async def test_two_concurrent_pushes_record_one_visit(client, services):
    await financed_vehicle(services)
    await admin(client, services)
    key = await create_key(client)
    results = await asyncio.gather(*(push(client, key, visit_variables("RO-RACE")) for _ in range(3)))
    assert all(r["errors"] == [] for r in results), results
    assert sorted(r["created"] for r in results) == [False, False, True]
    assert len({r["serviceVisit"]["id"] for r in results}) == 1
    assert await ServiceVisit.all().count() == 1 and await OdometerReading.all().count() == 1
