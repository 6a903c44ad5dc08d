"""Shared set-up for the payments API tests: a customer with a login, a loan, payment methods as rows."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from models import Contract, PaymentMethod
from models.enums import BankAccountType, PaymentMethodKind
from tests.api.servicing import builders

D = Decimal
MAKE = """mutation($input: MakePaymentInput!) { makePayment(input: $input) {
  payment { id confirmationNumber amount { amount } status scheduledFor method { kind last4 } }
  errors { code message field } } }"""
CANCEL = """mutation($id: ID!) { cancelPayment(input: {paymentId: $id}) {
  payment { id status } errors { code message field } } }"""
PAYMENT = """query($id: ID!) { node(id: $id) { ... on Payment { id status failureReason settledAt
  amount { amount }
  receipt { appliedOn amount { amount } interest { amount } principal { amount } fees { amount } tax { amount }
            newBalance { amount } newPrincipalBalance { amount } } } } }"""


async def setup(services, username: str = "alice", account: str = "000123456789"):
    """A customer with a login, a current loan (5,000.00 at 12 %, first due 2026-11-15) and a bank account."""
    owner, dealer = await builders.customer_with_login(services, username)
    contract = await builders.loan(owner, dealer, contract_date=date(2026, 10, 15),
                                   first_payment_date=date(2026, 11, 15))
    method = await bank_account(services, owner, account)
    return owner, contract, method


async def bank_account(services, owner, account: str = "000123456789") -> PaymentMethod:
    return await PaymentMethod.create(
        customer=owner, kind=PaymentMethodKind.BANK_ACCOUNT, holder_name="Pat Doe", routing_number="011000015",
        account_number_encrypted=services.cipher.encrypt(account, table="payment_methods", column="account_number"),
        account_blind_index=services.cipher.blind_index(account, purpose="payment_methods.account_number"),
        account_type=BankAccountType.CHECKING, last4=account[-4:], created_at=services.clock.now())


async def card(services, owner, number: str) -> PaymentMethod:
    token = services.gateway.tokenize_card(number, 12, 2030, today=services.clock.today())
    return await PaymentMethod.create(
        customer=owner, kind=PaymentMethodKind.DEBIT_CARD, holder_name="Pat Doe", gateway="sandbox",
        gateway_token=token.token, brand=token.brand, expiry_month=token.expiry_month,
        expiry_year=token.expiry_year, last4=token.last4, created_at=services.clock.now())


def payment_input(contract: Contract, method: PaymentMethod, key: str = "key-1", choice: str = "REGULAR",
                  other: str | None = None, scheduled_for: date | None = None) -> dict:
    value = {"contractId": builders.gid("Contract", contract.id),
             "paymentMethodId": builders.gid("PaymentMethod", method.id),
             "amount": {"choice": choice, **({"other": other} if other is not None else {})},
             "idempotencyKey": key}
    if scheduled_for is not None:
        value["scheduledFor"] = scheduled_for.isoformat()
    return value


async def make(client, contract, method, **kwargs) -> dict:
    data = await client.execute(MAKE, {"input": payment_input(contract, method, **kwargs)})
    return data["makePayment"]


def by_subject(messages, start: str) -> list:
    return [m for m in messages if str(m["Subject"]).startswith(start)]
