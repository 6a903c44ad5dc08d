"""Returns (NSF) after settlement: reversal of exactly that day's effect + the returned-payment fee, once."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from models import LedgerEntry, Notification, Payment
from models.enums import LedgerEntryKind, NotificationCategory, PaymentStatus
from resolvers.payments.processing import check_returns, process_due_payments
from resolvers.servicing.positions import states_for
from tests import factories
from tests.api.payments.payment_helpers import PAYMENT, bank_account, by_subject, card, make, setup

D = Decimal


async def _settled_nsf(client, services, method_factory):
    owner, contract, _ = await setup(services)
    method = await method_factory(owner)
    await client.login("alice", factories.TEST_PASSWORD)
    paid = await make(client, contract, method)
    assert len((await process_due_payments(services)).settled) == 1
    return contract, paid["payment"]["id"]


async def test_nsf_return_reverses_and_charges_the_fee_exactly_once(client, services, mailbox):
    contract, payment_gid = await _settled_nsf(client, services,
                                               lambda owner: bank_account(services, owner, "000000009995"))
    before = (await states_for([contract], date(2026, 11, 2)))[contract.id]
    await mailbox.deliver()
    assert (await check_returns(services)).returned == []  # not yet: returns come 3 days later
    services.clock.advance(timedelta(days=3))
    await client.login("alice", factories.TEST_PASSWORD)  # a new day, a new session
    assert len((await check_returns(services)).returned) == 1
    assert (await check_returns(services)).returned == []  # run twice: nothing more

    payment = await Payment.get()
    assert payment.status == PaymentStatus.RETURNED and payment.reversal_entry_id
    original = await LedgerEntry.get(id=payment.ledger_entry_id)
    reversal = await LedgerEntry.get(id=payment.reversal_entry_id)
    assert reversal.kind == LedgerEntryKind.PAYMENT_REVERSAL and reversal.reverses_id == original.id
    assert reversal.effective_date == original.effective_date == date(2026, 11, 2)
    assert (reversal.principal, reversal.interest, reversal.fees, reversal.tax, reversal.amount) == (
        original.principal, original.interest, original.fees, original.tax, original.amount)
    assert reversal.idempotency_key == f"return:{payment.id}"
    fees = await LedgerEntry.filter(kind=LedgerEntryKind.RETURNED_PAYMENT_FEE)
    assert len(fees) == 1 and fees[0].fees == D("25.00") and fees[0].idempotency_key == f"returned-fee:{payment.id}"
    assert fees[0].effective_date == date(2026, 11, 5)

    after = (await states_for([contract], date(2026, 11, 5)))[contract.id]
    # the payment's effect is gone; the fee is owed
    assert after.principal_balance == D("5000.00")
    assert after.unpaid_fees == D("25.00")
    assert before.principal_balance < D("5000.00")  # the payment counted while it stood

    node = (await client.execute(PAYMENT, {"id": payment_gid}))["node"]
    assert node["status"] == "RETURNED" and node["receipt"] is None and "R01" in node["failureReason"]
    assert await Notification.filter(category=NotificationCategory.PAYMENT_PROBLEMS).count() == 1
    messages = by_subject(await mailbox.deliver(), "Your payment")
    assert len(messages) == 1 and "returned" in messages[0]["Subject"]


async def test_nsf_card_return(client, services):
    await _settled_nsf(client, services, lambda owner: card(services, owner, "4000000000009995"))
    services.clock.advance(timedelta(days=5))
    await client.login("alice", factories.TEST_PASSWORD)  # a new day, a new session
    assert len((await check_returns(services)).returned) == 1
    assert await LedgerEntry.filter(kind=LedgerEntryKind.PAYMENT_REVERSAL).count() == 1


async def test_good_payment_is_never_returned(client, services):
    owner, contract, method = await setup(services)
    await client.login("alice", factories.TEST_PASSWORD)
    await make(client, contract, method)
    await process_due_payments(services)
    services.clock.advance(timedelta(days=5))
    await client.login("alice", factories.TEST_PASSWORD)  # a new day, a new session
    assert (await check_returns(services)).returned == []
    assert (await Payment.get()).status == PaymentStatus.SETTLED
