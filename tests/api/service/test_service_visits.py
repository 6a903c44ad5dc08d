"""recordServiceVisit and the service history: any dealership records a visit for a known VIN; the
customer sees the visits on their own vehicle, a dealer the visits it recorded; the odometer becomes a
SERVICE reading that lease projections use; bad input changes nothing; audit with ids only."""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal

import pytest

from models import (
    AuditEvent,
    Contract,
    Coverage,
    OdometerReading,
    ServiceOperation,
    ServiceVisit,
    User,
    Vehicle,
)
from models.enums import ContractStatus, CoverageKind, OdometerSource, Role
from tests import factories
from tests.api.service.builders import (
    DESK,
    HISTORY,
    RECORD,
    as_user,
    codes,
    customer_lease,
    dealer_user,
    operation,
    record,
    valid_vin,
    visit_input,
    wrong_check_digit,
)
from tests.api.servicing import builders
from tests.conftest import count_queries

PROJECTION = """query($id: ID!) { node(id: $id) { ... on Contract { leaseDetails { mileage {
  readings { readOn miles source } projection { milesDriven projectedMilesAtMaturity lastReadingDate } } } } } }"""
EVENTS = "{ viewer { securityEvents(first: 50) { edges { node { action description byStaff } } } } }"


async def _setup(client, services):
    contract, vehicle = await customer_lease(services)
    await dealer_user(services, "svc")  # another dealership's service department, not the selling dealer
    await as_user(client, services, "svc")
    return contract, vehicle


async def test_any_dealer_records_a_visit_and_the_customer_sees_it(client, services):
    contract, vehicle = await _setup(client, services)
    operations = [operation("LOF", "OIL_CHANGE", "Oil and filter"), operation("ROT", "tire_rotation"),
                  operation("WIPER", None, "Replace wiper blades")]
    done = await record(client, vehicle.vin.lower(), "2026-10-01", 9012, operations, partsTotal="45.10",
                        labourTotal="80.00")
    assert done["errors"] == []
    visit = done["visit"]
    assert (visit["vin"], visit["visitDate"], visit["odometer"]) == (vehicle.vin, "2026-10-01", 9012)
    assert (visit["partsTotal"]["amount"], visit["labourTotal"]["amount"], visit["total"]["amount"]) == (
        "45.10", "80.00", "125.10")
    assert visit["servicedBy"] == "Service Center svc" and visit["source"] == "DEALER"
    assert visit["paidByCoverageId"] is None
    assert visit["operations"] == [
        {"code": "LOF", "description": "Oil and filter", "maintenanceItem": "OIL_CHANGE"},
        {"code": "ROT", "description": "Operation ROT", "maintenanceItem": "TIRE_ROTATION"},
        {"code": "WIPER", "description": "Replace wiper blades", "maintenanceItem": None}]

    # The recording dealer sees it at its desk, for any VIN; the selling dealer does not.
    desk = (await client.execute(DESK, {"vin": vehicle.vin}))["dealer"]["serviceVisits"]
    assert desk["totalCount"] == 1 and desk["edges"][0]["node"] == visit
    seller = await dealer_user(services, "seller", await contract.dealership)
    await as_user(client, services, seller.username)
    assert (await client.execute(DESK, {"vin": None}))["dealer"]["serviceVisits"]["totalCount"] == 0
    seen = (await client.execute(HISTORY, {"id": builders.gid("Vehicle", vehicle.id)}))["node"]
    assert seen["serviceHistory"]["totalCount"] == 0  # the vehicle is theirs to see, the visit is not
    assert (await client.execute("query($id: ID!) { node(id: $id) { id } }", {"id": visit["id"]}))["node"] is None

    # The customer sees it on their vehicle, and by id.
    await client.login("alice", factories.TEST_PASSWORD)
    mine = (await client.execute(HISTORY, {"id": builders.gid("Vehicle", vehicle.id)}))["node"]["serviceHistory"]
    assert mine["totalCount"] == 1 and mine["edges"][0]["node"] == visit
    by_id = await client.execute("query($id: ID!) { node(id: $id) { ... on ServiceVisit { odometer } } }",
                                 {"id": visit["id"]})
    assert by_id["node"] == {"odometer": 9012}
    events = (await client.execute(EVENTS))["viewer"]["securityEvents"]["edges"]
    assert {"action": "service.visit_recorded", "description": "A dealership recorded a service visit on your "
            "vehicle", "byStaff": True} in [edge["node"] for edge in events]


async def test_the_recording_is_audited_with_ids_only(client, services):
    _contract, vehicle = await _setup(client, services)
    done = await record(client, vehicle.vin, "2026-10-01", 9012, partsTotal="12.00")
    assert done["errors"] == []
    row = await ServiceVisit.get()
    [event] = await AuditEvent.filter(action="service.visit_recorded")
    customer_login = await User.get(username="alice")
    assert (event.actor_id, event.subject_id) == ((await User.get(username="svc")).id, customer_login.id)
    assert event.details == {"visit_id": row.id, "vehicle_id": vehicle.id, "dealership_id": row.dealership_id}
    assert vehicle.vin not in str(event.details)


async def test_the_visit_odometer_feeds_the_lease_mileage_projection(client, services):
    contract, vehicle = await _setup(client, services)
    await client.login("alice", factories.TEST_PASSWORD)
    lease_id = builders.gid("Contract", contract.id)
    before = (await client.execute(PROJECTION, {"id": lease_id}))["node"]["leaseDetails"]["mileage"]
    assert before["projection"]["milesDriven"] == 0

    await dealer_user(services, "svc2")
    await as_user(client, services, "svc2")
    assert (await record(client, vehicle.vin, "2026-10-01", 15012))["errors"] == []

    await client.login("alice", factories.TEST_PASSWORD)
    after = (await client.execute(PROJECTION, {"id": lease_id}))["node"]["leaseDetails"]["mileage"]
    assert after["readings"][-1] == {"readOn": "2026-10-01", "miles": 15012, "source": "SERVICE"}
    assert after["projection"]["milesDriven"] == 15000 and after["projection"]["lastReadingDate"] == "2026-10-01"
    assert after["projection"]["projectedMilesAtMaturity"] > before["projection"]["projectedMilesAtMaturity"]
    reading = await OdometerReading.get(contract=contract, source=OdometerSource.SERVICE)
    assert (reading.read_on, reading.miles, reading.reported_by_id) == (date(2026, 10, 1), 15012, None)


async def test_readings_go_on_active_contracts_only(client, services):
    contract, vehicle = await _setup(client, services)
    owner = await contract.customer
    old = await builders.loan(owner, await contract.dealership, vehicle=vehicle, contract_date=date(2025, 1, 15),
                              first_payment_date=date(2025, 2, 15), status=ContractStatus.PAID_OFF,
                              closed_on=date(2026, 1, 10))
    assert (await record(client, vehicle.vin, "2026-10-01", 9000))["errors"] == []
    assert await OdometerReading.filter(contract=contract, source=OdometerSource.SERVICE).count() == 1
    assert await OdometerReading.filter(contract=old).count() == 0


async def _coverage(vehicle: Vehicle, contract: Contract, services) -> Coverage:
    return await Coverage.create(contract=contract, vehicle=vehicle, dealership_id=contract.dealership_id,
                                 kind=CoverageKind.PREPAID_MAINTENANCE, provider="Toyota Care", plan_name="2 years",
                                 start_date=contract.contract_date, term_months=24, mileage_limit=25000,
                                 price=Decimal("0.00"), created_at=services.clock.now())


async def test_a_coverage_of_the_vehicle_may_pay(client, services):
    contract, vehicle = await _setup(client, services)
    coverage = await _coverage(vehicle, contract, services)
    coverage_id = builders.gid("Coverage", coverage.id)
    done = await record(client, vehicle.vin, "2026-10-01", 9000, paidByCoverageId=coverage_id)
    assert done["errors"] == [] and done["visit"]["paidByCoverageId"] == coverage_id
    assert (await ServiceVisit.get()).paid_by_coverage_id == coverage.id


def _cases():
    return [
        # (name, input changes, expected (code, field))
        ("bad check digit", {"vin": "WRONG_CHECK"}, ("INVALID", ["vin"])),
        ("not a VIN", {"vin": "1HGCM82633A00435"}, ("INVALID", ["vin"])),
        ("unknown vehicle", {"vin": "UNKNOWN"}, ("NOT_FOUND", ["vin"])),
        ("future date", {"visitDate": "2026-11-03"}, ("INVALID", ["visitDate"])),
        ("odometer below the latest reading", {"odometer": 8999}, ("INVALID", ["odometer"])),
        ("odometer above a later reading", {"visitDate": "2026-08-01", "odometer": 9001}, ("INVALID", ["odometer"])),
        ("negative parts", {"partsTotal": "-0.01"}, ("INVALID", ["partsTotal"])),
        ("negative labour", {"labourTotal": "-5.00"}, ("INVALID", ["labourTotal"])),
        ("fractional cents", {"labourTotal": "5.001"}, ("INVALID", ["labourTotal"])),
        ("no operations", {"operations": []}, ("INVALID", ["operations"])),
        ("blank code", {"operations": [operation(" ", None)]}, ("INVALID", ["operations", "0", "code"])),
        ("unknown item", {"operations": [operation("X", "FLUX_CAPACITOR")]},
         ("INVALID", ["operations", "0", "maintenanceItem"])),
        ("item not in this make's schedule", {"operations": [operation("X", "AC_DESICCANT")]},
         ("INVALID", ["operations", "0", "maintenanceItem"])),
        ("another vehicle's coverage", {"paidByCoverageId": "OTHER_COVERAGE"}, ("INVALID", ["paidByCoverageId"])),
        ("not a coverage id", {"paidByCoverageId": "CONTRACT_ID"}, ("INVALID", ["paidByCoverageId"])),
    ]


@pytest.mark.parametrize("name, changes, expected", _cases(), ids=[case[0] for case in _cases()])
async def test_bad_input_is_refused_and_changes_nothing(client, services, name, changes, expected):
    contract, vehicle = await _setup(client, services)
    assert (await record(client, vehicle.vin, "2026-09-01", 9000))["errors"] == []  # the latest known reading
    other_contract, other_vehicle = await customer_lease(services, "bob")
    other_coverage = await _coverage(other_vehicle, other_contract, services)
    substitutes = {"WRONG_CHECK": wrong_check_digit(vehicle.vin), "UNKNOWN": valid_vin("1FTFW1E5"),
                   "OTHER_COVERAGE": builders.gid("Coverage", other_coverage.id),
                   "CONTRACT_ID": builders.gid("Contract", contract.id)}
    values = {key: substitutes.get(value, value) if isinstance(value, str) else value for key, value in changes.items()}
    counts = (await ServiceVisit.all().count(), await ServiceOperation.all().count(),
              await OdometerReading.all().count(), await AuditEvent.all().count())
    payload = (await client.execute(RECORD, {"input": {**visit_input(vehicle.vin, "2026-10-01", 9500), **values}})
               )["recordServiceVisit"]
    assert payload["visit"] is None
    assert codes(payload) == [expected], payload["errors"]
    assert payload["errors"][0]["message"]
    assert counts == (await ServiceVisit.all().count(), await ServiceOperation.all().count(),
                      await OdometerReading.all().count(), await AuditEvent.all().count())


async def test_the_odometer_error_names_the_latest_reading(client, services):
    contract, vehicle = await _setup(client, services)
    assert (await record(client, vehicle.vin, "2026-09-01", 12345))["errors"] == []
    payload = await record(client, vehicle.vin, "2026-10-01", 12000)
    assert codes(payload) == [("INVALID", ["odometer"])]
    assert "12,345" in payload["errors"][0]["message"] and "backwards" in payload["errors"][0]["message"]
    # A customer's own report counts as a known reading too.
    await OdometerReading.create(contract=contract, read_on=date(2026, 10, 10), miles=13000,
                                 source=OdometerSource.CUSTOMER, created_at=services.clock.now())
    payload = await record(client, vehicle.vin, "2026-10-20", 12999)
    assert codes(payload) == [("INVALID", ["odometer"])] and "13,000" in payload["errors"][0]["message"]
    assert (await record(client, vehicle.vin, "2026-10-20", 13000))["errors"] == []


async def test_only_dealers_may_record(client, services):
    _contract, vehicle = await _setup(client, services)
    for username, role in (("alice", None), ("helper", Role.SUPPORT), ("numbers", Role.ANALYST)):
        if role is not None:
            await factories.user(services, username, role)
        await as_user(client, services, username)
        body = (await client.post(RECORD, {"input": visit_input(vehicle.vin, "2026-10-01", 9000)})).json()
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", username
    assert await ServiceVisit.all().count() == 0


async def test_customers_see_only_visits_on_their_own_vehicles(client, services):
    _contract, vehicle = await _setup(client, services)
    _other_contract, other_vehicle = await customer_lease(services, "bob")
    mine = (await record(client, vehicle.vin, "2026-10-01", 9000))["visit"]
    theirs = (await record(client, other_vehicle.vin, "2026-10-01", 7000))["visit"]
    await client.login("alice", factories.TEST_PASSWORD)
    assert (await client.execute("query($id: ID!) { node(id: $id) { id } }", {"id": theirs["id"]}))["node"] is None
    assert (await client.execute("query($id: ID!) { node(id: $id) { id } }", {"id": mine["id"]}))["node"] == {
        "id": mine["id"]}
    assert (await client.execute(HISTORY, {"id": builders.gid("Vehicle", other_vehicle.id)}))["node"] is None
    body = (await client.post(DESK, {"vin": None})).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_former_owner_sees_the_history_up_to_their_contract_end(client, services):
    contract, vehicle = await _setup(client, services)
    before = (await record(client, vehicle.vin, "2026-03-01", 3000))["visit"]
    await Contract.filter(id=contract.id).update(status=ContractStatus.TERMINATED, closed_on=date(2026, 6, 30))
    on_the_day = (await record(client, vehicle.vin, "2026-06-30", 5000))["visit"]
    after = (await record(client, vehicle.vin, "2026-08-01", 6000))["visit"]
    assert await OdometerReading.filter(contract=contract, source=OdometerSource.SERVICE).count() == 1
    await client.login("alice", factories.TEST_PASSWORD)
    history = (await client.execute(HISTORY, {"id": builders.gid("Vehicle", vehicle.id)}))["node"]["serviceHistory"]
    assert [edge["node"]["id"] for edge in history["edges"]] == [on_the_day["id"], before["id"]]
    assert (await client.execute("query($id: ID!) { node(id: $id) { id } }", {"id": after["id"]}))["node"] is None


async def test_history_is_newest_first_and_pages_by_keyset(client, services):
    _contract, vehicle = await _setup(client, services)
    ids = []
    for day, miles in (("2026-03-01", 3000), ("2026-05-01", 5000), ("2026-05-01", 5000), ("2026-07-01", 7000)):
        ids.append((await record(client, vehicle.vin, day, miles))["visit"]["id"])
    page = """query($id: ID!, $after: String) { node(id: $id) { ... on Vehicle { serviceHistory(first: 3, after: $after) {
      pageInfo { hasNextPage endCursor } edges { node { id } } } } } }"""
    await client.login("alice", factories.TEST_PASSWORD)
    first = (await client.execute(page, {"id": builders.gid("Vehicle", vehicle.id)}))["node"]["serviceHistory"]
    assert [e["node"]["id"] for e in first["edges"]] == [ids[3], ids[2], ids[1]] and first["pageInfo"]["hasNextPage"]
    rest = (await client.execute(page, {"id": builders.gid("Vehicle", vehicle.id),
                                         "after": first["pageInfo"]["endCursor"]}))["node"]["serviceHistory"]
    assert [e["node"]["id"] for e in rest["edges"]] == [ids[0]] and not rest["pageInfo"]["hasNextPage"]


async def _history_statements(client, vehicle) -> int:
    with count_queries() as counter:
        await client.execute(HISTORY, {"id": builders.gid("Vehicle", vehicle.id)})
    return len(counter.statements)


async def _desk_statements(client) -> int:
    with count_queries() as counter:
        await client.execute(DESK, {"vin": None})
    return len(counter.statements)


async def test_listing_history_with_operations_is_constant_sql(client, services):
    _contract, vehicle = await _setup(client, services)
    assert (await record(client, vehicle.vin, "2026-02-01", 1000, [operation("A", "OIL_CHANGE")]))["errors"] == []
    desk_one = await _desk_statements(client)
    await client.login("alice", factories.TEST_PASSWORD)
    customer_one = await _history_statements(client, vehicle)

    await as_user(client, services, "svc")
    for month in range(3, 9):
        ops = [operation(f"OP{n}", None) for n in range(month)]
        assert (await record(client, vehicle.vin, f"2026-{month:02d}-01", month * 1000, ops))["errors"] == []
    assert await _desk_statements(client) == desk_one
    await client.login("alice", factories.TEST_PASSWORD)
    assert await _history_statements(client, vehicle) == customer_one


@pytest.mark.postgres_only
async def test_concurrent_visits_cannot_both_pass_the_odometer_check(client, services):
    contract, vehicle = await _setup(client, services)
    # Either order alone is fine; together, one of them contradicts the other's reading.
    results = await asyncio.gather(record(client, vehicle.vin, "2026-10-01", 20000),
                                   record(client, vehicle.vin, "2026-10-02", 15000))
    assert sorted(len(result["errors"]) for result in results) == [0, 1]
    assert await ServiceVisit.all().count() == 1
    assert await OdometerReading.filter(contract=contract, source=OdometerSource.SERVICE).count() == 1
