"""A dealer's deal structure turned into what is financed (pure; no I/O).

Loan: amount financed = cash price + fees + taxes − cash down − trade-in value + trade-in payoff,
never more than the approved amount (the decision is the most the lender will finance).
Lease (Regulation M §1013.4(f)): gross capitalized cost = cash price + fees + taxes + trade-in
payoff (everything the lessee finances); capitalized cost reduction = cash down + trade-in value.
A security deposit is refundable, so it reduces nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from finance.money import ZERO, round_money


@dataclass(frozen=True)
class DealStructure:
    cash_price: Decimal
    fees: Decimal = ZERO
    taxes: Decimal = ZERO
    cash_down: Decimal = ZERO
    trade_in_value: Decimal = ZERO
    trade_in_payoff: Decimal = ZERO


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
    financed = round_money(deal.cash_price + deal.fees + deal.taxes - deal.cash_down - deal.trade_in_value
                           + deal.trade_in_payoff)
    if approved_amount is not None:
        financed = min(financed, round_money(approved_amount))
    if financed <= ZERO:
        raise ValueError("the deal finances nothing: the down payment and trade-in cover the price")
    return financed


def lease_cap_cost(deal: DealStructure) -> LeaseCapCost:
    """Gross capitalized cost and its reduction from the deal (finance.lease.lease_payment takes both)."""
    gross = round_money(deal.cash_price + deal.fees + deal.taxes + deal.trade_in_payoff)
    reduction = round_money(deal.cash_down + deal.trade_in_value)
    return LeaseCapCost(gross_cap_cost=gross, cap_cost_reduction=reduction)
