"""The processor through GraphQL: settle with ledger and receipt, decline, timeout then success, claims."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from finance.servicing import allocate_payment
from models import CommunicationPreferences, LedgerEntry, Notification, Payment, User
from models.enums import LedgerEntryKind, NotificationCategory, PaymentStatus
from resolvers.payments import processing
from resolvers.payments.processing import claim, process_due_payments
from resolvers.servicing.positions import loan_terms
from tests import factories
from tests.api.payments.payment_helpers import PAYMENT, bank_account, by_subject, card, make, setup
from tests.api.servicing import builders

D = Decimal


async def test_processing_settles_into_the_ledger_with_a_receipt(client, services, mailbox):
    _, contract, method = await setup(services)
    await client.login("alice", factories.TEST_PASSWORD)
    paid = await make(client, contract, method, scheduled_for=date(2026, 11, 15))
    await mailbox.deliver()
    assert (await process_due_payments(services)).settled == []  # not due yet
    services.clock.advance(timedelta(days=13))
    await client.login("alice", factories.TEST_PASSWORD)  # a new day, a new session
    report = await process_due_payments(services)
    assert len(report.settled) == 1
    assert (await process_due_payments(services)).settled == []  # once

    payment = await Payment.get()
    entry = await LedgerEntry.get(id=payment.ledger_entry_id)
    assert entry.kind == LedgerEntryKind.PAYMENT and entry.idempotency_key == f"payment:{payment.id}"
    assert entry.effective_date == date(2026, 11, 15) and entry.amount == D("166.07")
    expected = allocate_payment(loan_terms(contract), [], D("166.07"), date(2026, 11, 15),
                                owed_on_installments=D("166.07"))
    assert (entry.interest, entry.principal, entry.fees) == (expected.interest, expected.principal, expected.fees)

    data = await client.execute(PAYMENT, {"id": paid["payment"]["id"]})
    node = data["node"]
    assert node["status"] == "SETTLED" and node["settledAt"]
    receipt = node["receipt"]
    assert receipt["appliedOn"] == "2026-11-15"
    assert D(receipt["interest"]["amount"]) == expected.interest
    assert D(receipt["principal"]["amount"]) == expected.principal
    assert D(receipt["newPrincipalBalance"]["amount"]) == D("5000.00") - expected.principal
    assert D(receipt["newBalance"]["amount"]) == D("5000.00") - expected.principal
    messages = by_subject(await mailbox.deliver(), "Payment received")
    assert len(messages) == 1 and payment.confirmation_number in mailbox.text(messages[0])

    dashboard = await client.execute("""query($id: ID!) { node(id: $id) { ... on Contract {
        nextDue { date } payments(filter: {statuses: [SETTLED]}) { totalCount } } } }""",
                                     {"id": builders.gid("Contract", contract.id)})
    assert dashboard["node"]["nextDue"]["date"] == "2026-12-15"
    assert dashboard["node"]["payments"]["totalCount"] == 1


async def test_declined_payment_fails_and_always_notifies(client, services, mailbox):
    owner, contract, _ = await setup(services)
    declined = await card(services, owner, "4000000000000002")
    await client.login("alice", factories.TEST_PASSWORD)
    # Even with payment confirmations turned off, a failure notifies (PAYMENT_PROBLEMS has no switch).
    user = await User.get(username="alice")
    await CommunicationPreferences.create(user=user, payment_confirmations=False, updated_at=services.clock.now())
    await mailbox.deliver()
    paid = await make(client, contract, declined)
    await process_due_payments(services)
    node = (await client.execute(PAYMENT, {"id": paid["payment"]["id"]}))["node"]
    assert node["status"] == "FAILED" and "Declined" in node["failureReason"] and node["receipt"] is None
    assert await LedgerEntry.all().count() == 0
    assert await Notification.filter(user=user, category=NotificationCategory.PAYMENT_PROBLEMS).count() == 1
    assert len(by_subject(await mailbox.deliver(), "Your payment")) == 1
    assert await Notification.filter(category=NotificationCategory.PAYMENT_CONFIRMATIONS).count() == 0


async def test_timeout_stays_processing_then_succeeds_with_the_same_reference(client, services, monkeypatch):
    owner, contract, _ = await setup(services)
    slow = await bank_account(services, owner, "000000000119")
    await client.login("alice", factories.TEST_PASSWORD)
    paid = await make(client, contract, slow)
    report = await process_due_payments(services)
    assert report.retry and not report.settled
    payment = await Payment.get()
    assert payment.status == PaymentStatus.PROCESSING
    references = []
    real_charge = services.gateway.charge

    async def recovered(*, reference, source, amount, on):
        references.append(reference)
        from gateways.payments import ChargeResult
        return ChargeResult(approved=True, gateway_reference="sbx_ch_approve_recovered")

    monkeypatch.setattr(services.gateway, "charge", recovered)
    report = await process_due_payments(services)
    assert len(report.settled) == 1
    assert references == [payment.confirmation_number]
    assert real_charge is not None
    node = (await client.execute(PAYMENT, {"id": paid["payment"]["id"]}))["node"]
    assert node["status"] == "SETTLED"
    assert await LedgerEntry.filter(kind=LedgerEntryKind.PAYMENT).count() == 1


async def test_a_claim_is_taken_once_and_a_stale_claim_can_be_retaken(client, services):
    _, contract, method = await setup(services)
    await client.login("alice", factories.TEST_PASSWORD)
    await make(client, contract, method)
    payment = await Payment.get()
    assert await claim(services, payment.id) is True
    assert await claim(services, payment.id) is False
    services.clock.advance(processing.STALE_CLAIM + timedelta(seconds=1))
    assert await claim(services, payment.id) is True


async def test_payment_exceeding_the_payoff_at_settlement_fails_uncharged(client, services):
    _, contract, method = await setup(services)
    await client.login("alice", factories.TEST_PASSWORD)
    await make(client, contract, method, key="a", choice="PAYOFF")
    await make(client, contract, method, key="b", choice="PAYOFF")
    report = await process_due_payments(services)
    assert len(report.settled) == 1 and len(report.failed) == 1
    failed = await Payment.get(id=report.failed[0])
    assert failed.status == PaymentStatus.FAILED and "exceeds the payoff" in failed.failure_reason
    assert failed.gateway_reference is None


async def test_a_lease_payment_splits_into_depreciation_rent_and_tax(client, services):
    owner, _, method = await setup(services)
    lease = await builders.lease(owner, await factories.dealership(), contract_date=date(2026, 10, 15),
                                 first_payment_date=date(2026, 11, 15))
    await client.login("alice", factories.TEST_PASSWORD)
    paid = await make(client, lease, method)
    assert paid["payment"]["amount"]["amount"] == "459.63"
    await process_due_payments(services)
    entry = await LedgerEntry.get(kind=LedgerEntryKind.PAYMENT)
    assert (entry.principal, entry.interest, entry.tax, entry.fees) == (D("355.56"), D("74.00"), D("30.07"), D("0"))
    receipt = (await client.execute(PAYMENT, {"id": paid["payment"]["id"]}))["node"]["receipt"]
    assert receipt["tax"]["amount"] == "30.07" and receipt["principal"]["amount"] == "355.56"
