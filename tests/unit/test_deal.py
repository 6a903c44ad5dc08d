"""finance/deal.py: what a deal structure finances (loan) or capitalizes (lease)."""

from decimal import Decimal

import pytest

from finance.deal import DealStructure, lease_cap_cost, loan_amount_financed

D = Decimal


def test_loan_amount_financed_nets_down_payment_and_trade_in():
    deal = DealStructure(cash_price=D("30000.00"), fees=D("500.00"), taxes=D("2000.00"), cash_down=D("3000.00"),
                         trade_in_value=D("5000.00"), trade_in_payoff=D("500.00"))
    assert loan_amount_financed(deal, None) == D("25000.00")
    assert loan_amount_financed(deal, D("40000.00")) == D("25000.00")
    assert loan_amount_financed(deal, D("20000.00")) == D("20000.00")  # capped by the approval


def test_negative_equity_is_financed():
    deal = DealStructure(cash_price=D("20000.00"), trade_in_value=D("8000.00"), trade_in_payoff=D("11000.00"))
    assert loan_amount_financed(deal, None) == D("23000.00")


def test_a_deal_that_finances_nothing_is_refused():
    with pytest.raises(ValueError):
        loan_amount_financed(DealStructure(cash_price=D("10000.00"), cash_down=D("10000.00")), None)


def test_lease_cap_cost_matches_finance_notes_example_2():
    cap = lease_cap_cost(DealStructure(cash_price=D("37500.00"), fees=D("500.00"), cash_down=D("2000.00")))
    assert (cap.gross_cap_cost, cap.cap_cost_reduction, cap.adjusted_cap_cost) == (
        D("38000.00"), D("2000.00"), D("36000.00"))
