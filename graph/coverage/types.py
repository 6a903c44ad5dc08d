"""Coverage in the schema: the Coverage node (a product on a contract), CoverageStatus (one line of a
vehicle's coverage: the factory warranty's basic and powertrain parts and each product, with its
status and what remains), and an application's add-ons. Thin: the figures come from
finance/coverage.py through resolvers/coverage/status.py; rows come through per-request DataLoaders,
so a list of contracts with their coverage costs a constant number of SQL statements."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from enum import Enum

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from finance.coverage import EXPIRING_SOON_DAYS, EXPIRING_SOON_MILES, Standing
from graph.nodes import visible_nodes
from graph.scalars import Money, money
from models import ApplicationAddOn, Contract, Coverage
from models import enums as model_enums
from resolvers.coverage.products import coverages_visible_to
from resolvers.coverage.status import CoverageLine, coverage_lines

COVERAGE_TYPE_NAME = "Coverage"

CoverageKindEnum = strawberry.enum(
    model_enums.CoverageKind, name="CoverageKind",
    description="A coverage product: EXTENDED_WARRANTY (vehicle service contract), PREPAID_MAINTENANCE, "
    "ROADSIDE_ASSISTANCE, GAP (guaranteed asset protection) or TIRE_AND_WHEEL.",
)


@strawberry.enum(name="CoverageLineKind", description="What a coverage status line covers: the factory warranty's "
                 "basic (bumper-to-bumper) or powertrain part, or a coverage product of that kind.")
class CoverageLineKind(Enum):
    FACTORY_BASIC = "FACTORY_BASIC"
    FACTORY_POWERTRAIN = "FACTORY_POWERTRAIN"
    EXTENDED_WARRANTY = "EXTENDED_WARRANTY"
    PREPAID_MAINTENANCE = "PREPAID_MAINTENANCE"
    ROADSIDE_ASSISTANCE = "ROADSIDE_ASSISTANCE"
    GAP = "GAP"
    TIRE_AND_WHEEL = "TIRE_AND_WHEEL"


CoverageStandingEnum = strawberry.enum(
    Standing, name="CoverageStanding",
    description=f"ACTIVE: in force. EXPIRING_SOON: in force, ending within {EXPIRING_SOON_DAYS} days or within "
    f"{EXPIRING_SOON_MILES:,} miles of its limit. EXPIRED: its end date or mileage limit is reached. CANCELLED: a "
    "product the dealer cancelled.",
)


@strawberry.type(name="Coverage", description="A coverage product on a contract's vehicle, sold with the deal or "
                 "added later by the dealer. Visible to the contract's customers and its dealership.")
class CoverageType(relay.Node):
    id: relay.NodeID[int]
    kind: CoverageKindEnum = strawberry.field(description="The product.")  # type: ignore[valid-type]
    provider: str = strawberry.field(description="Who provides it (administrator or insurer).")
    plan_name: str = strawberry.field(description="The plan's name.")
    provider_phone: str = strawberry.field(description="The number to call (roadside assistance); may be empty.")
    start_date: date = strawberry.field(description="The first day it is in force.")
    term_months: int = strawberry.field(description="How many months it runs from the start date.")
    start_odometer: int = strawberry.field(description="The odometer when it started.")
    mileage_limit: int | None = strawberry.field(
        description="The odometer reading at which it ends (start odometer + the plan's miles); null: no limit."
    )
    price: Money = strawberry.field(description="What it was sold for (financed when sold with the deal).")
    sold_at_origination: bool = strawberry.field(description="True when sold with the deal and financed in it.")
    cancelled: bool = strawberry.field(description="True when the dealer cancelled it.")
    row: strawberry.Private[Coverage]

    @classmethod
    def from_model(cls, row: Coverage) -> CoverageType:
        return cls(id=row.id, kind=row.kind, provider=row.provider, plan_name=row.plan_name,
                   provider_phone=row.provider_phone, start_date=row.start_date, term_months=row.term_months,
                   start_odometer=row.start_odometer, mileage_limit=row.mileage_limit, price=money(row.price),
                   sold_at_origination=row.sold_at_origination,
                   cancelled=row.status == model_enums.CoverageStatus.CANCELLED, row=row)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        return await visible_nodes(coverages_visible_to(info.context.user), node_ids, cls.from_model, required)

    @strawberry.field(description="Its status today and what remains of it (from the latest odometer reading).")
    async def status(self, info: Info) -> CoverageStatusType:
        contract = await info.context.loaders.contracts.load(self.row.contract_id)
        lines = await contract_coverage_lines(info, contract)
        return next(CoverageStatusType.of(line) for line in lines if line.coverage and line.coverage.id == self.id)


@strawberry.type(name="CoverageStatus", description="One coverage of the vehicle (a factory warranty part or a "
                 "coverage product) and where it stands today: the date and the odometer reading at which it ends, "
                 "whichever comes first, and the months and miles left from the latest odometer reading.")
class CoverageStatusType:
    kind: CoverageLineKind = strawberry.field(description="What it covers.")
    provider: str = strawberry.field(description="The maker (factory warranty) or the product's provider.")
    plan_name: str = strawberry.field(description="The warranty or plan's name.")
    status: CoverageStandingEnum = strawberry.field(description="Where it stands today.")  # type: ignore[valid-type]
    start_date: date = strawberry.field(description="The first day in force (the factory warranty's in-service date).")
    start_date_estimated: bool = strawberry.field(
        description="True when the start date is an estimate: a used vehicle's factory warranty counts from its first "
        "in-service date, taken here as January 1 of the model year."
    )
    term_months: int = strawberry.field(description="Months it runs from the start date.")
    ends_on: date = strawberry.field(description="The first day it is no longer in force (start date + term).")
    ends_at_miles: int | None = strawberry.field(
        description="The odometer reading at which it ends; null when it has no mileage limit."
    )
    remaining_months: int = strawberry.field(description="Whole months left (0 when expired).")
    remaining_days: int = strawberry.field(description="Days left until `endsOn` (0 when expired).")
    remaining_miles: int | None = strawberry.field(
        description="Miles left before `endsAtMiles` from the latest odometer reading; null without a mileage limit."
    )
    odometer: int | None = strawberry.field(description="The latest odometer reading used (miles).")
    odometer_read_on: date | None = strawberry.field(description="The day of that reading.")
    phone: str | None = strawberry.field(description="Roadside assistance: the number to call; null otherwise.")
    coverage: CoverageType | None = strawberry.field(description="The coverage product; null for the factory warranty.")

    @classmethod
    def of(cls, line: CoverageLine) -> CoverageStatusType:
        s = line.standing
        roadside = line.kind == model_enums.CoverageKind.ROADSIDE_ASSISTANCE.value
        return cls(kind=CoverageLineKind(line.kind), provider=line.provider, plan_name=line.plan_name,
                   status=s.status, start_date=line.start_date, start_date_estimated=line.start_estimated,
                   term_months=line.term_months, ends_on=s.ends_on, ends_at_miles=s.ends_at_miles,
                   remaining_months=s.remaining_months, remaining_days=s.remaining_days,
                   remaining_miles=s.remaining_miles, odometer=s.odometer.miles if s.odometer else None,
                   odometer_read_on=s.odometer.read_on if s.odometer else None,
                   phone=(line.provider_phone or None) if roadside else None,
                   coverage=CoverageType.from_model(line.coverage) if line.coverage else None)


@strawberry.type(name="ApplicationAddOn", description="A coverage product sold with the deal: its price is financed "
                 "(in the loan's amount financed or the lease's gross capitalized cost).")
class ApplicationAddOnType:
    kind: CoverageKindEnum = strawberry.field(description="The product.")  # type: ignore[valid-type]
    provider: str = strawberry.field(description="Who provides it.")
    plan_name: str = strawberry.field(description="The plan's name.")
    term_months: int = strawberry.field(description="Months it runs from the contract date.")
    mileage_limit: int | None = strawberry.field(description="The plan's miles from the odometer at sale; null: none.")
    price: Money = strawberry.field(description="Its price, financed with the deal.")

    @classmethod
    def from_model(cls, row: ApplicationAddOn) -> ApplicationAddOnType:
        return cls(kind=row.kind, provider=row.provider, plan_name=row.plan_name, term_months=row.term_months,
                   mileage_limit=row.mileage_limit, price=money(row.price))


# -- loaders --------------------------------------------------------------------------------------

def _grouped_loader(model, key: str) -> DataLoader:
    async def load(ids: Sequence[int]):
        grouped = defaultdict(list)
        for row in await model.filter(**{f"{key}__in": list(ids)}).order_by("id"):
            grouped[getattr(row, key)].append(row)
        return [grouped.get(i, []) for i in ids]

    return DataLoader(load_fn=load)


def _coverages(info: Info) -> DataLoader:
    return info.context.loaders.named("coverage.by_contract", lambda: _grouped_loader(Coverage, "contract_id"))


def _add_ons(info: Info) -> DataLoader:
    return info.context.loaders.named("coverage.add_ons", lambda: _grouped_loader(ApplicationAddOn, "application_id"))


async def contract_coverage_lines(info: Info, contract: Contract) -> list[CoverageLine]:
    """The coverage lines of a contract the caller already sees (its vehicle, coverages and odometer
    readings come from the request's loaders: one query each for every contract in the response)."""
    loaders = info.context.loaders
    vehicle = await loaders.vehicles.load(contract.vehicle_id)
    coverages = await _coverages(info).load(contract.id)
    readings = await loaders.odometer.load(contract.id)
    return coverage_lines(contract, vehicle, coverages, readings, info.context.services.clock.today())


async def contract_coverages(info: Info, contract: Contract) -> list[CoverageStatusType]:
    return [CoverageStatusType.of(line) for line in await contract_coverage_lines(info, contract)]


async def application_add_ons(info: Info, application_id: int) -> list[ApplicationAddOnType]:
    return [ApplicationAddOnType.from_model(row) for row in await _add_ons(info).load(application_id)]
