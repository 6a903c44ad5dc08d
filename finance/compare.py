"""Buy (retail installment loan) versus lease for the same vehicle, over the lease's term.

The comparison horizon is the lease term: that is when the lessee has to decide again, and when the
two positions can be compared. Each side's net cost over the horizon is what was paid in that time
minus the equity held at its end:

- Loan: down payment + the scheduled payments due within the horizon; equity = assumed vehicle value
  at the horizon's end − the loan balance then (0 if the loan term is not longer than the lease's).
  Sales tax on the price is financed with it (amount financed = price + tax − down payment).
- Lease: cap cost reduction + fees at signing + all monthly payments (tax included) + the
  disposition fee when the vehicle is returned; no equity. With purchase_at_end the lessee instead
  pays the purchase option price (residual + purchase option fee, no disposition fee) and then owns
  the vehicle: equity = the assumed value.

Every assumption is returned with the figures (Assumption(name, value, explanation)).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from finance.inputs import rate_below, whole_cents
from finance.inputs import term_months as checked_term
from finance.lease import MAX_TERM_MONTHS as LEASE_MAX_TERM
from finance.lease import Assumption, end_of_term, lease_payment
from finance.loan import MAX_TERM_MONTHS as LOAN_MAX_TERM
from finance.loan import amortization_schedule
from finance.money import ZERO, round_money

# Only the dates' spacing matters to the totals; a fixed date keeps the function free of the clock.
_SCHEDULE_START = date(2000, 1, 1)


@dataclass(frozen=True)
class LoanSide:
    amount_financed: Decimal
    sales_tax: Decimal
    monthly_payment: Decimal
    term_months: int
    total_of_payments: Decimal  # all scheduled payments, whole loan
    total_paid_over_horizon: Decimal  # down payment + payments due within the horizon
    balance_at_horizon_end: Decimal
    equity_at_horizon_end: Decimal
    net_cost: Decimal  # total paid over the horizon − equity


@dataclass(frozen=True)
class LeaseSide:
    drive_off: Decimal  # cap cost reduction + fees at signing + first monthly payment
    monthly_payment: Decimal
    term_months: int
    total_paid: Decimal
    purchased_at_end: bool
    purchase_option_price: Decimal
    equity_at_end: Decimal
    net_cost: Decimal


@dataclass(frozen=True)
class BuyVsLease:
    horizon_months: int
    loan: LoanSide
    lease: LeaseSide
    monthly_payment_difference: Decimal  # loan payment − lease payment (positive: buying costs more a month)
    total_cost_difference: Decimal  # loan net cost − lease net cost (positive: leasing is cheaper)
    cheaper: str  # "BUY", "LEASE" or "EQUAL" over the horizon
    assumptions: tuple[Assumption, ...]


def _loan_side(price: Decimal, down: Decimal, tax_rate: Decimal, apr: Decimal, term: int, horizon: int,
               value_at_end: Decimal) -> LoanSide:
    tax = round_money(price * tax_rate)
    financed = price + tax - down
    if financed <= ZERO:
        raise ValueError("the down payment covers the price: there is no loan to compare")
    schedule = amortization_schedule(financed, apr, term, _SCHEDULE_START)
    within = schedule[:horizon]
    balance = within[-1].balance_after
    paid = down + sum((item.payment for item in within), ZERO)
    equity = value_at_end - balance
    return LoanSide(
        amount_financed=financed, sales_tax=tax, monthly_payment=schedule[0].payment, term_months=term,
        total_of_payments=sum((item.payment for item in schedule), ZERO), total_paid_over_horizon=paid,
        balance_at_horizon_end=balance, equity_at_horizon_end=equity, net_cost=paid - equity,
    )


def _lease_side(gross: Decimal, reduction: Decimal, residual: Decimal, factor: Decimal, term: int,
                tax_rate: Decimal, fees_at_signing: Decimal, disposition: Decimal, option_fee: Decimal,
                purchase: bool, value_at_end: Decimal) -> LeaseSide:
    lease = lease_payment(gross, reduction, residual, factor, term, tax_rate)
    options = end_of_term(residual, option_fee, disposition)
    paid = reduction + fees_at_signing + lease.monthly_payment * term
    paid += options.purchase_option_price if purchase else options.disposition_fee
    equity = value_at_end if purchase else ZERO
    return LeaseSide(
        drive_off=reduction + fees_at_signing + lease.monthly_payment, monthly_payment=lease.monthly_payment,
        term_months=term, total_paid=paid, purchased_at_end=purchase,
        purchase_option_price=options.purchase_option_price, equity_at_end=equity, net_cost=paid - equity,
    )


def buy_vs_lease(
    *, vehicle_price: Decimal, sales_tax_rate: Decimal, down_payment: Decimal, loan_apr_percent: Decimal,
    loan_term_months: int, lease_cap_cost_reduction: Decimal, residual_value: Decimal, money_factor: Decimal,
    lease_term_months: int, assumed_value_at_end: Decimal, lease_gross_cap_cost: Decimal | None = None,
    lease_fees_at_signing: Decimal = ZERO, disposition_fee: Decimal = ZERO, purchase_option_fee: Decimal = ZERO,
    purchase_at_end: bool = False,
) -> BuyVsLease:
    """Compare buying with a loan and leasing the same vehicle over the lease term (see the module docstring).

    assumed_value_at_end is the vehicle's market value at the end of the lease term, an input the
    customer can change (often the residual value is a fair first guess).
    """
    price = whole_cents("vehicle price", vehicle_price, positive=True)
    tax_rate = rate_below("sales tax rate (a fraction)", sales_tax_rate, Decimal(1))
    down = whole_cents("down payment", down_payment)
    value = whole_cents("assumed value at end", assumed_value_at_end)
    gross = price if lease_gross_cap_cost is None else whole_cents("lease gross cap cost", lease_gross_cap_cost)
    fees = whole_cents("lease fees at signing", lease_fees_at_signing)
    if not isinstance(purchase_at_end, bool):
        raise ValueError("purchase_at_end must be a bool")
    lease_n = checked_term(lease_term_months, LEASE_MAX_TERM)
    loan_n = checked_term(loan_term_months, LOAN_MAX_TERM)
    loan = _loan_side(price, down, tax_rate, loan_apr_percent, loan_n, min(lease_n, loan_n), value)
    lease = _lease_side(gross, whole_cents("cap cost reduction", lease_cap_cost_reduction), residual_value,
                        money_factor, lease_term_months, tax_rate, fees, disposition_fee, purchase_option_fee,
                        purchase_at_end, value)
    difference = loan.net_cost - lease.net_cost
    cheaper = "EQUAL" if difference == ZERO else ("LEASE" if difference > ZERO else "BUY")
    return BuyVsLease(
        horizon_months=lease_term_months, loan=loan, lease=lease,
        monthly_payment_difference=loan.monthly_payment - lease.monthly_payment,
        total_cost_difference=difference, cheaper=cheaper,
        assumptions=_assumptions(price, tax_rate, loan, lease, value, lease_term_months, purchase_at_end),
    )


def _assumptions(price: Decimal, tax_rate: Decimal, loan: LoanSide, lease: LeaseSide, value: Decimal,
                 horizon: int, purchase: bool) -> tuple[Assumption, ...]:
    return (
        Assumption("horizon_months", str(horizon), "both options are compared over the lease term"),
        Assumption("assumed_value_at_end", str(value), "the vehicle's market value at the horizon's end (estimate)"),
        Assumption("sales_tax", str(loan.sales_tax),
                   f"price {price} × {tax_rate}, financed with the loan; on a lease, tax is paid monthly"),
        Assumption("loan_balance_at_horizon_end", str(loan.balance_at_horizon_end),
                   "from the amortization schedule; 0 when the loan ends within the horizon"),
        Assumption("loan_equity", str(loan.equity_at_horizon_end),
                   "assumed value − loan balance at the horizon's end (can be negative)"),
        Assumption("lease_end", "purchase" if purchase else "return",
                   "purchase: pay residual + purchase option fee and keep the car; "
                   "return: pay the disposition fee, no equity"),
        Assumption("excluded", "insurance, maintenance, registration, excess mileage and wear, "
                   "sales tax on a lease-end purchase, opportunity cost of the down payment",
                   "the same for both options, or unknown"),
    )
