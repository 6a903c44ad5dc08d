"""The payment gateway interface (card tokenization, charges, returns) and how one is chosen.

A real processor adapter implements `PaymentGateway`; `AUTOFIN_PAYMENT_GATEWAY` picks it. The
project ships `SandboxGateway` (gateways/sandbox.py), which behaves like a processor's test mode.
Charges are idempotent per `reference` (our confirmation number): asking twice never charges twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal, Protocol


class GatewayError(Exception):
    """The gateway could not answer (network, outage). The charge may or may not have happened."""


class GatewayTimeout(GatewayError):
    pass


class CardRejected(ValueError):
    """The card cannot be tokenized (bad number, expired): the customer's input is at fault."""


@dataclass(frozen=True)
class CardToken:
    token: str
    brand: str
    last4: str
    expiry_month: int
    expiry_year: int


@dataclass(frozen=True)
class PaymentSource:
    """What to draw from: a card token, or a bank account (decrypted only to hand to the gateway)."""

    kind: Literal["CARD", "BANK_ACCOUNT"]
    token: str | None = None
    routing_number: str | None = None
    account_number: str | None = None

    def __repr__(self) -> str:  # never print an account number
        return f"PaymentSource(kind={self.kind!r})"


@dataclass(frozen=True)
class ChargeResult:
    approved: bool
    gateway_reference: str
    decline_reason: str = ""


@dataclass(frozen=True)
class ReturnNotice:
    """A settled payment the bank sent back (ACH return, card chargeback for NSF)."""

    gateway_reference: str
    reason: str
    returned_on: date


class PaymentGateway(Protocol):
    name: str

    def tokenize_card(self, number: str, expiry_month: int, expiry_year: int, *, today: date) -> CardToken: ...

    async def charge(self, *, reference: str, source: PaymentSource, amount: Decimal, on: date) -> ChargeResult: ...

    async def return_for(self, *, gateway_reference: str, settled_on: date, as_of: date) -> ReturnNotice | None: ...


def gateway_named(name: str) -> PaymentGateway:
    if name == "sandbox":
        from gateways.sandbox import SandboxGateway

        return SandboxGateway()
    raise ValueError(f"unknown payment gateway {name!r} (AUTOFIN_PAYMENT_GATEWAY); available: sandbox")
