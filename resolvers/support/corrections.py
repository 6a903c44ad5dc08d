"""Ledger corrections: support proposes, a second person approves, and only then the entries post.

Kinds (the entries are planned in resolvers/support/correction_postings.py):
- MOVE_PAYMENT: a PAYMENT on contract A belongs to contract B. A gets the exact reversal (no
  returned-payment fee); B gets a PAYMENT of the same amount on the original date (or `effectiveDate`),
  split by B's allocation rules as of that day. B may belong to another customer: the case and the
  second person's approval are what allow it (the case's customer must be a party to A or B).
- REAPPLY_PAYMENT: reverse a payment and apply the same amount again on its original date or on
  `effectiveDate` (the day the customer really paid), so interest is recomputed from that day.
- WAIVE_FEE: a LATE_FEE or RETURNED_PAYMENT_FEE is waived for its unpaid part (FEE_WAIVER).
- CORRECT_AMOUNT: a payment posted for too much: reverse it and post `correctedAmount` on the same day
  (more than the posted amount is refused: a correction does not create money the ledger never got).

The amount a correction moves (the approval threshold compares it): the payment's amount for a move
or a re-application, the unpaid part of the fee for a waiver, the difference for an amount correction.

Who decides (maker-checker, docs/decisions.md "Ledger corrections"): never the proposer. A correction
proposed by a SUPPORT user needs a SUPPORT_LEAD. One proposed by a SUPPORT_LEAD needs another support
user (SUPPORT or SUPPORT_LEAD) when it moves at most AUTOFIN_CORRECTION_APPROVAL_THRESHOLD, and
another SUPPORT_LEAD above it. Whoever may approve may reject; the proposer may cancel while PROPOSED.

Concurrency: proposing and deciding hold the row locks of the contracts involved (in id order), so
two proposals on one entry, or a decision and a proposal, run one after the other; the decision moves
PROPOSED -> POSTED with a conditional UPDATE, and every posted entry has an idempotency key, so two
leads approving at once post once. Approval re-checks everything on the ledger as it is then.

Every step is audited with the customer's user as the subject (both customers' for a move between
customers); a posted correction sends each party an email and an in-portal notice (ACCOUNT_CORRECTIONS).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from auth import audit
from auth.audit import Origin
from finance.money import ZERO
from mail.notify import portal_link
from models import Contract, LedgerCorrection, LedgerEntry, Payment, SupportCase, User
from models.enums import (
    CaseStatus,
    ContractStatus,
    CorrectionKind,
    CorrectionReason,
    CorrectionStatus,
    LedgerEntryKind,
    NotificationCategory,
    PaymentStatus,
    Role,
)
from resolvers.errors import ErrorCode, Problem
from resolvers.notifications import notify
from resolvers.payments.processing import RETURN_WINDOW_DAYS
from resolvers.servicing.positions import (
    FEE_KINDS,
    LedgerRow,
    contract_state,
    ledger_rows,
)
from resolvers.support.cases import record_view
from resolvers.support.correction_postings import (
    PlanError,
    Planned,
    Planner,
    apply_payment,
    check_figures,
    reversed_entry_ids,
    unpaid_fee_part,
)
from service.container import Services

SUPPORT_ROLES = frozenset({Role.SUPPORT, Role.SUPPORT_LEAD})
MAX_KEY_LENGTH = 128
MAX_TEXT_LENGTH = 500
PAYMENT_KINDS = (CorrectionKind.MOVE_PAYMENT, CorrectionKind.REAPPLY_PAYMENT, CorrectionKind.CORRECT_AMOUNT)
OPEN_STATUSES = (CorrectionStatus.PROPOSED, CorrectionStatus.POSTED)

CORRECTION_NOT_FOUND = Problem(ErrorCode.NOT_FOUND, "No correction has that id.", ("correctionId",))
CASE_NOT_FOUND = Problem(ErrorCode.NOT_FOUND, "No support case has that id.", ("caseId",))
ENTRY_NOT_FOUND = Problem(ErrorCode.NOT_FOUND, "No ledger entry has that id.", ("entryId",))
TARGET_NOT_FOUND = Problem(ErrorCode.NOT_FOUND, "No contract has that id.", ("targetContractId",))


@dataclass(frozen=True)
class CorrectionOutcome:
    problems: tuple[Problem, ...] = ()
    correction: LedgerCorrection | None = None


@dataclass(frozen=True)
class Proposal:
    """What a proposal asks, as given (ids already decoded)."""

    case_id: int | None
    kind: CorrectionKind
    entry_id: int | None
    reason: CorrectionReason
    explanation: str
    target_contract_id: int | None = None
    corrected_amount: Decimal | None = None
    effective_date: date | None = None


@dataclass
class Checked:
    """A proposal checked against the ledger: its contracts, the entry, the amount and the plan."""

    source: Contract
    target: Contract | None
    entry: LedgerRow
    amount: Decimal
    planned: list[Planned] = field(default_factory=list)
    rows: dict[int, list[LedgerRow]] = field(default_factory=dict)  # each contract's ledger with the plan


def _fail(*problems: Problem) -> CorrectionOutcome:
    return CorrectionOutcome(problems=tuple(problems))


def corrections_visible_to(user: User | None):
    """Support staff see every correction; nobody else sees any."""
    if user is None or not user.is_active or user.role not in SUPPORT_ROLES:
        return LedgerCorrection.filter(id__in=[])
    return LedgerCorrection.all()


def needs_lead(correction: LedgerCorrection, proposer_role: Role, threshold: Decimal) -> bool:
    """Whether only a SUPPORT_LEAD may decide it (see the module docstring)."""
    return proposer_role != Role.SUPPORT_LEAD or correction.amount > threshold


async def correctable_entries(services: Services, *, staff: User, origin: Origin, case_id: int | None,
                              limit: int) -> list[tuple[Contract, LedgerRow]] | None:
    """The entries a correction may be proposed on for a case (payments not reversed, fees not waived) on
    the case's contract, or on every contract its customer is a party to; newest first. None when there
    is no such case. A view of the customer's account: audited as one."""
    if staff.role not in SUPPORT_ROLES or case_id is None:
        return None
    case = await SupportCase.filter(id=case_id).first()
    if case is None:
        return None
    query = Contract.filter(id=case.contract_id) if case.contract_id else Contract.filter(
        Q(customer_id=case.customer_id) | Q(co_customer_id=case.customer_id))
    contracts = {contract.id: contract for contract in await query}
    rows = await ledger_rows(contracts)
    found = []
    for contract_id, contract_rows in rows.items():
        done = reversed_entry_ids(contract_rows)
        found += [(contracts[contract_id], row) for row in contract_rows
                  if row.kind in (LedgerEntryKind.PAYMENT, *FEE_KINDS) and row.id not in done]
    found.sort(key=lambda pair: (pair[1].effective_date, pair[1].id), reverse=True)
    await record_view(services, staff=staff, origin=origin, case=case)
    return found[:limit]


# -- checking a proposal ---------------------------------------------------------------------------

def _shape_problems(proposal: Proposal) -> list[Problem]:
    """Problems visible from the input alone."""
    problems = []
    if not proposal.explanation.strip() or len(proposal.explanation) > MAX_TEXT_LENGTH:
        problems.append(Problem(ErrorCode.INVALID, f"Explain the correction in 1 to {MAX_TEXT_LENGTH} characters "
                                "(staff see it; the customer does not).", ("explanation",)))
    kind = proposal.kind
    if kind == CorrectionKind.MOVE_PAYMENT and proposal.target_contract_id is None:
        problems.append(Problem(ErrorCode.INVALID, "Say which contract the payment belongs to.",
                                ("targetContractId",)))
    if kind != CorrectionKind.MOVE_PAYMENT and proposal.target_contract_id is not None:
        problems.append(Problem(ErrorCode.INVALID, "targetContractId is only for MOVE_PAYMENT.",
                                ("targetContractId",)))
    if kind == CorrectionKind.CORRECT_AMOUNT:
        amount = proposal.corrected_amount
        if amount is None or not amount.is_finite() or amount <= ZERO or amount != amount.quantize(Decimal("0.01")):
            problems.append(Problem(ErrorCode.INVALID, "correctedAmount must be more than 0.00, in whole cents.",
                                    ("correctedAmount",)))
    elif proposal.corrected_amount is not None:
        problems.append(Problem(ErrorCode.INVALID, "correctedAmount is only for CORRECT_AMOUNT.",
                                ("correctedAmount",)))
    if proposal.effective_date is not None and kind not in (CorrectionKind.MOVE_PAYMENT,
                                                            CorrectionKind.REAPPLY_PAYMENT):
        problems.append(Problem(ErrorCode.INVALID, "effectiveDate is only for MOVE_PAYMENT and REAPPLY_PAYMENT.",
                                ("effectiveDate",)))
    return problems


async def _lock_contracts(ids: list[int], connection: BaseDBAsyncClient) -> dict[int, Contract]:
    """The contracts' rows, locked in id order (every writer locks in that order: no deadlock)."""
    locked = {}
    for contract_id in sorted(set(ids)):
        contract = await Contract.filter(id=contract_id).using_db(connection).select_for_update().first()
        if contract is not None:
            locked[contract_id] = contract
    return locked


def _party_ids(contract: Contract) -> set[int]:
    return {contract.customer_id} | ({contract.co_customer_id} if contract.co_customer_id else set())


async def _check(services: Services, proposal: Proposal, case: SupportCase, entry_contract_id: int,
                 connection: BaseDBAsyncClient, *, correction_id: int | None) -> Checked | Problem:
    """Everything the ledger must allow, under the contracts' locks; the plan of the entries to post.

    `correction_id` is the correction being approved (its own PROPOSED row is not a competitor)."""
    ids = [entry_contract_id] + ([proposal.target_contract_id] if proposal.target_contract_id else [])
    contracts = await _lock_contracts(ids, connection)
    source = contracts.get(entry_contract_id)
    target = contracts.get(proposal.target_contract_id) if proposal.target_contract_id else None
    if proposal.kind == CorrectionKind.MOVE_PAYMENT:
        if target is None:
            return TARGET_NOT_FOUND
        if target.id == source.id:
            return Problem(ErrorCode.INVALID, "The payment is already on that contract.", ("targetContractId",))
    if case.status == CaseStatus.RESOLVED:
        return Problem(ErrorCode.CONFLICT, "The case is resolved: open a case for this correction.", ("caseId",))
    parties = _party_ids(source) | (_party_ids(target) if target else set())
    case_contracts = {source.id} | ({target.id} if target else set())
    if case.customer_id not in parties or (case.contract_id is not None and case.contract_id not in case_contracts):
        return Problem(ErrorCode.INVALID, "The case is about another customer or contract.", ("caseId",))
    for contract, name in ((source, "entryId"), (target, "targetContractId")):
        if contract is not None and contract.status != ContractStatus.ACTIVE:
            return Problem(ErrorCode.INVALID, f"Contract {contract.number} is {contract.status.value}: only an active "
                           "contract's ledger is corrected here.", (name,))
    rows = await ledger_rows(ids, connection)
    source_rows = rows.get(source.id, [])
    entry = next((row for row in source_rows if row.id == proposal.entry_id), None)
    wanted = (LedgerEntryKind.PAYMENT,) if proposal.kind in PAYMENT_KINDS else FEE_KINDS
    if entry.kind not in wanted:
        return Problem(ErrorCode.INVALID, f"{proposal.kind.value} corrects a "
                       f"{' or '.join(kind.value for kind in wanted)} entry, not a {entry.kind.value}.", ("entryId",))
    if entry.id in reversed_entry_ids(source_rows):
        done = "waived" if proposal.kind == CorrectionKind.WAIVE_FEE else "reversed"
        return Problem(ErrorCode.CONFLICT, f"That entry was already {done}.", ("entryId",))
    others = LedgerCorrection.filter(entry_id=entry.id, status__in=OPEN_STATUSES).using_db(connection)
    if correction_id is not None:
        others = others.exclude(id=correction_id)
    if await others.exists():
        return Problem(ErrorCode.CONFLICT, "That entry already has a correction proposed or posted.", ("entryId",))
    today = services.clock.today()
    if proposal.kind in PAYMENT_KINDS:
        since = services.clock.now() - timedelta(days=RETURN_WINDOW_DAYS)
        if await Payment.filter(ledger_entry_id=entry.id, status=PaymentStatus.SETTLED, settled_at__gte=since) \
                .using_db(connection).exists():
            return Problem(ErrorCode.CONFLICT, f"The bank may still return this payment ({RETURN_WINDOW_DAYS} days "
                           "after it settled): correct it after that.", ("entryId",))
    return _plan(services, proposal, source, target, entry, rows, today, correction_id)


def _plan(services: Services, proposal: Proposal, source: Contract, target: Contract | None, entry: LedgerRow,
          rows: dict[int, list[LedgerRow]], today: date, correction_id: int | None) -> Checked | Problem:
    kind = proposal.kind
    on = proposal.effective_date or entry.effective_date
    applied_to = target or source
    if kind in (CorrectionKind.MOVE_PAYMENT, CorrectionKind.REAPPLY_PAYMENT) and \
            (on > today or on < applied_to.contract_date):
        return Problem(ErrorCode.INVALID, f"The date must be from the contract date "
                           f"({applied_to.contract_date.isoformat()}) to today.", ("effectiveDate",))
    if kind == CorrectionKind.CORRECT_AMOUNT and proposal.corrected_amount >= entry.amount:
        return Problem(ErrorCode.INVALID, f"correctedAmount must be less than the posted {entry.amount} (a payment "
                       "posted for too little is topped up by a payment, not a correction).", ("correctedAmount",))
    planner = Planner(f"correction:{correction_id if correction_id is not None else 'new'}", services.clock.now())
    source_rows = list(rows.get(source.id, []))
    amount = entry.amount
    try:
        if kind == CorrectionKind.WAIVE_FEE:
            amount = unpaid_fee_part(source, source_rows, entry, today)
            if amount <= ZERO:
                return Problem(ErrorCode.CONFLICT, "Nothing of that fee is unpaid: there is nothing to waive.",
                               ("entryId",))
            label = "Late fee" if entry.kind == LedgerEntryKind.LATE_FEE else "Returned payment fee"
            source_rows.append(planner.fee_waiver(entry, amount, max(today, entry.effective_date),
                                                  f"{label} of {entry.effective_date.isoformat()} waived"))
        else:
            source_rows.append(planner.reversal(entry, "reversal", _reversal_memo(kind, entry)))
            if kind == CorrectionKind.REAPPLY_PAYMENT:
                source_rows = apply_payment(planner, source, source_rows, entry.amount, on,
                                            f"Payment re-applied as of {on.isoformat()}", reversed_now=entry)
            elif kind == CorrectionKind.CORRECT_AMOUNT:
                source_rows = apply_payment(planner, source, source_rows, proposal.corrected_amount, on,
                                            f"Payment corrected from {entry.amount}", reversed_now=entry)
                amount = entry.amount - proposal.corrected_amount
        checked = Checked(source=source, target=target, entry=entry, amount=amount, rows={source.id: source_rows})
        if target is not None:
            target_rows = apply_payment(planner, target, list(rows.get(target.id, [])), entry.amount, on,
                                        f"Payment moved from another account ({entry.effective_date.isoformat()})")
            checked.rows[target.id] = target_rows
            check_figures(target, target_rows, today)
        check_figures(source, source_rows, today)
    except PlanError as error:
        return Problem(ErrorCode.CONFLICT, str(error), None)
    checked.planned = planner.entries
    return checked


def _reversal_memo(kind: CorrectionKind, entry: LedgerRow) -> str:
    words = {CorrectionKind.MOVE_PAYMENT: "moved to the account it belongs to",
             CorrectionKind.REAPPLY_PAYMENT: "reversed to be re-applied",
             CorrectionKind.CORRECT_AMOUNT: "reversed: posted for the wrong amount"}
    return f"Payment of {entry.effective_date.isoformat()} {words[kind]}"


# -- proposing -------------------------------------------------------------------------------------

def _same(existing: LedgerCorrection, proposal: Proposal) -> bool:
    return (existing.case_id, existing.kind, existing.entry_id, existing.reason, existing.target_contract_id,
            existing.corrected_amount, existing.effective_date) == (
        proposal.case_id, proposal.kind, proposal.entry_id, proposal.reason, proposal.target_contract_id,
        proposal.corrected_amount, proposal.effective_date)


def _replay(existing: LedgerCorrection, proposal: Proposal) -> CorrectionOutcome:
    if not _same(existing, proposal):
        return _fail(Problem(ErrorCode.CONFLICT, "This idempotencyKey was already used with a different correction.",
                             ("idempotencyKey",)))
    return CorrectionOutcome(correction=existing)


async def propose(services: Services, *, staff: User, origin: Origin, proposal: Proposal,
                  idempotency_key: str | None) -> CorrectionOutcome:
    if staff.role not in SUPPORT_ROLES:
        return _fail(CASE_NOT_FOUND)
    key = (idempotency_key or "").strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        return _fail(Problem(ErrorCode.INVALID, f"idempotencyKey must be 1 to {MAX_KEY_LENGTH} characters.",
                             ("idempotencyKey",)))
    existing = await LedgerCorrection.filter(proposed_by_id=staff.id, idempotency_key=key).first()
    if existing is not None:
        return _replay(existing, proposal)
    problems = _shape_problems(proposal)
    if problems:
        return _fail(*problems)
    if proposal.case_id is None:
        return _fail(CASE_NOT_FOUND)
    if proposal.entry_id is None:
        return _fail(ENTRY_NOT_FOUND)
    try:
        async with in_transaction() as connection:
            return await _propose_locked(services, connection, staff=staff, origin=origin, proposal=proposal, key=key)
    except IntegrityError:
        # A retry with the same key committed first: answer with its correction.
        existing = await LedgerCorrection.filter(proposed_by_id=staff.id, idempotency_key=key).first()
        if existing is None:
            raise
        return _replay(existing, proposal)


async def _propose_locked(services: Services, connection: BaseDBAsyncClient, *, staff: User, origin: Origin,
                          proposal: Proposal, key: str) -> CorrectionOutcome:
    case = await SupportCase.filter(id=proposal.case_id).using_db(connection).first()
    if case is None:
        return _fail(CASE_NOT_FOUND)
    entry = await LedgerEntry.filter(id=proposal.entry_id).using_db(connection).first()
    if entry is None:
        return _fail(ENTRY_NOT_FOUND)
    if proposal.target_contract_id is not None and not await Contract.filter(
            id=proposal.target_contract_id).using_db(connection).exists():
        return _fail(TARGET_NOT_FOUND)
    checked = await _check(services, proposal, case, entry.contract_id, connection, correction_id=None)
    if isinstance(checked, Problem):
        return _fail(checked)
    # A retry that waited for the locks may find its twin committed.
    existing = await LedgerCorrection.filter(proposed_by_id=staff.id, idempotency_key=key).using_db(connection).first()
    if existing is not None:
        return _replay(existing, proposal)
    correction = await LedgerCorrection.create(
        case_id=case.id, contract_id=checked.source.id, kind=proposal.kind, reason=proposal.reason,
        explanation=proposal.explanation.strip(), entry_id=entry.id, target_contract_id=proposal.target_contract_id,
        corrected_amount=proposal.corrected_amount, effective_date=proposal.effective_date, amount=checked.amount,
        status=CorrectionStatus.PROPOSED, proposed_by_id=staff.id, idempotency_key=key,
        created_at=services.clock.now(), using_db=connection)
    await _audit(services, "support.correction_proposed", staff, origin, correction, checked, connection)
    return CorrectionOutcome(correction=correction)


# -- deciding --------------------------------------------------------------------------------------

def _decider_problem(correction: LedgerCorrection, proposer: User, staff: User, threshold: Decimal) -> Problem | None:
    if staff.id == correction.proposed_by_id:
        return Problem(ErrorCode.FORBIDDEN, "You proposed this correction: another person must decide it "
                       "(maker-checker).", ("correctionId",))
    if needs_lead(correction, proposer.role, threshold) and staff.role != Role.SUPPORT_LEAD:
        why = (f"it moves more than {threshold}" if proposer.role == Role.SUPPORT_LEAD
               else "a SUPPORT user proposed it")
        return Problem(ErrorCode.FORBIDDEN, f"Only a SUPPORT_LEAD may decide this correction: {why}.",
                       ("correctionId",))
    return None


def _proposal_of(correction: LedgerCorrection) -> Proposal:
    return Proposal(case_id=correction.case_id, kind=correction.kind, entry_id=correction.entry_id,
                    reason=correction.reason, explanation=correction.explanation,
                    target_contract_id=correction.target_contract_id, corrected_amount=correction.corrected_amount,
                    effective_date=correction.effective_date)


async def decide(services: Services, *, staff: User, origin: Origin, correction_id: int | None, approve: bool,
                 note: str | None) -> CorrectionOutcome:
    """Approve (post the entries) or reject a PROPOSED correction; see the module docstring for who may."""
    if staff.role not in SUPPORT_ROLES or correction_id is None:
        return _fail(CORRECTION_NOT_FOUND)
    note = (note or "").strip()
    if len(note) > MAX_TEXT_LENGTH:
        return _fail(Problem(ErrorCode.INVALID, f"The note is at most {MAX_TEXT_LENGTH} characters.", ("note",)))
    if not approve and not note:
        return _fail(Problem(ErrorCode.INVALID, "Say why the correction is rejected.", ("note",)))
    try:
        async with in_transaction() as connection:
            outcome = await _decide_locked(services, connection, staff=staff, origin=origin,
                                           correction_id=correction_id, approve=approve, note=note)
            if outcome.problems:
                return outcome
    except IntegrityError:
        # Entries with these keys exist: another approval posted them. Nothing of this one was written.
        return _fail(Problem(ErrorCode.CONFLICT, "This correction was already decided.", ("correctionId",)))
    return outcome


async def _decide_locked(services: Services, connection: BaseDBAsyncClient, *, staff: User, origin: Origin,
                         correction_id: int, approve: bool, note: str) -> CorrectionOutcome:
    found = await LedgerCorrection.filter(id=correction_id).using_db(connection).first()
    if found is None:
        return _fail(CORRECTION_NOT_FOUND)
    proposal = _proposal_of(found)
    if approve:
        # The contracts first (as proposals do), then the correction under those locks.
        await _lock_contracts([found.contract_id] + ([found.target_contract_id] if found.target_contract_id else []),
                              connection)
    correction = await LedgerCorrection.filter(id=correction_id).using_db(connection).select_for_update().first()
    if correction.status != CorrectionStatus.PROPOSED:
        return _fail(Problem(ErrorCode.CONFLICT, f"This correction was already decided ({correction.status.value}).",
                             ("correctionId",)))
    proposer = await User.get(id=correction.proposed_by_id).using_db(connection)
    problem = _decider_problem(correction, proposer, staff, services.settings.correction_approval_threshold)
    if problem is not None:
        return _fail(problem)
    checked = None
    if approve:
        case = await SupportCase.get(id=correction.case_id).using_db(connection)
        checked = await _check(services, proposal, case, correction.contract_id, connection,
                               correction_id=correction.id)
        if isinstance(checked, Problem):
            return _fail(Problem(checked.code, f"The ledger no longer allows this correction: {checked.message} "
                                 "Reject it.", ("correctionId",)))
    status = CorrectionStatus.POSTED if approve else CorrectionStatus.REJECTED
    changed = await LedgerCorrection.filter(id=correction.id, status=CorrectionStatus.PROPOSED).using_db(connection) \
        .update(status=status, decided_by_id=staff.id, decided_at=services.clock.now(), decision_note=note)
    if not changed:
        return _fail(Problem(ErrorCode.CONFLICT, "This correction was already decided.", ("correctionId",)))
    await correction.refresh_from_db(using_db=connection)
    if approve:
        await _post(services, correction, checked, connection)
        await _audit(services, "support.correction_posted", staff, origin, correction, checked, connection)
        await _tell_customers(services, correction, checked, connection)
    else:
        await _audit(services, "support.correction_rejected", staff, origin, correction, None, connection)
    return CorrectionOutcome(correction=correction)


async def _post(services: Services, correction: LedgerCorrection, checked: Checked,
                connection: BaseDBAsyncClient) -> None:
    """Insert the planned entries, in plan order, keyed "correction:<id>:..."."""
    now = services.clock.now()
    for planned in checked.planned:
        await LedgerEntry.create(
            contract_id=planned.contract_id, kind=planned.kind, effective_date=planned.effective_date, posted_at=now,
            amount=planned.amount, principal=planned.principal, interest=planned.interest, fees=planned.fees,
            tax=planned.tax, reverses_id=planned.reverses_id, memo=planned.memo, idempotency_key=planned.key,
            using_db=connection)


async def cancel(services: Services, *, staff: User, origin: Origin, correction_id: int | None) -> CorrectionOutcome:
    """The proposer withdraws a PROPOSED correction."""
    if staff.role not in SUPPORT_ROLES or correction_id is None:
        return _fail(CORRECTION_NOT_FOUND)
    async with in_transaction() as connection:
        correction = await LedgerCorrection.filter(id=correction_id).using_db(connection).first()
        if correction is None:
            return _fail(CORRECTION_NOT_FOUND)
        if correction.proposed_by_id != staff.id:
            return _fail(Problem(ErrorCode.FORBIDDEN, "Only the person who proposed a correction may cancel it; "
                                 "others reject it.", ("correctionId",)))
        changed = await LedgerCorrection.filter(id=correction.id, status=CorrectionStatus.PROPOSED) \
            .using_db(connection).update(status=CorrectionStatus.CANCELLED, decided_at=services.clock.now())
        if not changed:
            await correction.refresh_from_db(using_db=connection)
            return _fail(Problem(ErrorCode.CONFLICT, f"This correction was already decided "
                                 f"({correction.status.value}).", ("correctionId",)))
        await correction.refresh_from_db(using_db=connection)
        await _audit(services, "support.correction_cancelled", staff, origin, correction, None, connection)
    return CorrectionOutcome(correction=correction)


# -- audit and notices -----------------------------------------------------------------------------

async def _contracts_of(correction: LedgerCorrection, connection: BaseDBAsyncClient) -> list[Contract]:
    ids = [correction.contract_id] + ([correction.target_contract_id] if correction.target_contract_id else [])
    return list(await Contract.filter(id__in=ids).using_db(connection).order_by("id"))


async def _users_of(contracts: list[Contract], connection: BaseDBAsyncClient) -> dict[int, User]:
    """The portal users of every party to the contracts, by customer id."""
    customer_ids = set().union(*(_party_ids(contract) for contract in contracts))
    users = await User.filter(customer_id__in=sorted(customer_ids)).using_db(connection)
    return {user.customer_id: user for user in users}


async def _audit(services: Services, action: str, staff: User, origin: Origin, correction: LedgerCorrection,
                 checked: Checked | None, connection: BaseDBAsyncClient) -> None:
    """One event per customer user concerned (no amounts of another customer's account in it)."""
    contracts = await _contracts_of(correction, connection)
    users = await _users_of(contracts, connection)
    details = {"correction_id": correction.id, "case_id": correction.case_id, "kind": correction.kind.value,
               "reason": correction.reason.value, "status": correction.status.value}
    if checked is not None and action == "support.correction_posted":
        details["entries_posted"] = len(checked.planned)
    by_user: dict[int | None, list[int]] = {}
    for contract in contracts:
        for customer_id in sorted(_party_ids(contract)):
            user = users.get(customer_id)
            by_user.setdefault(user.id if user else None, []).append(contract.id)
    by_user.pop(None, None) if len(by_user) > 1 else None
    for subject, contract_ids in sorted(by_user.items(), key=lambda item: item[0] or 0):
        await audit.record(action, clock=services.clock, origin=origin, actor=staff, subject=subject,
                           details={**details, "contract_ids": sorted(set(contract_ids))}, using_db=connection)


def _ending(contract: Contract) -> str:
    return f"the account ending {contract.number[-4:]}"


def _what_changed(correction: LedgerCorrection, checked: Checked, contract: Contract, own: set[int]) -> str:
    """One sentence, in plain words, about `contract` for a customer who is a party to the contracts in `own`."""
    entry = checked.entry
    paid = entry.effective_date.isoformat()
    if correction.kind == CorrectionKind.WAIVE_FEE:
        label = "late fee" if entry.kind == LedgerEntryKind.LATE_FEE else "returned-payment fee"
        return f"The {label} of ${correction.amount} from {paid} on {_ending(contract)} was waived."
    if correction.kind == CorrectionKind.REAPPLY_PAYMENT:
        on = (correction.effective_date or entry.effective_date).isoformat()
        return (f"Your payment of ${entry.amount} on {_ending(contract)} now counts from {on}; interest was "
                "recomputed from that day.")
    if correction.kind == CorrectionKind.CORRECT_AMOUNT:
        return (f"The payment of {paid} on {_ending(contract)} was posted as ${entry.amount}; it is corrected to "
                f"${correction.corrected_amount}.")
    on = (correction.effective_date or entry.effective_date).isoformat()
    source, target = checked.source, checked.target
    if contract.id == source.id:
        where = _ending(target) if target.id in own else "the account it belonged to"
        return f"A payment of ${entry.amount} received on {paid} was moved from {_ending(source)} to {where}."
    return f"A payment of ${entry.amount} received on {paid} was applied to {_ending(target)} as of {on}."


async def _tell_customers(services: Services, correction: LedgerCorrection, checked: Checked,
                          connection: BaseDBAsyncClient) -> None:
    """Each party's user gets one notice about the contracts they are a party to, with the new balances."""
    contracts = [checked.source] + ([checked.target] if checked.target else [])
    users = await _users_of(contracts, connection)
    today = services.clock.today()
    for user in sorted({u.id: u for u in users.values()}.values(), key=lambda u: u.id):
        own = {c.id for c in contracts if user.customer_id in _party_ids(c)}
        lines = []
        for contract in contracts:
            if contract.id not in own:
                continue
            state = contract_state(contract, checked.rows[contract.id], max(today, contract.contract_date))
            lines.append(f"{_what_changed(correction, checked, contract, own)} The balance of {_ending(contract)} "
                         f"is now ${state.balance}.")
        body = " ".join(lines)
        await notify(services, user=user, category=NotificationCategory.ACCOUNT_CORRECTIONS,
                     title="A correction was made to your account", body=body, email_template="ledger_correction",
                     email_context={"link": portal_link(services, "contracts")}, required=True, using_db=connection)


def posted_entries(correction: LedgerCorrection):
    """The entries a posted correction wrote (by their idempotency keys), oldest first."""
    return LedgerEntry.filter(idempotency_key__startswith=f"correction:{correction.id}:").order_by("id")
