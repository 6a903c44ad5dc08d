"""A stateful property test of the servicing engine's ledger (finance.servicing only).

Random sequences of payments, returns (reversals of earlier payments, dated on the payment's own
day), late fees, fee waivers and days passing. After every step:
- principal balance = amount financed − principal applied (payments net of reversals);
- payoff = amount financed + interest accrued to date + fees assessed − applied payments − waivers;
- accrued interest, unpaid fees and principal are never negative;
- each posted payment's parts add up to its amount (total paid = Σ parts);
- the ledger is append-only: every earlier snapshot is a prefix of today's list, unchanged.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from finance.money import ZERO
from finance.servicing import (
    FEE_WAIVER,
    LATE_FEE,
    PAYMENT,
    PAYMENT_REVERSAL,
    LedgerEvent,
    LoanTerms,
    loan_position,
    payment_event,
    payoff_quote,
    reversal_of,
)

CENTS = st.integers(min_value=1, max_value=300_000).map(lambda c: Decimal(c) / 100)


class LedgerMachine(RuleBasedStateMachine):
    @initialize(financed=st.integers(min_value=100_000, max_value=5_000_000).map(lambda c: Decimal(c) / 100),
                apr=st.sampled_from([Decimal("0"), Decimal("3.9"), Decimal("6.9"), Decimal("12"), Decimal("24.99")]),
                start=st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)))
    def open_loan(self, financed, apr, start):
        self.terms = LoanTerms(amount_financed=financed, apr_percent=apr, interest_start=start)
        self.today = start
        self.events: list[LedgerEvent] = []
        self.snapshots: list[tuple[LedgerEvent, ...]] = []
        self.reversed: set[int] = set()

    def _post(self, event: LedgerEvent) -> None:
        self.snapshots.append(tuple(self.events))
        self.events.append(event)

    @rule(days=st.integers(min_value=1, max_value=45))
    def days_pass(self, days):
        self.today += timedelta(days=days)

    @rule(amount=CENTS)
    def pay(self, amount):
        payoff = payoff_quote(self.terms, self.events, self.today).total
        amount = min(amount, payoff)
        if amount <= ZERO:
            return
        self._post(payment_event(self.terms, self.events, amount, self.today))

    @precondition(lambda self: any(e.kind == PAYMENT and i not in self.reversed for i, e in enumerate(self.events)))
    @rule(data=st.data())
    def payment_returned(self, data):
        candidates = [i for i, e in enumerate(self.events) if e.kind == PAYMENT and i not in self.reversed]
        index = data.draw(st.sampled_from(candidates))
        self.reversed.add(index)
        self._post(reversal_of(self.events[index]))

    @rule(fee=st.sampled_from([Decimal("15.00"), Decimal("25.00"), Decimal("39.00")]))
    def late_fee(self, fee):
        self._post(LedgerEvent(kind=LATE_FEE, effective_date=self.today, amount=fee, fees=fee))

    @rule(share=st.integers(min_value=1, max_value=100))
    def waive_fees(self, share):
        unpaid = loan_position(self.terms, self.events, self.today).unpaid_fees
        waived = (unpaid * share / 100).quantize(Decimal("0.01"))
        if waived > ZERO:
            self._post(LedgerEvent(kind=FEE_WAIVER, effective_date=self.today, amount=waived, fees=waived))

    # -- invariants --------------------------------------------------------------------------

    def _position(self):
        return loan_position(self.terms, self.events, self.today)

    @invariant()
    def balances_follow_from_the_ledger(self):
        if not hasattr(self, "terms"):
            return
        position = self._position()
        signed = {PAYMENT: 1, PAYMENT_REVERSAL: -1}
        principal_applied = sum((signed.get(e.kind, 0) * e.principal for e in self.events), ZERO)
        interest_applied = sum((signed.get(e.kind, 0) * e.interest for e in self.events), ZERO)
        fees_applied = sum((signed.get(e.kind, 0) * e.fees for e in self.events), ZERO)
        assessed = sum((e.fees for e in self.events if e.kind == LATE_FEE), ZERO)
        waived = sum((e.fees for e in self.events if e.kind == FEE_WAIVER), ZERO)
        assert position.principal == self.terms.amount_financed - principal_applied
        assert position.principal >= ZERO
        assert position.accrued_interest >= ZERO
        assert position.unpaid_fees >= ZERO
        assert position.total_due_to_pay_off == (self.terms.amount_financed + position.interest_accrued_to_date
                                                 + assessed - principal_applied - interest_applied
                                                 - fees_applied - waived)
        assert (position.principal_paid_to_date, position.interest_paid_to_date, position.fees_paid_to_date) == (
            principal_applied, interest_applied, fees_applied)

    @invariant()
    def total_paid_is_the_sum_of_the_parts(self):
        for event in getattr(self, "events", []):
            if event.kind in (PAYMENT, PAYMENT_REVERSAL):
                assert event.principal + event.interest + event.fees + event.tax == event.amount

    @invariant()
    def posted_events_never_change(self):
        for snapshot in getattr(self, "snapshots", []):
            assert tuple(self.events[:len(snapshot)]) == snapshot


LedgerMachine.TestCase.settings = settings(max_examples=50, stateful_step_count=30, deadline=None,
                                           suppress_health_check=[HealthCheck.too_slow])
TestLedgerInvariant = LedgerMachine.TestCase
