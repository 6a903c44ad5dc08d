"""makePayment / cancelPayment through GraphQL: limits, idempotency, ownership, emails."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest

from models import Notification, Payment
from models.enums import NotificationCategory, PaymentStatus
from resolvers.payments.processing import process_due_payments
from tests import factories
from tests.api.payments.payment_helpers import CANCEL, MAKE, bank_account, by_subject, make, payment_input, setup
from tests.api.servicing import builders


async def test_make_payment_schedules_emails_and_notifies(client, services, mailbox):
    _, contract, method = await setup(services)
    await client.login("alice", factories.TEST_PASSWORD)
    await mailbox.deliver()
    result = await make(client, contract, method)
    assert result["errors"] == []
    payment = result["payment"]
    assert payment["status"] == "SCHEDULED"
    assert payment["amount"]["amount"] == "166.07"
    assert payment["scheduledFor"] == "2026-11-02"
    assert payment["method"] == {"kind": "BANK_ACCOUNT", "last4": "6789"}
    messages = by_subject(await mailbox.deliver(), "Payment scheduled")
    assert len(messages) == 1
    assert payment["confirmationNumber"] in mailbox.text(messages[0])
    notes = await Notification.filter(category=NotificationCategory.PAYMENT_CONFIRMATIONS)
    assert len(notes) == 1

    options = await client.execute("""query($id: ID!) { node(id: $id) { ... on Contract {
        paymentOptions { regular { amount } pastDue { amount } payoff { amount } }
        payments(first: 5) { totalCount edges { node { confirmationNumber status } } } } } }""",
                                   {"id": builders.gid("Contract", contract.id)})
    node = options["node"]
    assert node["paymentOptions"]["regular"]["amount"] == "166.07"
    assert node["paymentOptions"]["pastDue"]["amount"] == "0.00"
    assert node["payments"]["totalCount"] == 1


async def test_duplicate_submission_returns_the_first_result_and_conflicts_on_other_input(client, services,
                                                                                          mailbox):
    _, contract, method = await setup(services)
    await client.login("alice", factories.TEST_PASSWORD)
    await mailbox.deliver()
    first = await make(client, contract, method, key="same")
    again = await make(client, contract, method, key="same")
    assert again["errors"] == [] and again["payment"]["id"] == first["payment"]["id"]
    other = await make(client, contract, method, key="same", choice="OTHER", other="50.00")
    assert [e["code"] for e in other["errors"]] == ["CONFLICT"] and other["payment"] is None
    assert await Payment.all().count() == 1
    assert len(by_subject(await mailbox.deliver(), "Payment scheduled")) == 1


@pytest.mark.postgres_only
async def test_concurrent_submissions_with_one_key_make_one_payment(client, services):
    _, contract, method = await setup(services)
    await client.login("alice", factories.TEST_PASSWORD)
    variables = {"input": payment_input(contract, method, key="race")}
    responses = await asyncio.gather(*(client.post(MAKE, variables) for _ in range(6)))
    ids = set()
    for response in responses:
        body = response.json()
        assert "errors" not in body, body
        assert body["data"]["makePayment"]["errors"] == []
        ids.add(body["data"]["makePayment"]["payment"]["id"])
    assert len(ids) == 1
    assert await Payment.all().count() == 1
    assert await Notification.all().count() == 1


@pytest.mark.parametrize("choice, other, day, field", [
    ("OTHER", "0.99", None, ["input", "amount", "other"]),
    ("OTHER", "999999.00", None, ["input", "amount", "other"]),
    ("OTHER", "10.001", None, ["input", "amount", "other"]),
    ("OTHER", None, None, ["input", "amount", "other"]),
    ("PAST_DUE", None, None, ["input", "amount", "choice"]),
    ("REGULAR", None, date(2026, 11, 1), ["input", "scheduledFor"]),
    ("REGULAR", None, date(2026, 12, 16), ["input", "scheduledFor"]),
])
async def test_amount_and_date_limits(client, services, choice, other, day, field):
    _, contract, method = await setup(services)
    await client.login("alice", factories.TEST_PASSWORD)
    result = await make(client, contract, method, choice=choice, other=other, scheduled_for=day)
    assert [e["code"] for e in result["errors"]] == ["INVALID"], result
    assert result["errors"][0]["field"] == field
    assert await Payment.all().count() == 0


async def test_last_allowed_date_and_payoff(client, services):
    _, contract, method = await setup(services)
    await client.login("alice", factories.TEST_PASSWORD)
    result = await make(client, contract, method, choice="PAYOFF", scheduled_for=date(2026, 12, 15))
    assert result["errors"] == []
    assert result["payment"]["amount"]["amount"] > "5000"


async def test_another_customers_contract_method_and_payment_are_not_found(client, services):
    _, contract, method = await setup(services)
    mallory, _ = await builders.customer_with_login(services, "mallory")
    mallory_contract = await builders.loan(mallory, await factories.dealership(), contract_date=date(2026, 10, 15),
                                           first_payment_date=date(2026, 11, 15))
    mallory_method = await bank_account(services, mallory)
    await client.login("alice", factories.TEST_PASSWORD)
    paid = await make(client, contract, method, key="mine")
    await client.login("mallory", factories.TEST_PASSWORD)
    # alice's contract with mallory's method; mallory's contract with alice's method
    assert [e["code"] for e in (await make(client, contract, mallory_method))["errors"]] == ["NOT_FOUND"]
    stolen = await make(client, mallory_contract, method, key="k2")
    assert [e["code"] for e in stolen["errors"]] == ["NOT_FOUND"]
    assert stolen["errors"][0]["field"] == ["input", "paymentMethodId"]
    cancel = (await client.execute(CANCEL, {"id": paid["payment"]["id"]}))["cancelPayment"]
    assert [e["code"] for e in cancel["errors"]] == ["NOT_FOUND"]
    node = await client.execute("query($id: ID!) { node(id: $id) { id } }", {"id": paid["payment"]["id"]})
    assert node["node"] is None
    assert await Payment.all().count() == 1


async def test_junk_ids_are_not_found(client, services):
    _, contract, method = await setup(services)
    await client.login("alice", factories.TEST_PASSWORD)
    value = payment_input(contract, method)
    value["contractId"] = "not-an-id"
    result = (await client.execute(MAKE, {"input": value}))["makePayment"]
    assert [e["code"] for e in result["errors"]] == ["NOT_FOUND"]


async def test_cancelled_payment_is_never_charged(client, services, mailbox):
    _, contract, method = await setup(services)
    await client.login("alice", factories.TEST_PASSWORD)
    paid = await make(client, contract, method, scheduled_for=date(2026, 11, 10))
    cancel = (await client.execute(CANCEL, {"id": paid["payment"]["id"]}))["cancelPayment"]
    assert cancel["errors"] == [] and cancel["payment"]["status"] == "CANCELLED"
    again = (await client.execute(CANCEL, {"id": paid["payment"]["id"]}))["cancelPayment"]
    assert [e["code"] for e in again["errors"]] == ["INVALID"]
    services.clock.advance(timedelta(days=8))
    await client.login("alice", factories.TEST_PASSWORD)  # a new day, a new session
    report = await process_due_payments(services)
    assert report.settled == [] and report.failed == []
    payment = await Payment.get()
    assert payment.status == PaymentStatus.CANCELLED and payment.gateway_reference is None
