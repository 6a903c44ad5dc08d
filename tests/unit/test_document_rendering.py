"""Rendering of statements and tax documents: pure, deterministic, and the figures can be read back."""

from __future__ import annotations

import dataclasses
import hashlib
import io
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from documents.pdf import LENDER, dollars, latin1, money, percent, us_date
from documents.statement import StatementFigures, StatementTransaction, render_statement
from documents.tax import (
    InterestStatementFigures,
    LeaseTaxStatementFigures,
    TaxParty,
    TaxYearLine,
    render_interest_statement,
    render_lease_tax_statement,
)

D = Decimal


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def loan_figures(**overrides) -> StatementFigures:
    transactions = (
        StatementTransaction(date(2026, 10, 15), "PAYMENT", D("166.07"), principal=D("116.64"),
                             interest=D("49.43"), memo="Payment, installment 9 of 36"),
        StatementTransaction(date(2026, 10, 26), "LATE_FEE", D("25.00"), fees=D("25.00")),
        StatementTransaction(date(2026, 10, 28), "PAYMENT_REVERSAL", D("1166.07"), principal=D("1116.64"),
                             interest=D("49.43")),
    )
    values = dict(
        account_number="4000000123", product="LOAN", customer_name="Pat Doe", co_customer_name="Sam Doe",
        mailing_address=("1 Main St", "Austin, TX 78701"), vehicle="2024 Honda Accord EX",
        period_start=date(2026, 10, 1), period_end=date(2026, 10, 31),
        opening_balance=D("4321.09"), closing_balance=D("5406.88"), transactions=transactions,
        interest_charged=D("43.79"), rent_charge_paid=D("0.00"), fees_assessed=D("25.00"),
        payments_received=D("166.07"), payments_returned=D("1166.07"), other_credits=D("17.00"), tax_paid=D("0.00"),
        current_due=D("166.07"), past_due_amount=D("332.14"), fees_due=D("25.00"), amount_due=D("523.21"),
        due_date=date(2026, 11, 15), days_past_due=47, apr=D("12.0000"), principal_balance=D("5300.00"),
        accrued_interest=D("81.88"),
    )
    values.update(overrides)
    return StatementFigures(**values)


# -- formatting -----------------------------------------------------------------------------------

@pytest.mark.parametrize("value, text", [
    (D("0"), "0.00"), (D("5"), "5.00"), (D("999.999"), "1,000.00"), (D("1234.5"), "1,234.50"),
    (D("1234567.891"), "1,234,567.89"), (D("-0.015"), "-0.02"), (D("-1234.56"), "-1,234.56"),
    (D("100000"), "100,000.00"), (D("0.005"), "0.01"), (D("12.3E+3"), "12,300.00"),
])
def test_money_is_formatted_from_the_decimal(value, text):
    assert money(value) == text


def test_money_refuses_floats():
    with pytest.raises(TypeError):
        money(1234.56)  # type: ignore[arg-type]


def test_dollars_dates_and_rates():
    assert dollars(D("1234.5")) == "$1,234.50"
    assert dollars(D("-3")) == "-$3.00"
    assert us_date(date(2026, 3, 7)) == "03/07/2026"
    assert us_date(None) == "-"
    assert percent(D("12.0000")) == "12.00%"
    assert percent(D("6.9")) == "6.90%"
    assert percent(D("5.125")) == "5.125%"


def test_text_outside_latin1_is_folded_not_fatal():
    assert latin1("Zoë Łukasz Núñez") == "Zoë Lukasz Núñez"
    assert latin1("Ngô Bảo Châu") == "Ngô Bao Châu"
    assert latin1("李 “quoted” – dash") == '? "quoted" - dash'


# -- the statement --------------------------------------------------------------------------------

def test_statement_text_has_every_figure():
    figures = loan_figures()
    text = pdf_text(render_statement(figures))
    for expected in (
        LENDER.name, "Monthly Statement", "Statement period 10/01/2026 - 10/31/2026", "4000000123", "Pat Doe",
        "Sam Doe", "1 Main St", "2024 Honda Accord EX", "12.00%",
        "4,321.09", "5,406.88", "43.79", "25.00", "-166.07", "1,166.07", "17.00",
        "Payment due date: 11/15/2026", "$523.21", "332.14", "5,300.00", "81.88", "47 days past due",
        "Payment, installment 9 of 36", "Late fee", "Returned payment", "10/15/2026", "10/26/2026", "10/28/2026",
        "116.64", "49.43", "1,116.64",
        "Payment coupon", *LENDER.payment_address,
    ):
        assert expected in text, expected


def test_same_figures_give_the_same_bytes_and_creation_date_comes_from_the_period():
    first, second = render_statement(loan_figures()), render_statement(loan_figures())
    assert first == second
    assert hashlib.sha256(first).hexdigest() == hashlib.sha256(second).hexdigest()
    info = PdfReader(io.BytesIO(first)).metadata
    assert info["/CreationDate"].startswith("D:20261101000000")
    assert info["/Title"] == "Monthly Statement"
    assert render_statement(loan_figures(closing_balance=D("5406.89"))) != first


def test_pdf_opens_and_is_a_pdf():
    content = render_statement(loan_figures())
    assert content.startswith(b"%PDF-")
    assert len(PdfReader(io.BytesIO(content)).pages) == 1


def test_a_long_period_flows_onto_more_pages_with_every_amount():
    transactions = tuple(
        StatementTransaction(date(2026, 10, 1 + i % 28), "PAYMENT", amount, principal=amount)
        for i, amount in enumerate(D(f"{100 + n}.{n:02d}") for n in range(70))
    )
    content = render_statement(loan_figures(transactions=transactions))
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) >= 2
    text = pdf_text(content)
    for item in transactions:
        assert money(item.amount) in text
    assert f"Page {len(reader.pages)} of {len(reader.pages)}" in text


def test_no_transactions_and_nothing_due():
    figures = loan_figures(transactions=(), current_due=D("0.00"), past_due_amount=D("0.00"), fees_due=D("0.00"),
                           amount_due=D("0.00"), due_date=None, days_past_due=0)
    text = pdf_text(render_statement(figures))
    assert "No transactions in this period." in text
    assert "No payment is due." in text


def test_lease_statement_labels_rent_charge_and_tax():
    figures = loan_figures(
        product="LEASE", apr=None, principal_balance=None, accrued_interest=None, interest_charged=D("0.00"),
        rent_charge_paid=D("74.00"), tax_paid=D("30.07"),
        transactions=(StatementTransaction(date(2026, 10, 15), "PAYMENT", D("459.63"), principal=D("355.56"),
                                           interest=D("74.00"), tax=D("30.07")),),
    )
    text = pdf_text(render_statement(figures))
    for expected in ("Depreciation", "Rent charge", "459.63", "355.56", "74.00", "30.07", "Lease"):
        assert expected in text
    assert "Interest charged" not in text
    assert "Annual percentage rate" not in text


def test_a_name_outside_latin1_renders():
    text = pdf_text(render_statement(loan_figures(customer_name="Łukasz Żółć")))
    assert "Lukasz Zólc" in text


# -- tax documents --------------------------------------------------------------------------------

PARTY = TaxParty(account_number="4000000123", name="Pat Doe", mailing_address=("1 Main St", "Austin, TX 78701"),
                 vehicle="2024 Honda Accord EX", contract_date=date(2025, 6, 3))


def test_interest_statement_shows_the_interest_paid_and_each_payment():
    lines = (
        TaxYearLine(date(2026, 1, 3), D("166.07"), principal=D("120.00"), interest=D("46.07")),
        TaxYearLine(date(2026, 2, 3), D("166.07"), principal=D("121.20"), interest=D("44.87")),
        TaxYearLine(date(2026, 2, 3), D("166.07"), principal=D("121.20"), interest=D("44.87"), returned=True),
    )
    figures = InterestStatementFigures(year=2026, party=PARTY, interest_paid=D("46.07"), principal_paid=D("120.00"),
                                       fees_paid=D("0.00"), total_paid=D("166.07"), lines=lines,
                                       principal_balance_at_year_end=D("4880.00"))
    content = render_interest_statement(figures)
    text = pdf_text(content)
    for expected in ("Annual Interest Statement 2026", "Interest paid in 2026", "$46.07", "4000000123", "Pat Doe",
                     "01/03/2026", "02/03/2026", "-44.87", "Returned payment", "4,880.00", "Tax year"):
        assert expected in text, expected
    assert content == render_interest_statement(figures)
    assert PdfReader(io.BytesIO(content)).metadata["/CreationDate"].startswith("D:20270101")


def test_lease_tax_statement_shows_payments_and_sales_tax():
    lines = tuple(TaxYearLine(date(2026, m, 15), D("459.63"), principal=D("355.56"), interest=D("74.00"),
                              tax=D("30.07")) for m in (1, 2))
    figures = LeaseTaxStatementFigures(year=2026, party=dataclasses.replace(PARTY, co_name="Sam Doe"),
                                       total_paid=D("919.26"), base_payments=D("859.12"), rent_charge=D("148.00"),
                                       sales_tax_paid=D("60.14"), fees_paid=D("0.00"), lines=lines)
    text = pdf_text(render_lease_tax_statement(figures))
    for expected in ("Annual Lease Statement 2026", "$919.26", "859.12", "148.00", "60.14", "429.56", "30.07",
                     "Sam Doe"):
        assert expected in text, expected


def test_empty_tax_year_says_so():
    figures = InterestStatementFigures(year=2026, party=PARTY, interest_paid=D("0.00"), principal_paid=D("0.00"),
                                       fees_paid=D("0.00"), total_paid=D("0.00"), lines=())
    assert "No payments took effect in 2026." in pdf_text(render_interest_statement(figures))
