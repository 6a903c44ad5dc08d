"""Output types of the analytics desk. Aggregates only, by design: no type here carries a customer's
name, email, SSN, contract number or VIN, nor a Node id that leads to customer data (a test walks
these types). Dealers appear by code, name and state; tiers by name.

Each report carries `csvUrl`, a 5-minute link to the same figures as CSV for the analyst who asked
(resolvers/analytics/export.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import Enum

import strawberry
from strawberry.types import Info

from graph.enums import ContractKind
from graph.scalars import Money, money
from graph.servicing.figures import DelinquencyBucket
from models import enums as model_enums
from resolvers.analytics import adoption, balances, delinquency, originations, outcomes
from resolvers.analytics.export import signed_csv_path
from resolvers.analytics.scope import AnalyticsFilter


class _VintagePeriod(str, Enum):
    MONTH = "MONTH"
    QUARTER = "QUARTER"


VintagePeriod = strawberry.enum(
    _VintagePeriod,
    name="VintagePeriod",
    description="How contracts are grouped into vintages: by the month or the quarter they were signed.",
)

RATE = "A fraction from 0 to 1, 4 decimal places (0.0125 is 1.25 %)."


@strawberry.type(description="The range and filters a report was computed for.")
class AnalyticsScope:
    start: date = strawberry.field(name="from", description="First day of the range.")
    end: date = strawberry.field(name="to", description="Last day of the range.")
    product: ContractKind | None = strawberry.field(description="LOAN or LEASE; null for both.")
    dealer_code: str | None = strawberry.field(description="The dealership's code; null for all dealers.")
    region: str | None = strawberry.field(description="The dealership's state; null for all.")
    credit_tier: str | None = strawberry.field(description="The decision's rate tier (or UNKNOWN); null for all.")

    @classmethod
    def of(cls, flt: AnalyticsFilter) -> AnalyticsScope:
        return cls(start=flt.start, end=flt.end,
                   product=model_enums.ContractKind(flt.product) if flt.product else None,
                   dealer_code=flt.dealer_code, region=flt.region, credit_tier=flt.credit_tier)


def _csv_url(info: Info, report: str, flt: AnalyticsFilter, options: dict | None = None) -> str:
    return signed_csv_path(info.context.services, report, flt, info.context.user.id, options)


CSV_DESCRIPTION = ("This report as CSV: a link valid for 5 minutes, for you only (the signed-in analyst). "
                   "GET it without a session.")


# -- delinquency --------------------------------------------------------------------------------------

@strawberry.type(description="How many contracts were in one delinquency bucket at a month end.")
class BucketFigure:
    bucket: DelinquencyBucket = strawberry.field(description="The bucket.")
    contracts: int = strawberry.field(description="Contracts in it.")
    share: Decimal = strawberry.field(description=f"Their share of the month end's contracts. {RATE}")


@strawberry.type(description="The delinquency buckets at one month end.")
class DelinquencyMonth:
    month_end: date = strawberry.field(description="The month end.")
    contracts: int = strawberry.field(description="Contracts open at that month end (signed, not closed).")
    buckets: list[BucketFigure] = strawberry.field(description="Every bucket, CURRENT first.")


@strawberry.type(description="Contracts that moved from one bucket at a month end to a bucket at the next.")
class RollRate:
    month_end: date = strawberry.field(description="The later month end.")
    from_bucket: DelinquencyBucket = strawberry.field(description="Bucket at the previous month end.")
    to_bucket: DelinquencyBucket = strawberry.field(description="Bucket at this month end.")
    contracts: int = strawberry.field(description="Contracts that made that move.")
    rate: Decimal = strawberry.field(
        description=f"Their share of the contracts in `fromBucket` at the previous month end that are still "
        f"open at this one. {RATE}")


@strawberry.type(description="Delinquency by bucket at each month end of the range, and roll rates.")
class DelinquencyAnalytics:
    scope: AnalyticsScope = strawberry.field(description="The range and filters.")
    source: str = strawberry.field(description="Where the figures come from and what they simplify.")
    months: list[DelinquencyMonth] = strawberry.field(description="Each month end in the range, up to today.")
    roll_rates: list[RollRate] = strawberry.field(
        description="From each bucket (with contracts) at a month end to every bucket at the next.")
    _filter: strawberry.Private[AnalyticsFilter]

    @strawberry.field(description=CSV_DESCRIPTION)
    def csv_url(self, info: Info) -> str:
        return _csv_url(info, "delinquency", self._filter)

    @classmethod
    def of(cls, report: delinquency.DelinquencyReport, flt: AnalyticsFilter) -> DelinquencyAnalytics:
        return cls(scope=AnalyticsScope.of(flt), source=report.source, _filter=flt, months=[
            DelinquencyMonth(month_end=m.month_end, contracts=m.contracts, buckets=[
                BucketFigure(bucket=model_enums.DelinquencyBucket(b.bucket), contracts=b.contracts, share=b.share)
                for b in m.buckets]) for m in report.months],
            roll_rates=[RollRate(month_end=r.month_end, from_bucket=model_enums.DelinquencyBucket(r.from_bucket),
                                 to_bucket=model_enums.DelinquencyBucket(r.to_bucket), contracts=r.contracts,
                                 rate=r.rate) for r in report.roll_rates])


# -- originations --------------------------------------------------------------------------------------

@strawberry.type(description="Originations and decisions of one dealer in one credit tier.")
class OriginationFigure:
    dealer_code: str = strawberry.field(description="The dealership's code.")
    dealer_name: str = strawberry.field(description="The dealership's name.")
    region: str = strawberry.field(description="The dealership's state.")
    credit_tier: str = strawberry.field(description="The rate tier of the decision, or UNKNOWN.")
    contracts: int = strawberry.field(description="Contracts signed in the range.")
    amount_financed: Money = strawberry.field(description="Their amount financed (leases: adjusted cap cost).")
    average_apr: Decimal | None = strawberry.field(
        description="Average APR (percent) of the loans signed in the range; null without loans.")
    applications: int = strawberry.field(description="Applications submitted in the range.")
    decided: int = strawberry.field(
        description="Of those, decided (latest decision approved, approved with conditions, countered or declined).")
    approved: int = strawberry.field(description="Latest decision APPROVED or APPROVED_WITH_CONDITIONS.")
    declined: int = strawberry.field(description="Latest decision DECLINED.")
    counter_offered: int = strawberry.field(description="Latest decision COUNTER_OFFER.")
    approval_rate: Decimal = strawberry.field(description=f"approved / decided. {RATE}")
    decline_rate: Decimal = strawberry.field(description=f"declined / decided. {RATE}")
    counter_offer_rate: Decimal = strawberry.field(description=f"counterOffered / decided. {RATE}")


@strawberry.type(description="Originations, decision rates and average APR by dealer and credit tier.")
class OriginationAnalytics:
    scope: AnalyticsScope = strawberry.field(description="The range and filters.")
    rows: list[OriginationFigure] = strawberry.field(description="One row per dealer and tier, by dealer code.")
    _filter: strawberry.Private[AnalyticsFilter]

    @strawberry.field(description=CSV_DESCRIPTION)
    def csv_url(self, info: Info) -> str:
        return _csv_url(info, "originations", self._filter)

    @classmethod
    def of(cls, report: originations.OriginationReport, flt: AnalyticsFilter) -> OriginationAnalytics:
        return cls(scope=AnalyticsScope.of(flt), _filter=flt, rows=[OriginationFigure(
            dealer_code=r.dealer_code, dealer_name=r.dealer_name, region=r.region, credit_tier=r.credit_tier,
            contracts=r.contracts, amount_financed=money(r.amount_financed), average_apr=r.average_apr,
            applications=r.applications, decided=r.decided, approved=r.approved, declined=r.declined,
            counter_offered=r.counter_offered, approval_rate=r.approval_rate, decline_rate=r.decline_rate,
            counter_offer_rate=r.counter_offer_rate) for r in report.rows])


# -- balances --------------------------------------------------------------------------------------------

@strawberry.type(description="Outstanding balance of one product and vintage.")
class BalanceFigure:
    product: ContractKind = strawberry.field(description="LOAN or LEASE.")
    vintage: str = strawberry.field(description="The month (2026-03) or quarter (2026-Q1) the contracts were signed.")
    contracts: int = strawberry.field(description="Contracts open at the range's end.")
    amount_financed: Money = strawberry.field(description="Their amount financed at signing.")
    outstanding: Money = strawberry.field(
        description="Amount financed less principal repaid by the range's end (leases: cap cost not yet "
        "depreciated through payments).")


@strawberry.type(description="Outstanding balance by product and vintage at the range's end.")
class BalanceAnalytics:
    scope: AnalyticsScope = strawberry.field(description="The range and filters (balances are as of `to`).")
    vintage_by: VintagePeriod = strawberry.field(description="Month or quarter vintages.")
    rows: list[BalanceFigure] = strawberry.field(description="One row per product and vintage.")
    _filter: strawberry.Private[AnalyticsFilter]

    @strawberry.field(description=CSV_DESCRIPTION)
    def csv_url(self, info: Info) -> str:
        return _csv_url(info, "balances", self._filter, {"vintage_by": self.vintage_by.value})

    @classmethod
    def of(cls, report: balances.BalanceReport, flt: AnalyticsFilter) -> BalanceAnalytics:
        return cls(scope=AnalyticsScope.of(flt), _filter=flt, vintage_by=VintagePeriod(report.vintage_by),
                   rows=[BalanceFigure(product=model_enums.ContractKind(r.product), vintage=r.vintage,
                                       contracts=r.contracts, amount_financed=money(r.amount_financed),
                                       outstanding=money(r.outstanding)) for r in report.rows])


# -- prepayments and charge-offs --------------------------------------------------------------------------

@strawberry.type(description="Prepayments and charge-offs of one product over the range.")
class OutcomeFigure:
    product: ContractKind = strawberry.field(description="LOAN or LEASE.")
    exposed: int = strawberry.field(description="Contracts open at some point in the range.")
    prepaid: int = strawberry.field(description="Paid off in the range before their maturity date.")
    charged_off: int = strawberry.field(description="Charged off in the range.")
    prepayment_rate: Decimal = strawberry.field(description=f"prepaid / exposed. {RATE}")
    charge_off_rate: Decimal = strawberry.field(description=f"chargedOff / exposed. {RATE}")
    charged_off_principal: Money = strawberry.field(
        description="Amount financed less principal repaid, of the contracts charged off, on their charge-off day.")


@strawberry.type(description="Prepayment and charge-off rates by product.")
class OutcomeAnalytics:
    scope: AnalyticsScope = strawberry.field(description="The range and filters.")
    rows: list[OutcomeFigure] = strawberry.field(description="One row per product.")
    _filter: strawberry.Private[AnalyticsFilter]

    @strawberry.field(description=CSV_DESCRIPTION)
    def csv_url(self, info: Info) -> str:
        return _csv_url(info, "outcomes", self._filter)

    @classmethod
    def of(cls, report: outcomes.OutcomeReport, flt: AnalyticsFilter) -> OutcomeAnalytics:
        return cls(scope=AnalyticsScope.of(flt), _filter=flt, rows=[OutcomeFigure(
            product=model_enums.ContractKind(r.product), exposed=r.exposed, prepaid=r.prepaid,
            charged_off=r.charged_off, prepayment_rate=r.prepayment_rate, charge_off_rate=r.charge_off_rate,
            charged_off_principal=money(r.charged_off_principal)) for r in report.rows])


# -- adoption ------------------------------------------------------------------------------------------------

@strawberry.type(description="Autopay and portal adoption.")
class AdoptionAnalytics:
    scope: AnalyticsScope = strawberry.field(description="The range and filters.")
    active_contracts: int = strawberry.field(description="ACTIVE contracts in scope (today).")
    contracts_with_autopay: int = strawberry.field(description="Of those, with an ACTIVE autopay plan.")
    autopay_rate: Decimal = strawberry.field(description=f"contractsWithAutopay / activeContracts. {RATE}")
    customers: int = strawberry.field(
        description="Customers (borrowers and co-buyers) of contracts in scope open at some point in the range.")
    customers_with_login: int = strawberry.field(description="Of those, with an active portal login.")
    portal_rate: Decimal = strawberry.field(description=f"customersWithLogin / customers. {RATE}")
    customers_signed_in: int = strawberry.field(description="Of those, who signed in during the range.")
    signed_in_rate: Decimal = strawberry.field(description=f"customersSignedIn / customers. {RATE}")
    _filter: strawberry.Private[AnalyticsFilter]

    @strawberry.field(description=CSV_DESCRIPTION)
    def csv_url(self, info: Info) -> str:
        return _csv_url(info, "adoption", self._filter)

    @classmethod
    def of(cls, report: adoption.AdoptionReport, flt: AnalyticsFilter) -> AdoptionAnalytics:
        return cls(scope=AnalyticsScope.of(flt), _filter=flt, active_contracts=report.active_contracts,
                   contracts_with_autopay=report.contracts_with_autopay, autopay_rate=report.autopay_rate,
                   customers=report.customers, customers_with_login=report.customers_with_login,
                   portal_rate=report.portal_rate, customers_signed_in=report.customers_signed_in,
                   signed_in_rate=report.signed_in_rate)

