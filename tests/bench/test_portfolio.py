"""The bench portfolio's loan splits are finance.servicing's: bench/portfolio.py's LoanLedger (one
event at a time) gives the same cents as allocate_payment over the whole ledger, through on-time,
early, late, split and returned payments, and the resulting ledger is one the engine accepts."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from bench.portfolio import LoanLedger, scaling_label
from finance.loan import amortization_schedule
from finance.servicing import LedgerEvent, LoanTerms, allocate_payment, loan_position, reversal_of


def _engine_and_ledger_agree(amount: Decimal, apr: Decimal, term: int, seed: int) -> None:
    rng = random.Random(seed)
    signed = date(2021, 3, 9)
    schedule = amortization_schedule(amount, apr, term, date(2021, 4, 9))
    terms = LoanTerms(amount_financed=amount, apr_percent=apr, interest_start=signed)
    running = LoanLedger(amount, apr, signed)
    events: list[LedgerEvent] = []
    last = signed
    for item in schedule[: term - 2]:
        parts = rng.choice((1, 1, 1, 2, 3))
        base = (item.payment / parts).quantize(Decimal("0.01"))
        pieces = [base] * (parts - 1) + [item.payment - base * (parts - 1)]
        for index, piece in enumerate(pieces):
            day = item.due_date + timedelta(days=rng.randrange(-5, 6) if parts == 1 else -5 + 5 * index)
            day = last = max(day, last)  # the ledger's order: effective date, then entry
            expected = allocate_payment(terms, events, piece, day)
            principal, interest = running.pay(piece, day)
            assert (principal, interest) == (expected.principal, expected.interest), (item.number, index)
            event = LedgerEvent(kind="PAYMENT", effective_date=day, amount=piece, principal=principal,
                                interest=interest)
            events.append(event)
            if rng.random() < 0.05:  # returned (NSF): reversed as of its own day
                undo = reversal_of(event)
                running.reverse(undo.principal, undo.interest, day)
                events.append(undo)
                day = last = day + timedelta(days=6)
                again = allocate_payment(terms, events, piece, day)
                assert running.pay(piece, day) == (again.principal, again.interest)
                events.append(LedgerEvent(kind="PAYMENT", effective_date=day, amount=piece,
                                          principal=again.principal, interest=again.interest))
    position = loan_position(terms, events, schedule[-1].due_date)
    assert position.principal == running.principal
    assert position.total_due_to_pay_off >= 0


def test_loan_ledger_matches_the_engine():
    _engine_and_ledger_agree(Decimal("27450.00"), Decimal("6.90"), 48, seed=1)
    _engine_and_ledger_agree(Decimal("12000.00"), Decimal("14.90"), 36, seed=2)
    _engine_and_ledger_agree(Decimal("38400.00"), Decimal("0.00"), 60, seed=3)


def test_scaling_labels():
    assert scaling_label(1, 12) == "1 contract x 12 months"
    assert scaling_label(20, 240) == "20 contracts x 240 months"
