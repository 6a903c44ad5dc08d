"""maintenanceDue on the customer's vehicle: each item of the make's schedule is due at its mileage or
its months, whichever comes first, counted from the last visit that performed it (from the in-service
date and 0 miles if none did). The boundaries are tested both ways, through GraphQL."""

from __future__ import annotations

from datetime import datetime

from tests import factories
from tests.api.service.builders import (
    DUE,
    as_user,
    customer_lease,
    dealer_user,
    operation,
    record,
)
from tests.api.servicing import builders


async def _setup(client, services):
    contract, vehicle = await customer_lease(services)  # Toyota RAV4, in service 2026-01-15, 12 miles at delivery
    await dealer_user(services, "svc")
    await as_user(client, services, "svc")
    return contract, vehicle


async def _due(client, vehicle) -> dict:
    await client.login("alice", factories.TEST_PASSWORD)
    return (await client.execute(DUE, {"id": builders.gid("Vehicle", vehicle.id)}))["node"]["maintenanceDue"]


def _item(due: dict, code: str) -> dict:
    return next(item for item in due["items"] if item["item"] == code)


def _at(clock, day: str) -> None:
    clock.set(datetime.fromisoformat(f"{day}T15:00:00+00:00"))


async def test_never_performed_items_count_from_the_in_service_date_and_zero_miles(client, services):
    _, vehicle = await _setup(client, services)
    due = await _due(client, vehicle)
    assert (due["asOf"], due["odometer"], due["inServiceOn"]) == ("2026-11-02", 12, "2026-01-15")
    assert [item["item"] for item in due["items"]] == [
        "TIRE_ROTATION", "OIL_CHANGE", "BRAKE_FLUID", "CABIN_FILTER", "ENGINE_AIR_FILTER", "COOLANT"]
    rotation = _item(due, "TIRE_ROTATION")
    assert rotation == {"item": "TIRE_ROTATION", "description": "Tire rotation", "intervalMiles": 5000,
                        "intervalMonths": 6, "lastPerformedOn": None, "lastPerformedOdometer": None,
                        "dueOn": "2026-07-15", "dueOdometer": 5000, "status": "OVERDUE"}
    assert _item(due, "OIL_CHANGE")["dueOn"] == "2027-01-15" and _item(due, "OIL_CHANGE")["status"] == "UPCOMING"
    brake = _item(due, "BRAKE_FLUID")  # by time only
    assert (brake["dueOn"], brake["dueOdometer"], brake["status"]) == ("2029-01-15", None, "UPCOMING")


async def test_due_at_its_mileage_when_that_comes_first(client, services):
    _, vehicle = await _setup(client, services)
    assert (await record(client, vehicle.vin, "2026-10-01", 20000, [operation("LOF", "OIL_CHANGE")]))["errors"] == []
    oil = _item(await _due(client, vehicle), "OIL_CHANGE")
    assert (oil["lastPerformedOn"], oil["lastPerformedOdometer"]) == ("2026-10-01", 20000)
    assert (oil["dueOn"], oil["dueOdometer"], oil["status"]) == ("2027-10-01", 30000, "UPCOMING")

    steps = [(29499, "UPCOMING"), (29500, "DUE_SOON"), (29999, "DUE_SOON"), (30000, "DUE"), (30999, "DUE"),
             (31000, "OVERDUE")]
    for number, (miles, status) in enumerate(steps):
        await as_user(client, services, "svc")
        wash = [operation(f"WASH{number}", None, "Car wash")]  # not an oil change: it does not reset the interval
        assert (await record(client, vehicle.vin, "2026-10-02", miles, wash))["errors"] == []
        due = await _due(client, vehicle)
        assert due["odometer"] == miles
        assert _item(due, "OIL_CHANGE")["status"] == status, miles
        assert _item(due, "OIL_CHANGE")["dueOdometer"] == 30000


async def test_due_at_its_months_when_that_comes_first(client, services, clock):
    _, vehicle = await _setup(client, services)
    assert (await record(client, vehicle.vin, "2026-03-01", 1000, [operation("LOF", "OIL_CHANGE")]))["errors"] == []
    for day, status in (("2027-01-29", "UPCOMING"), ("2027-01-30", "DUE_SOON"), ("2027-02-28", "DUE_SOON"),
                        ("2027-03-01", "DUE"), ("2027-03-31", "DUE"), ("2027-04-01", "OVERDUE")):
        _at(clock, day)
        due = await _due(client, vehicle)
        oil = _item(due, "OIL_CHANGE")
        assert (due["asOf"], due["odometer"]) == (day, 1000)  # far below the 11,000-mile mark
        assert (oil["dueOn"], oil["dueOdometer"], oil["status"]) == ("2027-03-01", 11000, status), day


async def test_the_latest_performance_counts_even_when_recorded_late(client, services):
    _, vehicle = await _setup(client, services)
    assert (await record(client, vehicle.vin, "2026-09-01", 9000, [operation("ROT", "TIRE_ROTATION")]))[
        "errors"] == []
    # A repair order from before, keyed in afterwards.
    assert (await record(client, vehicle.vin, "2026-04-01", 4000, [operation("ROT", "TIRE_ROTATION")]))[
        "errors"] == []
    rotation = _item(await _due(client, vehicle), "TIRE_ROTATION")
    assert (rotation["lastPerformedOn"], rotation["dueOn"], rotation["dueOdometer"]) == (
        "2026-09-01", "2027-03-01", 14000)
    assert rotation["status"] == "UPCOMING"


async def test_only_the_vehicles_customer_gets_maintenance_due(client, services):
    contract, vehicle = await _setup(client, services)
    seller = await dealer_user(services, "seller", await contract.dealership)
    await as_user(client, services, seller.username)
    answer = await client.execute(DUE, {"id": builders.gid("Vehicle", vehicle.id)})
    assert answer["node"] == {"maintenanceDue": None}
    await customer_lease(services, "bob")
    await client.login("bob", factories.TEST_PASSWORD)
    assert (await client.execute(DUE, {"id": builders.gid("Vehicle", vehicle.id)}))["node"] is None


async def test_a_make_without_its_own_schedule_uses_the_default(client, services):
    _, vehicle = await customer_lease(services, make="Hyundai", model="Tucson")
    due = await _due(client, vehicle)
    oil = _item(due, "OIL_CHANGE")
    assert (oil["intervalMiles"], oil["intervalMonths"]) == (7500, 12)
