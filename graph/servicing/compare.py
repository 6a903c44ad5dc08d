"""`buyVsLease`: buying with a loan against leasing the same vehicle (finance.compare), pure math
on the caller's figures: no stored data is read, so anyone may ask (see graph/schema.py)."""

from __future__ import annotations

from decimal import Decimal
from enum import Enum

import strawberry

from finance.compare import BuyVsLease, buy_vs_lease
from finance.money import MoneyError
from graph.scalars import Money, money
from graph.servicing.figures import AssumptionType
from resolvers.errors import ClientFacingError, ErrorCode


@strawberry.input(description="The two offers for the same vehicle. Amounts are decimal strings in dollars "
                              "(e.g. \"32000.00\").")
class BuyVsLeaseInput:
    vehicle_price: Decimal = strawberry.field(description="Agreed price of the vehicle.")
    sales_tax_rate: Decimal = strawberry.field(description="Sales tax rate as a fraction: 0.0825 for 8.25 %.")
    down_payment: Decimal = strawberry.field(default=Decimal("0"), description="Loan: down payment.")
    loan_apr_percent: Decimal = strawberry.field(description="Loan: APR in percent (6.9 for 6.9 %).")
    loan_term_months: int = strawberry.field(description="Loan: number of monthly payments.")
    lease_cap_cost_reduction: Decimal = strawberry.field(
        default=Decimal("0"), description="Lease: capitalized cost reduction (down payment)."
    )
    residual_value: Decimal = strawberry.field(description="Lease: residual value at the end of the term.")
    money_factor: Decimal = strawberry.field(description="Lease: money factor (e.g. 0.00125, ≈ 3 % APR).")
    lease_term_months: int = strawberry.field(description="Lease: number of monthly payments (the comparison "
                                                          "horizon).")
    assumed_value_at_end: Decimal | None = strawberry.field(
        default=None, description="The vehicle's market value at the end of the lease term (default: the residual "
        "value)."
    )
    lease_gross_cap_cost: Decimal | None = strawberry.field(
        default=None, description="Lease: gross capitalized cost (default: the vehicle price)."
    )
    lease_fees_at_signing: Decimal = strawberry.field(default=Decimal("0"), description="Lease: fees paid at signing.")
    disposition_fee: Decimal = strawberry.field(default=Decimal("0"), description="Lease: fee when the vehicle is "
                                                                                   "returned.")
    purchase_option_fee: Decimal = strawberry.field(default=Decimal("0"), description="Lease: fee added to the "
                                                                                       "residual to buy at the end.")
    purchase_at_end: bool = strawberry.field(default=False, description="Compare buying the vehicle at lease end "
                                                                        "instead of returning it.")


@strawberry.enum(description="Which option costs less over the comparison horizon.")
class CheaperOption(Enum):
    BUY = strawberry.enum_value("BUY", description="Buying with the loan costs less.")
    LEASE = strawberry.enum_value("LEASE", description="Leasing costs less.")
    EQUAL = strawberry.enum_value("EQUAL", description="Both cost the same.")


@strawberry.type(description="The loan side of a buy-vs-lease comparison.")
class BuyOption:
    amount_financed: Money = strawberry.field(description="Price + sales tax − down payment.")
    sales_tax: Money = strawberry.field(description="Sales tax on the price (financed).")
    monthly_payment: Money = strawberry.field(description="Level monthly payment.")
    term_months: int = strawberry.field(description="Loan term.")
    total_of_payments: Money = strawberry.field(description="All scheduled payments of the whole loan.")
    total_paid_over_horizon: Money = strawberry.field(description="Down payment + payments due within the horizon.")
    balance_at_horizon_end: Money = strawberry.field(description="Loan balance left at the horizon's end.")
    equity_at_horizon_end: Money = strawberry.field(description="Assumed value − that balance (can be negative).")
    net_cost: Money = strawberry.field(description="Total paid over the horizon − equity.")


@strawberry.type(description="The lease side of a buy-vs-lease comparison.")
class LeaseOption:
    drive_off: Money = strawberry.field(description="Cap cost reduction + fees at signing + first monthly payment.")
    monthly_payment: Money = strawberry.field(description="Monthly payment, tax included.")
    term_months: int = strawberry.field(description="Lease term.")
    total_paid: Money = strawberry.field(description="Everything paid over the term, with the end-of-term choice.")
    purchased_at_end: bool = strawberry.field(description="Whether the vehicle is bought at lease end.")
    purchase_option_price: Money = strawberry.field(description="Residual value + purchase option fee.")
    equity_at_end: Money = strawberry.field(description="The assumed value when bought at the end, else 0.")
    net_cost: Money = strawberry.field(description="Total paid − equity.")


@strawberry.type(description="Buying with a loan against leasing the same vehicle, with the assumptions.")
class BuyVsLeaseResult:
    horizon_months: int = strawberry.field(description="Both options are compared over the lease term.")
    buy: BuyOption = strawberry.field(description="Buying with the loan.")
    lease: LeaseOption = strawberry.field(description="Leasing.")
    monthly_payment_difference: Money = strawberry.field(
        description="Loan payment − lease payment (positive: buying costs more a month)."
    )
    total_cost_difference: Money = strawberry.field(
        description="Loan net cost − lease net cost over the horizon (positive: leasing is cheaper)."
    )
    cheaper: CheaperOption = strawberry.field(description="The option that costs less over the horizon.")
    assumptions: list[AssumptionType] = strawberry.field(description="What the comparison rests on.")


def compare(data: BuyVsLeaseInput) -> BuyVsLeaseResult:
    """The comparison, or INVALID with the finance code's reason for inputs it refuses."""
    try:
        result = buy_vs_lease(
            vehicle_price=data.vehicle_price, sales_tax_rate=data.sales_tax_rate, down_payment=data.down_payment,
            loan_apr_percent=data.loan_apr_percent, loan_term_months=data.loan_term_months,
            lease_cap_cost_reduction=data.lease_cap_cost_reduction, residual_value=data.residual_value,
            money_factor=data.money_factor, lease_term_months=data.lease_term_months,
            assumed_value_at_end=data.residual_value if data.assumed_value_at_end is None
            else data.assumed_value_at_end,
            lease_gross_cap_cost=data.lease_gross_cap_cost, lease_fees_at_signing=data.lease_fees_at_signing,
            disposition_fee=data.disposition_fee, purchase_option_fee=data.purchase_option_fee,
            purchase_at_end=data.purchase_at_end,
        )
    except (ValueError, MoneyError, ArithmeticError) as exc:
        raise ClientFacingError(ErrorCode.INVALID, f"These figures cannot be compared: {exc}.") from None
    return _result(result)


def _result(r: BuyVsLease) -> BuyVsLeaseResult:
    loan, lease = r.loan, r.lease
    return BuyVsLeaseResult(
        horizon_months=r.horizon_months,
        buy=BuyOption(
            amount_financed=money(loan.amount_financed), sales_tax=money(loan.sales_tax),
            monthly_payment=money(loan.monthly_payment), term_months=loan.term_months,
            total_of_payments=money(loan.total_of_payments), total_paid_over_horizon=money(loan.total_paid_over_horizon),
            balance_at_horizon_end=money(loan.balance_at_horizon_end),
            equity_at_horizon_end=money(loan.equity_at_horizon_end), net_cost=money(loan.net_cost),
        ),
        lease=LeaseOption(
            drive_off=money(lease.drive_off), monthly_payment=money(lease.monthly_payment),
            term_months=lease.term_months, total_paid=money(lease.total_paid), purchased_at_end=lease.purchased_at_end,
            purchase_option_price=money(lease.purchase_option_price), equity_at_end=money(lease.equity_at_end),
            net_cost=money(lease.net_cost),
        ),
        monthly_payment_difference=money(r.monthly_payment_difference),
        total_cost_difference=money(r.total_cost_difference), cheaper=CheaperOption(r.cheaper),
        assumptions=AssumptionType.many(r.assumptions),
    )
