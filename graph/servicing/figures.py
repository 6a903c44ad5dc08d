"""Output types of a contract's figures: dashboard (balance, due, past due), loan (schedule,
disclosure, payoff). Thin value types: they are filled from resolvers/servicing/positions.py and
the finance functions, and compute nothing themselves."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry

from finance.loan import ScheduledInstallment
from finance.servicing import PayoffQuote
from graph.scalars import Money, money
from models import enums as model_enums

DelinquencyBucket = strawberry.enum(
    model_enums.DelinquencyBucket,
    description="How late a contract is, by days past due of its oldest unpaid installment: CURRENT (0), "
    "DPD_1_29, DPD_30_59, DPD_60_89, DPD_90_PLUS.",
)


@strawberry.type(description="The next installment that is not fully paid.")
class NextDue:
    due_date: date = strawberry.field(name="date", description="Its due date.")
    amount: Money = strawberry.field(description="What is still owed on it (a partial payment lowers it).")


@strawberry.type(description="What is owed on installments whose due date has passed.")
class PastDue:
    amount: Money = strawberry.field(description="Sum still owed on installments due before the business date.")
    days_past_due: int = strawberry.field(
        description="Days since the due date of the oldest unpaid installment (0 when nothing is late)."
    )
    bucket: DelinquencyBucket = strawberry.field(description="Delinquency bucket from `daysPastDue`.")  # type: ignore[valid-type]


@strawberry.type(name="ScheduledPayment", description="One monthly payment of the schedule in force.")
class ScheduledPaymentType:
    number: int = strawberry.field(description="Installment number as signed (a deferred one keeps its number).")
    due_date: date = strawberry.field(description="Due date in force (after approved plan changes).")
    amount: Money = strawberry.field(description="Amount billed (leases: including sales tax).")


@strawberry.type(name="AmortizationInstallment", description="One installment of a loan's amortization schedule.")
class AmortizationInstallmentType:
    number: int = strawberry.field(description="Installment number, 1-based.")
    due_date: date = strawberry.field(description="Due date.")
    payment: Money = strawberry.field(description="Scheduled payment (the last one absorbs the rounding).")
    interest: Money = strawberry.field(description="Interest part: the period's interest on the scheduled balance.")
    principal: Money = strawberry.field(description="Principal part.")
    balance_after: Money = strawberry.field(description="Scheduled principal balance after this payment.")

    @classmethod
    def from_finance(cls, item: ScheduledInstallment) -> AmortizationInstallmentType:
        return cls(number=item.number, due_date=item.due_date, payment=money(item.payment),
                   interest=money(item.interest), principal=money(item.principal),
                   balance_after=money(item.balance_after))


@strawberry.type(description="Truth in Lending disclosures of a loan (Regulation Z §1026.18).")
class LoanDisclosure:
    amount_financed: Money = strawberry.field(description="The credit provided to you or on your behalf.")
    finance_charge: Money = strawberry.field(description="The dollar amount the credit costs: total of payments − "
                                                         "amount financed.")
    total_of_payments: Money = strawberry.field(description="Sum of the scheduled payments.")
    apr: Decimal = strawberry.field(
        description="Annual percentage rate in percent, two places, computed from the payment stream by the "
        "actuarial method of Regulation Z Appendix J (including an odd first period)."
    )


@strawberry.type(description="The amount that pays a loan off if received on `goodThrough`.")
class PayoffQuoteType:
    good_through: date = strawberry.field(description="The day the quote is good through.")
    principal: Money = strawberry.field(description="Principal balance.")
    interest: Money = strawberry.field(description="Interest accrued and unpaid up to `goodThrough`.")
    fees: Money = strawberry.field(description="Unpaid fees.")
    total: Money = strawberry.field(description="principal + interest + fees: the amount to pay on `goodThrough`.")
    per_diem: Money = strawberry.field(description="Interest added for each day after `goodThrough`.")

    @classmethod
    def from_finance(cls, quote: PayoffQuote) -> PayoffQuoteType:
        return cls(good_through=quote.good_through, principal=money(quote.principal), interest=money(quote.interest),
                   fees=money(quote.fees), total=money(quote.total), per_diem=money(quote.per_diem))


@strawberry.type(name="Assumption", description="One assumption an estimate rests on, returned with it.")
class AssumptionType:
    name: str = strawberry.field(description="Stable name, e.g. `realized_value`.")
    value: str = strawberry.field(description="The value assumed, as text (amounts are decimal strings).")
    explanation: str = strawberry.field(description="What it means and where it comes from.")

    @classmethod
    def many(cls, assumptions) -> list[AssumptionType]:
        return [cls(name=a.name, value=a.value, explanation=a.explanation) for a in assumptions]
