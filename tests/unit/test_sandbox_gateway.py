"""The sandbox gateway behaves like a processor's test mode, by documented test numbers."""

from datetime import date
from decimal import Decimal

import pytest

from gateways.payments import CardRejected, GatewayTimeout, PaymentSource
from gateways.sandbox import SandboxGateway, card_brand, luhn_valid

TODAY = date(2026, 11, 2)
GATEWAY = SandboxGateway()


def card(number: str) -> PaymentSource:
    return PaymentSource(kind="CARD", token=GATEWAY.tokenize_card(number, 12, 2030, today=TODAY).token)


def bank(account: str) -> PaymentSource:
    return PaymentSource(kind="BANK_ACCOUNT", routing_number="011000015", account_number=account)


def test_luhn_and_brands():
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert [card_brand(n) for n in ("4111111111111111", "5555555555554444", "378282246310005")] == [
        "VISA", "MASTERCARD", "AMEX"]


def test_tokenizing_keeps_only_brand_last4_and_expiry():
    token = GATEWAY.tokenize_card("4111 1111 1111 1111", 12, 2030, today=TODAY)
    assert (token.brand, token.last4, token.expiry_month, token.expiry_year) == ("VISA", "1111", 12, 2030)
    assert "4111111111111111" not in token.token


@pytest.mark.parametrize("number, month, year", [("4111111111111112", 12, 2030), ("4111111111111111", 10, 2026),
                                                  ("4111111111111111", 13, 2030)])
def test_bad_or_expired_cards_are_rejected(number, month, year):
    with pytest.raises(CardRejected):
        GATEWAY.tokenize_card(number, month, year, today=TODAY)


async def test_outcomes_by_test_number():
    ok = await GATEWAY.charge(reference="C1", source=card("4111111111111111"), amount=Decimal("10.00"), on=TODAY)
    declined = await GATEWAY.charge(reference="C2", source=card("4000000000000002"), amount=Decimal("10.00"), on=TODAY)
    assert ok.approved and not declined.approved and declined.decline_reason
    with pytest.raises(GatewayTimeout):
        await GATEWAY.charge(reference="C3", source=bank("000123450119"), amount=Decimal("10.00"), on=TODAY)
    again = await GATEWAY.charge(reference="C1", source=card("4111111111111111"), amount=Decimal("10.00"), on=TODAY)
    assert again.gateway_reference == ok.gateway_reference  # idempotent per reference


async def test_nsf_returns_three_days_after_settlement():
    charged = await GATEWAY.charge(reference="N1", source=bank("000123459995"), amount=Decimal("10.00"), on=TODAY)
    assert charged.approved
    assert await GATEWAY.return_for(gateway_reference=charged.gateway_reference, settled_on=TODAY,
                                    as_of=date(2026, 11, 4)) is None
    notice = await GATEWAY.return_for(gateway_reference=charged.gateway_reference, settled_on=TODAY,
                                      as_of=date(2026, 11, 5))
    assert notice is not None and notice.returned_on == date(2026, 11, 5) and "R01" in notice.reason


def test_source_repr_never_shows_the_account_number():
    assert "000123459995" not in repr(bank("000123459995"))
