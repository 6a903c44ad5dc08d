"""Maintenance due: from a make's (and model's) maintenance schedule and a vehicle's service history,
when each item is next due, and whether it is due or overdue as of a date and an odometer reading.

Pure: no database, no clock. The schedules are data (finance/data/maintenance_schedules.json,
illustrative figures, not a manufacturer's published schedule).

Rules:
- An item has an interval in miles, in months, or both. It is next due at the last time it was
  performed plus its interval: the date (months, with add_months' month-end clamping) and the
  odometer (miles). Whichever comes first makes it due: it is DUE on or after its due date, or at or
  above its due odometer. Never performed: counted from the in-service date and odometer 0.
- OVERDUE: a month or more past the due date, or OVERDUE_MILES or more past the due odometer.
- DUE_SOON: not yet due, but within DUE_SOON_DAYS of the due date or DUE_SOON_MILES of the due
  odometer. Otherwise UPCOMING.
- "The last time it was performed" is the performance with the highest (date, odometer).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum
from functools import cache
from pathlib import Path

from finance.loan import add_months

SCHEDULES_FILE = Path(__file__).parent / "data" / "maintenance_schedules.json"
OVERDUE_MONTHS = 1
OVERDUE_MILES = 1000
DUE_SOON_DAYS = 30
DUE_SOON_MILES = 500


class DueStatus(str, Enum):
    UPCOMING = "UPCOMING"
    DUE_SOON = "DUE_SOON"
    DUE = "DUE"
    OVERDUE = "OVERDUE"


_SEVERITY = {DueStatus.OVERDUE: 0, DueStatus.DUE: 1, DueStatus.DUE_SOON: 2, DueStatus.UPCOMING: 3}


@dataclass(frozen=True)
class ScheduleItem:
    code: str
    description: str
    interval_miles: int | None
    interval_months: int | None

    def __post_init__(self) -> None:
        if self.interval_miles is None and self.interval_months is None:
            raise ValueError(f"maintenance item {self.code} needs an interval in miles or months")
        if (self.interval_miles is not None and self.interval_miles <= 0) or (
                self.interval_months is not None and self.interval_months <= 0):
            raise ValueError(f"maintenance item {self.code} has a non-positive interval")


@dataclass(frozen=True)
class Performance:
    """A service visit as far as maintenance is concerned: when, at what odometer, which items."""

    performed_on: date
    odometer: int
    items: frozenset[str]


@dataclass(frozen=True)
class ItemDue:
    item: ScheduleItem
    last_performed_on: date | None
    last_performed_odometer: int | None
    due_on: date | None  # None: the item has no months interval
    due_odometer: int | None  # None: the item has no miles interval
    status: DueStatus


# -- the schedules (data) ---------------------------------------------------------------------------

@cache
def _data() -> dict:
    with SCHEDULES_FILE.open(encoding="utf-8") as handle:
        data = json.load(handle)
    _validate(data)
    return data


def _items(rows: list[dict], names: dict[str, str]) -> tuple[ScheduleItem, ...]:
    return tuple(ScheduleItem(code=row["item"], description=names[row["item"]], interval_miles=row.get("miles"),
                              interval_months=row.get("months")) for row in rows)


def _validate(data: dict) -> None:
    names = data["items"]
    schedules = [data["default"]]
    for make in data["makes"].values():
        schedules.append(make["default"])
        schedules.extend(make.get("models", {}).values())
    for rows in schedules:
        codes = [row["item"] for row in rows]
        unknown = sorted(set(codes) - set(names))
        if unknown:
            raise ValueError(f"maintenance schedules name unknown items: {unknown}")
        if len(codes) != len(set(codes)):
            raise ValueError("a maintenance schedule lists an item twice")
        _items(rows, names)  # intervals checked by ScheduleItem


def schedule_for(make: str, model: str) -> tuple[ScheduleItem, ...]:
    """The schedule of a make and model: the model's own, else the make's default, else the default.
    Makes and models match without regard to case or surrounding spaces."""
    data = _data()
    makes = {name.casefold(): entry for name, entry in data["makes"].items()}
    entry = makes.get(make.strip().casefold())
    if entry is None:
        return _items(data["default"], data["items"])
    models = {name.casefold(): rows for name, rows in entry.get("models", {}).items()}
    return _items(models.get(model.strip().casefold(), entry["default"]), data["items"])


def item_codes(make: str, model: str) -> frozenset[str]:
    return frozenset(item.code for item in schedule_for(make, model))


def all_item_codes() -> frozenset[str]:
    return frozenset(_data()["items"])


def item_description(code: str) -> str | None:
    return _data()["items"].get(code)


# -- the rules (pure) -------------------------------------------------------------------------------

def last_performance(code: str, history: Iterable[Performance]) -> Performance | None:
    done = [visit for visit in history if code in visit.items]
    return max(done, key=lambda visit: (visit.performed_on, visit.odometer), default=None)


def status_of(due_on: date | None, due_odometer: int | None, as_of: date, odometer: int) -> DueStatus:
    """Whichever comes first: the date or the odometer."""
    if (due_on is not None and as_of >= add_months(due_on, OVERDUE_MONTHS)) or (
            due_odometer is not None and odometer >= due_odometer + OVERDUE_MILES):
        return DueStatus.OVERDUE
    if (due_on is not None and as_of >= due_on) or (due_odometer is not None and odometer >= due_odometer):
        return DueStatus.DUE
    if (due_on is not None and as_of >= due_on - timedelta(days=DUE_SOON_DAYS)) or (
            due_odometer is not None and odometer >= due_odometer - DUE_SOON_MILES):
        return DueStatus.DUE_SOON
    return DueStatus.UPCOMING


def item_due(item: ScheduleItem, history: Iterable[Performance], in_service_on: date, as_of: date,
             odometer: int) -> ItemDue:
    last = last_performance(item.code, history)
    from_day, from_miles = (last.performed_on, last.odometer) if last is not None else (in_service_on, 0)
    due_on = add_months(from_day, item.interval_months) if item.interval_months is not None else None
    due_odometer = from_miles + item.interval_miles if item.interval_miles is not None else None
    return ItemDue(item=item, last_performed_on=last.performed_on if last else None,
                   last_performed_odometer=last.odometer if last else None, due_on=due_on,
                   due_odometer=due_odometer, status=status_of(due_on, due_odometer, as_of, odometer))


def maintenance_due(schedule: Iterable[ScheduleItem], history: Iterable[Performance], *, in_service_on: date,
                    as_of: date, odometer: int) -> list[ItemDue]:
    """Every item of the schedule with its next due date and odometer, the most pressing first
    (overdue, due, due soon, upcoming; then by due date, then by code)."""
    history = list(history)
    rows = [item_due(item, history, in_service_on, as_of, odometer) for item in schedule]
    return sorted(rows, key=lambda row: (_SEVERITY[row.status], row.due_on or date.max, row.item.code))
