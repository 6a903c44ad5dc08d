"""finance/deal.py quotes: the loan and lease figures a dealer sees while shaping a deal, checked
against finance-notes.md's worked examples."""

from datetime import date
from decimal import Decimal

import pytest

from finance.deal import DealStructure, lease_quote, loan_quote
from finance.money import MoneyError

D = Decimal
TODAY = date(2026, 11, 2)


def test_loan_quote_is_worked_example_1():
    quote = loan_quote(DealStructure(cash_price=D("5000.00")), apr_percent=D("12"), term_months=36,
                       contract_date=TODAY, first_payment_date=date(2026, 12, 2))
    assert quote.amount_financed == D("5000.00")
    assert quote.monthly_payment == D("166.07") and quote.final_payment == D("166.15")
    assert quote.total_of_payments == D("5978.60") and quote.finance_charge == D("978.60")
    assert quote.apr == D("12.00")


def test_loan_quote_nets_trade_in_fees_and_taxes():
    deal = DealStructure(cash_price=D("4000.00"), fees=D("300.00"), taxes=D("200.00"), cash_down=D("1000.00"),
                         trade_in_value=D("2000.00"), trade_in_payoff=D("3500.00"))
    quote = loan_quote(deal, apr_percent=D("12"), term_months=36, contract_date=TODAY,
                       first_payment_date=date(2026, 12, 2))
    assert quote.amount_financed == D("5000.00")  # 4000 + 300 + 200 - 1000 + 1500 negative equity
    assert quote.monthly_payment == D("166.07")


def test_a_long_first_period_raises_the_disclosed_apr_not_the_payment():
    regular = loan_quote(DealStructure(cash_price=D("5000.00")), apr_percent=D("12"), term_months=36,
                         contract_date=TODAY, first_payment_date=date(2026, 12, 2))
    long_first = loan_quote(DealStructure(cash_price=D("5000.00")), apr_percent=D("12"), term_months=36,
                            contract_date=TODAY, first_payment_date=date(2026, 12, 20))
    assert long_first.monthly_payment == regular.monthly_payment
    assert long_first.apr < regular.apr  # more time before the same payments: a lower actuarial rate


def test_zero_apr_loan_has_no_finance_charge():
    quote = loan_quote(DealStructure(cash_price=D("3600.00")), apr_percent=D("0"), term_months=36,
                       contract_date=TODAY, first_payment_date=date(2026, 12, 2))
    assert quote.monthly_payment == D("100.00") and quote.finance_charge == D("0.00") and quote.apr == D("0.00")


def test_lease_quote_is_worked_example_2():
    deal = DealStructure(cash_price=D("38000.00"), cash_down=D("2000.00"))
    quote = lease_quote(deal, residual_value=D("23200.00"), money_factor=D("0.00125"), term_months=36,
                        tax_rate=D("0.07"), security_deposit=D("500.00"))
    assert (quote.gross_cap_cost, quote.cap_cost_reduction, quote.adjusted_cap_cost) == (
        D("38000.00"), D("2000.00"), D("36000.00"))
    assert quote.depreciation == D("12800.00") and quote.monthly_depreciation == D("355.56")
    assert quote.monthly_rent_charge == D("74.00") and quote.base_payment == D("429.56")
    assert quote.monthly_tax == D("30.07") and quote.monthly_payment == D("459.63")
    assert quote.apr_equivalent == D("3.00")
    assert quote.due_at_signing == D("2959.63")  # 2,000 reduction + first payment + 500 deposit
    assert quote.cash_due_at_signing == D("2959.63") and quote.trade_in_credit == D("0.00")
    # §1013.4(e): due at signing without the refundable deposit + the 35 other payments.
    assert quote.total_of_payments == D("2459.63") + 35 * D("459.63")


def test_lease_trade_in_pays_part_of_the_amount_due_at_signing():
    deal = DealStructure(cash_price=D("35000.00"), fees=D("500.00"), cash_down=D("1000.00"),
                         trade_in_value=D("3000.00"), trade_in_payoff=D("2500.00"))
    quote = lease_quote(deal, residual_value=D("23200.00"), money_factor=D("0.00125"), term_months=36,
                        tax_rate=D("0.07"))
    assert quote.gross_cap_cost == D("38000.00") and quote.cap_cost_reduction == D("4000.00")
    assert quote.adjusted_cap_cost == D("34000.00")
    assert quote.trade_in_credit == D("3000.00")
    assert quote.cash_due_at_signing == quote.due_at_signing - D("3000.00")


def test_inconsistent_deals_are_refused():
    with pytest.raises(ValueError):
        loan_quote(DealStructure(cash_price=D("5000.00"), cash_down=D("5000.00")), apr_percent=D("5"),
                   term_months=36, contract_date=TODAY, first_payment_date=date(2026, 12, 2))
    with pytest.raises(ValueError):  # residual above the adjusted cap cost
        lease_quote(DealStructure(cash_price=D("20000.00")), residual_value=D("21000.00"),
                    money_factor=D("0.001"), term_months=36, tax_rate=D("0"))
    with pytest.raises(MoneyError):
        lease_quote(DealStructure(cash_price=D("30000.00")), residual_value=D("15000.00"), money_factor=D("0.001"),
                    term_months=36, tax_rate=D("0"), security_deposit=D("-1.00"))
