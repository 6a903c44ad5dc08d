"""Account numbers for new contracts: ten digits, like the ones already serviced (service/demo_data.py),
random so that a number tells nothing about how many contracts exist or when one was booked."""

from __future__ import annotations

import secrets

from models import Contract

LOWEST = 10**9  # ten digits, never a leading zero


async def new_contract_number(*, using_db) -> str:
    """A ten-digit number no contract has. The unique index on contracts.number still guards the
    (one in billions) race of two bookings drawing the same unused number at the same moment."""
    while True:
        number = str(LOWEST + secrets.randbelow(9 * LOWEST))
        if not await Contract.filter(number=number).using_db(using_db).exists():
            return number
