"""Property-based invariants of the loan math and the servicing engine (hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from finance.loan import amortization_schedule
from finance.money import ZERO
from finance.servicing import (
    LedgerEvent,
    LoanTerms,
    allocate_payment,
    loan_position,
    payment_event,
    payoff_quote,
)

SETTINGS = settings(max_examples=200, deadline=None)
START = date(2026, 1, 15)

cents = st.integers(min_value=1, max_value=10_000_000).map(lambda c: Decimal(c) / 100)
aprs = st.integers(min_value=0, max_value=299_999).map(lambda bp: Decimal(bp) / 10_000)  # 0 .. 29.9999 %
orders = st.permutations(["INTEREST", "PRINCIPAL", "FEES"]).map(tuple)
terms_strategy = st.builds(
    LoanTerms,
    amount_financed=st.integers(min_value=100_00, max_value=100_000_00).map(lambda c: Decimal(c) / 100),
    apr_percent=aprs,
    interest_start=st.just(START),
    allocation_order=orders,
)
# A history: (days after the previous entry, payment in cents, late fee in cents posted that day or 0).
histories = st.lists(st.tuples(st.integers(0, 60), st.integers(1, 300_000), st.sampled_from([0, 0, 1500, 2500])),
                     max_size=8)



def replay(terms: LoanTerms, history: list[tuple[int, int, int]]) -> tuple[list[LedgerEvent], date]:
    """Post each fee and payment through the engine, as the servicing service would."""
    events: list[LedgerEvent] = []
    day = START
    for gap, amount_cents, fee_cents in history:
        day += timedelta(days=gap)
        if fee_cents:
            fee = Decimal(fee_cents) / 100
            events.append(LedgerEvent("LATE_FEE", day, fee, fees=fee))
        events.append(payment_event(terms, events, Decimal(amount_cents) / 100, day))
    return events, day


@SETTINGS
@given(principal=cents, apr=aprs, term=st.integers(1, 96))
def test_schedule_principal_parts_sum_to_the_amount_financed(principal, apr, term):
    try:
        schedule = amortization_schedule(principal, apr, term, START)
    except ValueError as error:
        assume("too small" not in str(error))
        raise
    assert sum((s.principal for s in schedule), ZERO) == principal
    assert all(s.interest >= ZERO and s.principal >= ZERO for s in schedule)
    assert schedule[-1].balance_after == ZERO


@SETTINGS
@given(terms=terms_strategy, history=histories, later=st.integers(0, 400))
def test_interest_and_principal_are_never_negative(terms, history, later):
    events, day = replay(terms, history)
    for event in events:
        assert event.interest >= ZERO and event.principal >= ZERO and event.fees >= ZERO
    position = loan_position(terms, events, day + timedelta(days=later))
    assert position.principal >= ZERO and position.accrued_interest >= ZERO and position.unpaid_fees >= ZERO
    assert position.principal == terms.amount_financed - position.principal_paid_to_date


@SETTINGS
@given(terms=terms_strategy, history=histories, gap=st.integers(0, 90),
       splits=st.lists(st.integers(1, 500_000), min_size=1, max_size=6), later=st.integers(0, 120))
def test_any_split_of_the_same_total_on_the_same_day_gives_the_same_position(terms, history, gap, splits, later):
    events, day = replay(terms, history)
    day += timedelta(days=gap)
    total = Decimal(sum(splits)) / 100
    whole = allocate_payment(terms, events, total, day)
    one = [*events, payment_event(terms, events, total, day)]
    many = list(events)
    parts = []
    for amount_cents in splits:
        amount = Decimal(amount_cents) / 100
        parts.append(allocate_payment(terms, many, amount, day))
        many.append(payment_event(terms, many, amount, day))
    as_of = day + timedelta(days=later)
    assert loan_position(terms, one, as_of) == loan_position(terms, many, as_of)
    for field in ("interest", "principal", "fees", "unapplied"):
        assert getattr(whole, field) == sum((getattr(p, field) for p in parts), ZERO)


@SETTINGS
@given(terms=terms_strategy, history=histories, gap=st.integers(0, 120))
def test_a_payoff_quote_paid_on_its_good_through_date_leaves_zero(terms, history, gap):
    events, day = replay(terms, history)
    good_through = day + timedelta(days=gap)
    quote = payoff_quote(terms, events, good_through)
    assert quote.total == quote.principal + quote.interest + quote.fees
    if quote.total > ZERO:
        events.append(payment_event(terms, events, quote.total, good_through))
    after = loan_position(terms, events, good_through + timedelta(days=30))
    assert (after.principal, after.accrued_interest, after.unpaid_fees) == (ZERO, ZERO, ZERO)
