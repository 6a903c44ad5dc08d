"""Installments, due status, delinquency buckets and late fees after grace (finance/due.py)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from finance.due import (
    BUCKETS,
    Credit,
    Installment,
    bucket_for,
    credits_from_events,
    due_status,
    lease_installments,
    loan_installments,
)
from finance.loan import amortization_schedule
from finance.servicing import LedgerEvent

D = Decimal
MONTHLY = D("459.63")  # finance-notes.md worked example 2
LEASE = lease_installments(date(2026, 1, 31), 6, MONTHLY)
FIRST = LEASE[0].due_date


def test_lease_installments_clamp_to_month_end_from_the_original_day():
    assert [i.due_date for i in LEASE] == [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31),
                                          date(2026, 4, 30), date(2026, 5, 31), date(2026, 6, 30)]
    assert [i.number for i in LEASE] == [1, 2, 3, 4, 5, 6] and {i.amount for i in LEASE} == {MONTHLY}


def test_loan_installments_follow_the_schedule():
    schedule = amortization_schedule(D("5000.00"), D("12"), 36, date(2026, 2, 15))
    installments = loan_installments(schedule)
    assert len(installments) == 36 and installments[0] == Installment(1, date(2026, 2, 15), D("166.07"))
    assert installments[-1].amount == D("166.15")


def test_nothing_paid_on_the_first_due_date_is_current():
    status = due_status(LEASE, [], FIRST)
    assert (status.next_due_date, status.next_due_amount, status.past_due_amount) == (FIRST, MONTHLY, D("0.00"))
    assert (status.days_past_due, status.bucket, status.installments_paid, status.late_fee_due_for) == (
        0, "CURRENT", 0, ())


def test_the_day_after_the_due_date_is_one_day_past_due():
    status = due_status(LEASE, [], FIRST + timedelta(days=1))
    assert (status.days_past_due, status.bucket, status.past_due_amount) == (1, "DPD_1_29", MONTHLY)


def test_due_status_across_a_month_end_clamp():
    credits = [Credit(date(2026, 1, 30), MONTHLY)]
    on_feb_28 = due_status(LEASE, credits, date(2026, 2, 28))
    assert (on_feb_28.next_due_date, on_feb_28.days_past_due, on_feb_28.installments_paid) == (
        date(2026, 2, 28), 0, 1)
    on_mar_1 = due_status(LEASE, credits, date(2026, 3, 1))
    assert (on_mar_1.days_past_due, on_mar_1.past_due_amount) == (1, MONTHLY)
    on_mar_31 = due_status(LEASE, credits, date(2026, 3, 31))
    assert (on_mar_31.days_past_due, on_mar_31.past_due_amount) == (31, MONTHLY)  # Mar 31 itself not yet late


@pytest.mark.parametrize(("days", "bucket"), [(0, "CURRENT"), (1, "DPD_1_29"), (29, "DPD_1_29"),
                                              (30, "DPD_30_59"), (59, "DPD_30_59"), (60, "DPD_60_89"),
                                              (89, "DPD_60_89"), (90, "DPD_90_PLUS"), (400, "DPD_90_PLUS")])
def test_buckets_at_their_boundaries(days, bucket):
    assert bucket_for(days) == bucket
    long_lease = lease_installments(date(2026, 1, 15), 36, MONTHLY)
    status = due_status(long_lease, [], date(2026, 1, 15) + timedelta(days=days))
    assert status.days_past_due == days and status.bucket == bucket
    assert bucket in BUCKETS


def test_days_past_due_count_from_the_oldest_unpaid_installment():
    partial = [Credit(FIRST, D("400.00"))]
    status = due_status(LEASE, partial, date(2026, 3, 5))
    assert status.next_due_date == FIRST and status.next_due_amount == D("59.63")
    assert status.past_due_amount == D("59.63") + MONTHLY
    assert status.days_past_due == 33 and status.bucket == "DPD_30_59"


def test_grace_boundary_late_fee_due_on_due_plus_grace_plus_one_not_before():
    assert due_status(LEASE, [], FIRST + timedelta(days=10)).late_fee_due_for == ()
    assert due_status(LEASE, [], FIRST + timedelta(days=11)).late_fee_due_for == (1,)
    assert due_status(LEASE, [], FIRST, grace_days=0).late_fee_due_for == ()
    assert due_status(LEASE, [], FIRST + timedelta(days=1), grace_days=0).late_fee_due_for == (1,)


def test_paid_on_the_last_day_of_grace_owes_no_fee_paid_the_day_after_does():
    in_grace = [Credit(FIRST + timedelta(days=10), MONTHLY)]
    assert due_status(LEASE, in_grace, FIRST + timedelta(days=20)).late_fee_due_for == ()
    after_grace = [Credit(FIRST + timedelta(days=11), MONTHLY)]
    status = due_status(LEASE, after_grace, FIRST + timedelta(days=20))
    assert status.late_fee_due_for == (1,) and status.days_past_due == 0 and status.installments_paid == 1


def test_no_late_fee_pyramiding():
    """16 CFR 444.4: an unpaid late fee never makes the next full, on-time installment late."""
    late_first = LedgerEvent("PAYMENT", FIRST + timedelta(days=15), MONTHLY, principal=MONTHLY)
    fee = LedgerEvent("LATE_FEE", FIRST + timedelta(days=11), D("25.00"), fees=D("25.00"))
    on_time_second = LedgerEvent("PAYMENT", date(2026, 2, 28), MONTHLY, principal=MONTHLY)
    credits = credits_from_events([fee, late_first, on_time_second])
    status = due_status(LEASE, credits, date(2026, 3, 20))
    assert status.late_fee_due_for == (1,)  # only the installment that really was late
    assert status.installments_paid == 2 and status.days_past_due == 0 and status.bucket == "CURRENT"


def test_credits_from_events_exclude_fees_and_subtract_reversals():
    payment = LedgerEvent("PAYMENT", FIRST, D("484.63"), principal=MONTHLY, fees=D("25.00"))
    reversal = LedgerEvent("PAYMENT_REVERSAL", FIRST, D("484.63"), principal=MONTHLY, fees=D("25.00"))
    waiver = LedgerEvent("FEE_WAIVER", FIRST, D("25.00"), fees=D("25.00"))
    refund = LedgerEvent("REFUND", FIRST, D("5.00"))
    assert credits_from_events([payment, reversal, waiver, refund]) == [Credit(FIRST, MONTHLY), Credit(FIRST, -MONTHLY)]
    status = due_status(LEASE, credits_from_events([payment, reversal]), FIRST + timedelta(days=12))
    assert status.installments_paid == 0 and status.late_fee_due_for == (1,)


def test_credits_after_as_of_do_not_count_and_overpayment_pays_ahead():
    ahead = [Credit(FIRST, MONTHLY * 3 + D("10.00"))]
    status = due_status(LEASE, ahead, FIRST)
    assert status.installments_paid == 3 and status.next_due_date == date(2026, 4, 30)
    assert status.next_due_amount == MONTHLY - D("10.00")
    assert due_status(LEASE, ahead, FIRST - timedelta(days=1)).installments_paid == 0


def test_all_paid_and_paid_off():
    everything = [Credit(FIRST, MONTHLY * 6)]
    status = due_status(LEASE, everything, date(2026, 12, 1))
    assert (status.next_due_date, status.next_due_amount, status.installments_paid) == (None, D("0.00"), 6)
    early_payoff = due_status(LEASE, [], date(2026, 4, 1), paid_off=True)
    assert (early_payoff.next_due_date, early_payoff.bucket, early_payoff.installments_paid) == (None, "CURRENT", 6)


@pytest.mark.parametrize(
    "call",
    [lambda: due_status(LEASE, [], "2026-01-31"), lambda: due_status(LEASE, [], FIRST, grace_days=-1),
     lambda: due_status(LEASE, [], FIRST, grace_days=True), lambda: due_status([*LEASE, LEASE[0]], [], FIRST),
     lambda: due_status([Installment(1, FIRST, D("1.001"))], [], FIRST), lambda: bucket_for(-1),
     lambda: lease_installments(FIRST, 0, MONTHLY), lambda: lease_installments(FIRST, 12, D("0")),
     lambda: lease_installments("2026-01-31", 12, MONTHLY)],
)
def test_invalid_inputs_are_refused(call):
    with pytest.raises(ValueError):
        call()
