"""The long-lived collaborators of one process, built once from settings and handed to the
GraphQL context, the worker and the CLI. Tests build their own with a frozen clock."""

from __future__ import annotations

from dataclasses import dataclass, field

from auth.crypto import FieldCipher
from auth.passwords import Passwords
from gateways.bureau import CreditBureau, bureau_named
from gateways.payments import PaymentGateway, gateway_named
from service.clock import Clock, SystemClock
from service.config import Settings


@dataclass
class Services:
    settings: Settings
    clock: Clock = field(default_factory=SystemClock)
    passwords: Passwords = field(init=False)
    cipher: FieldCipher = field(init=False)
    gateway: PaymentGateway = field(init=False)
    bureau: CreditBureau = field(init=False)

    def __post_init__(self) -> None:
        self.gateway = gateway_named(self.settings.payment_gateway)
        self.bureau = bureau_named(self.settings.credit_bureau)
        self.passwords = Passwords(self.settings.argon2_profile)
        self.cipher = FieldCipher.from_settings(self.settings.field_encryption_key, self.settings.blind_index_key)
