"""Autopay through /graphql: enrol, change, pause, cancel (step-up, alerts, audit, ownership) and
the contract's `autopay` field through reminder, draft and suspension, with mail from real SMTP."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from jobs.autopay import run_autopay
from models import AuditEvent, AutopayCycle, AutopayPlan, Payment
from models.enums import AutopayStatus
from resolvers.payments.processing import process_due_payments
from tests import factories
from tests.api.payments.payment_helpers import bank_account, by_subject, setup
from tests.api.servicing import builders

D = Decimal
ERRORS = "errors { code message field }"
VIEW = ("autopay { id enabled status method { kind last4 } daysBeforeDue amountRule extraPrincipal { amount } "
        "nextDraft { date amount { amount } } pausedFor }")
ENROLL = f"""mutation($input: EnrollAutopayInput!) {{ enrollAutopay(input: $input) {{
  {VIEW} contract {{ number }} {ERRORS} }} }}"""
CHANGE = f"""mutation($input: ChangeAutopayInput!) {{ changeAutopay(input: $input) {{ {VIEW} {ERRORS} }} }}"""
PAUSE = f"""mutation($id: ID!) {{ pauseAutopayForOneCycle(input: {{autopayId: $id}}) {{ {VIEW} {ERRORS} }} }}"""
CANCEL = f"""mutation($id: ID!) {{ cancelAutopay(input: {{autopayId: $id}}) {{ {VIEW} {ERRORS} }} }}"""
CONTRACT = f"""query($id: ID!) {{ node(id: $id) {{ ... on Contract {{ {VIEW} }} }} }}"""
REAUTH = """mutation($p: String) { reauthenticate(input: {password: $p}) { errors { code } } }"""


def enrol_input(contract, method, **extra) -> dict:
    return {"contractId": builders.gid("Contract", contract.id),
            "paymentMethodId": builders.gid("PaymentMethod", method.id), **extra}


async def signed_in(client, services, username: str = "alice"):
    owner, contract, method = await setup(services, username)
    await client.login(username, factories.TEST_PASSWORD)
    return owner, contract, method


async def enrol(client, contract, method, **extra) -> dict:
    return (await client.execute(ENROLL, {"input": enrol_input(contract, method, **extra)}))["enrollAutopay"]


def codes(payload: dict) -> list[str]:
    return [e["code"] for e in payload["errors"]]


async def view(client, contract) -> dict:
    return (await client.execute(CONTRACT, {"id": builders.gid("Contract", contract.id)}))["node"]["autopay"]


async def test_enrol_shows_on_the_contract_mails_an_alert_and_audits(client, services, mailbox):
    _, contract, method = await signed_in(client, services)
    assert (await view(client, contract))["enabled"] is False
    await mailbox.deliver()
    payload = await enrol(client, contract, method, daysBeforeDue=2, amountRule="AMOUNT_DUE_PLUS_EXTRA",
                          extraPrincipal="25.00")
    assert payload["errors"] == []
    autopay = payload["autopay"]
    assert autopay["enabled"] is True and autopay["status"] == "ACTIVE"
    assert autopay["method"] == {"kind": "BANK_ACCOUNT", "last4": "6789"}
    assert (autopay["daysBeforeDue"], autopay["amountRule"], autopay["extraPrincipal"]) == (
        2, "AMOUNT_DUE_PLUS_EXTRA", {"amount": "25.00"})
    assert autopay["nextDraft"] is None and autopay["pausedFor"] is None
    assert await view(client, contract) == autopay
    [alert] = by_subject(await mailbox.deliver(), "Autopay is on")
    assert "2 day(s) before the due date" in mailbox.text(alert) and "6789" in mailbox.text(alert)
    event = await AuditEvent.get(action="autopay.enrolled")
    assert event.details["amount_rule"] == "AMOUNT_DUE_PLUS_EXTRA"


async def test_every_change_needs_a_recent_step_up(client, services, clock):
    _, contract, method = await signed_in(client, services)
    clock.advance(timedelta(minutes=6))
    assert codes(await enrol(client, contract, method)) == ["REAUTHENTICATION_REQUIRED"]
    assert await AutopayPlan.all().count() == 0
    await client.execute(REAUTH, {"p": factories.TEST_PASSWORD})
    autopay_id = (await enrol(client, contract, method))["autopay"]["id"]
    clock.advance(timedelta(minutes=6))
    for query, variables, field in (
        (CHANGE, {"input": {"autopayId": autopay_id, "daysBeforeDue": 3}}, "changeAutopay"),
        (PAUSE, {"id": autopay_id}, "pauseAutopayForOneCycle"),
        (CANCEL, {"id": autopay_id}, "cancelAutopay"),
    ):
        payload = (await client.execute(query, variables))[field]
        assert codes(payload) == ["REAUTHENTICATION_REQUIRED"] and payload["autopay"] is None
    plan = await AutopayPlan.get()
    assert (plan.days_before_due, plan.skip_due_date, plan.status) == (0, None, AutopayStatus.ACTIVE)


async def test_term_validation(client, services):
    _, contract, method = await signed_in(client, services)
    for extra, field in (({"daysBeforeDue": 6}, "daysBeforeDue"), ({"daysBeforeDue": -1}, "daysBeforeDue"),
                         ({"amountRule": "AMOUNT_DUE_PLUS_EXTRA"}, "extraPrincipal"),
                         ({"amountRule": "AMOUNT_DUE_PLUS_EXTRA", "extraPrincipal": "0.001"}, "extraPrincipal"),
                         ({"amountRule": "AMOUNT_DUE_PLUS_EXTRA", "extraPrincipal": "NaN"}, "extraPrincipal"),
                         ({"amountRule": "AMOUNT_DUE_PLUS_EXTRA", "extraPrincipal": "10000.01"}, "extraPrincipal")):
        payload = await enrol(client, contract, method, **extra)
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [("INVALID", [field])], extra
    assert await AutopayPlan.all().count() == 0


async def test_one_live_plan_per_contract(client, services):
    _, contract, method = await signed_in(client, services)
    assert (await enrol(client, contract, method))["errors"] == []
    assert codes(await enrol(client, contract, method)) == ["CONFLICT"]
    assert await AutopayPlan.all().count() == 1


async def test_another_customers_contract_method_and_plan_are_not_found(client, services):
    _, bob_contract, bob_method = await setup(services, "bob", account="000555554444")
    await client.login("bob", factories.TEST_PASSWORD)
    bob_plan_id = (await enrol(client, bob_contract, bob_method))["autopay"]["id"]

    _, contract, method = await signed_in(client, services, "alice")
    for payload in (await enrol(client, bob_contract, method), await enrol(client, contract, bob_method)):
        assert codes(payload) == ["NOT_FOUND"]
    assert [e["field"] for e in (await enrol(client, contract, bob_method))["errors"]] == [["paymentMethodId"]]
    for query, variables, field in (
        (CHANGE, {"input": {"autopayId": bob_plan_id, "daysBeforeDue": 3}}, "changeAutopay"),
        (PAUSE, {"id": bob_plan_id}, "pauseAutopayForOneCycle"),
        (CANCEL, {"id": bob_plan_id}, "cancelAutopay"),
        (CANCEL, {"id": "not-an-id"}, "cancelAutopay"),
        (CANCEL, {"id": builders.gid("Autopay", 99999999999999999999)}, "cancelAutopay"),
    ):
        assert codes((await client.execute(query, variables))[field]) == ["NOT_FOUND"]
    # Moving one's own plan onto another customer's method is refused too.
    mine = (await enrol(client, contract, method))["autopay"]["id"]
    payload = (await client.execute(CHANGE, {"input": {"autopayId": mine,
                                                       "paymentMethodId": builders.gid("PaymentMethod",
                                                                                       bob_method.id)}}))
    assert codes(payload["changeAutopay"]) == ["NOT_FOUND"]
    assert (await AutopayPlan.get(contract_id=bob_contract.id)).status == AutopayStatus.ACTIVE
    # Bob's autopay does not show through Alice's session.
    body = (await client.post(CONTRACT, {"id": builders.gid("Contract", bob_contract.id)})).json()
    assert body["data"]["node"] is None


async def test_change_pause_and_cancel(client, services, mailbox, clock):
    owner, contract, method = await signed_in(client, services)
    other = await bank_account(services, owner, "000987654321")
    autopay_id = (await enrol(client, contract, method))["autopay"]["id"]
    await mailbox.deliver()

    payload = (await client.execute(CHANGE, {"input": {"autopayId": autopay_id, "daysBeforeDue": 1,
                                                       "paymentMethodId": builders.gid("PaymentMethod", other.id)}})
               )["changeAutopay"]
    assert payload["errors"] == []
    assert payload["autopay"]["daysBeforeDue"] == 1 and payload["autopay"]["method"]["last4"] == "4321"

    payload = (await client.execute(PAUSE, {"id": autopay_id}))["pauseAutopayForOneCycle"]
    assert payload["errors"] == [] and payload["autopay"]["pausedFor"] == "2026-11-15"
    assert codes((await client.execute(PAUSE, {"id": autopay_id}))["pauseAutopayForOneCycle"]) == ["INVALID"]

    payload = (await client.execute(CANCEL, {"id": autopay_id}))["cancelAutopay"]
    assert payload["errors"] == [] and payload["autopay"]["status"] == "CANCELLED"
    assert (await view(client, contract))["enabled"] is False
    subjects = [m["Subject"] for m in await mailbox.deliver()]
    assert subjects.count("Your autofin autopay was changed") == 3
    actions = [e.action for e in await AuditEvent.filter(action__startswith="autopay.").order_by("id")]
    assert actions == ["autopay.enrolled", "autopay.changed", "autopay.paused", "autopay.cancelled"]
    # Cancelled: a new plan may be enrolled.
    assert (await enrol(client, contract, method))["errors"] == []


def at(day: date) -> datetime:
    return datetime.combine(day, time(9, 0), tzinfo=timezone.utc)


async def test_reminder_draft_and_next_draft_through_the_api(client, services, clock, mailbox):
    _, contract, method = await signed_in(client, services)
    autopay_id = (await enrol(client, contract, method))["autopay"]["id"]
    await mailbox.deliver()
    clock.set(at(date(2026, 11, 12)))
    await run_autopay(services, clock.today())
    [reminder] = by_subject(await mailbox.deliver(), "Autopay will draft")
    assert reminder["Subject"] == "Autopay will draft $166.07 on 2026-11-15"
    await client.login("alice", factories.TEST_PASSWORD)
    assert (await view(client, contract))["nextDraft"] == {"date": "2026-11-15", "amount": {"amount": "166.07"}}
    clock.set(at(date(2026, 11, 15)))
    await run_autopay(services, clock.today())
    await client.login("alice", factories.TEST_PASSWORD)
    assert (await view(client, contract))["nextDraft"] is None
    assert (await Payment.get()).amount == D("166.07")
    assert (await AutopayCycle.get()).payment_id is not None
    assert autopay_id


async def test_pause_through_the_api_skips_only_the_next_draft(client, services, clock):
    _, contract, method = await signed_in(client, services)
    autopay_id = (await enrol(client, contract, method))["autopay"]["id"]
    assert (await client.execute(PAUSE, {"id": autopay_id}))["pauseAutopayForOneCycle"]["errors"] == []
    for day in (date(2026, 11, 12), date(2026, 11, 15)):
        await run_autopay(services, day)
    assert await Payment.all().count() == 0
    await builders.pay_loan(contract, date(2026, 11, 14), "166.07")
    for day in (date(2026, 12, 12), date(2026, 12, 15)):
        await run_autopay(services, day)
    assert [p.amount for p in await Payment.all()] == [D("166.07")]


async def test_a_suspended_plan_is_turned_back_on_with_change(client, services, clock, mailbox):
    owner, contract, _ = await signed_in(client, services)
    closed = await bank_account(services, owner, "000000000002")  # sandbox: declined
    good = await bank_account(services, owner, "000111112222")
    autopay_id = (await enrol(client, contract, closed))["autopay"]["id"]
    for due in (date(2026, 11, 15), date(2026, 12, 15)):
        await run_autopay(services, due - timedelta(days=3))
        await run_autopay(services, due)
        await process_due_payments(services, due)
    clock.set(at(date(2026, 12, 16)))
    await client.login("alice", factories.TEST_PASSWORD)
    autopay = await view(client, contract)
    assert (autopay["enabled"], autopay["status"]) == (False, "SUSPENDED")
    assert codes(await enrol(client, contract, good)) == ["CONFLICT"]
    subjects = [m["Subject"] for m in await mailbox.deliver()]
    assert subjects.count("Your autopay payment did not go through") == 2
    assert "Autopay is suspended on your autofin account" in subjects

    payload = (await client.execute(CHANGE, {"input": {"autopayId": autopay_id,
                                                       "paymentMethodId": builders.gid("PaymentMethod", good.id)}})
               )["changeAutopay"]
    assert payload["errors"] == [] and payload["autopay"]["status"] == "ACTIVE"
    plan = await AutopayPlan.get()
    assert (plan.status, plan.consecutive_failures) == (AutopayStatus.ACTIVE, 0)
