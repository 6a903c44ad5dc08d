"""Making and cancelling one-time payments: the rules behind makePayment and cancelPayment.

makePayment: the contract must be the viewer's (a party to it) and ACTIVE; the method the viewer's
customer's, not removed (anything else: NOT_FOUND, a forbidden row looks missing). The amount is a
choice (REGULAR / PAST_DUE / PAYOFF resolved from `payment_options` on the scheduled date; a zero
choice is INVALID) or OTHER: at least 1.00 and at most the payoff on the scheduled date. The date:
today .. next due date + 30 days (today + 30 when nothing is due). Idempotency: the fingerprint is
the SHA-256 of the canonical input; the same key and input return the first payment (no new email),
the same key with another input is CONFLICT, and the unique (user, key) makes concurrent duplicates
one payment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from tortoise.expressions import Subquery
from tortoise.transactions import in_transaction

from finance.money import ZERO
from models import Contract, Payment, PaymentMethod, User
from models.enums import ContractStatus, NotificationCategory, PaymentStatus, Role
from resolvers.errors import ErrorCode, Problem
from resolvers.notifications import notify
from resolvers.payments.scheduling import fingerprint_of, payment_options, schedule_payment, state_on
from resolvers.servicing.visibility import contracts_visible_to

MIN_OTHER_AMOUNT = Decimal("1.00")
MAX_DAYS_AFTER_DUE = 30
MAX_KEY_LENGTH = 128
CHOICES = ("REGULAR", "PAST_DUE", "PAYOFF", "OTHER")


@dataclass
class PaymentOutcome:
    payment: Payment | None = None
    problems: list[Problem] = field(default_factory=list)
    created: bool = False


def _fail(code: ErrorCode, message: str, *path: str) -> PaymentOutcome:
    return PaymentOutcome(problems=[Problem(code, message, ("input", *path) if path else None)])


def _not_found(what: str, *path: str) -> PaymentOutcome:
    return _fail(ErrorCode.NOT_FOUND, f"No {what} of yours with that id.", *path)


async def own_method(user: User, method_id: int | None) -> PaymentMethod | None:
    if method_id is None or user.role != Role.CUSTOMER or user.customer_id is None:
        return None
    return await PaymentMethod.filter(id=method_id, customer_id=user.customer_id, removed_at=None).first()


async def make_payment(services, user: User, *, contract_id: int | None, method_id: int | None, choice: str,
                       other: Decimal | None, scheduled_for: date | None, idempotency_key: str) -> PaymentOutcome:
    key = (idempotency_key or "").strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        return _fail(ErrorCode.INVALID, f"idempotencyKey must be 1 to {MAX_KEY_LENGTH} characters.", "idempotencyKey")
    today = services.clock.today()
    day = scheduled_for or today
    fingerprint = fingerprint_of({"contract": contract_id, "method": method_id, "choice": choice,
                                  "other": None if other is None else str(other), "date": day.isoformat()})
    existing = await Payment.filter(created_by_id=user.id, idempotency_key=key).first()
    if existing is not None:
        return _replay(existing, fingerprint)

    contract = None
    if contract_id is not None:
        contract = await contracts_visible_to(user).filter(id=contract_id).first()
    if contract is None or user.role != Role.CUSTOMER:
        return _not_found("contract", "contractId")
    method = await own_method(user, method_id)
    if method is None:
        return _not_found("payment method", "paymentMethodId")
    if contract.status != ContractStatus.ACTIVE:
        return _fail(ErrorCode.INVALID, "This contract does not take payments.", "contractId")

    if day < today:
        return _fail(ErrorCode.INVALID, "The payment date cannot be in the past.", "scheduledFor")
    try:
        options_today = await payment_options(services, contract, today)
        state = await state_on(contract, today)
    except ValueError:
        return _fail(ErrorCode.INVALID, "This contract cannot take payments online right now.", "contractId")
    latest = (state.due.next_due_date or today) + timedelta(days=MAX_DAYS_AFTER_DUE)
    latest = max(latest, today)
    if day > latest:
        return _fail(ErrorCode.INVALID, f"The payment date must be between {today.isoformat()} and "
                     f"{latest.isoformat()}.", "scheduledFor")
    options = options_today if day == today else await payment_options(services, contract, day)

    if choice not in CHOICES:
        return _fail(ErrorCode.INVALID, "Unknown amount choice.", "amount", "choice")
    if choice == "OTHER":
        if other is None:
            return _fail(ErrorCode.INVALID, "Give the amount for OTHER.", "amount", "other")
        try:
            amount = Decimal(other)
            valid = amount.is_finite() and amount == amount.quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError, TypeError):
            valid = False
        if not valid:
            return _fail(ErrorCode.INVALID, "The amount must be in whole cents.", "amount", "other")
        if amount < MIN_OTHER_AMOUNT:
            return _fail(ErrorCode.INVALID, f"The amount must be at least {MIN_OTHER_AMOUNT}.", "amount", "other")
        if amount > options.payoff:
            return _fail(ErrorCode.INVALID, f"The amount cannot exceed the payoff of {options.payoff} on "
                         f"{day.isoformat()}.", "amount", "other")
    else:
        if other is not None:
            return _fail(ErrorCode.INVALID, "`other` goes only with the OTHER choice.", "amount", "other")
        amount = {"REGULAR": options.regular, "PAST_DUE": options.past_due, "PAYOFF": options.payoff}[choice]
        if amount <= ZERO:
            return _fail(ErrorCode.INVALID, f"There is nothing to pay for {choice} on {day.isoformat()}.",
                         "amount", "choice")
    amount = amount.quantize(Decimal("0.01"))

    async with in_transaction() as conn:
        payment, created = await schedule_payment(
            services, contract=contract, method=method, amount=amount, scheduled_for=day, created_by=user,
            idempotency_key=key, fingerprint=fingerprint, using_db=conn)
        if created:
            await notify(
                services, user=user, category=NotificationCategory.PAYMENT_CONFIRMATIONS,
                title=f"Payment scheduled: {payment.confirmation_number}",
                body=f"Your payment of ${amount} on contract {contract.number} is scheduled for "
                     f"{day.isoformat()} from the account ending {method.last4}.",
                email_template="payment_scheduled",
                email_context=_mail_context(payment, contract, method), payment=payment, using_db=conn)
    if not created:
        return _replay(payment, fingerprint)
    return PaymentOutcome(payment=payment, created=True)


def _replay(existing: Payment, fingerprint: str) -> PaymentOutcome:
    if existing.request_fingerprint != fingerprint:
        return _fail(ErrorCode.CONFLICT, "This idempotencyKey was already used with a different input.",
                     "idempotencyKey")
    return PaymentOutcome(payment=existing, created=False)


def _mail_context(payment: Payment, contract: Contract, method: PaymentMethod) -> dict:
    return {"confirmation_number": payment.confirmation_number, "amount": str(payment.amount),
            "scheduled_for": payment.scheduled_for.isoformat(), "contract_number": contract.number,
            "last4": method.last4, "failure_reason": payment.failure_reason}


async def cancel_payment(services, user: User, payment_id: int | None) -> PaymentOutcome:
    """Cancel a SCHEDULED payment of a contract the viewer is a party to (conditional update: a payment the
    processor has claimed meanwhile is not cancelled)."""
    payment = await visible_payment(user, payment_id)
    if payment is None:
        return _not_found("payment", "paymentId")
    if payment.status != PaymentStatus.SCHEDULED:
        return _fail(ErrorCode.INVALID, f"Only a scheduled payment can be cancelled; this one is "
                     f"{payment.status.value}.", "paymentId")
    changed = await Payment.filter(id=payment.id, status=PaymentStatus.SCHEDULED).update(
        status=PaymentStatus.CANCELLED, cancelled_at=services.clock.now())
    if not changed:
        return _fail(ErrorCode.INVALID, "The payment has started processing and can no longer be cancelled.",
                     "paymentId")
    await payment.refresh_from_db()
    return PaymentOutcome(payment=payment)


async def visible_payment(user: User | None, payment_id: int | None) -> Payment | None:
    if user is None or payment_id is None:
        return None
    return await payments_visible_to(user).filter(id=payment_id).first()


def payments_visible_to(user: User | None):
    """Payments of contracts the user is a customer on (staff and dealers: none through this API)."""
    if user is None or user.role != Role.CUSTOMER:
        return Payment.filter(id__in=[])
    return Payment.filter(contract_id__in=Subquery(contracts_visible_to(user).values("id")))
