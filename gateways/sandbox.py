"""A sandbox payment gateway that behaves like a processor's test mode, with documented test numbers.

Cards (any future expiry; the number must pass the Luhn check):
  4111 1111 1111 1111  Visa, approved          5555 5555 5555 4444  Mastercard, approved
  4000 0000 0000 0002  declined                4000 0000 0000 9995  approved, then returned NSF
  4000 0000 0000 0119  the charge times out    (any other valid number: approved)
Bank accounts (any routing number with a valid ABA check digit), by the account number's end:
  ...0002  declined (account closed)           ...9995  settles, then returned NSF (R01)
  ...0119  the charge times out                anything else: settles
Returns arrive RETURN_AFTER_DAYS days after settlement. The sandbox keeps no state: a card's
behaviour is carried in its token (a real gateway keeps it on its side), and a charge's outcome
depends only on the source, so a repeated charge with the same reference answers the same.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, timedelta
from decimal import Decimal

from gateways.payments import CardRejected, CardToken, ChargeResult, GatewayTimeout, PaymentSource, ReturnNotice

RETURN_AFTER_DAYS = 3
CARD_BEHAVIOUR = {
    "4000000000000002": "decline",
    "4000000000009995": "nsf",
    "4000000000000119": "timeout",
}
ACCOUNT_BEHAVIOUR = {"0002": "decline", "9995": "nsf", "0119": "timeout"}


def luhn_valid(number: str) -> bool:
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for index, digit in enumerate(int(d) for d in reversed(number)):
        if index % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def card_brand(number: str) -> str:
    if number.startswith("4"):
        return "VISA"
    if number[:2] in {"51", "52", "53", "54", "55"} or 2221 <= int(number[:4]) <= 2720:
        return "MASTERCARD"
    if number[:2] in {"34", "37"}:
        return "AMEX"
    if number.startswith("6011") or number.startswith("65"):
        return "DISCOVER"
    return "OTHER"


class SandboxGateway:
    name = "sandbox"

    def tokenize_card(self, number: str, expiry_month: int, expiry_year: int, *, today: date) -> CardToken:
        digits = "".join(c for c in number if c.isdigit())
        if not luhn_valid(digits):
            raise CardRejected("The card number is not valid.")
        if not 1 <= expiry_month <= 12 or (expiry_year, expiry_month) < (today.year, today.month):
            raise CardRejected("The card has expired or the expiry date is not valid.")
        behaviour = CARD_BEHAVIOUR.get(digits, "approve")
        token = f"sbx_{behaviour}_{hashlib.sha256((digits + secrets.token_hex(8)).encode()).hexdigest()[:24]}"
        return CardToken(token=token, brand=card_brand(digits), last4=digits[-4:], expiry_month=expiry_month,
                         expiry_year=expiry_year)

    @staticmethod
    def _behaviour(source: PaymentSource) -> str:
        if source.kind == "CARD":
            parts = (source.token or "").split("_")
            return parts[1] if len(parts) == 3 and parts[0] == "sbx" else "decline"
        return ACCOUNT_BEHAVIOUR.get((source.account_number or "")[-4:], "approve")

    async def charge(self, *, reference: str, source: PaymentSource, amount: Decimal, on: date) -> ChargeResult:
        behaviour = self._behaviour(source)
        if behaviour == "timeout":
            raise GatewayTimeout("the sandbox gateway timed out (test number)")
        gateway_reference = f"sbx_ch_{behaviour}_{hashlib.sha256(reference.encode()).hexdigest()[:20]}"
        if behaviour == "decline":
            return ChargeResult(approved=False, gateway_reference=gateway_reference,
                                decline_reason="Declined by the bank (sandbox test number).")
        return ChargeResult(approved=True, gateway_reference=gateway_reference)

    async def return_for(self, *, gateway_reference: str, settled_on: date, as_of: date) -> ReturnNotice | None:
        returned_on = settled_on + timedelta(days=RETURN_AFTER_DAYS)
        if gateway_reference.startswith("sbx_ch_nsf_") and as_of >= returned_on:
            return ReturnNotice(gateway_reference=gateway_reference, reason="R01 insufficient funds",
                                returned_on=returned_on)
        return None
