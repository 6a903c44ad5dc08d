"""A dealer's deal structure turned into what is financed (pure; no I/O).

Loan: amount financed = cash price + fees + taxes + add-ons − cash down − trade-in value + trade-in
payoff, never more than the approved amount (the decision is the most the lender will finance).
Lease (Regulation M §1013.4(f)): gross capitalized cost = cash price + fees + taxes + add-ons +
trade-in payoff (everything the lessee finances); capitalized cost reduction = cash down + trade-in value.
A security deposit is refundable, so it reduces nothing. Add-ons are the coverage products sold with
the deal (service contract, GAP, maintenance plan...): their prices are financed like the fees.

Quotes (what a dealer tool shows while the deal is shaped, before any decision):
- Loan: the level payment and TILA figures of finance/loan.py on the amount financed; the APR is
  computed back from the payments by Appendix J (finance/apr.py) with the first period running from
  the contract date to the first payment date, so an odd first period shows in it.
- Lease: the Regulation M figures of finance/lease.py on the cap costs above. Amount due at signing
  = cap cost reduction + first monthly payment + refundable security deposit (§1013.4(b)); of it,
  the trade-in value is paid by the trade and the rest in cash. The total of payments leaves the
  refundable deposit out (§1013.4(e)).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from finance.apr import apr_actuarial, monthly_first_period
from finance.inputs import whole_cents
from finance.lease import lease_disclosure
from finance.loan import amortization_schedule, disclosures
from finance.money import ZERO, round_money


@dataclass(frozen=True)
class DealStructure:
    cash_price: Decimal
    fees: Decimal = ZERO
    taxes: Decimal = ZERO
    cash_down: Decimal = ZERO
    trade_in_value: Decimal = ZERO
    trade_in_payoff: Decimal = ZERO
    add_ons: Decimal = ZERO  # the coverage products sold with the deal, financed


@dataclass(frozen=True)
class LeaseCapCost:
    gross_cap_cost: Decimal
    cap_cost_reduction: Decimal

    @property
    def adjusted_cap_cost(self) -> Decimal:
        return self.gross_cap_cost - self.cap_cost_reduction


def loan_amount_financed(deal: DealStructure, approved_amount: Decimal | None) -> Decimal:
    """What the loan finances: the deal's net amount, capped by the approved amount (when there is one).
    ValueError when nothing would be financed."""
    financed = round_money(deal.cash_price + deal.fees + deal.taxes + deal.add_ons - deal.cash_down
                           - deal.trade_in_value + deal.trade_in_payoff)
    if approved_amount is not None:
        financed = min(financed, round_money(approved_amount))
    if financed <= ZERO:
        raise ValueError("the deal finances nothing: the down payment and trade-in cover the price")
    return financed


def lease_cap_cost(deal: DealStructure) -> LeaseCapCost:
    """Gross capitalized cost and its reduction from the deal (finance.lease.lease_payment takes both)."""
    gross = round_money(deal.cash_price + deal.fees + deal.taxes + deal.add_ons + deal.trade_in_payoff)
    reduction = round_money(deal.cash_down + deal.trade_in_value)
    return LeaseCapCost(gross_cap_cost=gross, cap_cost_reduction=reduction)


# -- quotes ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LoanQuote:
    amount_financed: Decimal
    note_rate: Decimal  # the requested APR, percent
    term_months: int
    monthly_payment: Decimal
    final_payment: Decimal  # absorbs the rounding of the level payment
    total_of_payments: Decimal
    finance_charge: Decimal
    apr: Decimal  # by Appendix J from the payments and dates, percent, 2 places
    first_payment_date: date


def loan_quote(deal: DealStructure, *, apr_percent: Decimal, term_months: int, contract_date: date,
               first_payment_date: date) -> LoanQuote:
    """The TILA figures of a level-payment loan on this deal (finance-notes.md worked example 1)."""
    financed = loan_amount_financed(deal, None)
    schedule = amortization_schedule(financed, apr_percent, term_months, first_payment_date)
    totals = disclosures(schedule, financed)
    whole, fraction = monthly_first_period(contract_date, first_payment_date)
    apr = apr_actuarial(financed, [item.payment for item in schedule], first_period_fraction=fraction,
                        first_period_whole_periods=whole)
    return LoanQuote(
        amount_financed=financed, note_rate=apr_percent, term_months=term_months,
        monthly_payment=schedule[0].payment, final_payment=schedule[-1].payment,
        total_of_payments=totals.total_of_payments, finance_charge=totals.finance_charge, apr=apr,
        first_payment_date=first_payment_date,
    )


@dataclass(frozen=True)
class LeaseQuote:
    gross_cap_cost: Decimal
    cap_cost_reduction: Decimal
    adjusted_cap_cost: Decimal
    residual_value: Decimal
    depreciation: Decimal
    rent_charge_total: Decimal
    term_months: int
    monthly_depreciation: Decimal
    monthly_rent_charge: Decimal
    base_payment: Decimal
    monthly_tax: Decimal
    monthly_payment: Decimal
    money_factor: Decimal
    apr_equivalent: Decimal  # money factor × 2400, percent
    security_deposit: Decimal
    due_at_signing: Decimal  # cap cost reduction + first payment + security deposit
    trade_in_credit: Decimal  # the part of the amount due at signing the trade-in pays
    cash_due_at_signing: Decimal
    total_of_payments: Decimal  # due at signing (without the refundable deposit) + the other payments


def lease_quote(deal: DealStructure, *, residual_value: Decimal, money_factor: Decimal, term_months: int,
                tax_rate: Decimal, security_deposit: Decimal = ZERO) -> LeaseQuote:
    """The Regulation M figures of a lease on this deal (finance-notes.md worked example 2)."""
    cap = lease_cap_cost(deal)
    deposit = whole_cents("security deposit", security_deposit)
    figures = lease_disclosure(cap.gross_cap_cost, cap.cap_cost_reduction, residual_value, money_factor, term_months,
                               tax_rate)
    due = figures.amount_due_at_signing + deposit
    credit = round_money(deal.trade_in_value)
    return LeaseQuote(
        gross_cap_cost=cap.gross_cap_cost, cap_cost_reduction=cap.cap_cost_reduction,
        adjusted_cap_cost=figures.adjusted_cap_cost, residual_value=figures.residual_value,
        depreciation=figures.depreciation, rent_charge_total=figures.rent_charge_total, term_months=term_months,
        monthly_depreciation=figures.monthly_depreciation, monthly_rent_charge=figures.monthly_rent_charge,
        base_payment=figures.base_monthly_payment, monthly_tax=figures.monthly_tax,
        monthly_payment=figures.total_monthly_payment, money_factor=figures.money_factor,
        apr_equivalent=figures.apr_equivalent, security_deposit=deposit, due_at_signing=due,
        trade_in_credit=credit, cash_due_at_signing=due - credit, total_of_payments=figures.total_of_payments,
    )
