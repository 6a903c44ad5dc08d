"""Coverage products sold with a deal: a dealer sets the add-ons of a DRAFT application of its own
dealership, and their prices are financed with the deal.

`set_add_ons` replaces the whole set (one product of each kind at most) in one transaction holding
the application row, and writes the sum of their prices to `credit_applications.add_ons_price`, the
copy every reader of the deal structure uses (finance/deal.py: the loan's amount financed, the
lease's gross capitalized cost; hence the quotes, decisioning, the contract and its TILA or
Regulation M figures). The add-on rows and that sum are written only here, together.

At funding (`coverages_from_add_ons`, called by resolvers/origination/funding.py in its transaction)
each add-on becomes a Coverage of the new contract: sold at origination, starting on the contract
date at the vehicle's odometer at origination, ending `plan miles` later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from auth import audit
from auth.audit import Origin
from finance.money import ZERO
from models import ApplicationAddOn, Contract, Coverage, CreditApplication, User
from models.enums import ApplicationStatus
from resolvers.coverage.checks import Product, product_problems
from resolvers.errors import ErrorCode, Problem
from resolvers.origination.applications import APPLICATION_NOT_FOUND
from resolvers.origination.visibility import applications_visible_to
from service.container import Services

MAX_ADD_ONS = 5  # one of each kind


@dataclass(frozen=True)
class AddOnsOutcome:
    problems: tuple[Problem, ...] = ()
    application: CreditApplication | None = None
    add_ons: tuple[ApplicationAddOn, ...] = ()


def add_ons_problems(products: list[Product]) -> list[Problem]:
    found = []
    if len(products) > MAX_ADD_ONS:
        found.append(Problem(ErrorCode.INVALID, f"At most {MAX_ADD_ONS} add-ons (one of each kind).", ("addOns",)))
    seen = set()
    for index, product in enumerate(products):
        prefix = ("addOns", str(index))
        found += product_problems(product, prefix)
        if product.kind in seen:
            found.append(Problem(ErrorCode.INVALID, "Only one add-on of each kind.", (*prefix, "kind")))
        seen.add(product.kind)
    return found


async def add_ons_of(application_id: int, connection: BaseDBAsyncClient | None = None) -> list[ApplicationAddOn]:
    return list(await ApplicationAddOn.filter(application_id=application_id).using_db(connection).order_by("id"))


async def set_add_ons(services: Services, *, dealer: User, origin: Origin, application_id: int | None,
                      products: list[Product]) -> AddOnsOutcome:
    """Replace the add-ons of a DRAFT of the dealer's dealership (an empty list removes them all)."""
    products = [product.cleaned() for product in products]
    problems = add_ons_problems(products)
    if problems:
        return AddOnsOutcome(problems=tuple(problems))
    now = services.clock.now()
    async with in_transaction() as connection:
        application = None
        if application_id is not None:
            application = await (applications_visible_to(dealer).filter(id=application_id).using_db(connection)
                                 .select_for_update().first())
        if application is None:
            return AddOnsOutcome(problems=(APPLICATION_NOT_FOUND,))
        if application.status != ApplicationStatus.DRAFT:
            return AddOnsOutcome(problems=(Problem(
                ErrorCode.CONFLICT, f"Application {application.number} is {application.status.value}: add-ons "
                "change only on a DRAFT.", ("applicationId",)),))
        await ApplicationAddOn.filter(application_id=application.id).using_db(connection).delete()
        await ApplicationAddOn.bulk_create([
            ApplicationAddOn(application_id=application.id, kind=p.kind, provider=p.provider, plan_name=p.plan_name,
                             term_months=p.term_months, mileage_limit=p.plan_miles, price=p.price, created_at=now)
            for p in products], using_db=connection)
        total = sum((p.price for p in products), ZERO)
        await CreditApplication.filter(id=application.id).using_db(connection).update(add_ons_price=total,
                                                                                      updated_at=now)
        await audit.record("application.add_ons_set", clock=services.clock, origin=origin, actor=dealer, details={
            "application_id": application.id, "application_number": application.number,
            "dealership_id": application.dealership_id, "kinds": [p.kind.value for p in products],
            "add_ons_price": str(total),
        }, using_db=connection)
        stored = await CreditApplication.filter(id=application.id).using_db(connection).get()
        rows = await add_ons_of(application.id, connection)
    return AddOnsOutcome(application=stored, add_ons=tuple(rows))


async def coverages_from_add_ons(services: Services, application: CreditApplication, contract: Contract, *,
                                 start_odometer: int, using_db: BaseDBAsyncClient) -> list[Coverage]:
    """At booking: each add-on of the application becomes a Coverage of the contract (in the caller's
    transaction), starting on the contract date at `start_odometer`."""
    add_ons = await add_ons_of(application.id, using_db)
    now = services.clock.now()
    start: date = contract.contract_date
    made = []
    for add_on in add_ons:
        made.append(await Coverage.create(
            using_db=using_db, contract_id=contract.id, vehicle_id=contract.vehicle_id,
            dealership_id=contract.dealership_id, kind=add_on.kind, provider=add_on.provider,
            plan_name=add_on.plan_name, start_date=start, term_months=add_on.term_months,
            mileage_limit=None if add_on.mileage_limit is None else start_odometer + add_on.mileage_limit,
            start_odometer=start_odometer, price=add_on.price, sold_at_origination=True, add_on_id=add_on.id,
            created_at=now))
    return made
