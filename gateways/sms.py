"""The SMS interface (one-time codes to the phone on file) and how an adapter is chosen.

A real provider's adapter implements `SmsGateway`; `AUTOFIN_SMS_GATEWAY` picks it. The project ships
`SandboxSms` (gateways/sms_sandbox.py), which behaves like a provider's test mode: it accepts a
message for a valid number and records it as a file under `var/sms/` instead of sending it.
Production refuses the sandbox (service/config.py), as it refuses the payment and bureau sandboxes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from service.config import Settings

GATEWAYS = ("sandbox",)


class SmsError(Exception):
    """The provider did not accept the message (network, outage, a number it cannot reach)."""


@dataclass(frozen=True)
class SmsReceipt:
    """The provider's id for an accepted message."""

    message_id: str


class SmsGateway(Protocol):
    async def send(self, *, to: str, body: str) -> SmsReceipt:
        """Send `body` to `to` (E.164, e.g. +15125550199); raise SmsError when it is not accepted."""
        ...


def to_e164(phone: str) -> str | None:
    """A North American number as +1 and ten digits, or None (numbers on file are stored either as
    +1XXXXXXXXXX or as ten digits)."""
    digits = "".join(c for c in phone if c.isdigit())
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10 or digits[0] in "01" or digits[3] in "01":
        return None
    return f"+1{digits}"


def sms_gateway_named(name: str, settings: Settings) -> SmsGateway:
    if name == "sandbox":
        from gateways.sms_sandbox import SandboxSms

        return SandboxSms(settings.var_dir / "sms")
    raise ValueError(f"unknown SMS gateway {name!r} (AUTOFIN_SMS_GATEWAY); available: {', '.join(GATEWAYS)}")


def sms_gateway(settings: Settings) -> SmsGateway:
    """The adapter the settings choose."""
    return sms_gateway_named(settings.sms_gateway, settings)
