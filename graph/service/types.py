"""Service visits and maintenance due in the schema: the ServiceVisit node with its operations, the
customer's vehicle's history and maintenance outlook, and the dealer's recorded visits. Thin: the
rules live in resolvers/service/."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

import strawberry
from strawberry import relay
from strawberry.types import Info

from finance import maintenance
from finance.vin import normalize_vin
from graph.pagination import CountedConnection, Ordering, paginate
from graph.scalars import Money, money
from models import ServiceVisit
from resolvers.service import history

VISIT_TYPE_NAME = "ServiceVisit"
COVERAGE_TYPE_NAME = "Coverage"  # the coverage node's type name (graph/coverage/)
NEWEST_FIRST = Ordering((("visit_date", True), ("id", True)))



@strawberry.enum(name="ServiceVisitSource", description="How a service visit reached us.")
class ServiceVisitSource(Enum):
    DEALER = strawberry.enum_value("DEALER", description="Recorded by hand by a dealer user.")
    DMS = strawberry.enum_value("DMS", description="Pushed by the dealership's management system.")


MaintenanceDueStatusEnum = strawberry.enum(
    maintenance.DueStatus, name="MaintenanceDueStatus",
    description=f"UPCOMING: not due yet. DUE_SOON: within {maintenance.DUE_SOON_DAYS} days or "
    f"{maintenance.DUE_SOON_MILES:,} miles of being due. DUE: its date or its mileage is reached, whichever comes "
    f"first. OVERDUE: {maintenance.OVERDUE_MONTHS} month or {maintenance.OVERDUE_MILES:,} miles or more past it.",
)


@strawberry.type(name="ServiceOperation", description="One operation performed at a service visit.")
class ServiceOperationType:
    code: str = strawberry.field(description="The service department's operation code.")
    description: str = strawberry.field(description="What was done.")
    maintenance_item: str | None = strawberry.field(
        description="The maintenance schedule item this performed (e.g. OIL_CHANGE), if any.")


@strawberry.type(name=VISIT_TYPE_NAME, description="A visit to a dealership's service department for a vehicle.")
class ServiceVisitType(relay.Node):
    id: relay.NodeID[int]
    vin: str = strawberry.field(description="The vehicle serviced.")
    visit_date: date = strawberry.field(description="The day of the visit.")
    odometer: int = strawberry.field(description="The odometer at the visit, in miles.")
    parts_total: Money = strawberry.field(description="Parts charged.")
    labour_total: Money = strawberry.field(description="Labour charged.")
    total: Money = strawberry.field(description="Parts plus labour.")
    serviced_by: str = strawberry.field(description="The dealership that serviced the vehicle.")
    paid_by_coverage_id: strawberry.ID | None = strawberry.field(
        description="The `id` of the coverage (e.g. a prepaid maintenance plan) that paid, if one did.")
    source: ServiceVisitSource = strawberry.field(description="How the visit reached us.")
    recorded_at: datetime = strawberry.field(description="When it was recorded (UTC).")
    operations: list[ServiceOperationType] = strawberry.field(description="What was done, in the order recorded.")

    @classmethod
    def from_model(cls, row: ServiceVisit) -> ServiceVisitType:
        """Needs `vehicle` and `dealership` loaded; operations are filled by `with_operations`."""
        coverage = (str(relay.GlobalID(COVERAGE_TYPE_NAME, str(row.paid_by_coverage_id)))
                    if row.paid_by_coverage_id is not None else None)
        return cls(id=row.id, vin=row.vehicle.vin, visit_date=row.visit_date, odometer=row.odometer,
                   parts_total=money(row.parts_total), labour_total=money(row.labour_total),
                   total=money(Decimal(row.parts_total) + Decimal(row.labour_total)),
                   serviced_by=row.dealership.name, paid_by_coverage_id=coverage,
                   source=ServiceVisitSource.DMS if row.recorded_by_credential_id is not None
                   else ServiceVisitSource.DEALER,
                   recorded_at=row.created_at, operations=[])

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        from graph.nodes import visible_nodes

        visible = (await history.visits_visible_to(info.context.user)).select_related("vehicle", "dealership")
        return await with_operations(await visible_nodes(visible, node_ids, cls.from_model, required))


async def with_operations(nodes: list[ServiceVisitType | None]) -> list[ServiceVisitType | None]:
    """Fill the nodes' operations with one query."""
    grouped = await history.operations_of([node.id for node in nodes if node is not None])
    for node in nodes:
        if node is not None:
            node.operations = [ServiceOperationType(code=op.code, description=op.description,
                                                    maintenance_item=op.maintenance_item)
                               for op in grouped.get(node.id, [])]
    return nodes


@strawberry.type(name="ServiceVisitConnection", description="A page of service visits, newest first.")
class ServiceVisitConnection(CountedConnection[ServiceVisitType]):
    pass


async def visits_page(info: Info, *, vehicle_id: int | None = None, vin: str | None = None, first=None, after=None,
                      last=None, before=None) -> ServiceVisitConnection:
    query = await history.visits_visible_to(info.context.user)
    if vehicle_id is not None:
        query = query.filter(vehicle_id=vehicle_id)
    if vin is not None:
        query = query.filter(vehicle__vin=normalize_vin(vin))
    page = await paginate(ServiceVisitConnection, query.select_related("vehicle", "dealership"), NEWEST_FIRST,
                          ServiceVisitType.from_model, first=first, after=after, last=last, before=before)
    await with_operations([edge.node for edge in page.edges])
    return page


@strawberry.type(name="MaintenanceItemDue", description="A maintenance schedule item and when it is next due.")
class MaintenanceItemDueType:
    item: str = strawberry.field(description="The item's code, e.g. OIL_CHANGE (as service operations name it).")
    description: str = strawberry.field(description="What the item is.")
    interval_miles: int | None = strawberry.field(description="Every how many miles (null: by time only).")
    interval_months: int | None = strawberry.field(description="Every how many months (null: by mileage only).")
    last_performed_on: date | None = strawberry.field(description="The last visit that did it (null: never recorded).")
    last_performed_odometer: int | None = strawberry.field(description="The odometer at that visit.")
    due_on: date | None = strawberry.field(
        description="Due on this day, or at `dueOdometer` if that comes first (null: by mileage only).")
    due_odometer: int | None = strawberry.field(
        description="Due at this odometer, or on `dueOn` if that comes first (null: by time only).")
    status: MaintenanceDueStatusEnum = strawberry.field(  # type: ignore[valid-type]
        description="Whether it is due as of `asOf` and the latest odometer.")

    @classmethod
    def from_item(cls, row: maintenance.ItemDue) -> MaintenanceItemDueType:
        return cls(item=row.item.code, description=row.item.description, interval_miles=row.item.interval_miles,
                   interval_months=row.item.interval_months, last_performed_on=row.last_performed_on,
                   last_performed_odometer=row.last_performed_odometer, due_on=row.due_on,
                   due_odometer=row.due_odometer, status=row.status)


@strawberry.type(name="MaintenanceDue", description="What maintenance the vehicle's schedule asks for next, from its "
                 "service history. The schedules are illustrative data per make and model.")
class MaintenanceDueType:
    as_of: date = strawberry.field(description="The day the statuses are for (today).")
    odometer: int = strawberry.field(description="The latest known odometer (delivery, your reports, service visits).")
    in_service_on: date = strawberry.field(
        description="Items never recorded count from this day (the first contract on the vehicle) and 0 miles.")
    items: list[MaintenanceItemDueType] = strawberry.field(
        description="Every item of the schedule, the most pressing first (overdue, due, due soon, upcoming).")


async def maintenance_due(info: Info, vehicle_id: int) -> MaintenanceDueType | None:
    vehicle = await info.context.loaders.vehicles.load(vehicle_id)
    outlook = await history.maintenance_outlook(info.context.services, info.context.user, vehicle)
    if outlook is None:
        return None
    return MaintenanceDueType(as_of=outlook.as_of, odometer=outlook.odometer, in_service_on=outlook.in_service_on,
                              items=[MaintenanceItemDueType.from_item(row) for row in outlook.items])

