"""makePayment and cancelPayment. Thin: the rules are in resolvers/payments/payments.py."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import Enum

import strawberry
from strawberry.types import Info

from auth.permissions import CUSTOMERS
from graph.access import allow
from graph.errors import UserError, user_errors
from graph.ids import row_id
from graph.payments.types import PaymentType
from resolvers.payments import payments as rules


@strawberry.enum(description="Which amount to pay.")
class PaymentAmountChoice(Enum):
    REGULAR = strawberry.enum_value("REGULAR", description="The regular payment (`paymentOptions.regular`).")
    PAST_DUE = strawberry.enum_value("PAST_DUE", description="The past-due amount (`paymentOptions.pastDue`).")
    PAYOFF = strawberry.enum_value("PAYOFF", description="The payoff on the payment date.")
    OTHER = strawberry.enum_value("OTHER", description="Any amount from 1.00 up to the payoff: give `other`.")


@strawberry.input(description="The amount: a choice, or OTHER with the amount.")
class PaymentAmountInput:
    choice: PaymentAmountChoice = strawberry.field(description="Which amount.")
    other: Decimal | None = strawberry.field(default=None, description="The amount for OTHER (whole cents).")


@strawberry.input(description="A one-time payment on one of your contracts.")
class MakePaymentInput:
    contract_id: strawberry.ID = strawberry.field(description="The `id` of one of your contracts.")
    payment_method_id: strawberry.ID = strawberry.field(description="The `id` of one of your payment methods.")
    amount: PaymentAmountInput = strawberry.field(description="How much to pay.")
    scheduled_for: date | None = strawberry.field(
        default=None, description="The payment date: today (default) up to the next due date + 30 days.")
    idempotency_key: str = strawberry.field(
        description="Your unique key for this submission (e.g. a UUID): retrying with it returns the first result; "
        "reusing it with a different input is CONFLICT.")


@strawberry.type(description="Result of makePayment.")
class MakePaymentPayload:
    payment: PaymentType | None = strawberry.field(description="The scheduled payment; null when `errors` is not empty.")
    errors: list[UserError] = strawberry.field(description="Why no payment was made; empty on success.")


@strawberry.input(description="Which payment to cancel.")
class CancelPaymentInput:
    payment_id: strawberry.ID = strawberry.field(description="The `id` of a SCHEDULED payment of yours.")


@strawberry.type(description="Result of cancelPayment.")
class CancelPaymentPayload:
    payment: PaymentType | None = strawberry.field(description="The cancelled payment; null when `errors` is not empty.")
    errors: list[UserError] = strawberry.field(description="Why it was not cancelled; empty on success.")


@strawberry.type
class PaymentMutations:
    @strawberry.mutation(
        extensions=[allow(CUSTOMERS)],
        description="Schedule a one-time payment on one of your contracts from one of your payment methods. A contract "
        "or method that is not yours: NOT_FOUND; an amount or date out of limits: INVALID; the same idempotencyKey "
        "with a different input: CONFLICT (with the same input: the first result). Sends a confirmation email.",
    )
    async def make_payment(self, info: Info, input: MakePaymentInput) -> MakePaymentPayload:
        ctx = info.context
        outcome = await rules.make_payment(
            ctx.services, ctx.user, contract_id=row_id(input.contract_id, "Contract"),
            method_id=row_id(input.payment_method_id, "PaymentMethod"), choice=input.amount.choice.value,
            other=input.amount.other, scheduled_for=input.scheduled_for, idempotency_key=input.idempotency_key)
        if outcome.problems:
            return MakePaymentPayload(payment=None, errors=user_errors(outcome.problems))
        return MakePaymentPayload(payment=PaymentType.from_model(outcome.payment), errors=[])

    @strawberry.mutation(
        extensions=[allow(CUSTOMERS)],
        description="Cancel a payment of yours that is still SCHEDULED (once processing starts it cannot be "
        "cancelled: INVALID). Not yours: NOT_FOUND.",
    )
    async def cancel_payment(self, info: Info, input: CancelPaymentInput) -> CancelPaymentPayload:
        ctx = info.context
        outcome = await rules.cancel_payment(ctx.services, ctx.user, row_id(input.payment_id, "Payment"))
        if outcome.problems:
            return CancelPaymentPayload(payment=None, errors=user_errors(outcome.problems))
        return CancelPaymentPayload(payment=PaymentType.from_model(outcome.payment), errors=[])
