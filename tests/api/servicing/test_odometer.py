"""reportOdometer: only the viewer's lease, never backwards, not in the future; projections update."""

from __future__ import annotations

from datetime import date

import pytest

from models import OdometerReading
from models.enums import OdometerSource, Role
from tests import factories
from tests.api.servicing import builders

REPORT = """mutation($input: ReportOdometerInput!) { reportOdometer(input: $input) {
  reading { readOn miles source }
  contract { leaseDetails { mileage { readings { readOn miles }
                                      projection { milesDriven projectedMilesAtMaturity lastReadingDate } } } }
  errors { code message field }
} }"""


async def _lease(services, username="alice"):
    owner, dealer = await builders.customer_with_login(services, username)
    return await builders.lease(owner, dealer, odometer=12)


async def _report(client, contract_id: str, miles: int, read_on: str | None = None) -> dict:
    variables = {"input": {"contractId": contract_id, "miles": miles}}
    if read_on is not None:
        variables["input"]["readOn"] = read_on
    return (await client.execute(REPORT, variables))["reportOdometer"]


async def test_reading_is_recorded_and_the_projection_updates(client, services):
    contract = await _lease(services)
    await client.login("alice", factories.TEST_PASSWORD)
    lease_id = builders.gid("Contract", contract.id)
    first = await _report(client, lease_id, 5012, "2026-05-15")
    assert first["errors"] == []
    assert first["reading"] == {"readOn": "2026-05-15", "miles": 5012, "source": "CUSTOMER"}
    mileage = first["contract"]["leaseDetails"]["mileage"]
    assert mileage["projection"]["milesDriven"] == 5000 and mileage["projection"]["lastReadingDate"] == "2026-05-15"
    before = mileage["projection"]["projectedMilesAtMaturity"]

    second = await _report(client, lease_id, 9012)  # today by default
    assert second["errors"] == [] and second["reading"]["readOn"] == services.clock.today().isoformat()
    projection = second["contract"]["leaseDetails"]["mileage"]["projection"]
    assert projection["milesDriven"] == 9000 and projection["projectedMilesAtMaturity"] != before
    assert [r["miles"] for r in second["contract"]["leaseDetails"]["mileage"]["readings"]] == [12, 5012, 9012]
    row = await OdometerReading.filter(contract=contract, miles=9012).first()
    assert row.source == OdometerSource.CUSTOMER and row.reported_by_id is not None


async def test_a_reading_between_two_others_must_fit_between_them(client, services):
    contract = await _lease(services)
    await client.login("alice", factories.TEST_PASSWORD)
    lease_id = builders.gid("Contract", contract.id)
    assert (await _report(client, lease_id, 8000, "2026-08-01"))["errors"] == []
    assert (await _report(client, lease_id, 4000, "2026-04-01"))["errors"] == []
    too_high = await _report(client, lease_id, 8500, "2026-06-01")
    assert [(e["code"], e["field"]) for e in too_high["errors"]] == [("INVALID", ["miles"])]
    assert "8,000" in too_high["errors"][0]["message"]
    too_low = await _report(client, lease_id, 3999, "2026-06-01")
    assert [(e["code"], e["field"]) for e in too_low["errors"]] == [("INVALID", ["miles"])]
    assert too_low["reading"] is None and too_low["contract"] is None
    assert (await _report(client, lease_id, 6000, "2026-06-01"))["errors"] == []
    assert await OdometerReading.filter(contract=contract).count() == 4


@pytest.mark.parametrize("miles, read_on, field", [
    (9000, "2026-11-03", "readOn"),  # tomorrow: in the future
    (9000, "2026-01-14", "readOn"),  # before the lease began
    (11, None, "miles"),  # below the odometer at delivery
    (-5, None, "miles"),
])
async def test_invalid_reports_change_nothing(client, services, miles, read_on, field):
    contract = await _lease(services)
    await client.login("alice", factories.TEST_PASSWORD)
    result = await _report(client, builders.gid("Contract", contract.id), miles, read_on)
    assert [(e["code"], e["field"]) for e in result["errors"]] == [("INVALID", [field])]
    assert await OdometerReading.filter(contract=contract).count() == 1  # the delivery reading only


async def test_not_found_for_a_loan_another_customers_lease_or_a_bad_id(client, services):
    mine = await _lease(services)
    owner = await mine.customer
    loan = await builders.loan(owner, await mine.dealership)
    theirs = await _lease(services, "bob")
    await client.login("alice", factories.TEST_PASSWORD)
    for contract_id in (builders.gid("Contract", theirs.id), builders.gid("Contract", loan.id),
                        builders.gid("Vehicle", mine.vehicle_id), "not-an-id", builders.gid("Contract", 999999)):
        result = await _report(client, contract_id, 20000)
        assert [(e["code"], e["field"]) for e in result["errors"]] == [("NOT_FOUND", ["contractId"])], contract_id
    assert await OdometerReading.filter(contract=theirs).count() == 1


async def test_only_customers_may_report(client, services):
    contract = await _lease(services)
    dealership = await contract.dealership
    await factories.user(services, "dealer", Role.DEALER_USER, dealership=dealership)
    from auth.sessions import start_session
    from models import User
    from models.enums import SessionKind

    issued = await start_session(await User.get(username="dealer"), kind=SessionKind.BEARER, clock=services.clock,
                                 settings=services.settings, ip="127.0.0.1", user_agent="test")
    client.token = issued.token
    body = (await client.post(REPORT, {"input": {"contractId": builders.gid("Contract", contract.id),
                                                 "miles": 20000}})).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await OdometerReading.filter(contract=contract).count() == 1


async def test_co_lessee_may_report(client, services):
    contract = await _lease(services)
    co = await factories.customer(services, ssn="987654321")
    contract.co_customer = co
    await contract.save()
    await factories.user(services, "cosigner", Role.CUSTOMER, customer=co)
    await client.login("cosigner", factories.TEST_PASSWORD)
    result = await _report(client, builders.gid("Contract", contract.id), 3000, date(2026, 3, 1).isoformat())
    assert result["errors"] == []
