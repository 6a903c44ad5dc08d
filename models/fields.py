"""Model fields that convert at the storage boundary, in one place.

Money is `Decimal` in Python and integer cents in the database: Tortoise keeps a DecimalField as
text on SQLite, where SQL sums come back as floats; BIGINT cents are exact on SQLite and
PostgreSQL alike (stack-notes.md). SQL aggregates over these columns therefore yield cents.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tortoise import fields

from finance.money import from_cents, to_cents


class MoneyField(fields.BigIntField):
    """A Decimal amount stored as integer cents (BIGINT). Fractions of a cent are refused."""

    def to_db_value(self, value: Any, instance: Any) -> int | None:
        if value is None:
            return None
        return to_cents(value)

    def to_python_value(self, value: Any) -> Decimal | None:
        if value is None or isinstance(value, Decimal):
            return value
        return from_cents(int(value))
