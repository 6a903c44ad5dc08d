"""Payment methods in the schema: the `PaymentMethod` node and the mutations that add, choose
and remove them. Thin: the rules live in resolvers/payments/methods.py. Only last fours ever
leave the server."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.types import Info

from auth.permissions import CUSTOMERS
from graph.access import allow
from graph.errors import UserError, user_errors
from graph.nodes import visible_nodes
from models import PaymentMethod
from models import enums as model_enums
from resolvers.payments import methods as rules

PaymentMethodKindEnum = strawberry.enum(
    model_enums.PaymentMethodKind, name="PaymentMethodKind",
    description="BANK_ACCOUNT: a US checking or savings account (ACH). DEBIT_CARD: a debit card, kept as a "
    "gateway token.",
)
BankAccountTypeEnum = strawberry.enum(
    model_enums.BankAccountType, name="BankAccountType", description="The kind of bank account.",
)


def _mask(value: str | None) -> str | None:
    return f"****{value[-4:]}" if value else None


@strawberry.type(
    name="PaymentMethod",
    description="A bank account or debit card you pay with. Only the last four digits of a number are ever "
    "shown. Visible only to its owner.",
)
class PaymentMethodType(relay.Node):
    id: relay.NodeID[int]
    kind: PaymentMethodKindEnum = strawberry.field(  # type: ignore[valid-type]
        description="Bank account or debit card."
    )
    holder_name: str = strawberry.field(description="The name on the account or card.")
    last4: str = strawberry.field(description="The last four digits of the account or card number.")
    brand: str | None = strawberry.field(description="Card network (VISA, MASTERCARD, ...); null for bank accounts.")
    account_type: BankAccountTypeEnum | None = strawberry.field(  # type: ignore[valid-type]
        description="CHECKING or SAVINGS; null for cards."
    )
    masked_routing_number: str | None = strawberry.field(
        description="The bank's routing number with only its last four digits shown (****0015); null for cards."
    )
    expiry_month: int | None = strawberry.field(description="Card expiry month (1-12); null for bank accounts.")
    expiry_year: int | None = strawberry.field(description="Card expiry year (e.g. 2029); null for bank accounts.")
    is_default: bool = strawberry.field(description="True for the method preselected when you pay (exactly one).")
    created_at: datetime = strawberry.field(description="When it was added (UTC).")
    removed_at: datetime | None = strawberry.field(
        description="When it was removed (UTC); null while active. A removed method still shows on the payments "
        "that used it."
    )
    description: str = strawberry.field(description='How it is named to you, e.g. "Checking account ending in 6789".')

    @classmethod
    def from_model(cls, row: PaymentMethod) -> PaymentMethodType:
        return cls(
            id=row.id, kind=row.kind, holder_name=row.holder_name, last4=row.last4, brand=row.brand,
            account_type=row.account_type, masked_routing_number=_mask(row.routing_number),
            expiry_month=row.expiry_month, expiry_year=row.expiry_year, is_default=row.is_default,
            created_at=row.created_at, removed_at=row.removed_at, description=rules.describe(row),
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        # Removed methods stay reachable by their owner (payment history), never by anyone else.
        return await visible_nodes(rules.methods_of(info.context.user, include_removed=True), node_ids,
                                   cls.from_model, required)


async def payment_methods_of_viewer(info: Info) -> list[PaymentMethodType]:
    return [PaymentMethodType.from_model(row) for row in await rules.active_methods(info.context.user)]


def method_id(raw: str | None) -> int | None:
    """The row id of a `PaymentMethod` global id, or None for anything else (answered NOT_FOUND)."""
    try:
        gid = relay.GlobalID.from_id(raw or "")
    except Exception:  # noqa: BLE001 - any malformed id is simply not one of your methods
        return None
    if gid.type_name != PaymentMethodType.__strawberry_definition__.name or not gid.node_id.isdigit():
        return None
    return int(gid.node_id)


# -- inputs and payloads ------------------------------------------------------------------------

@strawberry.input(description="A US bank account to pay from (ACH).")
class AddBankAccountInput:
    holder_name: str = strawberry.field(description="The account holder's name, as the bank knows it.")
    routing_number: str = strawberry.field(description="The bank's 9-digit ABA routing number (checked).")
    account_number: str = strawberry.field(
        description="The account number, 4 to 17 digits. Stored encrypted; only its last four are ever shown."
    )
    account_type: BankAccountTypeEnum = strawberry.field(  # type: ignore[valid-type]
        description="CHECKING or SAVINGS."
    )
    make_default: bool = strawberry.field(
        default=False, description="Make it your default method (your first method always becomes the default)."
    )


@strawberry.input(description="A debit card to pay with. The number is tokenized by the payment gateway and "
                  "never stored.")
class AddDebitCardInput:
    holder_name: str = strawberry.field(description="The name on the card.")
    card_number: str = strawberry.field(description="The card number (spaces allowed). Never stored or shown.")
    expiry_month: int = strawberry.field(description="Expiry month, 1-12.")
    expiry_year: int = strawberry.field(description="Expiry year with four digits, e.g. 2029.")
    make_default: bool = strawberry.field(
        default=False, description="Make it your default method (your first method always becomes the default)."
    )


@strawberry.type(description="Result of addBankAccount or addDebitCard.")
class AddPaymentMethodPayload:
    payment_method: PaymentMethodType | None = strawberry.field(description="The new method; null on failure.")
    errors: list[UserError] = strawberry.field(
        description="Why nothing was added (INVALID with the field, CONFLICT for a duplicate, "
        "REAUTHENTICATION_REQUIRED); empty on success."
    )


@strawberry.input(description="Which of your payment methods to act on.")
class PaymentMethodIdInput:
    payment_method_id: strawberry.ID = strawberry.field(
        description="The `id` of one of your payment methods (`viewer.paymentMethods`)."
    )


@strawberry.type(description="Result of setDefaultPaymentMethod.")
class SetDefaultPaymentMethodPayload:
    payment_method: PaymentMethodType | None = strawberry.field(description="The new default; null on failure.")
    payment_methods: list[PaymentMethodType] = strawberry.field(
        description="All your active methods after the change, the default first."
    )
    errors: list[UserError] = strawberry.field(description="NOT_FOUND for an unknown id; empty on success.")


@strawberry.type(description="Result of removePaymentMethod.")
class RemovePaymentMethodPayload:
    removed_payment_method_id: strawberry.ID | None = strawberry.field(
        description="The id of the removed method; null when nothing was removed."
    )
    payment_methods: list[PaymentMethodType] = strawberry.field(
        description="All your active methods after the change, the default first."
    )
    errors: list[UserError] = strawberry.field(
        description="Why nothing was removed (NOT_FOUND, CONFLICT while a scheduled payment or autopay uses it, "
        "REAUTHENTICATION_REQUIRED); empty on success."
    )


def _added(outcome: rules.Outcome) -> AddPaymentMethodPayload:
    if outcome.problems:
        return AddPaymentMethodPayload(payment_method=None, errors=user_errors(list(outcome.problems)))
    return AddPaymentMethodPayload(payment_method=PaymentMethodType.from_model(outcome.method), errors=[])


@strawberry.type
class PaymentMethodMutations:
    @strawberry.mutation(
        extensions=[allow(CUSTOMERS)],
        description="Add a bank account to pay from. Needs `reauthenticate` within the last 5 minutes. Emails you "
        "a security alert. The same account twice is refused (CONFLICT).",
    )
    async def add_bank_account(self, info: Info, input: AddBankAccountInput) -> AddPaymentMethodPayload:
        ctx = info.context
        return _added(await rules.add_bank_account(
            ctx.services, user=ctx.user, session=ctx.session, holder_name=input.holder_name,
            routing_number=input.routing_number, account_number=input.account_number,
            account_type=input.account_type, make_default=input.make_default, origin=ctx.origin,
        ))

    @strawberry.mutation(
        extensions=[allow(CUSTOMERS)],
        description="Add a debit card. Needs `reauthenticate` within the last 5 minutes. The number is tokenized "
        "by the payment gateway and never stored. Emails you a security alert.",
    )
    async def add_debit_card(self, info: Info, input: AddDebitCardInput) -> AddPaymentMethodPayload:
        ctx = info.context
        return _added(await rules.add_debit_card(
            ctx.services, user=ctx.user, session=ctx.session, holder_name=input.holder_name,
            card_number=input.card_number, expiry_month=input.expiry_month, expiry_year=input.expiry_year,
            make_default=input.make_default, origin=ctx.origin,
        ))

    @strawberry.mutation(
        extensions=[allow(CUSTOMERS)],
        description="Make one of your payment methods the default (the others stop being default).",
    )
    async def set_default_payment_method(
        self, info: Info, input: PaymentMethodIdInput
    ) -> SetDefaultPaymentMethodPayload:
        ctx = info.context
        outcome = await rules.set_default(ctx.services, user=ctx.user, method_id=method_id(input.payment_method_id),
                                          origin=ctx.origin)
        methods = await payment_methods_of_viewer(info)
        if outcome.problems:
            return SetDefaultPaymentMethodPayload(payment_method=None, payment_methods=methods,
                                                  errors=user_errors(list(outcome.problems)))
        return SetDefaultPaymentMethodPayload(payment_method=PaymentMethodType.from_model(outcome.method),
                                              payment_methods=methods, errors=[])

    @strawberry.mutation(
        extensions=[allow(CUSTOMERS)],
        description="Remove one of your payment methods. Needs `reauthenticate` within the last 5 minutes. Refused "
        "(CONFLICT) while a scheduled or processing payment or an active autopay plan uses it. Removing the "
        "default makes your newest remaining method the default.",
    )
    async def remove_payment_method(self, info: Info, input: PaymentMethodIdInput) -> RemovePaymentMethodPayload:
        ctx = info.context
        outcome = await rules.remove(ctx.services, user=ctx.user, session=ctx.session,
                                     method_id=method_id(input.payment_method_id), origin=ctx.origin)
        methods = await payment_methods_of_viewer(info)
        if outcome.problems:
            return RemovePaymentMethodPayload(removed_payment_method_id=None, payment_methods=methods,
                                              errors=user_errors(list(outcome.problems)))
        return RemovePaymentMethodPayload(removed_payment_method_id=input.payment_method_id,
                                          payment_methods=methods, errors=[])
