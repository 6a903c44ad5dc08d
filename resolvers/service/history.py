"""Who sees which service visits, and what maintenance is due on a customer's vehicle.

- A customer sees the visits on the vehicles of their contracts (as borrower or co-buyer): every
  visit up to the day the contract closed (all of them while it is open), so the car's history
  before they bought it comes with it, and a later owner's visits do not reach a former one.
- A dealer sees the visits its dealership recorded (by hand or through its DMS), for any VIN.
- Nobody else sees visits here.

Listing a page of visits with their operations costs the same few statements whatever the page
size: the page (visits joined to their dealership and vehicle), then every operation of the page.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from finance import maintenance
from models import (
    OdometerReading,
    ServiceOperation,
    ServiceVisit,
    User,
    Vehicle,
)
from models.enums import DEALER_ROLES, Role
from resolvers.servicing.odometer import start_reading
from resolvers.servicing.visibility import contracts_visible_to
from service.container import Services


def _none() -> QuerySet[ServiceVisit]:
    return ServiceVisit.filter(id__in=[])


async def visits_visible_to(user: User | None) -> QuerySet[ServiceVisit]:
    """The visits `user` may see (one query for a customer's contracts, none otherwise)."""
    if user is None or not user.is_active:
        return _none()
    if user.role in DEALER_ROLES:
        return ServiceVisit.filter(dealership_id=user.dealership_id)
    if user.role != Role.CUSTOMER:
        return _none()
    windows = await contracts_visible_to(user).values_list("vehicle_id", "closed_on")
    if not windows:
        return _none()
    open_ended = {vehicle for vehicle, closed_on in windows if closed_on is None}
    clauses = [Q(vehicle_id__in=sorted(open_ended))] if open_ended else []
    latest_close: dict[int, date] = {}
    for vehicle, closed_on in windows:
        if vehicle not in open_ended and closed_on is not None:
            latest_close[vehicle] = max(closed_on, latest_close.get(vehicle, closed_on))
    clauses += [Q(vehicle_id=vehicle, visit_date__lte=closed_on) for vehicle, closed_on in sorted(latest_close.items())]
    result = clauses[0]
    for clause in clauses[1:]:
        result |= clause
    return ServiceVisit.filter(result)


async def operations_of(visit_ids: list[int]) -> dict[int, list[ServiceOperation]]:
    """The operations of these visits, in the order recorded: one query."""
    grouped: dict[int, list[ServiceOperation]] = defaultdict(list)
    if visit_ids:
        for row in await ServiceOperation.filter(visit_id__in=visit_ids).order_by("visit_id", "id"):
            grouped[row.visit_id].append(row)
    return grouped


@dataclass(frozen=True)
class MaintenanceOutlook:
    as_of: date
    odometer: int
    in_service_on: date
    items: list[maintenance.ItemDue]


async def maintenance_outlook(services: Services, user: User | None, vehicle: Vehicle) -> MaintenanceOutlook | None:
    """What is due on a customer's own vehicle, from the history and readings they can see; None for
    anyone else. The odometer is the highest known reading (delivery, lease reports, service visits);
    the in-service date is the first contract's date on the vehicle (the first day autofin knows it
    in use), and the odometer counts from 0 there."""
    if user is None or user.role != Role.CUSTOMER:
        return None
    contracts = list(await contracts_visible_to(user).filter(vehicle_id=vehicle.id).order_by("contract_date", "id"))
    if not contracts:
        return None
    readings = list(await OdometerReading.filter(contract_id__in=[c.id for c in contracts]).order_by("read_on", "id"))
    visits = list(await (await visits_visible_to(user)).filter(vehicle_id=vehicle.id))
    operations = await operations_of([visit.id for visit in visits])
    history = [maintenance.Performance(performed_on=visit.visit_date, odometer=visit.odometer,
                                       items=frozenset(op.maintenance_item for op in operations[visit.id]
                                                       if op.maintenance_item))
               for visit in visits]
    miles = [reading.miles for reading in readings] + [visit.odometer for visit in visits]
    miles += [start_reading(c, vehicle, [r for r in readings if r.contract_id == c.id])[1] for c in contracts]
    today = services.clock.today()
    in_service_on = contracts[0].contract_date
    odometer = max(miles)
    items = maintenance.maintenance_due(maintenance.schedule_for(vehicle.make, vehicle.model), history,
                                        in_service_on=in_service_on, as_of=today, odometer=odometer)
    return MaintenanceOutlook(as_of=today, odometer=odometer, in_service_on=in_service_on, items=items)
