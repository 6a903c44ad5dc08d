"""Loan figures for a customer: amortization schedule, TILA disclosure, payoff quote."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from finance.loan import ScheduledInstallment
from finance.servicing import PayoffQuote, payoff_quote
from models import Contract, LedgerEntry
from resolvers.errors import ClientFacingError, ErrorCode
from resolvers.servicing.positions import ledger_events, loan_terms, schedule_of

# A quote further ahead would promise an amount the ledger may well not support by then.
MAX_PAYOFF_DAYS = 30


def schedule(contract: Contract) -> list[ScheduledInstallment]:
    return schedule_of(contract)


def disclosure(contract: Contract):
    """finance.apr.loan_disclosure of the contract terms (amount financed, finance charge, total of
    payments, APR by Appendix J from the payment stream, odd first period included)."""
    from finance.apr import loan_disclosure

    return loan_disclosure(contract.amount_financed, contract.apr, contract.term_months,
                           contract.first_payment_date, contract.contract_date)


def check_good_through(today: date, good_through: date | None) -> date:
    """The quote date: today by default; not in the past and at most MAX_PAYOFF_DAYS ahead."""
    if good_through is None:
        return today
    if good_through < today:
        raise ClientFacingError(ErrorCode.INVALID, f"goodThrough must be today ({today.isoformat()}) or later.")
    if good_through > today + timedelta(days=MAX_PAYOFF_DAYS):
        latest = (today + timedelta(days=MAX_PAYOFF_DAYS)).isoformat()
        raise ClientFacingError(
            ErrorCode.INVALID, f"goodThrough can be at most {MAX_PAYOFF_DAYS} days ahead (on or before {latest})."
        )
    return good_through


def payoff(contract: Contract, rows: Sequence[LedgerEntry], today: date, good_through: date | None) -> PayoffQuote:
    day = check_good_through(today, good_through)
    return payoff_quote(loan_terms(contract), ledger_events(rows), max(day, contract.contract_date))
