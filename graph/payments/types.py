"""Payment types: the Payment node, its receipt, the payment options and the connection. Thin: the
rules are in resolvers/payments/."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from enum import Enum

import strawberry
from strawberry import relay
from strawberry.types import Info

from graph.nodes import visible_nodes
from graph.pagination import CountedConnection, Ordering
from graph.scalars import Money, money
from models import Payment
from models import enums as model_enums
from resolvers.payments import receipts
from resolvers.payments.payments import payments_visible_to
from resolvers.payments.scheduling import PaymentOptions

PaymentStatusEnum = strawberry.enum(
    model_enums.PaymentStatus, name="PaymentStatus",
    description="Where a payment is: SCHEDULED (can be cancelled) -> PROCESSING -> SETTLED (applied to the "
    "contract), or FAILED (declined), CANCELLED (by you), RETURNED (sent back by the bank after settling).",
)


@strawberry.enum(name="PaymentSourceKind", description="What a payment is drawn from.")
class PaymentSourceKind(Enum):
    BANK_ACCOUNT = strawberry.enum_value("BANK_ACCOUNT", description="A bank account (ACH).")
    DEBIT_CARD = strawberry.enum_value("DEBIT_CARD", description="A debit card.")


PAYMENT_ORDER = Ordering((("created_at", True), ("id", True)))


@strawberry.type(description="The payment method a payment draws from (only its kind and last four digits).")
class PaymentSource:
    kind: PaymentSourceKind = strawberry.field(description="Bank account or debit card.")  # type: ignore[valid-type]
    last4: str = strawberry.field(description="Last four digits of the account or card number.")


@strawberry.type(description="How a settled payment was applied, and the balance right after it.")
class Receipt:
    confirmation_number: str = strawberry.field(description="The payment's confirmation number.")
    applied_on: date = strawberry.field(description="The day the payment counts from (the day it was received).")
    amount: Money = strawberry.field(description="The amount applied.")
    interest: Money = strawberry.field(description="Part that paid interest (leases: rent charge).")
    principal: Money = strawberry.field(description="Part that paid principal (leases: depreciation).")
    fees: Money = strawberry.field(description="Part that paid fees (late, returned payment).")
    tax: Money = strawberry.field(description="Part that paid sales tax (leases).")
    new_balance: Money = strawberry.field(description="The contract's balance right after this payment, as of its day.")
    new_principal_balance: Money = strawberry.field(description="The principal balance right after this payment.")


@strawberry.type(description="Amount choices for paying a contract today (zero: nothing to pay for that choice).")
class PaymentOptionsType:
    regular: Money = strawberry.field(description="The regular payment: what the next installment still needs, or "
                                      "what brings the contract current when it is past due.")
    past_due: Money = strawberry.field(description="What is owed on installments already past due.")
    payoff: Money = strawberry.field(description="Everything owed today (loans: payoff with interest to today).")

    @classmethod
    def from_options(cls, options: PaymentOptions) -> PaymentOptionsType:
        return cls(regular=money(options.regular), past_due=money(options.past_due), payoff=money(options.payoff))


@strawberry.type(name="Payment", description="A payment on a contract, from scheduling to settlement.")
class PaymentType(relay.Node):
    id: relay.NodeID[int]
    confirmation_number: str = strawberry.field(description="Quote it when you contact us about this payment.")
    amount: Money = strawberry.field(description="The amount to charge.")
    status: PaymentStatusEnum = strawberry.field(description="Where the payment is.")  # type: ignore[valid-type]
    scheduled_for: date = strawberry.field(description="The day the payment is made (and counts from).")
    created_at: datetime = strawberry.field(description="When it was submitted.")
    settled_at: datetime | None = strawberry.field(description="When it settled; null until then.")
    failure_reason: str | None = strawberry.field(description="Why it failed or was returned; null otherwise.")
    row: strawberry.Private[Payment]

    @classmethod
    def from_model(cls, row: Payment) -> PaymentType:
        return cls(id=row.id, confirmation_number=row.confirmation_number, amount=money(row.amount),
                   status=row.status, scheduled_for=row.scheduled_for, created_at=row.created_at,
                   settled_at=row.settled_at, failure_reason=row.failure_reason or None, row=row)

    @strawberry.field(description="The method it draws from (kind and last four digits only).")
    async def method(self, info: Info) -> PaymentSource:
        method = await info.context.loaders.payment_methods.load(self.row.method_id)
        return PaymentSource(kind=PaymentSourceKind(model_enums.PaymentMethodKind(method.kind).value), last4=method.last4)

    @strawberry.field(description="How the payment was applied; null unless it is SETTLED.")
    async def receipt(self, info: Info) -> Receipt | None:
        loaders = info.context.loaders
        contract = await loaders.contracts.load(self.row.contract_id)
        figures = receipts.receipt_from(self.row, contract, await loaders.ledger.load(self.row.contract_id))
        if figures is None:
            return None
        return Receipt(confirmation_number=figures.confirmation_number, applied_on=figures.applied_on,
                       amount=money(figures.amount), interest=money(figures.interest),
                       principal=money(figures.principal), fees=money(figures.fees), tax=money(figures.tax),
                       new_balance=money(figures.new_balance),
                       new_principal_balance=money(figures.new_principal_balance))

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        return await visible_nodes(payments_visible_to(info.context.user), node_ids, cls.from_model, required)


@strawberry.type(name="PaymentConnection", description="A page of payments, newest first.")
class PaymentConnection(CountedConnection[PaymentType]):
    pass


@strawberry.input(description="Which payments to list.")
class PaymentFilter:
    statuses: list[PaymentStatusEnum] | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Only payments in these states.")
    from_date: date | None = strawberry.field(default=None, description="Scheduled on or after this day.")
    to_date: date | None = strawberry.field(default=None, description="Scheduled on or before this day.")


def contract_payments(contract_id: int, wanted: PaymentFilter | None):
    query = Payment.filter(contract_id=contract_id)
    if wanted is not None:
        if wanted.statuses is not None:
            query = query.filter(status__in=[model_enums.PaymentStatus(s) for s in wanted.statuses])
        if wanted.from_date is not None:
            query = query.filter(scheduled_for__gte=wanted.from_date)
        if wanted.to_date is not None:
            query = query.filter(scheduled_for__lte=wanted.to_date)
    return query
