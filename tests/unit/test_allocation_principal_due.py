"""Allocation with installments in view: interest, then principal due, then fees, then extra
principal (finance-notes.md), so a late fee never takes money meant for an installment."""

from datetime import date
from decimal import Decimal

from finance.servicing import LedgerEvent, LoanTerms, allocate_payment, loan_position

TERMS = LoanTerms(amount_financed=Decimal("5000.00"), apr_percent=Decimal("12.0000"), interest_start=date(2026, 1, 15))
LATE_FEE = LedgerEvent(kind="LATE_FEE", effective_date=date(2026, 2, 26), amount=Decimal("25.00"), fees=Decimal("25.00"))
ON = date(2026, 3, 15)


def test_installment_sized_payment_leaves_the_late_fee_unpaid():
    interest = loan_position(TERMS, [LATE_FEE], ON).accrued_interest
    owed = Decimal("332.14")  # two installments of 166.07: February's (late) and March's
    split = allocate_payment(TERMS, [LATE_FEE], owed, ON, owed_on_installments=owed)
    assert split.interest == interest
    assert split.principal == owed - interest
    assert split.fees == Decimal("0.00")  # the installments come first: no pyramiding


def test_money_beyond_the_installments_pays_fees_before_extra_principal():
    owed = Decimal("332.14")
    split = allocate_payment(TERMS, [LATE_FEE], owed + Decimal("40.00"), ON, owed_on_installments=owed)
    assert split.fees == Decimal("25.00")
    assert split.interest + split.principal == owed + Decimal("15.00")
    assert split.unapplied == Decimal("0.00")


def test_without_installments_the_whole_principal_comes_before_fees():
    split = allocate_payment(TERMS, [LATE_FEE], Decimal("372.14"), ON)
    assert split.fees == Decimal("0.00")


def test_splitting_a_payment_gives_the_same_result_when_owed_is_kept_current():
    owed = Decimal("332.14")
    whole = allocate_payment(TERMS, [LATE_FEE], Decimal("400.00"), ON, owed_on_installments=owed)
    first = allocate_payment(TERMS, [LATE_FEE], Decimal("150.00"), ON, owed_on_installments=owed)
    paid = LedgerEvent(kind="PAYMENT", effective_date=ON, amount=Decimal("150.00"), principal=first.principal,
                       interest=first.interest, fees=first.fees)
    second = allocate_payment(TERMS, [LATE_FEE, paid], Decimal("250.00"), ON,
                              owed_on_installments=owed - Decimal("150.00"))
    assert (first.interest + second.interest, first.principal + second.principal, first.fees + second.fees) == (
        whole.interest, whole.principal, whole.fees)
