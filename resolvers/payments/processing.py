"""Charging due payments, settling them into the ledger, failures and returns. Every step is safe to
repeat and safe with several workers.

- Claim: a conditional UPDATE moves SCHEDULED (due on or before the business date) -> PROCESSING; a
  PROCESSING claim older than STALE_CLAIM (a crashed worker, or a gateway timeout) may be re-claimed.
  Only the worker whose UPDATE changed the row charges it.
- Charge with reference = the confirmation number (the gateway is idempotent per reference, so a
  retry after a timeout never charges twice). GatewayTimeout / GatewayError: the payment stays
  PROCESSING and is retried on the next run (its claim time is reset to "stale" so it is retried).
- Approved: ONE PAYMENT ledger entry (key `payment:<id>`) effective on `scheduled_for` (the day the
  money was received), allocated by finance.servicing.allocate_payment with what is owed on the
  installments (loans), or split into tax / rent / depreciation (leases, like the demo data);
  status SETTLED, email + notification.
  **Decision:** a payment larger than what the contract owes at settlement (the balance dropped
  after scheduling) is refused: FAILED "exceeds the payoff" (the charge is not made, so there is no
  money to refund). The cap was checked at scheduling, so this only happens when another payment
  settled meanwhile.
- Declined: FAILED with the reason; a notification is always sent (PAYMENT_PROBLEMS).
- Returns (`check_returns`): for each SETTLED payment settled in the last RETURN_WINDOW_DAYS, ask the
  gateway; on a return, post PAYMENT_REVERSAL (same parts, same effective date, `reverses` the
  payment's entry, key `return:<id>`) and RETURNED_PAYMENT_FEE (key `returned-fee:<id>`), status
  RETURNED, email + notification (always). The conditional update SETTLED -> RETURNED and the unique
  ledger keys make it exactly once.
- After an autopay cycle's payment settles, fails or returns, resolvers.autopay.outcomes is told.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from finance.money import ZERO, round_money
from finance.servicing import allocate_payment, reversal_of
from gateways.payments import GatewayError, PaymentSource
from models import Contract, LedgerEntry, Payment, PaymentMethod, User
from models.enums import ContractKind, LedgerEntryKind, NotificationCategory, PaymentMethodKind, PaymentStatus
from resolvers.notifications import notify
from resolvers.servicing.positions import contract_state, ledger_event, ledger_events, ledger_rows, loan_terms

log = logging.getLogger("autofin.payments")

STALE_CLAIM = timedelta(minutes=10)
RETURN_WINDOW_DAYS = 10
BATCH_SIZE = 200


@dataclass
class ProcessingReport:
    business_date: date
    settled: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    retry: list[int] = field(default_factory=list)  # gateway timeouts: still PROCESSING


@dataclass
class ReturnsReport:
    business_date: date
    returned: list[int] = field(default_factory=list)


# -- claiming and charging ---------------------------------------------------------------------

async def claim(services, payment_id: int) -> bool:
    """Move one payment to PROCESSING for this worker; False when another worker has it."""
    now = services.clock.now()
    fresh = await Payment.filter(id=payment_id, status=PaymentStatus.SCHEDULED).update(
        status=PaymentStatus.PROCESSING, processing_at=now)
    if fresh:
        return True
    stale = await Payment.filter(id=payment_id, status=PaymentStatus.PROCESSING,
                                 processing_at__lt=now - STALE_CLAIM).update(processing_at=now)
    return bool(stale)


async def process_due_payments(services, business_date: date | None = None) -> ProcessingReport:
    """Charge every payment scheduled on or before `business_date` (default today), once."""
    day = business_date or services.clock.today()
    report = ProcessingReport(business_date=day)
    now = services.clock.now()
    candidates = await Payment.filter(
        Q(status=PaymentStatus.SCHEDULED) | Q(status=PaymentStatus.PROCESSING, processing_at__lt=now - STALE_CLAIM),
        scheduled_for__lte=day,
    ).order_by("scheduled_for", "id").limit(BATCH_SIZE).values_list("id", flat=True)
    for payment_id in candidates:
        if not await claim(services, payment_id):
            continue
        try:
            outcome = await _charge(services, payment_id, day)
        except Exception:  # noqa: BLE001 - one bad payment must not stop the others; retried when stale
            log.exception("payment processing failed", extra={"payment_id": payment_id})
            continue
        getattr(report, outcome).append(payment_id)
    return report


def _source(services, method: PaymentMethod) -> PaymentSource:
    if method.kind == PaymentMethodKind.DEBIT_CARD:
        return PaymentSource(kind="CARD", token=method.gateway_token)
    account = services.cipher.decrypt(method.account_number_encrypted, table="payment_methods",
                                      column="account_number")
    return PaymentSource(kind="BANK_ACCOUNT", routing_number=method.routing_number, account_number=account)


async def _charge(services, payment_id: int, day: date) -> str:
    payment = await Payment.get(id=payment_id).prefetch_related("method", "contract", "created_by")
    contract: Contract = payment.contract
    # Refuse before charging what the contract no longer owes (see the module docstring).
    rows = (await ledger_rows([contract.id])).get(contract.id, [])
    try:
        parts = split_payment(contract, rows, payment.amount, payment.scheduled_for)
    except ValueError:
        parts = None
    if parts is None:
        await _fail(services, payment, "The amount exceeds the payoff of the contract; nothing was charged.")
        return "failed"
    try:
        result = await services.gateway.charge(reference=payment.confirmation_number,
                                               source=_source(services, payment.method), amount=payment.amount,
                                               on=day)
    except GatewayError:
        # Leave it PROCESSING; make the claim stale so the next run retries it with the same reference.
        await Payment.filter(id=payment.id, status=PaymentStatus.PROCESSING).update(
            processing_at=services.clock.now() - STALE_CLAIM - timedelta(seconds=1))
        log.warning("payment gateway did not answer; will retry", extra={"payment_id": payment.id})
        return "retry"
    if not result.approved:
        await _fail(services, payment, result.decline_reason or "Declined.", gateway_reference=result.gateway_reference)
        return "failed"
    await _settle(services, payment, result.gateway_reference)
    return "settled"


# -- allocation ----------------------------------------------------------------------------------

def _lease_parts(contract: Contract) -> tuple[Decimal, Decimal, Decimal]:
    """(depreciation, rent, tax) of one lease installment (finance-notes.md lease formulas)."""
    payment = contract.scheduled_payment
    rate = contract.sales_tax_rate or ZERO
    base = round_money(payment / (1 + rate))
    tax = payment - base
    adjusted = contract.amount_financed
    rent = round_money((adjusted + (contract.residual_value or ZERO)) * (contract.money_factor or ZERO))
    rent = min(rent, base)
    return base - rent, rent, tax


def split_payment(contract: Contract, rows, amount: Decimal, on: date) -> dict[str, Decimal] | None:
    """The parts of a payment of `amount` received on `on`; None when it exceeds what is owed."""
    state = contract_state(contract, rows, max(on, contract.contract_date))
    if amount > state.balance:
        return None
    effective = [r for r in rows if r.effective_date <= on]
    owed = state.due.past_due_amount + state.next_due_amount if state.due.past_due_amount == ZERO \
        else state.due.past_due_amount
    if contract.kind == ContractKind.LOAN:
        split = allocate_payment(loan_terms(contract), ledger_events(effective), amount, on,
                                 owed_on_installments=min(owed, state.balance))
        if split.unapplied:
            return None
        return dict(principal=split.principal, interest=split.interest, fees=split.fees, tax=ZERO)
    # Lease: money for the installments first (no pyramiding), then fees, then further installments.
    installment_money = min(amount, owed)
    fees = min(amount - installment_money, state.unpaid_fees)
    rest = amount - fees
    depreciation, rent, tax = _lease_parts(contract)
    total = depreciation + rent + tax
    tax_part = round_money(rest * tax / total) if total else ZERO
    rent_part = round_money(rest * rent / total) if total else ZERO
    return dict(principal=rest - tax_part - rent_part, interest=rent_part, fees=fees, tax=tax_part)


# -- outcomes ------------------------------------------------------------------------------------

def _context(payment: Payment) -> dict:
    return {"confirmation_number": payment.confirmation_number, "amount": str(payment.amount),
            "scheduled_for": payment.scheduled_for.isoformat(), "contract_number": payment.contract.number,
            "last4": payment.method.last4, "failure_reason": payment.failure_reason}


async def _settle(services, payment: Payment, gateway_reference: str) -> None:
    contract = payment.contract
    async with in_transaction() as conn:
        # The split depends on the ledger as it stands: hold the contract's row lock, as every other
        # writer that reads the ledger before it posts (plan changes, support corrections) does.
        await Contract.filter(id=contract.id).using_db(conn).select_for_update().first()
        rows = (await ledger_rows([contract.id], conn)).get(contract.id, [])
        parts = split_payment(contract, rows, payment.amount, payment.scheduled_for)
        if parts is None:  # the balance moved between the check and now
            parts = dict(principal=ZERO, interest=ZERO, fees=ZERO, tax=ZERO)
        key = f"payment:{payment.id}"
        entry = await LedgerEntry.filter(idempotency_key=key).using_db(conn).first()
        if entry is None:
            entry = await LedgerEntry.create(
                contract_id=contract.id, kind=LedgerEntryKind.PAYMENT, effective_date=payment.scheduled_for,
                posted_at=services.clock.now(), amount=sum(parts.values(), ZERO), memo=(
                    f"Payment {payment.confirmation_number}"), idempotency_key=key, using_db=conn, **parts)
        changed = await Payment.filter(id=payment.id, status=PaymentStatus.PROCESSING).using_db(conn).update(
            status=PaymentStatus.SETTLED, settled_at=services.clock.now(), ledger_entry_id=entry.id,
            gateway_reference=gateway_reference)
        if not changed:
            raise RuntimeError(f"payment {payment.id} was not PROCESSING at settlement")
        await payment.refresh_from_db(using_db=conn)
        user: User = payment.created_by
        await notify(services, user=user, category=NotificationCategory.PAYMENT_CONFIRMATIONS,
                     title=f"Payment received: {payment.confirmation_number}",
                     body=f"Your payment of ${payment.amount} on contract {contract.number} was received and "
                          f"applied as of {payment.scheduled_for.isoformat()}.",
                     email_template="payment_settled", email_context=_context(payment), payment=payment,
                     using_db=conn)
        await _tell_autopay(services, payment, conn)


async def _fail(services, payment: Payment, reason: str, *, gateway_reference: str | None = None) -> None:
    async with in_transaction() as conn:
        changed = await Payment.filter(id=payment.id, status=PaymentStatus.PROCESSING).using_db(conn).update(
            status=PaymentStatus.FAILED, failed_at=services.clock.now(), failure_reason=reason[:255],
            gateway_reference=gateway_reference)
        if not changed:
            return
        await payment.refresh_from_db(using_db=conn)
        await notify(services, user=payment.created_by, category=NotificationCategory.PAYMENT_PROBLEMS,
                     title=f"Payment failed: {payment.confirmation_number}",
                     body=f"Your payment of ${payment.amount} on contract {payment.contract.number} did not go "
                          f"through: {reason}",
                     email_template="payment_failed", email_context=_context(payment), payment=payment,
                     using_db=conn)
        await _tell_autopay(services, payment, conn)


async def _tell_autopay(services, payment: Payment, conn) -> None:
    """Tell the autopay module about the outcome of one of its cycles' payments (when it exists)."""
    try:
        from models import AutopayCycle
    except ImportError:
        return
    if not await AutopayCycle.filter(payment_id=payment.id).using_db(conn).exists():
        return
    try:
        outcomes = importlib.import_module("resolvers.autopay.outcomes")
    except ImportError:
        return
    await outcomes.on_payment_outcome(services, payment, using_db=conn)


# -- returns -------------------------------------------------------------------------------------

async def check_returns(services, business_date: date | None = None) -> ReturnsReport:
    """Ask the gateway about every payment settled in the last RETURN_WINDOW_DAYS; apply each return once."""
    day = business_date or services.clock.today()
    report = ReturnsReport(business_date=day)
    since = datetime.combine(day - timedelta(days=RETURN_WINDOW_DAYS), time.min, tzinfo=timezone.utc)
    settled = await Payment.filter(status=PaymentStatus.SETTLED, settled_at__gte=since).order_by("id")
    for payment in settled:
        if not payment.gateway_reference:
            continue
        try:
            notice = await services.gateway.return_for(gateway_reference=payment.gateway_reference,
                                                       settled_on=payment.settled_at.date(), as_of=day)
        except GatewayError:
            log.warning("gateway did not answer about returns", extra={"payment_id": payment.id})
            continue
        if notice is None:
            continue
        if await _apply_return(services, payment.id, notice.reason, notice.returned_on):
            report.returned.append(payment.id)
    return report


async def _apply_return(services, payment_id: int, reason: str, returned_on: date) -> bool:
    async with in_transaction() as conn:
        changed = await Payment.filter(id=payment_id, status=PaymentStatus.SETTLED).using_db(conn).update(
            status=PaymentStatus.RETURNED, returned_at=services.clock.now(), failure_reason=reason[:255])
        if not changed:
            return False
        payment = await Payment.get(id=payment_id).using_db(conn).prefetch_related("contract", "method",
                                                                                    "created_by", "ledger_entry")
        contract = payment.contract
        await Contract.filter(id=contract.id).using_db(conn).select_for_update().first()
        original = payment.ledger_entry
        undo = reversal_of(ledger_event(original))
        now = services.clock.now()
        reversal = await LedgerEntry.create(
            contract_id=contract.id, kind=LedgerEntryKind.PAYMENT_REVERSAL, effective_date=undo.effective_date,
            posted_at=now, amount=undo.amount, principal=undo.principal, interest=undo.interest, fees=undo.fees,
            tax=undo.tax, reverses_id=original.id, idempotency_key=f"return:{payment.id}",
            memo=f"Returned payment ({reason}), reverses {payment.confirmation_number}", using_db=conn)
        if contract.returned_payment_fee and contract.returned_payment_fee > ZERO:
            await LedgerEntry.create(
                contract_id=contract.id, kind=LedgerEntryKind.RETURNED_PAYMENT_FEE, effective_date=returned_on,
                posted_at=now, amount=contract.returned_payment_fee, fees=contract.returned_payment_fee,
                idempotency_key=f"returned-fee:{payment.id}", memo="Returned payment fee", using_db=conn)
        await Payment.filter(id=payment.id).using_db(conn).update(reversal_entry_id=reversal.id)
        await payment.refresh_from_db(using_db=conn)
        await notify(services, user=payment.created_by, category=NotificationCategory.PAYMENT_PROBLEMS,
                     title=f"Payment returned: {payment.confirmation_number}",
                     body=f"Your payment of ${payment.amount} on contract {contract.number} was returned by your "
                          f"bank ({reason}). It no longer counts, and a returned-payment fee of "
                          f"${contract.returned_payment_fee} was added.",
                     email_template="payment_returned", email_context=_context(payment), payment=payment,
                     using_db=conn)
        await _tell_autopay(services, payment, conn)
    return True
