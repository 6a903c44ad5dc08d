"""Checkpoints of the figures (finance.servicing.LoanFold, finance.due.CreditFold): resuming from a
fold through any date, with only the later events, gives exactly what the whole ledger gives."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from finance import due
from finance.loan import add_months, amortization_schedule
from finance.servicing import LedgerEvent, LoanTerms, loan_fold, loan_position, payment_event, reversal_of

START = date(2025, 1, 10)
SETTINGS = settings(max_examples=150, deadline=None)

# (days after the previous event, payment in cents, late fee in cents that day or 0, returned?)
histories = st.lists(st.tuples(st.integers(0, 45), st.integers(1, 90_000), st.sampled_from([0, 0, 0, 2500]),
                               st.sampled_from([False, False, False, False, True])), max_size=30)


def replay(terms: LoanTerms, history) -> tuple[list[LedgerEvent], date]:
    events: list[LedgerEvent] = []
    day = START
    for gap, amount_cents, fee_cents, returned in history:
        day += timedelta(days=gap)
        if fee_cents:
            fee = Decimal(fee_cents) / 100
            events.append(LedgerEvent("LATE_FEE", day, fee, fees=fee))
        try:
            payment = payment_event(terms, events, Decimal(amount_cents) / 100, day)
        except ValueError:
            continue
        if payment.principal + payment.interest + payment.fees == 0:
            continue
        events.append(payment)
        if returned:
            events.append(reversal_of(payment))
    return events, day


@SETTINGS
@given(amount=st.integers(2_000_00, 60_000_00), apr=st.integers(0, 24_0000), history=histories,
       cut=st.integers(0, 900), later=st.integers(0, 120))
def test_a_loan_position_resumed_from_a_fold_is_the_whole_ledgers(amount, apr, history, cut, later):
    terms = LoanTerms(amount_financed=Decimal(amount) / 100, apr_percent=Decimal(apr) / 10_000, interest_start=START)
    events, last = replay(terms, history)
    through = START + timedelta(days=cut)
    as_of = max(through, last) + timedelta(days=later)
    fold = loan_fold(terms, events, through)
    after = [event for event in events if event.effective_date > through]
    assert loan_position(terms, after, as_of, start=fold) == loan_position(terms, events, as_of)
    assert loan_position(terms, events, as_of, start=fold) == loan_position(terms, events, as_of)


@SETTINGS
@given(term=st.integers(6, 72), payments=st.lists(st.tuples(st.integers(-20, 40), st.integers(-50_000, 90_000)),
                                                   max_size=40),
       grace=st.integers(0, 15), cut=st.integers(0, 2400), later=st.integers(0, 400))
def test_a_due_status_resumed_from_a_fold_is_all_the_credits(term, payments, grace, cut, later):
    first = add_months(START, 1)
    installments = due.loan_installments(amortization_schedule(Decimal("9000.00"), Decimal("7.5"), term, first))
    credits = [due.Credit(add_months(first, index) + timedelta(days=shift), Decimal(cents) / 100)
               for index, (shift, cents) in enumerate(payments)]
    through = START + timedelta(days=cut)
    for as_of in (through, through + timedelta(days=later)):
        fold = due.credit_fold(installments, credits, through, grace)
        after = [credit for credit in credits if credit.effective_date > through]
        whole = due.due_status(installments, credits, as_of, grace)
        assert due.due_status(installments, after, as_of, grace, start=fold) == whole
        assert due.due_status(installments, credits, as_of, grace, start=fold) == whole
