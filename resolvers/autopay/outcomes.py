"""What a drafted autopay payment's outcome does to its plan (called by the payments processor).

- settled → the plan's consecutive failures start again at zero;
- failed or returned → the customer is told (PAYMENT_PROBLEMS: always, whatever the preferences)
  and the count goes up; at MAX_CONSECUTIVE_FAILURES the plan is SUSPENDED and an email says so
  (the customer turns it back on with changeAutopay).
Calling it twice for the same outcome of the same payment changes nothing the second time (the
failure notification of that payment is the marker).
"""

from __future__ import annotations

from decimal import Decimal

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from mail.notify import portal_link
from models import AutopayCycle, AutopayPlan, Contract, Notification, Payment, User
from models.enums import AutopayStatus, NotificationCategory, PaymentStatus
from resolvers.notifications import notify
from service.container import Services

MAX_CONSECUTIVE_FAILURES = 2
FAILED_TITLE = "Autopay payment did not go through"
SUSPENDED_TITLE = "Autopay is suspended"


async def on_payment_outcome(services: Services, payment: Payment, using_db=None) -> None:
    if using_db is None:
        async with in_transaction() as connection:
            return await _apply(services, payment, connection)
    return await _apply(services, payment, using_db)


async def _apply(services: Services, payment: Payment, connection) -> None:
    cycle = await AutopayCycle.filter(payment_id=payment.id).using_db(connection).first()
    if cycle is None:
        return
    plan = await AutopayPlan.filter(id=cycle.plan_id).using_db(connection).select_for_update().first()
    if plan is None:
        return
    status = payment.status
    if status == PaymentStatus.SETTLED:
        await AutopayPlan.filter(id=plan.id).using_db(connection).update(consecutive_failures=0)
        return
    if status not in (PaymentStatus.FAILED, PaymentStatus.RETURNED):
        return
    if await Notification.filter(payment_id=payment.id, title=FAILED_TITLE).using_db(connection).exists():
        return  # this failure was handled already
    user = await User.get(id=plan.user_id).using_db(connection)
    contract = await Contract.get(id=plan.contract_id).using_db(connection)
    what = "was returned by your bank" if status == PaymentStatus.RETURNED else "did not go through"
    amount = f"${Decimal(payment.amount):,.2f}"
    context = {"amount": amount, "due_date": cycle.due_date.isoformat(), "account_ending": contract.number[-4:],
               "reason": payment.failure_reason or "", "what": what, "link": portal_link(services, "payments")}
    await notify(services, user=user, category=NotificationCategory.PAYMENT_PROBLEMS, title=FAILED_TITLE,
                 body=f"Your autopay payment of {amount} for the payment due {cycle.due_date.isoformat()} {what}. "
                      "Please make a payment to avoid a late fee.",
                 email_template="autopay_failed", email_context=context, payment=payment, using_db=connection)
    await AutopayPlan.filter(id=plan.id).using_db(connection).update(
        consecutive_failures=F("consecutive_failures") + 1, updated_at=services.clock.now())
    failures = plan.consecutive_failures + 1
    if failures >= MAX_CONSECUTIVE_FAILURES and plan.status == AutopayStatus.ACTIVE:
        await AutopayPlan.filter(id=plan.id).using_db(connection).update(status=AutopayStatus.SUSPENDED)
        await notify(services, user=user, category=NotificationCategory.PAYMENT_PROBLEMS, title=SUSPENDED_TITLE,
                     body=f"Autopay on account ending {contract.number[-4:]} is suspended after {failures} failed "
                          "payments in a row. Turn it back on (or change the payment method) in the portal.",
                     email_template="autopay_suspended",
                     email_context={"failures": failures, "account_ending": contract.number[-4:],
                                    "link": portal_link(services, "autopay")},
                     payment=payment, using_db=connection)
