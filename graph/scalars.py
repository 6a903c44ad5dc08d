"""Money in the schema: a Decimal amount (serialized as a string, never a float) and a currency."""

from __future__ import annotations

from decimal import Decimal

import strawberry

CURRENCY = "USD"


@strawberry.type(description="An amount of money. `amount` is a decimal string with two places, e.g. \"166.07\".")
class Money:
    amount: Decimal = strawberry.field(description="Exact amount, two decimal places.")
    currency: str = strawberry.field(description="ISO 4217 currency code.")


def money(value: Decimal) -> Money:
    return Money(amount=value, currency=CURRENCY)


def optional_money(value: Decimal | None) -> Money | None:
    return None if value is None else money(value)
