"""Support cases: one matter for one customer (optionally one of their contracts), worked by a SUPPORT
or SUPPORT_LEAD user, with notes appended and a status (OPEN, WAITING_ON_CUSTOMER, RESOLVED).

Rules:
- Only support staff open, read and work cases; anyone else finds none (NOT_FOUND, like a missing one).
- A case's contract must be one the customer holds or co-signed (INVALID otherwise).
- `open_case` carries the opener's idempotency key: a retry with the same key and the same case answers
  with the first case; the same key with another case is a CONFLICT. A race of two retries is settled by
  the database's unique (opened_by, idempotency_key).
- Assignees are active SUPPORT or SUPPORT_LEAD users. An assignment holds the case row (SELECT ... FOR
  UPDATE) while it reads the current assignee and writes the new one, so assignments of one case are
  serialized: each `support.case_assigned` event's `from_user_id` is the previous event's `to_user_id`,
  and the newest event's `to_user_id` is the case's assignee (tested with a race on PostgreSQL).
  Assigning a case to the user who already has it changes nothing and records nothing.
- Resolving needs a resolution note. A RESOLVED case takes no notes and no assignment until it is
  reopened (status OPEN or WAITING_ON_CUSTOMER). A case that came from a payment-plan change request is
  resolved by deciding the request (decidePlanChangeRequest), not by hand, while the request waits.
- Every change updates `updated_at` (the queue walks open work oldest-updated first) and is audited in
  the same transaction with the customer's login as subject (when the customer has one), so the customer
  sees in `viewer.securityEvents` that support worked on their account. Note bodies, subjects and
  other free text never go into audit details: only ids and states.

Payment-plan change requests that wait for review arrive as cases (`open_for_plan_change`, called in
the request's transaction) and are resolved with a note of the decision (`resolve_for_plan_change`,
called in the decision's transaction).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from auth import audit
from auth.audit import Origin
from models import CaseNote, Contract, Customer, PlanChangeRequest, SupportCase, User
from models.enums import (
    CaseCategory,
    CaseStatus,
    PlanChangeKind,
    PlanChangeStatus,
    Role,
)
from resolvers.errors import ErrorCode, Problem
from service.container import Services

SUPPORT_ROLES = frozenset({Role.SUPPORT, Role.SUPPORT_LEAD})
MAX_SUBJECT_LENGTH = 200
MAX_NOTE_LENGTH = 4000
MAX_KEY_LENGTH = 128
OPEN_STATUSES = (CaseStatus.OPEN, CaseStatus.WAITING_ON_CUSTOMER)

CASE_NOT_FOUND = Problem(ErrorCode.NOT_FOUND, "No case has that id.", ("caseId",))
CUSTOMER_NOT_FOUND = Problem(ErrorCode.NOT_FOUND, "No customer has that id.", ("customerId",))


@dataclass(frozen=True)
class CaseOutcome:
    problems: tuple[Problem, ...] = ()
    case: SupportCase | None = None
    note: CaseNote | None = None


def _fail(*problems: Problem) -> CaseOutcome:
    return CaseOutcome(problems=tuple(problems))


def is_support(user: User | None) -> bool:
    return user is not None and user.is_active and user.role in SUPPORT_ROLES


def cases_visible_to(user: User | None) -> QuerySet[SupportCase]:
    """Support staff see every case; nobody else sees any."""
    return SupportCase.all() if is_support(user) else SupportCase.filter(id__in=[])


def notes_visible_to(user: User | None) -> QuerySet[CaseNote]:
    return CaseNote.all() if is_support(user) else CaseNote.filter(id__in=[])


# -- small helpers ------------------------------------------------------------------------------

def _text(value: str | None, *, field: str, what: str, limit: int, required: bool) -> str | Problem:
    text = (value or "").strip()
    if required and not text:
        return Problem(ErrorCode.INVALID, f"{what} is required.", (field,))
    if len(text) > limit:
        return Problem(ErrorCode.INVALID, f"{what} is at most {limit} characters.", (field,))
    return text


async def customer_login(customer_id: int, connection: BaseDBAsyncClient | None = None) -> User | None:
    """The customer's portal login, the subject of audit events about them (None without one)."""
    return await User.filter(customer_id=customer_id, role=Role.CUSTOMER).using_db(connection).first()


async def _audit(services: Services, action: str, *, staff: User | None, origin: Origin, case: SupportCase,
                 details: dict, connection: BaseDBAsyncClient) -> None:
    subject = await customer_login(case.customer_id, connection)
    await audit.record(action, clock=services.clock, origin=origin, actor=staff, subject=subject,
                       details={"case_id": case.id, **details}, using_db=connection)


async def _note(services: Services, case: SupportCase, author: User, body: str,
                connection: BaseDBAsyncClient) -> CaseNote:
    return await CaseNote.create(case_id=case.id, author_id=author.id, body=body, created_at=services.clock.now(),
                                 using_db=connection)


async def _locked_case(case_id: int, connection: BaseDBAsyncClient) -> SupportCase | None:
    return await SupportCase.filter(id=case_id).using_db(connection).select_for_update().first()


async def _touch(case: SupportCase, now: datetime, fields: list[str], connection: BaseDBAsyncClient) -> None:
    case.updated_at = now
    await case.save(update_fields=[*fields, "updated_at"], using_db=connection)


# -- opening a case -----------------------------------------------------------------------------

def _replay(existing: SupportCase, customer_id: int | None, contract_id: int | None, category: CaseCategory,
            subject: str) -> CaseOutcome:
    same = (existing.customer_id == customer_id and existing.contract_id == contract_id
            and existing.category == category and existing.subject == subject)
    if not same:
        return _fail(Problem(ErrorCode.CONFLICT, "This idempotencyKey was already used to open a different case.",
                             ("idempotencyKey",)))
    return CaseOutcome(case=existing)


async def open_case(services: Services, *, staff: User, origin: Origin, customer_id: int | None,
                    contract_id: int | None, contract_given: bool, category: CaseCategory, subject: str | None,
                    note: str | None, assign_to_me: bool, idempotency_key: str | None) -> CaseOutcome:
    """Open a case for a customer (and optionally one of their contracts), with an optional first note.

    `contract_given` says the caller named a contract: an id that is not a contract then answers
    NOT_FOUND instead of opening a case without one."""
    if not is_support(staff):
        return _fail(CUSTOMER_NOT_FOUND)
    key = (idempotency_key or "").strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        return _fail(Problem(ErrorCode.INVALID, f"idempotencyKey must be 1 to {MAX_KEY_LENGTH} characters.",
                             ("idempotencyKey",)))
    subject_text = _text(subject, field="subject", what="The subject", limit=MAX_SUBJECT_LENGTH, required=True)
    note_text = _text(note, field="note", what="The note", limit=MAX_NOTE_LENGTH, required=False)
    problems = [p for p in (subject_text, note_text) if isinstance(p, Problem)]
    if problems:
        return _fail(*problems)
    if not contract_given:
        contract_id = None
    existing = await SupportCase.filter(opened_by_id=staff.id, idempotency_key=key).first()
    if existing is not None:
        return _replay(existing, customer_id, contract_id, category, subject_text)
    if customer_id is None or not await Customer.filter(id=customer_id).exists():
        return _fail(CUSTOMER_NOT_FOUND)
    if contract_given:
        contract = await Contract.filter(id=contract_id).first() if contract_id is not None else None
        if contract is None:
            return _fail(Problem(ErrorCode.NOT_FOUND, "No contract has that id.", ("contractId",)))
        if customer_id not in (contract.customer_id, contract.co_customer_id):
            return _fail(Problem(ErrorCode.INVALID, "That contract is not this customer's: a case's contract must "
                                 "be one the customer holds or co-signed.", ("contractId",)))
    now = services.clock.now()
    try:
        async with in_transaction() as connection:
            case = await SupportCase.create(
                customer_id=customer_id, contract_id=contract_id, category=category,
                subject=subject_text, status=CaseStatus.OPEN, assigned_to_id=staff.id if assign_to_me else None,
                opened_by_id=staff.id, idempotency_key=key, created_at=now, updated_at=now, using_db=connection)
            if note_text:
                await _note(services, case, staff, note_text, connection)
            await _audit(services, "support.case_opened", staff=staff, origin=origin, case=case,
                         details={"category": category.value, "contract_id": case.contract_id,
                                  "assigned_to_id": case.assigned_to_id}, connection=connection)
    except IntegrityError:
        # A concurrent retry with the same key won the race: answer with its case.
        existing = await SupportCase.filter(opened_by_id=staff.id, idempotency_key=key).first()
        if existing is None:
            raise
        return _replay(existing, customer_id, contract_id, category, subject_text)
    return CaseOutcome(case=case)


# -- working a case -----------------------------------------------------------------------------

async def add_note(services: Services, *, staff: User, origin: Origin, case_id: int | None,
                   body: str | None) -> CaseOutcome:
    if not is_support(staff) or case_id is None:
        return _fail(CASE_NOT_FOUND)
    text = _text(body, field="body", what="The note", limit=MAX_NOTE_LENGTH, required=True)
    if isinstance(text, Problem):
        return _fail(text)
    async with in_transaction() as connection:
        case = await _locked_case(case_id, connection)
        if case is None:
            return _fail(CASE_NOT_FOUND)
        if case.status == CaseStatus.RESOLVED:
            return _fail(Problem(ErrorCode.CONFLICT, "The case is resolved: reopen it to add a note.", ("caseId",)))
        note = await _note(services, case, staff, text, connection)
        await _touch(case, note.created_at, [], connection)
        await _audit(services, "support.case_note_added", staff=staff, origin=origin, case=case,
                     details={"note_id": note.id}, connection=connection)
    return CaseOutcome(case=case, note=note)


async def assign(services: Services, *, staff: User, origin: Origin, case_id: int | None,
                 assignee_id: int | None, assignee_given: bool) -> CaseOutcome:
    """Assign a case to `assignee_id`, or to the caller when no assignee is given."""
    if not is_support(staff) or case_id is None:
        return _fail(CASE_NOT_FOUND)
    if assignee_given:
        assignee = await User.filter(id=assignee_id).first() if assignee_id is not None else None
        if assignee is None or not is_support(assignee):
            return _fail(Problem(ErrorCode.INVALID, "Cases are assigned to active support staff (SUPPORT or "
                                 "SUPPORT_LEAD) only.", ("assigneeId",)))
    else:
        assignee = staff
    async with in_transaction() as connection:
        case = await _locked_case(case_id, connection)
        if case is None:
            return _fail(CASE_NOT_FOUND)
        if case.status == CaseStatus.RESOLVED:
            return _fail(Problem(ErrorCode.CONFLICT, "The case is resolved: reopen it before assigning it.",
                                 ("caseId",)))
        previous = case.assigned_to_id
        if previous == assignee.id:
            return CaseOutcome(case=case)
        case.assigned_to_id = assignee.id
        await _touch(case, services.clock.now(), ["assigned_to_id"], connection)
        await _audit(services, "support.case_assigned", staff=staff, origin=origin, case=case,
                     details={"from_user_id": previous, "to_user_id": assignee.id}, connection=connection)
    return CaseOutcome(case=case)


async def set_status(services: Services, *, staff: User, origin: Origin, case_id: int | None, status: CaseStatus,
                     note: str | None) -> CaseOutcome:
    """Move a case to `status`, with a note (required to resolve: the resolution)."""
    if not is_support(staff) or case_id is None:
        return _fail(CASE_NOT_FOUND)
    text = _text(note, field="note", what="The note", limit=MAX_NOTE_LENGTH, required=False)
    if isinstance(text, Problem):
        return _fail(text)
    if status == CaseStatus.RESOLVED and not text:
        return _fail(Problem(ErrorCode.INVALID, "Say how the case was resolved (a resolution note).", ("note",)))
    async with in_transaction() as connection:
        case = await _locked_case(case_id, connection)
        if case is None:
            return _fail(CASE_NOT_FOUND)
        if case.status == status:
            return _fail(Problem(ErrorCode.CONFLICT, f"The case is already {status.value}.", ("status",)))
        if status == CaseStatus.RESOLVED and case.plan_change_request_id is not None:
            waiting = await PlanChangeRequest.filter(id=case.plan_change_request_id,
                                                     status=PlanChangeStatus.PENDING_REVIEW).using_db(connection)\
                .exists()
            if waiting:
                return _fail(Problem(ErrorCode.CONFLICT, "This case is a payment-plan change request waiting for "
                                     "review: decide the request (decidePlanChangeRequest) to resolve it.",
                                     ("status",)))
        previous = case.status
        now = services.clock.now()
        case.status = status
        case.resolved_at = now if status == CaseStatus.RESOLVED else None
        if text:
            await _note(services, case, staff, text, connection)
        await _touch(case, now, ["status", "resolved_at"], connection)
        await _audit(services, "support.case_status_changed", staff=staff, origin=origin, case=case,
                     details={"from": previous.value, "to": status.value}, connection=connection)
    return CaseOutcome(case=case)


async def record_view(services: Services, *, staff: User, origin: Origin, case: SupportCase) -> None:
    """A staff member opened one case (its customer, contract and notes): a view of the customer's account."""
    subject = await customer_login(case.customer_id)
    if subject is not None:
        await audit.record("support.viewed_account", clock=services.clock, origin=origin, actor=staff,
                           subject=subject, details={"case_id": case.id})


# -- payment-plan change requests as cases ------------------------------------------------------

PLAN_CHANGE_CATEGORIES = {PlanChangeKind.DUE_DATE_CHANGE: CaseCategory.DUE_DATE_CHANGE,
                          PlanChangeKind.DEFERRAL: CaseCategory.DEFERRAL}


def _plan_change_subject(request: PlanChangeRequest, contract: Contract) -> str:
    ending = contract.number[-4:]
    if request.kind == PlanChangeKind.DUE_DATE_CHANGE:
        return f"Due-date change to day {request.new_due_day} on the account ending {ending}: review"
    count = request.installments_to_defer or 0
    return f"Deferral of {count} payment{'s' if count != 1 else ''} on the account ending {ending}: review"


async def open_for_plan_change(services: Services, *, request: PlanChangeRequest, contract: Contract,
                               customer_id: int, connection: BaseDBAsyncClient) -> SupportCase:
    """The system opens an unassigned case for a request waiting for review, in the request's transaction."""
    now = services.clock.now()
    return await SupportCase.create(
        customer_id=customer_id, contract_id=contract.id, category=PLAN_CHANGE_CATEGORIES[request.kind],
        subject=_plan_change_subject(request, contract), status=CaseStatus.OPEN, assigned_to_id=None,
        opened_by_id=None, plan_change_request_id=request.id, created_at=now, updated_at=now, using_db=connection)


async def resolve_for_plan_change(services: Services, *, staff: User, origin: Origin, request: PlanChangeRequest,
                                  connection: BaseDBAsyncClient) -> SupportCase | None:
    """A decided request resolves its case (if it has one: requests from before cases have none), with a
    note of the decision by the deciding staff member, who takes the case if nobody had it."""
    case = await SupportCase.filter(plan_change_request_id=request.id).using_db(connection).select_for_update()\
        .first()
    if case is None or case.status == CaseStatus.RESOLVED:
        return case
    verdict = "Approved" if request.status == PlanChangeStatus.APPROVED else "Declined"
    body = f"{verdict} the request." + (f" Reason: {request.decision_reason}" if request.decision_reason else "")
    previous = case.status
    now = services.clock.now()
    await _note(services, case, staff, body, connection)
    case.status = CaseStatus.RESOLVED
    case.resolved_at = now
    fields = ["status", "resolved_at"]
    if case.assigned_to_id is None:
        case.assigned_to_id = staff.id
        fields.append("assigned_to_id")
    await _touch(case, now, fields, connection)
    await _audit(services, "support.case_status_changed", staff=staff, origin=origin, case=case,
                 details={"from": previous.value, "to": CaseStatus.RESOLVED.value,
                          "plan_change_request_id": request.id}, connection=connection)
    return case
