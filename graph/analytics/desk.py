"""`analytics`: the portfolio desk of ANALYST users (api-conventions.md: staff entry points are named
by what they serve and reject every other role). Every field takes an optional `filter` (default: the
12 months up to today, all products, dealers, regions and tiers) and answers aggregates computed in
SQL (resolvers/analytics/)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from strawberry.types import Info

from auth.permissions import Audience
from graph.access import allow
from graph.analytics.types import (
    AdoptionAnalytics,
    BalanceAnalytics,
    DelinquencyAnalytics,
    OriginationAnalytics,
    OutcomeAnalytics,
    VintagePeriod,
)
from graph.enums import ContractKind
from models.enums import Role
from resolvers.analytics.adoption import adoption_report
from resolvers.analytics.balances import balance_report
from resolvers.analytics.delinquency import delinquency_report
from resolvers.analytics.originations import origination_report
from resolvers.analytics.outcomes import outcome_report
from resolvers.analytics.scope import MAX_MONTHS, AnalyticsFilter, checked_filter

ANALYSTS = Audience({Role.ANALYST})


@strawberry.input(description=f"A date range (both days included, at most {MAX_MONTHS} months) and optional "
                  "filters. Omitted: the 12 months up to today, everything.")
class AnalyticsFilterInput:
    start: date | None = strawberry.field(default=None, name="from",
                                          description="First day (default: the 1st of the month 11 months "
                                          "before `to`).")
    end: date | None = strawberry.field(default=None, name="to", description="Last day (default: today).")
    product: ContractKind | None = strawberry.field(default=None, description="LOAN or LEASE only.")
    dealer_code: str | None = strawberry.field(default=None, description="One dealership, by its code.")
    region: str | None = strawberry.field(default=None, description="Dealerships of one state (two letters).")
    credit_tier: str | None = strawberry.field(
        default=None, description="One rate tier of the origination decision, or UNKNOWN for contracts that "
        "did not come through origination.")


def _filter(info: Info, given: AnalyticsFilterInput | None) -> AnalyticsFilter:
    given = given or AnalyticsFilterInput()
    product = getattr(given.product, "value", given.product)
    return checked_filter(start=given.start, end=given.end, product=product, dealer_code=given.dealer_code,
                          region=given.region, credit_tier=given.credit_tier,
                          today=info.context.services.clock.today())


FilterArg = Annotated[AnalyticsFilterInput | None,
                      strawberry.argument(description="The range and filters (optional).")]


@strawberry.type(description="Portfolio analytics: aggregates only (no customer is identifiable from them), "
                 "each exportable as CSV.")
class AnalyticsDesk:
    @strawberry.field(description="Contracts by delinquency bucket at each month end of the range, and roll "
                      "rates between buckets from one month end to the next.")
    async def delinquency(self, info: Info, filter: FilterArg = None) -> DelinquencyAnalytics:
        flt = _filter(info, filter)
        return DelinquencyAnalytics.of(await delinquency_report(flt, info.context.services.clock.today()), flt)

    @strawberry.field(description="Contracts signed (count, amount, average APR) and applications decided "
                      "(approval, decline and counter-offer rates) by dealer and credit tier.")
    async def originations(self, info: Info, filter: FilterArg = None) -> OriginationAnalytics:
        flt = _filter(info, filter)
        return OriginationAnalytics.of(await origination_report(flt), flt)

    @strawberry.field(description="Outstanding balance by product and vintage, as of the range's end.")
    async def outstanding_balances(
        self, info: Info,
        filter: FilterArg = None,
        vintage_by: Annotated[VintagePeriod, strawberry.argument(  # type: ignore[valid-type]
            description="Month (default) or quarter vintages.")] = VintagePeriod.MONTH,
    ) -> BalanceAnalytics:
        flt = _filter(info, filter)
        return BalanceAnalytics.of(await balance_report(flt, VintagePeriod(vintage_by).value), flt)

    @strawberry.field(description="Prepayment (paid off before maturity) and charge-off rates by product.")
    async def prepayments_and_charge_offs(
            self, info: Info, filter: FilterArg = None) -> OutcomeAnalytics:
        flt = _filter(info, filter)
        return OutcomeAnalytics.of(await outcome_report(flt), flt)

    @strawberry.field(description="Autopay adoption of active contracts, and portal adoption (logins, sign-ins "
                      "in the range) of their customers.")
    async def adoption(self, info: Info, filter: FilterArg = None) -> AdoptionAnalytics:
        flt = _filter(info, filter)
        return AdoptionAnalytics.of(await adoption_report(flt), flt)


@strawberry.type
class AnalyticsQuery:
    @strawberry.field(extensions=[allow(ANALYSTS)], description="Portfolio analytics (ANALYST only).")
    def analytics(self, info: Info) -> AnalyticsDesk:
        return AnalyticsDesk()
