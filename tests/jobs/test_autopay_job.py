"""The autopay job on both databases: reminder then draft timing, skips (paid, paused), the amount
never above the reminder, failures suspending the plan, and three workers at once (PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time, timezone
from decimal import Decimal

import pytest

from jobs.autopay import run_autopay
from models import AutopayCycle, AutopayPlan, Notification, OutboxMessage, Payment, User
from models.enums import AutopayAmountRule, AutopayStatus, LedgerEntryKind, NotificationCategory, PaymentStatus
from resolvers.autopay.cycles import idempotency_key
from resolvers.payments.processing import process_due_payments
from tests.api.payments.payment_helpers import bank_account, setup
from tests.api.servicing import builders

D = Decimal
FIRST_DUE = date(2026, 11, 15)  # payment_helpers.setup: 5,000.00 at 12 %, 166.07 a month from 2026-11-15


async def plan_for(services, contract, method, *, days_before_due: int = 0, rule=AutopayAmountRule.AMOUNT_DUE,
                   extra: str = "0.00", skip: date | None = None) -> AutopayPlan:
    user = await User.get(customer_id=contract.customer_id)
    now = services.clock.now()
    return await AutopayPlan.create(contract=contract, user=user, method=method, days_before_due=days_before_due,
                                    amount_rule=rule, extra_principal=D(extra), skip_due_date=skip,
                                    created_at=now, updated_at=now)


def on(services, day: date) -> date:
    services.clock.set(datetime.combine(day, time(9, 0), tzinfo=timezone.utc))
    return day


async def reminders() -> list[OutboxMessage]:
    return list(await OutboxMessage.filter(template="autopay_reminder"))


async def test_reminder_three_days_before_then_one_draft_on_the_draft_day(services, mailbox):
    _, contract, method = await setup(services)
    plan = await plan_for(services, contract, method, days_before_due=2)  # draft 2026-11-13
    assert (await run_autopay(services, on(services, date(2026, 11, 9)))).reminders == 0
    assert await AutopayCycle.all().count() == 0

    report = await run_autopay(services, on(services, date(2026, 11, 10)))
    assert report.reminders == 1 and report.drafts == 0
    cycle = await AutopayCycle.get(plan=plan)
    assert (cycle.due_date, cycle.draft_on, cycle.amount, cycle.payment_id) == (FIRST_DUE, date(2026, 11, 13),
                                                                                 D("166.07"), None)
    assert cycle.reminded_at is not None
    [message] = await mailbox.deliver()
    assert message["Subject"] == "Autopay will draft $166.07 on 2026-11-13"
    assert "ending in 6789" in mailbox.text(message)
    notice = await Notification.get(category=NotificationCategory.PAYMENT_REMINDERS)
    assert "$166.07" in notice.body

    # Again the same day, and the days until the draft: nothing new.
    for day in (date(2026, 11, 10), date(2026, 11, 11), date(2026, 11, 12)):
        report = await run_autopay(services, on(services, day))
        assert (report.reminders, report.drafts) == (0, 0)
    assert await Payment.all().count() == 0

    report = await run_autopay(services, on(services, date(2026, 11, 13)))
    assert report.drafts == 1
    payment = await Payment.get()
    assert (payment.amount, payment.scheduled_for, payment.status) == (D("166.07"), date(2026, 11, 13),
                                                                       PaymentStatus.SCHEDULED)
    assert payment.idempotency_key == idempotency_key(plan.id, FIRST_DUE)
    assert (await AutopayCycle.get(id=cycle.id)).payment_id == payment.id
    assert (await run_autopay(services, date(2026, 11, 13))).drafts == 0
    assert await Payment.all().count() == 1 and len(await reminders()) == 1

    # The processor settles it; the next month reminds and drafts the next installment.
    await process_due_payments(services, date(2026, 11, 13))
    assert (await Payment.get(id=payment.id)).status == PaymentStatus.SETTLED
    report = await run_autopay(services, on(services, date(2026, 12, 10)))
    assert report.reminders == 1
    second = await AutopayCycle.get(plan=plan, due_date=date(2026, 12, 15))
    assert second.amount == D("166.07") and second.draft_on == date(2026, 12, 13)


async def test_amount_due_plus_extra(services):
    _, contract, method = await setup(services)
    await plan_for(services, contract, method, rule=AutopayAmountRule.AMOUNT_DUE_PLUS_EXTRA, extra="50.00")
    await run_autopay(services, on(services, date(2026, 11, 12)))
    assert (await AutopayCycle.get()).amount == D("216.07")
    await run_autopay(services, on(services, FIRST_DUE))
    assert (await Payment.get()).amount == D("216.07")


async def test_skips_a_cycle_already_paid_in_full(services, mailbox):
    _, contract, method = await setup(services)
    await plan_for(services, contract, method)
    await run_autopay(services, on(services, date(2026, 11, 12)))
    await builders.pay_loan(contract, date(2026, 11, 13), "166.07")  # a one-time payment after the reminder
    report = await run_autopay(services, on(services, FIRST_DUE))
    assert report.drafts == 0 and report.skipped == {"paid": 1}
    assert (await AutopayCycle.get()).skipped_reason == "paid"
    assert await Payment.all().count() == 0


async def test_never_drafts_more_than_the_reminder_said(services):
    _, contract, method = await setup(services)
    await plan_for(services, contract, method)
    await run_autopay(services, on(services, date(2026, 11, 12)))
    assert (await AutopayCycle.get()).amount == D("166.07")
    # A fee posted after the reminder raises what is owed: the draft stays at the reminded amount.
    await builders.entry(contract, LedgerEntryKind.LATE_FEE, date(2026, 11, 13), fees="25.00")
    await run_autopay(services, on(services, FIRST_DUE))
    assert (await Payment.get()).amount == D("166.07")


async def test_drafts_less_when_less_is_owed(services):
    _, contract, method = await setup(services)
    await plan_for(services, contract, method)
    await run_autopay(services, on(services, date(2026, 11, 12)))
    await builders.pay_loan(contract, date(2026, 11, 13), "100.00")
    await run_autopay(services, on(services, FIRST_DUE))
    assert (await Payment.get()).amount == D("66.07")


async def test_pause_skips_one_cycle_only(services):
    _, contract, method = await setup(services)
    plan = await plan_for(services, contract, method, skip=FIRST_DUE)
    report = await run_autopay(services, on(services, date(2026, 11, 12)))
    assert report.reminders == 0 and report.skipped == {"paused": 1}
    await run_autopay(services, on(services, FIRST_DUE))
    assert await Payment.all().count() == 0 and len(await reminders()) == 0
    await builders.pay_loan(contract, date(2026, 11, 14), "166.07")  # paid by hand that month

    assert (await run_autopay(services, on(services, date(2026, 12, 12)))).reminders == 1
    await run_autopay(services, on(services, date(2026, 12, 15)))
    payment = await Payment.get()
    assert payment.amount == D("166.07") and payment.idempotency_key == idempotency_key(plan.id, date(2026, 12, 15))


async def test_pause_after_the_reminder_still_skips(services):
    _, contract, method = await setup(services)
    plan = await plan_for(services, contract, method)
    await run_autopay(services, on(services, date(2026, 11, 12)))
    await AutopayPlan.filter(id=plan.id).update(skip_due_date=FIRST_DUE)
    report = await run_autopay(services, on(services, FIRST_DUE))
    assert report.skipped == {"paused": 1} and await Payment.all().count() == 0


async def test_two_failed_drafts_in_a_row_suspend_the_plan(services, mailbox):
    owner, contract, _ = await setup(services)
    closed = await bank_account(services, owner, "000000000002")  # sandbox: declined (account closed)
    plan = await plan_for(services, contract, closed)
    await run_autopay(services, on(services, date(2026, 11, 12)))
    await run_autopay(services, on(services, FIRST_DUE))
    await process_due_payments(services, FIRST_DUE)
    await mailbox.deliver()
    plan = await AutopayPlan.get(id=plan.id)
    assert (plan.status, plan.consecutive_failures) == (AutopayStatus.ACTIVE, 1)
    problems = await Notification.filter(category=NotificationCategory.PAYMENT_PROBLEMS,
                                         title="Autopay payment did not go through")
    assert len(problems) == 1
    assert len(await OutboxMessage.filter(template="autopay_failed")) == 1

    # The next month reminds what is due then (the missed installment too) and fails again.
    await run_autopay(services, on(services, date(2026, 12, 12)))
    assert (await AutopayCycle.get(due_date=date(2026, 12, 15))).amount == D("332.14")
    await run_autopay(services, on(services, date(2026, 12, 15)))
    await process_due_payments(services, date(2026, 12, 15))
    plan = await AutopayPlan.get(id=plan.id)
    assert (plan.status, plan.consecutive_failures) == (AutopayStatus.SUSPENDED, 2)
    subjects = [m["Subject"] for m in await mailbox.deliver()]
    assert "Autopay is suspended on your autofin account" in subjects
    assert len(await OutboxMessage.filter(template="autopay_suspended")) == 1
    # A suspended plan drafts nothing.
    await run_autopay(services, on(services, date(2027, 1, 12)))
    await run_autopay(services, on(services, date(2027, 1, 15)))
    assert await Payment.all().count() == 2


async def test_a_settled_draft_resets_the_failure_count(services):
    _, contract, method = await setup(services)
    plan = await plan_for(services, contract, method)
    await AutopayPlan.filter(id=plan.id).update(consecutive_failures=1)
    await run_autopay(services, on(services, date(2026, 11, 12)))
    await run_autopay(services, on(services, FIRST_DUE))
    await process_due_payments(services, FIRST_DUE)
    assert (await AutopayPlan.get(id=plan.id)).consecutive_failures == 0


async def test_cancelled_and_missed_cycles_draft_nothing(services):
    _, contract, method = await setup(services)
    plan = await plan_for(services, contract, method)
    await run_autopay(services, on(services, date(2026, 11, 12)))
    # The worker was down from the reminder until after the due date: the cycle is missed, not drafted late.
    report = await run_autopay(services, on(services, date(2026, 11, 16)))
    assert report.skipped == {"missed": 1} and await Payment.all().count() == 0
    await AutopayPlan.filter(id=plan.id).update(status=AutopayStatus.CANCELLED)
    await run_autopay(services, on(services, date(2026, 12, 12)))
    assert await AutopayCycle.all().count() == 1


@pytest.mark.postgres_only
async def test_three_workers_at_once_make_one_cycle_one_reminder_one_payment(services):
    _, contract, method = await setup(services)
    plan = await plan_for(services, contract, method)
    day = on(services, date(2026, 11, 12))
    reports = await asyncio.gather(*(run_autopay(services, day) for _ in range(3)))
    assert sum(r.reminders for r in reports) == 1
    assert await AutopayCycle.filter(plan=plan).count() == 1
    assert len(await reminders()) == 1

    day = on(services, FIRST_DUE)
    reports = await asyncio.gather(*(run_autopay(services, day) for _ in range(3)))
    assert sum(r.drafts for r in reports) == 1
    assert not any(r.failed_plans for r in reports)
    [payment] = await Payment.all()
    assert payment.amount == D("166.07")
    assert (await AutopayCycle.get(plan=plan)).payment_id == payment.id


@pytest.mark.postgres_only
async def test_three_workers_on_a_day_that_is_both_reminder_and_draft(services):
    _, contract, method = await setup(services)
    await plan_for(services, contract, method)
    day = on(services, FIRST_DUE)  # enrolled late: the reminder and the draft are the same run
    await asyncio.gather(*(run_autopay(services, day) for _ in range(3)))
    assert await AutopayCycle.all().count() == 1
    assert await Payment.all().count() == 1
    assert len(await reminders()) == 1


async def test_reminder_goes_out_even_with_reminders_switched_off(services, mailbox):
    """The reminder is Regulation E's notice of the amount to be drafted: not optional."""
    from models import CommunicationPreferences

    owner, contract, method = await setup(services)
    user = await User.get(customer_id=owner.id)
    await CommunicationPreferences.create(user=user, payment_reminders=False, updated_at=services.clock.now())
    await plan_for(services, contract, method, days_before_due=2)
    report = await run_autopay(services, on(services, date(2026, 11, 10)))
    assert report.reminders == 1
    [message] = await mailbox.deliver()
    assert message["Subject"] == "Autopay will draft $166.07 on 2026-11-13"
