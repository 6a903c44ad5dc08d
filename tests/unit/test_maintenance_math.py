"""finance/maintenance.py: due at the mileage or the months, whichever comes first, from the last time
performed (or the in-service date and 0 miles), with the status boundaries both ways, and the
schedules as data (model over make over default)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from finance import maintenance
from finance.maintenance import (
    DueStatus,
    Performance,
    ScheduleItem,
    item_due,
    maintenance_due,
    status_of,
)

OIL = ScheduleItem("OIL_CHANGE", "Engine oil and filter change", interval_miles=10000, interval_months=12)
BRAKES = ScheduleItem("BRAKE_FLUID", "Brake fluid replacement", interval_miles=None, interval_months=36)
ROTATION = ScheduleItem("TIRE_ROTATION", "Tire rotation", interval_miles=6250, interval_months=None)
IN_SERVICE = date(2026, 1, 15)


def _done(day: date, miles: int, *items: str) -> Performance:
    return Performance(performed_on=day, odometer=miles, items=frozenset(items))


def test_never_performed_counts_from_the_in_service_date_and_zero_miles():
    row = item_due(OIL, [], IN_SERVICE, date(2026, 6, 1), 4000)
    assert (row.due_on, row.due_odometer, row.last_performed_on, row.status) == (
        date(2027, 1, 15), 10000, None, DueStatus.UPCOMING)


@pytest.mark.parametrize("odometer, status", [
    (20999 - 500, DueStatus.UPCOMING), (21000 - 500, DueStatus.DUE_SOON), (20999, DueStatus.DUE_SOON),
    (21000, DueStatus.DUE), (21999, DueStatus.DUE), (22000, DueStatus.OVERDUE)])
def test_the_mileage_boundary_both_ways(odometer, status):
    history = [_done(date(2026, 3, 1), 11000, "OIL_CHANGE")]
    row = item_due(OIL, history, IN_SERVICE, date(2026, 4, 1), odometer)  # months far away
    assert (row.due_on, row.due_odometer) == (date(2027, 3, 1), 21000)
    assert row.status == status


@pytest.mark.parametrize("as_of, status", [
    (date(2027, 1, 29), DueStatus.UPCOMING), (date(2027, 1, 30), DueStatus.DUE_SOON),
    (date(2027, 2, 28), DueStatus.DUE_SOON), (date(2027, 3, 1), DueStatus.DUE), (date(2027, 3, 31), DueStatus.DUE),
    (date(2027, 4, 1), DueStatus.OVERDUE)])
def test_the_months_boundary_both_ways(as_of, status):
    history = [_done(date(2026, 3, 1), 11000, "OIL_CHANGE")]
    assert item_due(OIL, history, IN_SERVICE, as_of, 11001).status == status  # mileage far away


def test_whichever_comes_first():
    history = [_done(date(2026, 3, 1), 11000, "OIL_CHANGE")]
    assert item_due(OIL, history, IN_SERVICE, date(2027, 3, 1), 11001).status == DueStatus.DUE  # months first
    assert item_due(OIL, history, IN_SERVICE, date(2026, 4, 1), 21000).status == DueStatus.DUE  # miles first
    assert item_due(OIL, history, IN_SERVICE, date(2027, 2, 28), 20999).status == DueStatus.DUE_SOON  # neither


def test_an_item_with_one_interval_ignores_the_other():
    assert item_due(BRAKES, [], IN_SERVICE, date(2026, 6, 1), 900_000).status == DueStatus.UPCOMING
    assert item_due(BRAKES, [], IN_SERVICE, date(2029, 1, 15), 0).status == DueStatus.DUE
    assert item_due(ROTATION, [], IN_SERVICE, date(2040, 1, 1), 6249).status == DueStatus.DUE_SOON
    assert item_due(ROTATION, [], IN_SERVICE, date(2026, 2, 1), 6250).status == DueStatus.DUE


def test_month_end_dates_clamp():
    row = item_due(BRAKES, [_done(date(2024, 2, 29), 100, "BRAKE_FLUID")], IN_SERVICE, date(2026, 1, 1), 200)
    assert row.due_on == date(2027, 2, 28)


def test_the_last_performance_is_the_latest_one_that_did_the_item():
    history = [_done(date(2026, 9, 1), 9000, "OIL_CHANGE"), _done(date(2026, 4, 1), 4000, "OIL_CHANGE"),
               _done(date(2026, 10, 1), 10000, "TIRE_ROTATION")]
    row = item_due(OIL, history, IN_SERVICE, date(2026, 10, 1), 10000)
    assert (row.last_performed_on, row.last_performed_odometer, row.due_odometer) == (date(2026, 9, 1), 9000, 19000)


def test_the_most_pressing_come_first():
    rows = maintenance_due([OIL, BRAKES, ROTATION], [], in_service_on=IN_SERVICE, as_of=date(2026, 6, 1),
                           odometer=9800)
    assert [(row.item.code, row.status) for row in rows] == [
        ("TIRE_ROTATION", DueStatus.OVERDUE), ("OIL_CHANGE", DueStatus.DUE_SOON), ("BRAKE_FLUID", DueStatus.UPCOMING)]


def test_status_needs_no_interval_at_all_to_be_upcoming():
    assert status_of(None, None, date(2030, 1, 1), 10**6) == DueStatus.UPCOMING


def test_items_need_a_positive_interval():
    with pytest.raises(ValueError):
        ScheduleItem("X", "x", None, None)
    with pytest.raises(ValueError):
        ScheduleItem("X", "x", 0, 12)


def test_schedules_by_model_then_make_then_default():
    assert maintenance.item_codes("Chevrolet", "Bolt EV") == {"TIRE_ROTATION", "CABIN_FILTER", "BRAKE_FLUID"}
    assert "OIL_CHANGE" in maintenance.item_codes("chevrolet", "Equinox")  # the make's default, any case
    assert "OIL_CHANGE" not in maintenance.item_codes(" TESLA ", "Model 3")
    default = {item.code: item for item in maintenance.schedule_for("Hyundai", "Tucson")}
    assert (default["OIL_CHANGE"].interval_miles, default["OIL_CHANGE"].interval_months) == (7500, 12)
    assert maintenance.item_codes("Toyota", "RAV4") <= maintenance.all_item_codes()
    assert maintenance.item_description("OIL_CHANGE") == "Engine oil and filter change"


def test_the_data_file_is_checked_and_says_it_is_illustrative():
    data = json.loads(maintenance.SCHEDULES_FILE.read_text())
    assert "ILLUSTRATIVE" in data["_about"]
    broken = {**data, "default": [*data["default"], {"item": "NOT_AN_ITEM", "miles": 1, "months": 1}]}
    with pytest.raises(ValueError):
        maintenance._validate(broken)
    twice = {**data, "default": [*data["default"], data["default"][0]]}
    with pytest.raises(ValueError):
        maintenance._validate(twice)
