"""Bank account details as a customer types them: the ABA routing number's check digit and the
account number's shape. Pure functions, no I/O."""

from __future__ import annotations

import re

ACCOUNT_MIN_DIGITS = 4
ACCOUNT_MAX_DIGITS = 17
_SEPARATORS = re.compile(r"[\s-]")
_WEIGHTS = (3, 7, 1, 3, 7, 1, 3, 7, 1)


def digits_only(raw: str) -> str:
    """`raw` without spaces or dashes (how people copy numbers from a cheque)."""
    return _SEPARATORS.sub("", raw or "")


def routing_number_valid(routing: str) -> bool:
    """Nine ASCII digits whose weighted sum 3·(d1+d4+d7) + 7·(d2+d5+d8) + (d3+d6+d9) is a multiple of 10."""
    if len(routing) != 9 or not routing.isascii() or not routing.isdigit():
        return False
    return sum(weight * int(digit) for weight, digit in zip(_WEIGHTS, routing, strict=True)) % 10 == 0


def account_number_valid(account: str) -> bool:
    """4 to 17 ASCII digits (the NACHA limit)."""
    return account.isascii() and account.isdigit() and ACCOUNT_MIN_DIGITS <= len(account) <= ACCOUNT_MAX_DIGITS
