"""Checks on the inputs of the finance functions, shared so loans and leases refuse the same
mistakes with the same messages. Floats and non-numbers raise MoneyError (via as_decimal)."""

from __future__ import annotations

from decimal import Decimal

from finance.money import CENT, ZERO, MoneyError, as_decimal


def whole_cents(name: str, value: Decimal | int | str, *, positive: bool = False) -> Decimal:
    """A non-negative (or, with positive=True, a positive) amount in whole cents."""
    amount = as_decimal(value)
    if amount < ZERO or (positive and amount == ZERO):
        raise MoneyError(f"{name} must be {'positive' if positive else 'non-negative'}, got {amount}")
    if amount != amount.quantize(CENT):
        raise MoneyError(f"{name} {amount} has fractions of a cent")
    return amount


def rate_below(name: str, value: Decimal | int | str, upper: Decimal | int) -> Decimal:
    """A rate in [0, upper): an upper bound catches a percent typed as a fraction and vice versa."""
    rate = as_decimal(value)
    if not ZERO <= rate < upper:
        raise ValueError(f"{name} must be in [0, {upper}), got {rate}")
    return rate


def term_months(value: int, maximum: int) -> int:
    # bool is an int in Python; a term of True months is a bug, not a term.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"term must be an int number of months, not {type(value).__name__}")
    if not 1 <= value <= maximum:
        raise ValueError(f"term must be 1..{maximum} months, got {value}")
    return value
