"""Payment-plan changes: a customer asks for a new due date or to defer payments; the rules
approve or decline at once where they can decide, otherwise a SUPPORT user decides.

Rules (the business date is the clock's `today`; "12 months" is the 12 months before it):
- Due-date change: the new day is 1–28 and differs from the next installment's day; the contract is
  current (0 days past due) and had no approved due-date change in the last 12 months. Otherwise
  DECLINED with the reason. It moves the next unpaid installment and every later one
  (finance.schedule_changes); a loan's first changed cycle accrues daily interest for its real
  length, so its interest is recomputed by construction.
- Deferral of 1 or 2 installments: the next unpaid ones move to after the last. At most 2 deferred
  installments in 12 months and 6 over the contract's life (counted in installments, the way the
  limits are disclosed), and at least one installment must stay in place. 60+ days past due:
  DECLINED. 30–59 days past due: PENDING_REVIEW (a SUPPORT user decides). Otherwise APPROVED.
- One open (PENDING_REVIEW) request per contract: another is a CONFLICT.
- Only an ACTIVE contract the caller holds or co-signed; anything else answers NOT_FOUND.
- Each submission carries an idempotency key: a retry with the same key answers with the first
  request; the same key with a different request is a CONFLICT.

Every check and the change run in one transaction holding the contract row, so two requests (or a
request and a support decision) cannot both pass the limits. An approval appends a ScheduleChange
row and the same change to `contract.applied_changes`; nothing posted is edited. Each outcome is
audited, and the customer is told by an in-portal notification and an email. A request sent for
review opens an unassigned support case in the same transaction, and the decision resolves that
case with a note (resolvers/support/cases.py): plan changes share the support desk's one queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Subquery
from tortoise.transactions import in_transaction

from auth import audit
from auth.audit import Origin
from finance.loan import add_months
from finance.schedule_changes import (
    MAX_DEFERRED,
    MAX_DUE_DAY,
    MIN_DUE_DAY,
    Change,
    apply_change,
)
from mail.notify import portal_link
from models import Contract, PlanChangeRequest, ScheduleChange, User
from models.enums import (
    ContractStatus,
    NotificationCategory,
    PlanChangeKind,
    PlanChangeStatus,
    Role,
)
from resolvers.errors import ErrorCode, Problem
from resolvers.notifications import notify
from resolvers.servicing.positions import (
    ContractState,
    contract_state,
    installments_of,
    ledger_rows,
)
from resolvers.servicing.visibility import contracts_visible_to
from resolvers.support import cases as support_cases
from service.container import Services

MAX_KEY_LENGTH = 128
MAX_REASON_LENGTH = 255
DEFERRALS_PER_12_MONTHS = 2
DEFERRALS_PER_LIFE = 6
REVIEW_FROM_DAYS_PAST_DUE = 30
DECLINE_FROM_DAYS_PAST_DUE = 60
SUPPORT_ROLES = frozenset({Role.SUPPORT, Role.SUPPORT_LEAD})

CONTRACT_NOT_FOUND = Problem(ErrorCode.NOT_FOUND, "No active contract of yours has that id.", ("contractId",))
REQUEST_NOT_FOUND = Problem(ErrorCode.NOT_FOUND, "No plan-change request has that id.", ("requestId",))


@dataclass(frozen=True)
class PlanChangeOutcome:
    problems: tuple[Problem, ...] = ()
    request: PlanChangeRequest | None = None
    contract: Contract | None = None


@dataclass(frozen=True)
class Verdict:
    """What the rules say about a request: its status and, when not approved, why."""

    status: PlanChangeStatus
    reason: str = ""


def _fail(*problems: Problem) -> PlanChangeOutcome:
    return PlanChangeOutcome(problems=tuple(problems))


def requests_visible_to(user: User | None):
    """Customers see the requests on their contracts; support staff see every request."""
    if user is None or not user.is_active:
        return PlanChangeRequest.filter(id__in=[])
    if user.role in SUPPORT_ROLES:
        return PlanChangeRequest.all()
    return PlanChangeRequest.filter(contract_id__in=Subquery(contracts_visible_to(user).values("id")))


# -- the rules (pure) ---------------------------------------------------------------------------

def _within_12_months(row: PlanChangeRequest, today: date) -> bool:
    return row.decided_at is not None and row.decided_at.date() > add_months(today, -12)


def first_unpaid_number(contract: Contract, state: ContractState) -> int | None:
    """The installment the change starts from: the oldest not fully paid (None when all are paid)."""
    if state.due.next_due_date is None:
        return None
    return next(item.number for item in installments_of(contract) if item.due_date == state.due.next_due_date)


def due_date_verdict(state: ContractState, approved: list[PlanChangeRequest], today: date) -> Verdict:
    if state.due.days_past_due > 0:
        return Verdict(PlanChangeStatus.DECLINED, "The due date can be changed only while the account is current; "
                       f"it is {state.due.days_past_due} days past due.")
    if any(row.kind == PlanChangeKind.DUE_DATE_CHANGE and _within_12_months(row, today) for row in approved):
        return Verdict(PlanChangeStatus.DECLINED, "The due date was already changed in the last 12 months.")
    return Verdict(PlanChangeStatus.APPROVED)


def deferral_verdict(state: ContractState, approved: list[PlanChangeRequest], count: int, today: date) -> Verdict:
    days = state.due.days_past_due
    if days >= DECLINE_FROM_DAYS_PAST_DUE:
        return Verdict(PlanChangeStatus.DECLINED, f"Payments cannot be deferred on an account {days} days past due "
                       f"(the limit is {DECLINE_FROM_DAYS_PAST_DUE - 1}).")
    deferrals = [row for row in approved if row.kind == PlanChangeKind.DEFERRAL]
    lifetime = sum(row.installments_to_defer or 0 for row in deferrals)
    recent = sum(row.installments_to_defer or 0 for row in deferrals if _within_12_months(row, today))
    if recent + count > DEFERRALS_PER_12_MONTHS:
        return Verdict(PlanChangeStatus.DECLINED, f"At most {DEFERRALS_PER_12_MONTHS} payments can be deferred in 12 "
                       f"months; {recent} already were.")
    if lifetime + count > DEFERRALS_PER_LIFE:
        return Verdict(PlanChangeStatus.DECLINED, f"At most {DEFERRALS_PER_LIFE} payments can be deferred over the "
                       f"life of the contract; {lifetime} already were.")
    if days >= REVIEW_FROM_DAYS_PAST_DUE:
        return Verdict(PlanChangeStatus.PENDING_REVIEW, f"The account is {days} days past due: a support "
                       "specialist reviews the request.")
    return Verdict(PlanChangeStatus.APPROVED)


def change_for(request: PlanChangeRequest, from_installment: int) -> Change:
    return Change(kind=request.kind.value, from_installment=from_installment, new_due_day=request.new_due_day,
                  deferred_count=request.installments_to_defer)


def _shape_problem(contract: Contract, state: ContractState, kind: PlanChangeKind, new_due_day: int | None,
                   count: int | None) -> Problem | None:
    """A request the schedule cannot take at all (bad day, nothing left to move): INVALID, not declined."""
    start = first_unpaid_number(contract, state)
    if start is None:
        return Problem(ErrorCode.INVALID, "Every payment on this contract is made: there is nothing to change.",
                       ("contractId",))
    if kind == PlanChangeKind.DUE_DATE_CHANGE:
        if state.due.next_due_date.day == new_due_day:
            return Problem(ErrorCode.INVALID, f"Your payments are already due on day {new_due_day}.", ("newDueDay",))
        return None
    items = installments_of(contract)
    position = next(index for index, item in enumerate(items) if item.number == start)
    if position + count >= len(items):
        return Problem(ErrorCode.INVALID, "Too few payments are left to defer that many: at least one must stay "
                       "before the deferred ones.", ("installments",))
    return None


# -- loading under the contract's lock ----------------------------------------------------------

async def _locked_state(contract: Contract, today: date, connection: BaseDBAsyncClient) -> ContractState:
    rows = await ledger_rows([contract.id], connection)
    return contract_state(contract, rows.get(contract.id, []), today)


async def _decided(contract_id: int, connection: BaseDBAsyncClient) -> list[PlanChangeRequest]:
    return list(await PlanChangeRequest.filter(contract_id=contract_id, status=PlanChangeStatus.APPROVED)
                .using_db(connection))


# -- customer requests --------------------------------------------------------------------------

def _checked_key(key: str | None) -> str | Problem:
    key = (key or "").strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        return Problem(ErrorCode.INVALID, f"idempotencyKey must be 1 to {MAX_KEY_LENGTH} characters.",
                       ("idempotencyKey",))
    return key


def _replay(existing: PlanChangeRequest, contract_id: int | None, kind: PlanChangeKind, new_due_day: int | None,
            count: int | None) -> PlanChangeOutcome:
    same = (existing.contract_id == contract_id and existing.kind == kind and existing.new_due_day == new_due_day
            and existing.installments_to_defer == count)
    if not same:
        return _fail(Problem(ErrorCode.CONFLICT, "This idempotencyKey was already used with a different request.",
                             ("idempotencyKey",)))
    return PlanChangeOutcome(request=existing)


async def request_due_date_change(services: Services, *, user: User, origin: Origin, contract_id: int | None,
                                  new_due_day: int, idempotency_key: str | None) -> PlanChangeOutcome:
    if isinstance(new_due_day, bool) or not MIN_DUE_DAY <= new_due_day <= MAX_DUE_DAY:
        return _fail(Problem(ErrorCode.INVALID, f"The new due day must be from {MIN_DUE_DAY} to {MAX_DUE_DAY}.",
                             ("newDueDay",)))
    return await _submit(services, user=user, origin=origin, contract_id=contract_id,
                         kind=PlanChangeKind.DUE_DATE_CHANGE, new_due_day=new_due_day, count=None,
                         idempotency_key=idempotency_key)


async def request_deferral(services: Services, *, user: User, origin: Origin, contract_id: int | None,
                           installments: int, idempotency_key: str | None) -> PlanChangeOutcome:
    if isinstance(installments, bool) or not 1 <= installments <= MAX_DEFERRED:
        return _fail(Problem(ErrorCode.INVALID, f"Defer 1 to {MAX_DEFERRED} payments.", ("installments",)))
    return await _submit(services, user=user, origin=origin, contract_id=contract_id, kind=PlanChangeKind.DEFERRAL,
                         new_due_day=None, count=installments, idempotency_key=idempotency_key)


async def _submit(services: Services, *, user: User, origin: Origin, contract_id: int | None, kind: PlanChangeKind,
                  new_due_day: int | None, count: int | None, idempotency_key: str | None) -> PlanChangeOutcome:
    key = _checked_key(idempotency_key)
    if isinstance(key, Problem):
        return _fail(key)
    existing = await PlanChangeRequest.filter(requested_by_id=user.id, idempotency_key=key).first()
    if existing is not None:
        return _replay(existing, contract_id, kind, new_due_day, count)
    if contract_id is None or user.role != Role.CUSTOMER:
        return _fail(CONTRACT_NOT_FOUND)
    today = services.clock.today()
    try:
        async with in_transaction() as connection:
            # Every problem is found before anything is written.
            return await _submit_locked(services, connection, user=user, origin=origin, contract_id=contract_id,
                                        kind=kind, new_due_day=new_due_day, count=count, key=key, today=today)
    except IntegrityError:
        # A concurrent submission with the same key won the race: answer with its request.
        existing = await PlanChangeRequest.filter(requested_by_id=user.id, idempotency_key=key).first()
        if existing is None:
            raise
        return _replay(existing, contract_id, kind, new_due_day, count)


async def _submit_locked(services: Services, connection: BaseDBAsyncClient, *, user: User, origin: Origin,
                         contract_id: int, kind: PlanChangeKind, new_due_day: int | None, count: int | None,
                         key: str, today: date) -> PlanChangeOutcome:
    contract = await (contracts_visible_to(user).filter(id=contract_id, status=ContractStatus.ACTIVE)
                      .using_db(connection).select_for_update().first())
    if contract is None:
        return _fail(CONTRACT_NOT_FOUND)
    # A concurrent retry may have committed while this one waited for the lock: answer with it.
    existing = await PlanChangeRequest.filter(requested_by_id=user.id, idempotency_key=key).using_db(connection).first()
    if existing is not None:
        return _replay(existing, contract_id, kind, new_due_day, count)
    if await PlanChangeRequest.filter(contract_id=contract.id, status=PlanChangeStatus.PENDING_REVIEW) \
            .using_db(connection).exists():
        return _fail(Problem(ErrorCode.CONFLICT, "A request on this contract is already waiting for review.",
                             ("contractId",)))
    state = await _locked_state(contract, today, connection)
    problem = _shape_problem(contract, state, kind, new_due_day, count)
    if problem is not None:
        return _fail(problem)
    approved = await _decided(contract.id, connection)
    verdict = (due_date_verdict(state, approved, today) if kind == PlanChangeKind.DUE_DATE_CHANGE
               else deferral_verdict(state, approved, count, today))
    now = services.clock.now()
    request = await PlanChangeRequest.create(
        contract_id=contract.id, requested_by_id=user.id, kind=kind, status=verdict.status, new_due_day=new_due_day,
        installments_to_defer=count, idempotency_key=key, decision_reason=verdict.reason, created_at=now,
        decided_at=None if verdict.status == PlanChangeStatus.PENDING_REVIEW else now, using_db=connection,
    )
    await audit.record("plan_change.requested", clock=services.clock, origin=origin, actor=user, subject=user,
                       details={"request_id": request.id, "contract_id": contract.id, "kind": kind.value,
                                "outcome": verdict.status.value}, using_db=connection)
    if verdict.status == PlanChangeStatus.APPROVED:
        await _apply(services, contract, state, request, connection)
    elif verdict.status == PlanChangeStatus.PENDING_REVIEW:
        # It arrives in the support queue as an unassigned case (resolvers/support/cases.py).
        await support_cases.open_for_plan_change(services, request=request, contract=contract,
                                                 customer_id=user.customer_id, connection=connection)
    await _tell_customer(services, user, contract, request, connection)
    return PlanChangeOutcome(request=request, contract=contract)


# -- applying an approval -----------------------------------------------------------------------

async def _apply(services: Services, contract: Contract, state: ContractState, request: PlanChangeRequest,
                 connection: BaseDBAsyncClient) -> None:
    start = first_unpaid_number(contract, state)
    change = change_for(request, start)
    apply_change(installments_of(contract), change)  # raises before anything is written if it cannot apply
    await ScheduleChange.create(contract_id=contract.id, request_id=request.id, kind=request.kind,
                                from_installment=start, new_due_day=change.new_due_day,
                                deferred_count=change.deferred_count, created_at=services.clock.now(),
                                using_db=connection)
    contract.applied_changes = [*(contract.applied_changes or []), _as_json(change)]
    await contract.save(update_fields=["applied_changes"], using_db=connection)


def _as_json(change: Change) -> dict:
    return {"kind": change.kind, "from_installment": change.from_installment, "new_due_day": change.new_due_day,
            "deferred_count": change.deferred_count}


# -- telling the customer -----------------------------------------------------------------------

KIND_WORDS = {PlanChangeKind.DUE_DATE_CHANGE: "due-date change", PlanChangeKind.DEFERRAL: "payment deferral"}


def _summary(contract: Contract, request: PlanChangeRequest) -> tuple[str, str]:
    """The notification's title and body for the request's current status."""
    what = KIND_WORDS[request.kind]
    ending = contract.number[-4:]
    if request.status == PlanChangeStatus.PENDING_REVIEW:
        return (f"Your {what} request is being reviewed",
                f"We received your {what} request on the account ending {ending}. A specialist will review it; "
                "your payments stay as they are until it is approved.")
    if request.status == PlanChangeStatus.DECLINED:
        return (f"Your {what} request was declined",
                f"Your {what} request on the account ending {ending} was declined: {request.decision_reason} "
                "Your payments stay as they are.")
    items = installments_of(contract)
    if request.kind == PlanChangeKind.DUE_DATE_CHANGE:
        body = f"Your payments on the account ending {ending} are now due on day {request.new_due_day} of the month."
    else:
        body = (f"{request.installments_to_defer} payment(s) on the account ending {ending} moved to the end of the "
                f"term; your last payment is now due on {items[-1].due_date.isoformat()}.")
    return f"Your {what} is approved", body


async def _tell_customer(services: Services, user: User, contract: Contract, request: PlanChangeRequest,
                         connection: BaseDBAsyncClient) -> None:
    title, body = _summary(contract, request)
    decided = request.status != PlanChangeStatus.PENDING_REVIEW
    await notify(services, user=user, category=NotificationCategory.PLAN_CHANGES, title=title, body=body,
                 email_template="plan_change_decided" if decided else None,
                 email_context={"link": portal_link(services, "contracts")}, using_db=connection)


# -- support decisions --------------------------------------------------------------------------

async def decide(services: Services, *, staff: User, origin: Origin, request_id: int | None, approve: bool,
                 reason: str | None) -> PlanChangeOutcome:
    """A SUPPORT user approves or declines a PENDING_REVIEW request (a decline needs a reason)."""
    if staff.role not in SUPPORT_ROLES or request_id is None:
        return _fail(REQUEST_NOT_FOUND)
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON_LENGTH:
        return _fail(Problem(ErrorCode.INVALID, f"The reason is at most {MAX_REASON_LENGTH} characters.", ("reason",)))
    if not approve and not reason:
        return _fail(Problem(ErrorCode.INVALID, "Say why the request is declined (the customer sees it).",
                             ("reason",)))
    today = services.clock.today()
    async with in_transaction() as connection:
        found = await PlanChangeRequest.filter(id=request_id).using_db(connection).first()
        if found is None:
            return _fail(REQUEST_NOT_FOUND)
        # Lock the contract first (as requests do), then re-read the request under that lock.
        contract = await Contract.filter(id=found.contract_id).using_db(connection).select_for_update().first()
        request = await PlanChangeRequest.filter(id=request_id).using_db(connection).select_for_update().first()
        if request.status != PlanChangeStatus.PENDING_REVIEW:
            return _fail(Problem(ErrorCode.CONFLICT, f"This request was already decided ({request.status.value}).",
                                 ("requestId",)))
        state = await _locked_state(contract, today, connection)
        if approve:
            problem = await _still_allowed(contract, state, request, today, connection)
            if problem is not None:
                return _fail(problem)
        request.status = PlanChangeStatus.APPROVED if approve else PlanChangeStatus.DECLINED
        request.decision_reason = reason
        request.decided_by_id = staff.id
        request.decided_at = services.clock.now()
        await request.save(update_fields=["status", "decision_reason", "decided_by_id", "decided_at"],
                           using_db=connection)
        if approve:
            await _apply(services, contract, state, request, connection)
        customer = await User.get(id=request.requested_by_id).using_db(connection)
        await audit.record("plan_change.decided", clock=services.clock, origin=origin, actor=staff, subject=customer,
                           details={"request_id": request.id, "contract_id": contract.id,
                                    "kind": request.kind.value, "outcome": request.status.value},
                           using_db=connection)
        await support_cases.resolve_for_plan_change(services, staff=staff, origin=origin, request=request,
                                                    connection=connection)
        await _tell_customer(services, customer, contract, request, connection)
    return PlanChangeOutcome(request=request, contract=contract)


async def _still_allowed(contract: Contract, state: ContractState, request: PlanChangeRequest, today: date,
                         connection: BaseDBAsyncClient) -> Problem | None:
    """An approval re-checks the rules on today's figures: review may only approve what they allow."""
    if contract.status != ContractStatus.ACTIVE:
        return Problem(ErrorCode.CONFLICT, "The contract is no longer active: decline the request.", ("requestId",))
    shape = _shape_problem(contract, state, request.kind, request.new_due_day, request.installments_to_defer)
    if shape is not None:
        return Problem(ErrorCode.CONFLICT, f"The request no longer fits the schedule: {shape.message}",
                       ("requestId",))
    approved = await _decided(contract.id, connection)
    verdict = (due_date_verdict(state, approved, today) if request.kind == PlanChangeKind.DUE_DATE_CHANGE
               else deferral_verdict(state, approved, request.installments_to_defer or 0, today))
    if verdict.status == PlanChangeStatus.DECLINED:
        return Problem(ErrorCode.CONFLICT, f"The rules no longer allow it: {verdict.reason} Decline the request.",
                       ("requestId",))
    return None
