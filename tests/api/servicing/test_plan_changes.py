"""Payment-plan changes through /graphql: due-date changes and deferrals decided by the rules or by
support, and their effect on the schedule, due status, interest, mail, notifications and audit.

Business date 2026-11-02. The default loan (5,000.00 at 12 %, 36 months, 166.07) signed 2026-10-15
is current with its first payment due 2026-11-15; older contract dates make it past due."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from auth.sessions import start_session
from models import AuditEvent, Notification, PlanChangeRequest, ScheduleChange, User
from models.enums import NotificationCategory, PlanChangeKind, PlanChangeStatus, Role, SessionKind
from tests import factories
from tests.api.payments.payment_helpers import by_subject
from tests.api.servicing import builders

D = Decimal
ERRORS = "errors { code message field }"
REQUEST = "request { id kind status contractNumber newDueDay installmentsToDefer decisionReason decidedBySupport }"
CONTRACT = ("contract { maturityDate nextDue { date amount { amount } } pastDue { daysPastDue } "
            "paymentSchedule { number dueDate } }")
DUE_DATE = f"""mutation($input: RequestDueDateChangeInput!) {{ requestDueDateChange(input: $input) {{
  {REQUEST} {CONTRACT} {ERRORS} }} }}"""
DEFER = f"""mutation($input: RequestDeferralInput!) {{ requestDeferral(input: $input) {{
  {REQUEST} {CONTRACT} {ERRORS} }} }}"""
DECIDE = f"""mutation($input: DecidePlanChangeRequestInput!) {{ decidePlanChangeRequest(input: $input) {{
  {REQUEST} {ERRORS} }} }}"""
QUEUE = """query($status: PlanChangeStatus) { supportPlanChangeRequests(status: $status) { totalCount
  edges { node { id kind status contractNumber installmentsToDefer daysPastDue } } } }"""
MINE = """query($id: ID!) { node(id: $id) { ... on Contract {
  planChangeRequests { edges { node { kind status decisionReason } } } } } }"""


async def customer_loan(services, username: str = "alice", contract_date: date = date(2026, 10, 15), **terms):
    owner, dealer = await builders.customer_with_login(services, username)
    first = date(contract_date.year + (contract_date.month == 12), contract_date.month % 12 + 1, 15)
    contract = await builders.loan(owner, dealer, contract_date=contract_date, first_payment_date=first, **terms)
    return owner, contract


async def signed_in(client, services, **kwargs):
    owner, contract = await customer_loan(services, **kwargs)
    await client.login("alice", factories.TEST_PASSWORD)
    return contract


async def due_date(client, contract, day: int, key: str = "k-1") -> dict:
    value = {"contractId": builders.gid("Contract", contract.id), "newDueDay": day, "idempotencyKey": key}
    return (await client.execute(DUE_DATE, {"input": value}))["requestDueDateChange"]


async def defer(client, contract, count: int, key: str = "k-1") -> dict:
    value = {"contractId": builders.gid("Contract", contract.id), "installments": count, "idempotencyKey": key}
    return (await client.execute(DEFER, {"input": value}))["requestDeferral"]


async def as_support(client, services, username: str = "sam"):
    user = await factories.user(services, username, Role.SUPPORT)
    issued = await start_session(user, kind=SessionKind.BEARER, clock=services.clock, settings=services.settings,
                                 ip="127.0.0.1", user_agent="test")
    client.token = issued.token
    return user


async def decide(client, request_id: str, decision: str, reason: str | None = None) -> dict:
    value = {"requestId": request_id, "decision": decision, **({"reason": reason} if reason is not None else {})}
    return (await client.execute(DECIDE, {"input": value}))["decidePlanChangeRequest"]


def codes(payload: dict) -> list[tuple[str, list[str]]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


def due_dates(payload: dict) -> list[str]:
    return [item["dueDate"] for item in payload["contract"]["paymentSchedule"]]


# -- due-date change -----------------------------------------------------------------------------

async def test_a_due_date_change_on_a_current_loan_moves_every_unpaid_payment(client, services, mailbox):
    contract = await signed_in(client, services)
    await mailbox.deliver()
    payload = await due_date(client, contract, 20)
    assert payload["errors"] == []
    assert payload["request"]["status"] == "APPROVED" and payload["request"]["decidedBySupport"] is False
    assert payload["contract"]["nextDue"]["date"] == "2026-11-20"
    dates = due_dates(payload)
    assert dates[0] == "2026-11-20" and dates[1] == "2026-12-20" and dates[-1] == "2029-10-20"
    assert payload["contract"]["maturityDate"] == "2029-10-20"
    change = await ScheduleChange.get(contract_id=contract.id)
    assert (change.kind, change.from_installment, change.new_due_day) == (PlanChangeKind.DUE_DATE_CHANGE, 1, 20)

    [mail] = by_subject(await mailbox.deliver(), "Your due-date change is approved")
    assert "due on day 20 of the month" in mailbox.text(mail)
    note = await Notification.get(category=NotificationCategory.PLAN_CHANGES)
    assert note.title == "Your due-date change is approved"
    event = await AuditEvent.get(action="plan_change.requested")
    assert event.details["outcome"] == "APPROVED" and event.actor_id == event.subject_id


async def test_the_old_due_date_is_not_late_after_a_change_and_the_first_cycle_accrues_its_real_length(
        client, services, clock):
    contract = await signed_in(client, services)
    await due_date(client, contract, 28)
    clock.set(datetime(2026, 11, 20, 15, tzinfo=timezone.utc))  # five days after the old due date
    await client.login("alice", factories.TEST_PASSWORD)  # the old session timed out
    query = "query($id: ID!) { node(id: $id) { ... on Contract { pastDue { daysPastDue } nextDue { date } } } }"
    view = (await client.execute(query, {"id": builders.gid("Contract", contract.id)}))["node"]
    assert view == {"pastDue": {"daysPastDue": 0}, "nextDue": {"date": "2026-11-28"}}
    # Paid on the new due date, the first payment carries 44 days of interest (10-15 to 11-28), not 31.
    await contract.refresh_from_db()
    payment = await builders.pay_loan(contract, date(2026, 11, 28), "166.07")
    assert payment.interest == (D("5000") * D("0.12") * 44 / 365).quantize(D("0.01"))


async def test_a_second_due_date_change_within_12_months_is_declined_and_changes_nothing(client, services, clock):
    contract = await signed_in(client, services)
    await due_date(client, contract, 20)
    payload = await due_date(client, contract, 5, key="k-2")
    assert payload["errors"] == [] and payload["request"]["status"] == "DECLINED"
    assert "already changed in the last 12 months" in payload["request"]["decisionReason"]
    assert payload["contract"]["nextDue"]["date"] == "2026-11-20"
    assert await ScheduleChange.filter(contract_id=contract.id).count() == 1


async def test_a_due_date_change_needs_a_current_account(client, services):
    contract = await signed_in(client, services, contract_date=date(2026, 9, 15))  # first due 10-15: 18 days late
    payload = await due_date(client, contract, 20)
    assert payload["request"]["status"] == "DECLINED"
    assert "18 days past due" in payload["request"]["decisionReason"]
    assert payload["contract"]["nextDue"]["date"] == "2026-10-15"
    assert await ScheduleChange.all().count() == 0


@pytest.mark.parametrize(("day", "key", "field"), [(0, "k", "newDueDay"), (29, "k", "newDueDay"),
                                                   (15, "k", "newDueDay"), (20, "", "idempotencyKey")])
async def test_bad_due_date_input_is_an_error_and_changes_nothing(client, services, day, key, field):
    contract = await signed_in(client, services)
    payload = await due_date(client, contract, day, key=key)
    assert codes(payload) == [("INVALID", [field])] and payload["request"] is None
    assert await PlanChangeRequest.all().count() == 0 and await AuditEvent.filter(
        action="plan_change.requested").count() == 0


async def test_another_customers_contract_is_not_found(client, services):
    await signed_in(client, services)
    _, other = await customer_loan(services, "bob")
    for junk in (builders.gid("Contract", other.id), builders.gid("Payment", other.id), "nonsense"):
        value = {"contractId": junk, "newDueDay": 20, "idempotencyKey": "k"}
        payload = (await client.execute(DUE_DATE, {"input": value}))["requestDueDateChange"]
        assert codes(payload) == [("NOT_FOUND", ["contractId"])]
    assert await PlanChangeRequest.all().count() == 0


async def test_a_retry_with_the_same_key_returns_the_first_request(client, services):
    contract = await signed_in(client, services)
    first = await due_date(client, contract, 20)
    again = await due_date(client, contract, 20)
    assert again["request"]["id"] == first["request"]["id"] and again["request"]["status"] == "APPROVED"
    other = await due_date(client, contract, 21)
    assert codes(other) == [("CONFLICT", ["idempotencyKey"])]
    assert await PlanChangeRequest.all().count() == 1 and await ScheduleChange.all().count() == 1


# -- deferral ------------------------------------------------------------------------------------

async def test_a_deferral_on_a_current_loan_moves_the_next_payments_to_the_end(client, services, mailbox):
    contract = await signed_in(client, services)
    payload = await defer(client, contract, 2)
    assert payload["errors"] == [] and payload["request"]["status"] == "APPROVED"
    assert payload["contract"]["nextDue"]["date"] == "2027-01-15"
    schedule = payload["contract"]["paymentSchedule"]
    assert [item["number"] for item in schedule[-3:]] == [36, 1, 2]
    assert [item["dueDate"] for item in schedule[-2:]] == ["2029-11-15", "2029-12-15"]
    assert payload["contract"]["maturityDate"] == "2029-12-15"
    [mail] = by_subject(await mailbox.deliver(), "Your payment deferral is approved")
    assert "last payment is now due on 2029-12-15" in mailbox.text(mail)


async def test_deferrals_are_limited_to_two_payments_in_12_months(client, services):
    contract = await signed_in(client, services)
    assert (await defer(client, contract, 1))["request"]["status"] == "APPROVED"
    payload = await defer(client, contract, 2, key="k-2")
    assert payload["request"]["status"] == "DECLINED" and "At most 2 payments" in payload["request"]["decisionReason"]
    assert (await defer(client, contract, 1, key="k-3"))["request"]["status"] == "APPROVED"
    assert (await defer(client, contract, 1, key="k-4"))["request"]["status"] == "DECLINED"
    assert await ScheduleChange.filter(contract_id=contract.id).count() == 2


async def test_deferrals_are_limited_to_six_payments_over_the_life(client, services):
    _, contract = await customer_loan(services)
    requester = await User.get(username="alice")
    for months_ago in (40, 27, 14):  # three approved deferrals of 2, each outside the 12-month window
        decided = datetime(2026, 11, 2, tzinfo=timezone.utc) - timedelta(days=30 * months_ago)
        await PlanChangeRequest.create(contract=contract, requested_by=requester, kind=PlanChangeKind.DEFERRAL,
                                       status=PlanChangeStatus.APPROVED, installments_to_defer=2,
                                       created_at=decided, decided_at=decided)
    await client.login("alice", factories.TEST_PASSWORD)
    payload = await defer(client, contract, 1)
    assert payload["request"]["status"] == "DECLINED"
    assert "over the life of the contract; 6 already were" in payload["request"]["decisionReason"]


async def test_a_deferral_60_days_past_due_is_declined(client, services):
    contract = await signed_in(client, services, contract_date=date(2026, 7, 15))  # first due 08-15: 79 days
    payload = await defer(client, contract, 1)
    assert payload["request"]["status"] == "DECLINED" and "79 days past due" in payload["request"]["decisionReason"]
    assert payload["contract"]["pastDue"]["daysPastDue"] == 79


@pytest.mark.parametrize("count", [0, 3, -1])
async def test_a_deferral_of_other_than_one_or_two_payments_is_invalid(client, services, count):
    contract = await signed_in(client, services)
    assert codes(await defer(client, contract, count)) == [("INVALID", ["installments"])]
    assert await PlanChangeRequest.all().count() == 0


async def test_the_last_payment_cannot_be_deferred(client, services):
    contract = await signed_in(client, services, term_months=2)
    assert codes(await defer(client, contract, 2)) == [("INVALID", ["installments"])]
    assert (await defer(client, contract, 1, key="k-2"))["request"]["status"] == "APPROVED"


async def test_a_lease_deferral_moves_its_payments(client, services):
    owner, dealer = await builders.customer_with_login(services, "alice")
    lease = await builders.lease(owner, dealer, contract_date=date(2026, 10, 15), first_payment_date=date(2026, 11, 15))
    await client.login("alice", factories.TEST_PASSWORD)
    payload = await defer(client, lease, 1)
    assert payload["request"]["status"] == "APPROVED"
    assert payload["contract"]["nextDue"]["date"] == "2026-12-15"
    assert due_dates(payload)[-1] == "2029-11-15"


# -- support review ------------------------------------------------------------------------------

async def test_a_deferral_30_to_59_days_past_due_waits_for_support_who_approves_it(client, services, mailbox):
    contract = await signed_in(client, services, contract_date=date(2026, 8, 15))  # first due 09-15: 48 days
    await mailbox.deliver()
    payload = await defer(client, contract, 1)
    assert payload["request"]["status"] == "PENDING_REVIEW"
    assert payload["contract"]["nextDue"]["date"] == "2026-09-15"  # unchanged until approved
    assert codes(await defer(client, contract, 1, key="k-2")) == [("CONFLICT", ["contractId"])]
    assert await Notification.filter(title="Your payment deferral request is being reviewed").count() == 1
    request_id = payload["request"]["id"]

    staff = await as_support(client, services)
    queue = (await client.execute(QUEUE))["supportPlanChangeRequests"]
    assert queue["totalCount"] == 1
    assert queue["edges"][0]["node"] == {"id": request_id, "kind": "DEFERRAL", "status": "PENDING_REVIEW",
                                         "contractNumber": contract.number, "installmentsToDefer": 1,
                                         "daysPastDue": 48}
    decided = await decide(client, request_id, "APPROVE")
    assert decided["errors"] == [] and decided["request"]["status"] == "APPROVED"
    assert decided["request"]["decidedBySupport"] is True
    assert (await client.execute(QUEUE))["supportPlanChangeRequests"]["totalCount"] == 0
    assert codes(await decide(client, request_id, "DECLINE", "late")) == [("CONFLICT", ["requestId"])]

    change = await ScheduleChange.get(contract_id=contract.id)
    assert (change.from_installment, change.deferred_count) == (1, 1)
    event = await AuditEvent.get(action="plan_change.decided")
    assert event.actor_id == staff.id and event.subject_id != staff.id and event.details["outcome"] == "APPROVED"
    assert by_subject(await mailbox.deliver(), "Your payment deferral is approved")

    await client.login("alice", factories.TEST_PASSWORD)
    view = (await client.execute(MINE, {"id": builders.gid("Contract", contract.id)}))["node"]
    assert [edge["node"]["status"] for edge in view["planChangeRequests"]["edges"]] == ["APPROVED"]


async def test_support_declines_with_a_reason_the_customer_sees(client, services, mailbox):
    contract = await signed_in(client, services, contract_date=date(2026, 8, 15))
    request_id = (await defer(client, contract, 1))["request"]["id"]
    await mailbox.deliver()
    await as_support(client, services)
    assert codes(await decide(client, request_id, "DECLINE")) == [("INVALID", ["reason"])]
    assert codes(await decide(client, request_id, "DECLINE", "x" * 256)) == [("INVALID", ["reason"])]
    payload = await decide(client, request_id, "DECLINE", "Please call us to set up a repayment plan.")
    assert payload["request"]["status"] == "DECLINED"
    [mail] = by_subject(await mailbox.deliver(), "Your payment deferral request was declined")
    assert "Please call us to set up a repayment plan." in mailbox.text(mail)
    assert await ScheduleChange.all().count() == 0


async def test_support_cannot_approve_what_the_rules_no_longer_allow(client, services, clock):
    contract = await signed_in(client, services, contract_date=date(2026, 8, 15))
    request_id = (await defer(client, contract, 1))["request"]["id"]
    clock.advance(timedelta(days=15))  # now 63 days past due
    await as_support(client, services)
    payload = await decide(client, request_id, "APPROVE")
    assert codes(payload) == [("CONFLICT", ["requestId"])] and "63 days past due" in payload["errors"][0]["message"]
    assert (await PlanChangeRequest.get(id=(await PlanChangeRequest.first()).id)).status == \
        PlanChangeStatus.PENDING_REVIEW


async def test_only_support_sees_the_queue_and_decides(client, services):
    contract = await signed_in(client, services, contract_date=date(2026, 8, 15))
    request_id = (await defer(client, contract, 1))["request"]["id"]
    body = (await client.post(QUEUE)).json()
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = (await client.post(DECIDE, {"input": {"requestId": request_id, "decision": "APPROVE"}})).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    await as_support(client, services)
    body = (await client.post(DEFER, {"input": {"contractId": builders.gid("Contract", contract.id),
                                                "installments": 1, "idempotencyKey": "s"}})).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert codes(await decide(client, builders.gid("PlanChangeRequest", 999999), "APPROVE")) == [
        ("NOT_FOUND", ["requestId"])]


# -- concurrency (PostgreSQL) -------------------------------------------------------------------

@pytest.mark.postgres_only
async def test_concurrent_deferrals_never_exceed_the_limit(client, services):
    contract = await signed_in(client, services)
    results = await asyncio.gather(*(defer(client, contract, 2, key=f"k-{i}") for i in range(4)))
    statuses = sorted(result["request"]["status"] for result in results)
    assert statuses == ["APPROVED", "DECLINED", "DECLINED", "DECLINED"]
    assert await ScheduleChange.filter(contract_id=contract.id).count() == 1


@pytest.mark.postgres_only
async def test_concurrent_submissions_with_one_key_make_one_request(client, services):
    contract = await signed_in(client, services)
    results = await asyncio.gather(*(due_date(client, contract, 20) for _ in range(4)))
    assert all(result["errors"] == [] for result in results), results
    assert len({result["request"]["id"] for result in results}) == 1
    assert await PlanChangeRequest.all().count() == 1 and await ScheduleChange.all().count() == 1
