"""Payment methods through /graphql: adding bank accounts and debit cards (step-up, validation,
encryption, the alert mail from a real SMTP server), the default, removal, and other customers."""

from __future__ import annotations

import asyncio
import itertools
import logging
from datetime import date, timedelta
from decimal import Decimal

import pytest
from tortoise import fields as tfields

from models import (
    AuditEvent,
    AutopayPlan,
    Notification,
    OutboxMessage,
    Payment,
    PaymentMethod,
    User,
)
from models.enums import AutopayStatus, NotificationCategory, PaymentStatus, Role
from tests import factories
from tests.api.servicing import builders

ROUTING = "011000015"
ACCOUNT = "000123456789"
VISA = "4111111111111111"
FIELDS = "id kind holderName last4 brand accountType maskedRoutingNumber expiryMonth expiryYear isDefault " \
         "createdAt removedAt description"
ADD_BANK = f"""mutation($input: AddBankAccountInput!) {{ addBankAccount(input: $input) {{
  paymentMethod {{ {FIELDS} }} errors {{ code message field }} }} }}"""
ADD_CARD = f"""mutation($input: AddDebitCardInput!) {{ addDebitCard(input: $input) {{
  paymentMethod {{ {FIELDS} }} errors {{ code message field }} }} }}"""
SET_DEFAULT = """mutation($id: ID!) { setDefaultPaymentMethod(input: {paymentMethodId: $id}) {
  paymentMethod { id isDefault } paymentMethods { id isDefault } errors { code message field } } }"""
REMOVE = """mutation($id: ID!) { removePaymentMethod(input: {paymentMethodId: $id}) {
  removedPaymentMethodId paymentMethods { id isDefault } errors { code message field } } }"""
LIST = "{ viewer { paymentMethods { id last4 isDefault kind } } }"
NODE = f"query($id: ID!) {{ node(id: $id) {{ ... on PaymentMethod {{ {FIELDS} }} }} }}"
REAUTH = """mutation($p: String) { reauthenticate(input: {password: $p}) { errors { code } } }"""

_confirmations = itertools.count(1)


def bank(**overrides) -> dict:
    return {"holderName": "Pat Doe", "routingNumber": ROUTING, "accountNumber": ACCOUNT, "accountType": "CHECKING",
            **overrides}


def card(**overrides) -> dict:
    return {"holderName": "Pat Doe", "cardNumber": VISA, "expiryMonth": 12, "expiryYear": 2029, **overrides}


async def signed_in(client, services, username: str = "alice"):
    owner, dealer = await builders.customer_with_login(services, username)
    await client.login(username, factories.TEST_PASSWORD)  # a fresh sign-in counts as a step-up
    return owner, dealer


async def add_bank(client, **overrides) -> dict:
    return (await client.execute(ADD_BANK, {"input": bank(**overrides)}))["addBankAccount"]


async def add_card(client, **overrides) -> dict:
    return (await client.execute(ADD_CARD, {"input": card(**overrides)}))["addDebitCard"]


def codes(payload: dict) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


async def payment_on(method_id: int, contract, user_id: int, status: PaymentStatus) -> Payment:
    n = next(_confirmations)
    return await Payment.create(contract=contract, method_id=method_id, created_by_id=user_id, amount=Decimal("50.00"),
                                scheduled_for=date(2026, 11, 10), status=status, confirmation_number=f"PMT-T{n:06d}",
                                idempotency_key=f"key-{n}", request_fingerprint="0" * 64,
                                created_at=builders.posted(date(2026, 11, 2)))


def row_id(global_id: str) -> int:
    import base64

    return int(base64.b64decode(global_id).decode().split(":")[1])


# -- adding a bank account ------------------------------------------------------------------------

async def test_add_a_bank_account_stores_it_encrypted_and_shows_only_the_last_four(client, services, mailbox):
    owner, _ = await signed_in(client, services)
    payload = await add_bank(client)
    assert payload["errors"] == []
    method = payload["paymentMethod"]
    assert method["kind"] == "BANK_ACCOUNT" and method["last4"] == "6789" and method["accountType"] == "CHECKING"
    assert method["maskedRoutingNumber"] == "****0015" and method["brand"] is None
    assert method["isDefault"] is True  # the first method is the default
    assert method["description"] == "Checking account ending in 6789"
    assert ACCOUNT not in str(payload)

    row = await PaymentMethod.get(id=row_id(method["id"]))
    assert row.customer_id == owner.id and row.routing_number == ROUTING and row.last4 == "6789"
    assert ACCOUNT not in row.account_number_encrypted
    assert services.cipher.decrypt(row.account_number_encrypted, table="payment_methods",
                                   column="account_number") == ACCOUNT
    assert row.account_blind_index == services.cipher.blind_index(f"{ROUTING}:{ACCOUNT}",
                                                                  purpose="payment_methods.account_number")
    assert row.gateway_token is None

    [mail] = await mailbox.deliver()
    assert mail["Subject"] == "A payment method was added to your autofin account"
    assert mail["To"] == "alice@example.com"
    text = mailbox.text(mail)
    assert "Checking account ending in 6789" in text and ACCOUNT not in mail.as_string()
    [note] = await Notification.all()
    assert note.category == NotificationCategory.SECURITY_ALERTS and "6789" in note.body
    [event] = await AuditEvent.filter(action="payment_method.added")
    assert event.details == {"payment_method_id": row.id, "kind": "BANK_ACCOUNT", "default": True}
    assert event.subject_id == event.actor_id


async def test_accepts_separators_and_savings(client, services):
    await signed_in(client, services)
    payload = await add_bank(client, routingNumber="0110-0001 5", accountNumber="0001 2345 6789",
                             accountType="SAVINGS")
    assert payload["errors"] == []
    assert payload["paymentMethod"]["description"] == "Savings account ending in 6789"


async def test_adding_needs_a_recent_step_up(client, services, clock, mailbox):
    await signed_in(client, services)
    clock.advance(timedelta(minutes=6))
    for payload in (await add_bank(client), await add_card(client)):
        assert codes(payload) == [("REAUTHENTICATION_REQUIRED", None)]
        assert payload["paymentMethod"] is None
    assert await PaymentMethod.all().count() == 0
    assert await mailbox.deliver() == [] and await Notification.all().count() == 0
    assert await AuditEvent.filter(action="payment_method.added").count() == 0

    assert (await client.execute(REAUTH, {"p": factories.TEST_PASSWORD}))["reauthenticate"]["errors"] == []
    assert (await add_bank(client))["errors"] == []


async def test_bank_account_validation_names_each_field(client, services):
    await signed_in(client, services)
    payload = await add_bank(client, holderName="  ", routingNumber="011000016", accountNumber="123")
    assert codes(payload) == [("INVALID", ["holderName"]), ("INVALID", ["routingNumber"]),
                              ("INVALID", ["accountNumber"])]
    for junk in ({"routingNumber": "01100001"}, {"routingNumber": "x" * 5000}, {"accountNumber": "1" * 18},
                 {"accountNumber": "12ab5678"}, {"holderName": "x" * 129}, {"holderName": "Pat\x00Doe"}):
        assert [c for c, _ in codes(await add_bank(client, **junk))] == ["INVALID"], junk
    assert await PaymentMethod.all().count() == 0


async def test_the_same_account_twice_is_a_conflict(client, services):
    await signed_in(client, services)
    assert (await add_bank(client))["errors"] == []
    payload = await add_bank(client, accountNumber="0001-2345-6789", accountType="SAVINGS")
    assert codes(payload) == [("CONFLICT", ["accountNumber"])]
    assert await PaymentMethod.all().count() == 1
    # The same number at another bank is another account.
    assert (await add_bank(client, routingNumber="021000021"))["errors"] == []


async def test_another_customer_may_add_the_same_account(client, services):
    await signed_in(client, services, "alice")
    assert (await add_bank(client))["errors"] == []
    await signed_in(client, services, "bob")
    assert (await add_bank(client))["errors"] == []


# -- adding a debit card --------------------------------------------------------------------------

async def test_add_a_debit_card_keeps_only_the_token(client, services, mailbox, caplog):
    await signed_in(client, services)
    with caplog.at_level(logging.DEBUG):
        payload = await add_card(client, cardNumber="4111 1111 1111 1111", makeDefault=True)
    assert payload["errors"] == []
    method = payload["paymentMethod"]
    assert (method["kind"], method["brand"], method["last4"]) == ("DEBIT_CARD", "VISA", "1111")
    assert (method["expiryMonth"], method["expiryYear"], method["isDefault"]) == (12, 2029, True)
    assert method["maskedRoutingNumber"] is None and method["accountType"] is None
    row = await PaymentMethod.get(id=row_id(method["id"]))
    assert row.gateway == "sandbox" and row.gateway_token.startswith("sbx_approve_")
    assert row.account_number_encrypted is None and row.account_blind_index is None

    # The number is nowhere: not in any text column of the method, the audit log, the outbox,
    # the notifications, nor in any log line.
    def text_values(instance) -> list[str]:
        return [str(getattr(instance, name)) for name, field in instance._meta.fields_map.items()
                if isinstance(field, (tfields.CharField, tfields.TextField, tfields.JSONField))]

    rows = [row, *await AuditEvent.all(), *await OutboxMessage.all(), *await Notification.all()]
    assert len(rows) >= 4
    for instance in rows:
        for value in text_values(instance):
            assert VISA not in value.replace(" ", "") and "4111 1111" not in value, (type(instance), value)
    logged = "\n".join(record.getMessage() + str(record.__dict__) for record in caplog.records)
    assert VISA not in logged and "4111 1111 1111 1111" not in logged
    [mail] = await mailbox.deliver()
    assert "VISA card ending in 1111" in mailbox.text(mail) and VISA not in mail.as_string()


async def test_card_rejections(client, services):
    await signed_in(client, services)  # today is 2026-11-02
    assert codes(await add_card(client, cardNumber="4111111111111112")) == [("INVALID", ["cardNumber"])]
    assert codes(await add_card(client, cardNumber="4111")) == [("INVALID", ["cardNumber"])]
    assert codes(await add_card(client, expiryMonth=10, expiryYear=2026)) == [("INVALID", ["expiryMonth"])]
    assert codes(await add_card(client, expiryMonth=12, expiryYear=2025)) == [("INVALID", ["expiryYear"])]
    assert codes(await add_card(client, expiryMonth=13)) == [("INVALID", ["expiryMonth"])]
    assert codes(await add_card(client, expiryYear=29)) == [("INVALID", ["expiryYear"])]
    assert await PaymentMethod.all().count() == 0
    # This month still works.
    assert (await add_card(client, expiryMonth=11, expiryYear=2026))["errors"] == []


async def test_a_gateway_rejection_is_invalid_on_the_card_number(client, services, monkeypatch):
    from gateways.payments import CardRejected

    await signed_in(client, services)

    def reject(*args, **kwargs):
        raise CardRejected(f"card {VISA} refused")

    monkeypatch.setattr(services.gateway, "tokenize_card", reject)
    payload = await add_card(client)
    assert codes(payload) == [("INVALID", ["cardNumber"])] and VISA not in str(payload)


# -- listing and the default ----------------------------------------------------------------------

async def test_default_switching_keeps_exactly_one_default(client, services, clock):
    await signed_in(client, services)
    first = (await add_bank(client))["paymentMethod"]
    clock.advance(timedelta(seconds=10))
    second = (await add_card(client))["paymentMethod"]
    assert second["isDefault"] is False
    clock.advance(timedelta(seconds=10))
    third = (await add_bank(client, accountNumber="55554444", makeDefault=True))["paymentMethod"]
    assert third["isDefault"] is True

    listed = (await client.execute(LIST))["viewer"]["paymentMethods"]
    assert [m["id"] for m in listed] == [third["id"], second["id"], first["id"]]  # default, then newest
    assert [m["isDefault"] for m in listed] == [True, False, False]

    payload = (await client.execute(SET_DEFAULT, {"id": second["id"]}))["setDefaultPaymentMethod"]
    assert payload["errors"] == [] and payload["paymentMethod"] == {"id": second["id"], "isDefault": True}
    assert payload["paymentMethods"][0] == {"id": second["id"], "isDefault": True}
    assert await PaymentMethod.filter(is_default=True).count() == 1
    # Setting the default again changes nothing.
    again = (await client.execute(SET_DEFAULT, {"id": second["id"]}))["setDefaultPaymentMethod"]
    assert again["errors"] == [] and await PaymentMethod.filter(is_default=True).count() == 1
    assert await AuditEvent.filter(action="payment_method.default_changed").count() == 1


# -- removal ----------------------------------------------------------------------------------------

async def test_remove_is_a_soft_delete_and_promotes_a_new_default(client, services, clock):
    await signed_in(client, services)
    old = (await add_bank(client))["paymentMethod"]
    clock.advance(timedelta(seconds=10))
    newer = (await add_card(client))["paymentMethod"]
    payload = (await client.execute(REMOVE, {"id": old["id"]}))["removePaymentMethod"]
    assert payload["errors"] == [] and payload["removedPaymentMethodId"] == old["id"]
    assert payload["paymentMethods"] == [{"id": newer["id"], "isDefault": True}]
    row = await PaymentMethod.get(id=row_id(old["id"]))
    assert row.removed_at == clock.now() and row.is_default is False
    assert [m["id"] for m in (await client.execute(LIST))["viewer"]["paymentMethods"]] == [newer["id"]]
    # Still the owner's, for the history of payments that used it.
    node = (await client.execute(NODE, {"id": old["id"]}))["node"]
    assert node["removedAt"] is not None and node["last4"] == "6789"
    [event] = await AuditEvent.filter(action="payment_method.removed")
    assert event.details == {"payment_method_id": row.id, "kind": "BANK_ACCOUNT", "new_default_id": row_id(newer["id"])}
    # Removed twice: it is gone.
    assert codes((await client.execute(REMOVE, {"id": old["id"]}))["removePaymentMethod"]) == [
        ("NOT_FOUND", ["paymentMethodId"])]
    # The removed account may be added again.
    assert (await add_bank(client))["errors"] == []


async def test_removal_needs_a_recent_step_up(client, services, clock):
    await signed_in(client, services)
    method = (await add_bank(client))["paymentMethod"]
    clock.advance(timedelta(minutes=6))
    payload = (await client.execute(REMOVE, {"id": method["id"]}))["removePaymentMethod"]
    assert codes(payload) == [("REAUTHENTICATION_REQUIRED", None)]
    assert (await PaymentMethod.get(id=row_id(method["id"]))).removed_at is None


async def test_removal_is_refused_while_a_pending_payment_or_autopay_uses_it(client, services):
    owner, dealer = await signed_in(client, services)
    contract = await builders.loan(owner, dealer)
    method = (await add_bank(client))["paymentMethod"]
    method_id = row_id(method["id"])
    user = await User.get(username="alice")
    scheduled = await payment_on(method_id, contract, user.id, PaymentStatus.SCHEDULED)
    payload = (await client.execute(REMOVE, {"id": method["id"]}))["removePaymentMethod"]
    assert codes(payload) == [("CONFLICT", ["paymentMethodId"])]

    await Payment.filter(id=scheduled.id).update(status=PaymentStatus.PROCESSING)
    assert codes((await client.execute(REMOVE, {"id": method["id"]}))["removePaymentMethod"]) == [
        ("CONFLICT", ["paymentMethodId"])]

    await Payment.filter(id=scheduled.id).update(status=PaymentStatus.SETTLED)
    now = services.clock.now()
    plan = await AutopayPlan.create(contract=contract, user=user, method_id=method_id, created_at=now, updated_at=now)
    assert codes((await client.execute(REMOVE, {"id": method["id"]}))["removePaymentMethod"]) == [
        ("CONFLICT", ["paymentMethodId"])]
    assert (await PaymentMethod.get(id=method_id)).removed_at is None
    assert await AuditEvent.filter(action="payment_method.removed").count() == 0

    await AutopayPlan.filter(id=plan.id).update(status=AutopayStatus.CANCELLED)
    assert (await client.execute(REMOVE, {"id": method["id"]}))["removePaymentMethod"]["errors"] == []


# -- other customers --------------------------------------------------------------------------------

async def test_another_customers_method_is_not_found_everywhere(client, services):
    await signed_in(client, services, "alice")
    alices = (await add_bank(client))["paymentMethod"]
    await signed_in(client, services, "bob")
    bobs = (await add_card(client))["paymentMethod"]

    for mutation, name in ((SET_DEFAULT, "setDefaultPaymentMethod"), (REMOVE, "removePaymentMethod")):
        payload = (await client.execute(mutation, {"id": alices["id"]}))[name]
        assert codes(payload) == [("NOT_FOUND", ["paymentMethodId"])]
        assert [m["id"] for m in payload["paymentMethods"]] == [bobs["id"]]
    assert (await client.execute(NODE, {"id": alices["id"]}))["node"] is None
    nodes = await client.execute("query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
                                 {"ids": [alices["id"], bobs["id"]]})
    assert nodes["nodes"] == [None, {"id": bobs["id"]}]
    assert [m["id"] for m in (await client.execute(LIST))["viewer"]["paymentMethods"]] == [bobs["id"]]
    alice_row = await PaymentMethod.get(id=row_id(alices["id"]))
    assert alice_row.removed_at is None and alice_row.is_default is True


async def test_junk_ids_are_not_found(client, services):
    await signed_in(client, services)
    method = (await add_bank(client))["paymentMethod"]
    contract_id = builders.gid("Contract", row_id(method["id"]))
    for junk in ("", "not base64!", contract_id, builders.gid("PaymentMethod", 999999),
                 builders.gid("PaymentMethod", "abc")):
        for mutation, name in ((SET_DEFAULT, "setDefaultPaymentMethod"), (REMOVE, "removePaymentMethod")):
            assert codes((await client.execute(mutation, {"id": junk}))[name]) == [
                ("NOT_FOUND", ["paymentMethodId"])], junk


async def test_staff_cannot_use_payment_methods(client, services):
    await factories.user(services, "sam", Role.SUPPORT)
    await client.login("sam", factories.TEST_PASSWORD)
    body = (await client.post(ADD_BANK, {"input": bank()})).json()
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


# -- concurrency (PostgreSQL) -----------------------------------------------------------------------

@pytest.mark.postgres_only
async def test_concurrent_adds_of_one_account_store_it_once(client, services):
    await signed_in(client, services)
    payloads = await asyncio.gather(*(add_bank(client, makeDefault=True) for _ in range(4)))
    assert sorted(len(p["errors"]) for p in payloads) == [0, 1, 1, 1]
    assert [c for p in payloads for c in codes(p)] == [("CONFLICT", ["accountNumber"])] * 3
    assert await PaymentMethod.filter(removed_at__isnull=True).count() == 1
    assert await PaymentMethod.filter(is_default=True).count() == 1


@pytest.mark.postgres_only
async def test_concurrent_default_changes_leave_exactly_one_default(client, services):
    await signed_in(client, services)
    ids = [(await add_bank(client, accountNumber=f"1000{n}"))["paymentMethod"]["id"] for n in range(4)]
    payloads = await asyncio.gather(*(client.execute(SET_DEFAULT, {"id": i}) for i in ids * 2))
    assert all(p["setDefaultPaymentMethod"]["errors"] == [] for p in payloads)
    assert await PaymentMethod.filter(is_default=True).count() == 1
