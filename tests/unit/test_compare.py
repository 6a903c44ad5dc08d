"""Buy vs lease for the same vehicle (finance/compare.py), built on worked examples 1 and 2."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from finance.compare import buy_vs_lease
from finance.lease import lease_disclosure
from finance.loan import amortization_schedule, level_payment
from finance.money import MoneyError

D = Decimal
# The vehicle of worked example 2, bought with a 60-month loan or leased for 36 months.
BASE = dict(vehicle_price=D("38000.00"), sales_tax_rate=D("0.07"), down_payment=D("2000.00"),
            loan_apr_percent=D("6.9"), loan_term_months=60, lease_cap_cost_reduction=D("2000.00"),
            residual_value=D("23200.00"), money_factor=D("0.00125"), lease_term_months=36,
            assumed_value_at_end=D("23200.00"), disposition_fee=D("395.00"))


def test_loan_side_finances_price_and_tax_and_measures_equity_at_the_lease_end():
    result = buy_vs_lease(**BASE)
    loan = result.loan
    assert (loan.sales_tax, loan.amount_financed) == (D("2660.00"), D("38660.00"))
    assert loan.monthly_payment == level_payment(D("38660.00"), D("6.9"), 60)
    schedule = amortization_schedule(D("38660.00"), D("6.9"), 60, date(2026, 1, 1))
    assert loan.balance_at_horizon_end == schedule[35].balance_after
    assert loan.total_paid_over_horizon == D("2000.00") + sum(s.payment for s in schedule[:36])
    assert loan.equity_at_horizon_end == D("23200.00") - loan.balance_at_horizon_end
    assert loan.net_cost == loan.total_paid_over_horizon - loan.equity_at_horizon_end
    assert loan.total_of_payments == sum(s.payment for s in schedule)


def test_lease_side_matches_the_regulation_m_total_of_payments():
    result = buy_vs_lease(**BASE)
    lease = result.lease
    disclosure = lease_disclosure(D("38000.00"), D("2000.00"), D("23200.00"), D("0.00125"), 36, D("0.07"),
                                  disposition_fee=D("395.00"))
    assert lease.monthly_payment == D("459.63") and lease.drive_off == D("2459.63")
    assert lease.total_paid == disclosure.total_of_payments == D("18941.68")
    assert (lease.equity_at_end, lease.net_cost, lease.purchased_at_end) == (D("0.00"), D("18941.68"), False)


def test_differences_and_verdict():
    result = buy_vs_lease(**BASE)
    assert result.horizon_months == 36
    assert result.monthly_payment_difference == result.loan.monthly_payment - D("459.63")
    assert result.total_cost_difference == result.loan.net_cost - result.lease.net_cost
    assert result.cheaper == ("LEASE" if result.total_cost_difference > 0 else "BUY")


def test_purchase_at_end_pays_the_option_price_and_keeps_the_equity():
    result = buy_vs_lease(**BASE, purchase_option_fee=D("350.00"), purchase_at_end=True)
    lease = result.lease
    assert lease.purchase_option_price == D("23550.00")
    assert lease.total_paid == D("2000.00") + 36 * D("459.63") + D("23550.00")  # no disposition fee
    assert lease.equity_at_end == D("23200.00") and lease.net_cost == lease.total_paid - D("23200.00")


def test_a_loan_shorter_than_the_lease_is_paid_off_within_the_horizon():
    result = buy_vs_lease(**{**BASE, "loan_term_months": 24})
    assert result.loan.balance_at_horizon_end == D("0.00")
    assert result.loan.total_paid_over_horizon == D("2000.00") + result.loan.total_of_payments
    assert result.loan.equity_at_horizon_end == D("23200.00")


def test_assumptions_are_returned_alongside():
    result = buy_vs_lease(**BASE)
    names = [a.name for a in result.assumptions]
    assert {"horizon_months", "assumed_value_at_end", "sales_tax", "loan_equity", "lease_end"} <= set(names)
    for name, value, explanation in result.assumptions:
        assert name and isinstance(value, str) and explanation


def test_negative_equity_is_reported_not_hidden():
    result = buy_vs_lease(**{**BASE, "assumed_value_at_end": D("10000.00")})
    assert result.loan.equity_at_horizon_end < 0
    assert result.loan.net_cost == result.loan.total_paid_over_horizon - result.loan.equity_at_horizon_end


@pytest.mark.parametrize("override", [
    {"vehicle_price": D("0")}, {"down_payment": D("41000.00")}, {"sales_tax_rate": D("7")},
    {"loan_term_months": 0}, {"lease_term_months": True}, {"purchase_at_end": "yes"},
    {"assumed_value_at_end": D("-1.00")}, {"residual_value": D("50000.00")}, {"money_factor": D("2.4")},
])
def test_invalid_inputs_are_refused(override):
    with pytest.raises(ValueError):
        buy_vs_lease(**{**BASE, **override})


def test_floats_are_refused():
    with pytest.raises(MoneyError):
        buy_vs_lease(**{**BASE, "vehicle_price": 38000.0})
