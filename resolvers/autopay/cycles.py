"""Autopay cycles: for each ACTIVE plan and business date, the reminder, then one draft per due date.

For a plan and its upcoming due date D (the first installment still owed whose draft day, D minus
`days_before_due`, is today or later and whose cycle is not finished):

1. From REMINDER_DAYS before the draft day, the AutopayCycle (plan, D) is created with the amount
   due then (see schedule.amount_due_for) and the reminder is sent (PAYMENT_REMINDERS, but as a
   required notice: Regulation E's notice of a varying preauthorized amount goes out even when
   reminders are switched off). The unique (plan, due_date) makes that once: the insert and the
   reminder commit together in one transaction, and a concurrent worker whose insert fails does
   nothing. A due date the customer paused, or already paid in full, gets its cycle marked skipped
   and no reminder.
2. On the draft day (or a later run up to the due date), an open cycle is drafted:
   - the installment of D already paid in full (a one-time payment) → skipped "paid";
   - the plan paused for D → skipped "paused";
   - otherwise min(reminded amount, what is owed now): never more than the reminder said
     (Regulation E's notice of varying amounts), through the payments engineer's
     `schedule_payment` with key `autopay:<plan>:<due date>` (one payment per key), then linked
     with a conditional UPDATE (payment_id IS NULL): exactly once however many workers run.
   - after the due date with nothing drafted (the worker was down): skipped "missed".
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from finance.money import ZERO
from mail.notify import portal_link
from models import AutopayCycle, AutopayPlan, Contract, LedgerEntry, PaymentMethod, User
from models.enums import AutopayStatus, NotificationCategory
from resolvers.autopay.schedule import (
    REMINDER_DAYS,
    amount_due_for,
    draft_day,
    upcoming_due_date,
)
from resolvers.notifications import notify
from resolvers.servicing.positions import ledger_rows
from service.container import Services

log = logging.getLogger("autofin.autopay")
BATCH_SIZE = 200


@dataclass
class AutopayReport:
    business_date: date
    plans: int = 0
    reminders: int = 0
    drafts: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    failed_plans: list[int] = field(default_factory=list)


def idempotency_key(plan_id: int, due_date: date) -> str:
    return f"autopay:{plan_id}:{due_date.isoformat()}"


def dollars(amount: Decimal) -> str:
    return f"${Decimal(amount):,.2f}"


def _scheduler():
    """The payments engineer's schedule_payment, or None while it does not exist yet."""
    try:
        from resolvers.payments.scheduling import schedule_payment
    except ImportError:
        return None
    return schedule_payment


async def run_cycles(services: Services, business_date: date, *, batch_size: int = BATCH_SIZE) -> AutopayReport:
    report = AutopayReport(business_date=business_date)
    after_id = 0
    while True:
        plans = await (AutopayPlan.filter(status=AutopayStatus.ACTIVE, id__gt=after_id)
                       .order_by("id").limit(batch_size))
        if not plans:
            break
        await process_plans(services, plans, business_date, report)
        after_id = plans[-1].id
    return report


async def process_plans(services: Services, plans: Sequence[AutopayPlan], today: date, report: AutopayReport, *,
                        contracts: Mapping[int, Contract] | None = None,
                        rows: Mapping[int, Sequence[LedgerEntry]] | None = None) -> None:
    """The plans' reminders and drafts for `today`. What they read is loaded for all of them at once
    (contracts, ledgers and cycles: three queries, fewer when the caller has the contracts and their
    ledgers already, as the daily close does); writes happen only for a plan with a reminder or a
    draft due. One plan failing is logged and retried on the next run; the others carry on."""
    if not plans:
        return
    if contracts is None:
        contracts = {c.id: c for c in await Contract.filter(id__in=sorted({p.contract_id for p in plans}))}
    if rows is None:
        rows = await ledger_rows(contracts)
    cycles: dict[int, list[AutopayCycle]] = defaultdict(list)
    for cycle in await AutopayCycle.filter(plan_id__in=[p.id for p in plans]).order_by("due_date"):
        cycles[cycle.plan_id].append(cycle)
    for plan in plans:
        report.plans += 1
        try:
            contract = contracts.get(plan.contract_id) or await Contract.get(id=plan.contract_id)
            await _process(services, plan, contract, list(rows.get(contract.id, ())), cycles.get(plan.id, []),
                           today, report)
        except Exception:  # noqa: BLE001 - one plan must not stop the others; retried next run
            log.exception("autopay failed for a plan", extra={"autopay_id": plan.id,
                                                              "business_date": today.isoformat()})
            report.failed_plans.append(plan.id)


async def process_plan(services: Services, plan: AutopayPlan, today: date, report: AutopayReport) -> None:
    """One plan's reminder and draft for `today` (its contract, ledger and cycles read here)."""
    contract = await Contract.get(id=plan.contract_id)
    rows = (await ledger_rows([contract.id])).get(contract.id, [])
    cycles = list(await AutopayCycle.filter(plan_id=plan.id).order_by("due_date"))
    await _process(services, plan, contract, rows, cycles, today, report)


def _finished(cycles: Sequence[AutopayCycle]) -> set[date]:
    return {cycle.due_date for cycle in cycles if cycle.payment_id is not None or cycle.skipped_reason}


async def _process(services: Services, plan: AutopayPlan, contract: Contract, rows: list[LedgerEntry],
                   cycles: list[AutopayCycle], today: date, report: AutopayReport) -> None:
    # Open cycles whose draft day has come (reminded earlier).
    open_cycles = [c for c in cycles if c.payment_id is None and not c.skipped_reason and c.draft_on <= today]
    for cycle in open_cycles:
        await _draft(services, plan, contract, rows, cycle, today, report)
    if open_cycles:  # drafted or skipped just now (here or by another worker): read them again
        cycles = list(await AutopayCycle.filter(plan_id=plan.id).order_by("due_date"))
    # The upcoming due date: remind (and draft, when its draft day is today).
    due = upcoming_due_date(plan, contract, rows, today, _finished(cycles))
    if due is None:
        return
    draft_on = draft_day(due, plan.days_before_due)
    if (draft_on - today).days > REMINDER_DAYS:
        return
    cycle = next((c for c in cycles if c.due_date == due), None)
    if cycle is None:
        await _open_cycle(services, plan, contract, rows, due, draft_on, today, report)
        cycle = await AutopayCycle.get_or_none(plan_id=plan.id, due_date=due)
    if cycle is not None and cycle.payment_id is None and not cycle.skipped_reason and cycle.draft_on <= today:
        await _draft(services, plan, contract, rows, cycle, today, report)


def _count_skip(report: AutopayReport, reason: str) -> None:
    report.skipped[reason] = report.skipped.get(reason, 0) + 1


async def _open_cycle(services: Services, plan: AutopayPlan, contract: Contract, rows: list[LedgerEntry],
                      due: date, draft_on: date, today: date, report: AutopayReport) -> None:
    """Create the (plan, due) cycle and send its reminder, once: a worker losing the insert race does nothing."""
    amount = amount_due_for(plan, contract, rows, today, due)
    reason = "paused" if plan.skip_due_date == due else ("paid" if amount <= ZERO else "")
    now = services.clock.now()
    try:
        async with in_transaction() as connection:
            cycle = await AutopayCycle.create(plan_id=plan.id, due_date=due, draft_on=draft_on,
                                              amount=max(amount, ZERO), skipped_reason=reason, created_at=now,
                                              using_db=connection)
            if reason:
                _count_skip(report, reason)
                return
            method = await PaymentMethod.get(id=plan.method_id).using_db(connection)
            user = await User.get(id=plan.user_id).using_db(connection)
            body = (f"On {draft_on.isoformat()} autopay will draft {dollars(amount)} from the "
                    f"{method.kind.value.replace('_', ' ').lower()} ending in {method.last4} for the payment due "
                    f"{due.isoformat()} on account ending {contract.number[-4:]}.")
            sent = await notify(services, user=user, category=NotificationCategory.PAYMENT_REMINDERS,
                                title="Autopay payment coming up", body=body, email_template="autopay_reminder",
                                email_context={"amount": dollars(amount), "draft_on": draft_on.isoformat(),
                                               "due_date": due.isoformat(), "last4": method.last4,
                                               "account_ending": contract.number[-4:],
                                               "link": portal_link(services, "autopay")},
                                required=True, using_db=connection)
            if sent:
                await AutopayCycle.filter(id=cycle.id).using_db(connection).update(reminded_at=now)
                report.reminders += 1
    except IntegrityError:
        return  # another worker created this cycle (and sent its reminder)


async def _skip(cycle: AutopayCycle, reason: str, report: AutopayReport) -> None:
    if await AutopayCycle.filter(id=cycle.id, payment_id=None, skipped_reason="").update(skipped_reason=reason):
        _count_skip(report, reason)


async def _draft(services: Services, plan: AutopayPlan, contract: Contract, rows: list[LedgerEntry],
                 cycle: AutopayCycle, today: date, report: AutopayReport) -> None:
    if today > cycle.due_date:
        return await _skip(cycle, "missed", report)
    if plan.skip_due_date == cycle.due_date:
        return await _skip(cycle, "paused", report)
    owed = amount_due_for(plan, contract, rows, today, cycle.due_date)
    if owed <= ZERO:
        return await _skip(cycle, "paid", report)
    amount = min(Decimal(cycle.amount), owed)  # never more than the reminder announced
    method = await PaymentMethod.get(id=plan.method_id)
    if method.removed_at is not None:
        return await _skip(cycle, "method_removed", report)
    schedule_payment = _scheduler()
    if schedule_payment is None:
        log.warning("autopay draft waits: payments scheduling is not available", extra={"autopay_id": plan.id})
        return
    key = idempotency_key(plan.id, cycle.due_date)
    fingerprint = hashlib.sha256(f"{key}:{method.id}:{amount}:{today.isoformat()}".encode()).hexdigest()
    user = await User.get(id=plan.user_id)
    async with in_transaction() as connection:
        payment, _created = await schedule_payment(services, contract=contract, method=method, amount=amount,
                                                   scheduled_for=today, created_by=user, idempotency_key=key,
                                                   fingerprint=fingerprint, using_db=connection)
        linked = await AutopayCycle.filter(id=cycle.id, payment_id=None).using_db(connection).update(
            payment_id=payment.id)
    if linked:
        report.drafts += 1
