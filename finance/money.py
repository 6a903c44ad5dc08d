"""Money conventions shared by all of autofin.

- Amounts are `Decimal` with two places, rounded ROUND_HALF_UP at each posted amount
  (finance-notes.md). Floats are refused: a float cannot hold 0.10 exactly.
- The database stores integer cents; `to_cents` / `from_cents` are the only conversions.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


class MoneyError(ValueError):
    """A value that cannot be a sum of money."""


def as_decimal(value: Decimal | int | str) -> Decimal:
    """Accept Decimal, int or a decimal string; refuse float and bool (bool is an int in Python)."""
    if isinstance(value, bool) or isinstance(value, float):
        raise MoneyError(f"money must be Decimal, int or str, not {type(value).__name__}")
    try:
        result = value if isinstance(value, Decimal) else Decimal(value)
    except (InvalidOperation, TypeError):
        raise MoneyError(f"not a decimal amount: {value!r}") from None
    if not result.is_finite():
        raise MoneyError(f"not a finite amount: {value!r}")
    return result


def round_money(value: Decimal | int | str) -> Decimal:
    """Round to the cent, half up (0.005 -> 0.01), the rule for every posted amount."""
    return as_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def to_cents(value: Decimal | int | str) -> int:
    """Exact conversion to integer cents; an amount with fractions of a cent is an error, not rounded."""
    amount = as_decimal(value)
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise MoneyError(f"{amount} has fractions of a cent; round it first")
    return int(cents)


def from_cents(cents: int) -> Decimal:
    if isinstance(cents, bool) or not isinstance(cents, int):
        raise MoneyError(f"cents must be an int, not {type(cents).__name__}")
    return (Decimal(cents) / 100).quantize(CENT)
