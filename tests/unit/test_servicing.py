"""Simple-interest servicing against finance-notes.md worked example 3, and the ledger rules."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from finance.money import MoneyError
from finance.servicing import (
    DEFAULT_ALLOCATION,
    LedgerEvent,
    LoanTerms,
    allocate_payment,
    daily_rate,
    loan_position,
    parse_allocation,
    payment_event,
    payoff_quote,
    per_diem,
    reversal_of,
)

D = Decimal
START = date(2026, 3, 1)
TERMS = LoanTerms(amount_financed=D("20000.00"), apr_percent=D("6.9000"), interest_start=START)


def pay(on: date, amount: str, terms: LoanTerms = TERMS, events: list[LedgerEvent] | None = None) -> LedgerEvent:
    return payment_event(terms, events or [], D(amount), on)


def test_worked_example_3_per_diem_and_payoff_17_days_later():
    assert per_diem(D("20000.00"), D("6.90")) == D("3.78")
    quote = payoff_quote(TERMS, [], START + timedelta(days=17))
    # 20,000 × 0.069 × 17 / 365 = 64.2739… computed over the whole period, rounded once.
    assert (quote.principal, quote.interest, quote.fees) == (D("20000.00"), D("64.27"), D("0.00"))
    assert quote.total == D("20064.27") and quote.per_diem == D("3.78")
    # Rounding each day (17 × 3.78 = 64.26) would lose a cent: the rule is round once.
    assert quote.interest != 17 * D("3.78")


def test_worked_example_3_after_a_paid_through_date():
    terms = LoanTerms(amount_financed=D("21000.00"), apr_percent=D("6.90"), interest_start=START)
    paid_through = START + timedelta(days=31)
    accrued = loan_position(terms, [], paid_through).accrued_interest
    payment = payment_event(terms, [], accrued + D("1000.00"), paid_through)
    assert (payment.interest, payment.principal) == (accrued, D("1000.00"))
    quote = payoff_quote(terms, [payment], paid_through + timedelta(days=17))
    assert (quote.principal, quote.interest, quote.total, quote.per_diem) == (
        D("20000.00"), D("64.27"), D("20064.27"), D("3.78"))


def test_daily_rate_is_unrounded_and_basis_is_checked():
    assert daily_rate(D("6.90")) * 365 == pytest.approx(D("0.069"), abs=D("1e-40"))
    assert daily_rate(D("0")) == 0
    with pytest.raises(ValueError):
        daily_rate(D("6.9"), "ACTUAL_360")
    with pytest.raises(ValueError):
        LoanTerms(D("100.00"), D("5"), START, day_count_basis="30_360")


def test_leap_year_still_divides_by_365():
    terms = LoanTerms(amount_financed=D("36500.00"), apr_percent=D("10"), interest_start=date(2028, 1, 1))
    # 366 days of 2028 at 10.00 a day: a leap year earns 366/365 of the annual rate.
    position = loan_position(terms, [], date(2029, 1, 1))
    assert position.accrued_interest == D("3660.00")
    across_feb_29 = loan_position(terms, [], date(2028, 3, 1)).accrued_interest
    assert across_feb_29 == D("600.00")  # 31 + 29 days


def test_payment_on_the_contract_date_goes_to_principal():
    allocation = allocate_payment(TERMS, [], D("500.00"), START)
    assert (allocation.interest, allocation.principal, allocation.fees, allocation.unapplied) == (
        D("0.00"), D("500.00"), D("0.00"), D("0.00"))


def test_early_and_late_payments_change_the_interest():
    early = allocate_payment(TERMS, [], D("400.00"), START + timedelta(days=25))
    late = allocate_payment(TERMS, [], D("400.00"), START + timedelta(days=40))
    assert early.interest < late.interest and early.principal > late.principal
    assert early.interest == D("94.52")  # 20,000 × 0.069 × 25 / 365 = 94.5205…
    assert early.interest + early.principal == D("400.00")


def test_interest_accrues_on_each_days_principal_and_rounds_once():
    first = pay(START + timedelta(days=10), "5000.00")
    position = loan_position(TERMS, [first], START + timedelta(days=30))
    # 10 days on 20,000 (37.808…) paid by the first payment; then 20 days on the lower principal.
    principal = D("20000.00") - first.principal
    exact = (D("20000.00") * 10 + principal * 20) * D("6.9") / 36500
    assert position.interest_accrued_to_date == exact.quantize(D("0.01"))
    assert position.accrued_interest == position.interest_accrued_to_date - first.interest
    assert position.interest_paid_to_date == first.interest == D("37.81")


def test_payment_larger_than_payoff_is_unapplied():
    on = START + timedelta(days=17)
    allocation = allocate_payment(TERMS, [], D("20100.00"), on)
    assert (allocation.interest, allocation.principal, allocation.fees) == (D("64.27"), D("20000.00"), D("0.00"))
    assert allocation.unapplied == D("35.73")
    event = payment_event(TERMS, [], D("20100.00"), on)
    position = loan_position(TERMS, [event], on + timedelta(days=30))
    assert (position.principal, position.accrued_interest, position.unpaid_fees) == (D("0.00"),) * 3
    refund = LedgerEvent("REFUND", on + timedelta(days=2), D("35.73"))
    assert loan_position(TERMS, [event, refund], on + timedelta(days=30)) == position


def test_payoff_quote_paid_in_full_leaves_zero_and_per_diem_after():
    first = pay(START + timedelta(days=31), "400.00")
    good_through = START + timedelta(days=50)
    quote = payoff_quote(TERMS, [first], good_through)
    payoff = payment_event(TERMS, [first], quote.total, good_through)
    after = loan_position(TERMS, [first, payoff], good_through + timedelta(days=90))
    assert (after.principal, after.accrued_interest, after.unpaid_fees, after.per_diem) == (D("0.00"),) * 4
    # One day late: the quote plus about a per diem (the total is rounded once, so within a cent).
    next_day = payoff_quote(TERMS, [first], good_through + timedelta(days=1))
    assert abs(next_day.total - quote.total - quote.per_diem) <= D("0.01")


def test_reversal_restores_exactly():
    # Fees first, so the reversed payment took all three parts and the reversal must restore each.
    terms = LoanTerms(D("20000.00"), D("6.9"), START, allocation_order=("FEES", "INTEREST", "PRINCIPAL"))
    late_fee = LedgerEvent("LATE_FEE", START + timedelta(days=40), D("25.00"), fees=D("25.00"))
    events = [pay(START + timedelta(days=31), "400.00", terms), late_fee]
    as_of = START + timedelta(days=60)
    before = loan_position(terms, events, as_of)
    payment = payment_event(terms, events, D("500.00"), START + timedelta(days=45))
    assert payment.fees == D("25.00") and payment.interest > 0 and payment.principal > 0
    reversal = reversal_of(payment)
    assert loan_position(terms, [*events, payment, reversal], as_of) == before
    nsf_fee = LedgerEvent("RETURNED_PAYMENT_FEE", START + timedelta(days=50), D("15.00"), fees=D("15.00"))
    with_fee = loan_position(terms, [*events, payment, reversal, nsf_fee], as_of)
    assert with_fee.unpaid_fees == D("40.00")
    with pytest.raises(ValueError):
        reversal_of(late_fee)


def test_fees_come_last_by_default_and_waivers_remove_them():
    fee = LedgerEvent("LATE_FEE", START + timedelta(days=5), D("25.00"), fees=D("25.00"))
    allocation = allocate_payment(TERMS, [fee], D("100.00"), START + timedelta(days=10))
    assert allocation.fees == D("0.00")  # interest then principal absorb it all
    waiver = LedgerEvent("FEE_WAIVER", START + timedelta(days=6), D("25.00"), fees=D("25.00"))
    position = loan_position(TERMS, [fee, waiver], START + timedelta(days=10))
    assert position.unpaid_fees == D("0.00") and position.fees_credited_to_date == D("25.00")
    fees_first = LoanTerms(D("20000.00"), D("6.9"), START, allocation_order=("FEES", "INTEREST", "PRINCIPAL"))
    assert allocate_payment(fees_first, [fee], D("100.00"), START + timedelta(days=10)).fees == D("25.00")


def test_adjustment_and_payoff_waiver_reduce_balances_but_are_not_payments():
    adjustment = LedgerEvent("ADJUSTMENT", START + timedelta(days=3), D("100.00"), principal=D("100.00"))
    position = loan_position(TERMS, [adjustment], START + timedelta(days=3))
    assert position.principal == D("19900.00") and position.principal_paid_to_date == D("0.00")
    assert position.principal_credited_to_date == D("100.00")
    on = START + timedelta(days=17)
    short = payment_event(TERMS, [], D("20064.00"), on)  # 0.27 short of the payoff
    residual = loan_position(TERMS, [short], on)
    assert residual.total_due_to_pay_off == D("0.27")
    waiver = LedgerEvent("PAYOFF_WAIVER", on, D("0.27"), principal=residual.principal,
                         interest=residual.accrued_interest)
    done = loan_position(TERMS, [short, waiver], on + timedelta(days=10))
    assert done.total_due_to_pay_off == D("0.00") and done.interest_paid_to_date == short.interest


def test_events_after_as_of_are_ignored_and_order_of_the_input_does_not_matter():
    a = pay(START + timedelta(days=31), "400.00")
    b = pay(START + timedelta(days=62), "400.00", events=[a])
    assert loan_position(TERMS, [b, a], START + timedelta(days=70)) == loan_position(
        TERMS, [a, b], START + timedelta(days=70))
    assert loan_position(TERMS, [a, b], START + timedelta(days=40)) == loan_position(
        TERMS, [a], START + timedelta(days=40))


def test_parse_allocation():
    assert parse_allocation("INTEREST,PRINCIPAL,FEES") == DEFAULT_ALLOCATION
    assert parse_allocation("fees, interest ,principal") == ("FEES", "INTEREST", "PRINCIPAL")
    for bad in ("INTEREST,PRINCIPAL", "INTEREST,PRINCIPAL,FEES,FEES", "INTEREST,PRINCIPAL,TAX"):
        with pytest.raises(ValueError):
            parse_allocation(bad)


@pytest.mark.parametrize(
    "build",
    [lambda: LoanTerms(D("0"), D("5"), START), lambda: LoanTerms(D("100.001"), D("5"), START),
     lambda: LoanTerms(D("100"), D("100"), START), lambda: LoanTerms(D("100"), D("-1"), START),
     lambda: LedgerEvent("INTEREST", START, D("1.00")), lambda: LedgerEvent("PAYMENT", START, D("-1.00")),
     lambda: LedgerEvent("PAYMENT", START, D("1.00"), principal=D("2.00")),
     lambda: LedgerEvent("PAYMENT", START, D("1.005")), lambda: LedgerEvent("PAYMENT", "2026-03-01", D("1"))],
)
def test_invalid_terms_and_events_are_refused(build):
    with pytest.raises(ValueError):
        build()


def test_invalid_positions_and_payments_are_refused():
    with pytest.raises(ValueError):
        loan_position(TERMS, [], START - timedelta(days=1))
    with pytest.raises(ValueError):  # a payment before the contract
        loan_position(TERMS, [LedgerEvent("PAYMENT", START - timedelta(days=1), D("1.00"), principal=D("1.00"))],
                      START)
    with pytest.raises(ValueError):  # more principal paid than lent
        loan_position(TERMS, [LedgerEvent("PAYMENT", START, D("20000.01"), principal=D("20000.01"))], START)
    with pytest.raises(ValueError):  # interest paid that never accrued
        loan_position(TERMS, [LedgerEvent("PAYMENT", START, D("1.00"), interest=D("1.00"))], START)
    with pytest.raises(ValueError):  # a fee paid that was never assessed
        loan_position(TERMS, [LedgerEvent("PAYMENT", START, D("1.00"), fees=D("1.00"))], START)
    for amount in (D("0"), D("-5.00"), D("1.001")):
        with pytest.raises(ValueError):
            allocate_payment(TERMS, [], amount, START)
    with pytest.raises(MoneyError):
        allocate_payment(TERMS, [], 10.0, START)  # type: ignore[arg-type]
    with pytest.raises(MoneyError):
        per_diem(20000.0, D("6.9"))  # type: ignore[arg-type]
