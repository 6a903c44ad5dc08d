"""Ledger corrections in the schema: the LedgerCorrection node, the desk's queue, and the propose /
decide / cancel mutations. Thin: the rules live in resolvers/support/corrections.py."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from auth.permissions import SUPPORT_STAFF
from graph.access import allow
from graph.errors import UserError, user_errors
from graph.ids import contract_row_id, row_id
from graph.nodes import visible_nodes
from graph.pagination import (
    PAGE_ARGS_DESCRIPTION,
    CountedConnection,
    Ordering,
    paginate,
)
from graph.scalars import Money, money, optional_money
from graph.servicing.types import LedgerTransactionType
from models import LedgerCorrection
from models import enums as model_enums
from resolvers.errors import ClientFacingError, ErrorCode
from resolvers.support import corrections as rules

TYPE_NAME = "LedgerCorrection"
CASE_TYPE_NAME = "Case"  # graph/support/cases.py
ENTRY_TYPE_NAME = "LedgerTransaction"
OLDEST_FIRST = Ordering((("created_at", False), ("id", False)))
MAX_ENTRIES = 100
RELATED = ("contract", "target_contract", "proposed_by", "decided_by", "entry")

CorrectionKindEnum = strawberry.enum(
    model_enums.CorrectionKind, name="LedgerCorrectionKind",
    description="MOVE_PAYMENT: a payment on the wrong contract is reversed there and applied to `targetContractId` "
    "on its date. REAPPLY_PAYMENT: a payment is reversed and applied again on its date or `effectiveDate`, so "
    "interest is recomputed from that day. WAIVE_FEE: a late or returned-payment fee is waived for its unpaid part. "
    "CORRECT_AMOUNT: a payment posted for too much is reversed and `correctedAmount` posted on its date.",
)
CorrectionReasonEnum = strawberry.enum(
    model_enums.CorrectionReason, name="CorrectionReason",
    description="Why the ledger is corrected: MISAPPLIED_PAYMENT, KEYING_ERROR, PROCESSING_ERROR, GOODWILL, "
    "DISPUTE_RESOLVED, HARDSHIP.",
)
CorrectionStatusEnum = strawberry.enum(
    model_enums.CorrectionStatus, name="LedgerCorrectionStatus",
    description="PROPOSED: waiting for a second person. POSTED: approved, its entries are in the ledger. REJECTED: "
    "not posted (see `decisionNote`). CANCELLED: withdrawn by the proposer.",
)


@strawberry.type(name=TYPE_NAME, description="A ledger correction proposed by support and decided by a second "
                 "person (maker-checker). Support staff only.")
class LedgerCorrectionType(relay.Node):
    id: relay.NodeID[int]
    kind: CorrectionKindEnum = strawberry.field(description="What the correction does.")  # type: ignore[valid-type]
    reason: CorrectionReasonEnum = strawberry.field(description="Why.")  # type: ignore[valid-type]
    status: CorrectionStatusEnum = strawberry.field(description="Where it is.")  # type: ignore[valid-type]
    explanation: str = strawberry.field(description="The proposer's explanation (staff only).")
    case_id: strawberry.ID = strawberry.field(description="The global id of the support case it belongs to.")
    contract_number: str = strawberry.field(description="The contract whose entry is corrected.")
    target_contract_number: str | None = strawberry.field(description="MOVE_PAYMENT: where the payment goes.")
    amount: Money = strawberry.field(description="The money the correction moves (what the approval threshold "
                                     "compares): the payment, the fee's unpaid part, or the amount taken off.")
    corrected_amount: Money | None = strawberry.field(description="CORRECT_AMOUNT: what the payment should be.")
    effective_date: date | None = strawberry.field(description="The day the money counts from when it is not the "
                                                   "original payment's day.")
    entry: LedgerTransactionType = strawberry.field(description="The ledger entry corrected.")
    proposed_by: str = strawberry.field(description="Username of the proposer.")
    proposed_at: datetime = strawberry.field(description="When it was proposed.")
    decided_by: str | None = strawberry.field(description="Username of who approved or rejected it.")
    decided_at: datetime | None = strawberry.field(description="When it was decided or cancelled.")
    decision_note: str = strawberry.field(description="The decider's note (a rejection always has one).")
    row: strawberry.Private[LedgerCorrection]

    @classmethod
    def from_model(cls, row: LedgerCorrection) -> LedgerCorrectionType:
        return cls(
            id=row.id, kind=row.kind, reason=row.reason, status=row.status, explanation=row.explanation,
            case_id=strawberry.ID(relay.to_base64(CASE_TYPE_NAME, row.case_id)), contract_number=row.contract.number,
            target_contract_number=row.target_contract.number if row.target_contract else None,
            amount=money(row.amount), corrected_amount=optional_money(row.corrected_amount),
            effective_date=row.effective_date, entry=LedgerTransactionType.from_model(row.entry),
            proposed_by=row.proposed_by.username, proposed_at=row.created_at,
            decided_by=row.decided_by.username if row.decided_by else None, decided_at=row.decided_at,
            decision_note=row.decision_note, row=row,
        )

    @strawberry.field(description="Whether only a SUPPORT_LEAD may decide it (a SUPPORT user proposed it, or it "
                      "moves more than the approval threshold); otherwise any support user but the proposer may.")
    def needs_lead(self, info: Info) -> bool:
        return rules.needs_lead(self.row, self.row.proposed_by.role,
                                info.context.services.settings.correction_approval_threshold)

    @strawberry.field(description="The entries the correction posted, in the order posted (empty until POSTED).")
    async def posted_entries(self) -> list[LedgerTransactionType]:
        return [LedgerTransactionType.from_model(row) for row in await rules.posted_entries(self.row)]

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        visible = rules.corrections_visible_to(info.context.user).select_related(*RELATED)
        return await visible_nodes(visible, node_ids, cls.from_model, required)


@strawberry.type(name="LedgerCorrectionConnection", description="A page of ledger corrections.")
class LedgerCorrectionConnection(CountedConnection[LedgerCorrectionType]):
    pass


@strawberry.type(name="CaseLedgerEntry", description="A ledger entry a correction may be proposed on.")
class CaseLedgerEntry:
    contract_id: strawberry.ID = strawberry.field(description="The contract's global id (`Contract:<n>`).")
    contract_number: str = strawberry.field(description="The contract's account number.")
    entry: LedgerTransactionType = strawberry.field(description="The entry (use its `id` as `entryId`).")


@strawberry.type
class CorrectionDesk:
    @strawberry.field(description=f"The entries of a case's contract (or of every contract of its customer when the "
                      f"case names none) that a correction may be proposed on: payments not reversed and fees not "
                      f"waived, newest first (at most {MAX_ENTRIES}). Audited as a view of the customer's account. "
                      "Null when there is no such case.")
    async def case_ledger_entries(
        self, info: Info,
        case_id: Annotated[strawberry.ID, strawberry.argument(description="The case's global id.")],
        first: Annotated[int, strawberry.argument(description=f"How many (1–{MAX_ENTRIES}).")] = 20,
    ) -> list[CaseLedgerEntry] | None:
        if not 1 <= first <= MAX_ENTRIES:
            raise ClientFacingError(ErrorCode.INVALID, f"Ask for 1 to {MAX_ENTRIES} entries.")
        ctx = info.context
        found = await rules.correctable_entries(ctx.services, staff=ctx.user, origin=ctx.origin,
                                                case_id=row_id(case_id, CASE_TYPE_NAME), limit=first)
        if found is None:
            return None
        return [CaseLedgerEntry(contract_id=strawberry.ID(relay.to_base64("Contract", contract.id)),
                                contract_number=contract.number, entry=LedgerTransactionType.from_model(row))
                for contract, row in found]

    @strawberry.field(description=f"Ledger corrections by status (default PROPOSED), oldest first: the queue of "
                      f"corrections waiting for a decision. {PAGE_ARGS_DESCRIPTION}")
    async def corrections(
        self, info: Info,
        status: CorrectionStatusEnum = model_enums.CorrectionStatus.PROPOSED,  # type: ignore[valid-type]
        first: int | None = None, after: str | None = None, last: int | None = None, before: str | None = None,
    ) -> LedgerCorrectionConnection:
        query = rules.corrections_visible_to(info.context.user).filter(
            status=model_enums.CorrectionStatus(status)).select_related(*RELATED)
        return await paginate(LedgerCorrectionConnection, query, OLDEST_FIRST, LedgerCorrectionType.from_model,
                              first=first, after=after, last=last, before=before)

    @strawberry.field(description="One ledger correction by its id (null when there is none).")
    async def correction(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The correction's id.")],
    ) -> LedgerCorrectionType | None:
        row = row_id(id, TYPE_NAME)
        if row is None:
            return None
        found = await rules.corrections_visible_to(info.context.user).filter(id=row).select_related(*RELATED).first()
        return LedgerCorrectionType.from_model(found) if found else None


# -- mutations ----------------------------------------------------------------------------------

@strawberry.input(description="Propose a ledger correction; it posts only when a second person approves it.")
class ProposeLedgerCorrectionInput:
    case_id: strawberry.ID = strawberry.field(description="The open support case (of a party to the contracts).")
    kind: CorrectionKindEnum = strawberry.field(description="What to do.")  # type: ignore[valid-type]
    entry_id: strawberry.ID = strawberry.field(description="The `LedgerTransaction` id of the payment or fee.")
    reason: CorrectionReasonEnum = strawberry.field(description="Why.")  # type: ignore[valid-type]
    explanation: str = strawberry.field(description="What happened, for the person who decides (1–500 characters; "
                                        "the customer does not see it).")
    target_contract_id: strawberry.ID | None = strawberry.field(
        default=None, description="MOVE_PAYMENT only: the contract the payment belongs to.")
    corrected_amount: Decimal | None = strawberry.field(
        default=None, description="CORRECT_AMOUNT only: what the payment should have been (less than posted).")
    effective_date: date | None = strawberry.field(
        default=None, description="MOVE_PAYMENT and REAPPLY_PAYMENT: the day the money counts from (default: the "
        "payment's own day; from the contract date to today).")
    idempotency_key: str = strawberry.field(description="A key you make up (1–128 characters): sending it again "
                                            "returns the first correction instead of proposing a second.")


@strawberry.input(description="Approve or reject a proposed ledger correction.")
class DecideLedgerCorrectionInput:
    correction_id: strawberry.ID = strawberry.field(description="The correction's `id`.")
    approve: bool = strawberry.field(description="True posts its entries; false rejects it.")
    note: str | None = strawberry.field(default=None, description="Why (required to reject; at most 500 "
                                        "characters; staff only).")


@strawberry.input(description="Withdraw a correction you proposed, while it is PROPOSED.")
class CancelLedgerCorrectionInput:
    correction_id: strawberry.ID = strawberry.field(description="The correction's `id`.")


@strawberry.type(description="Result of proposing, deciding or cancelling a ledger correction.")
class LedgerCorrectionPayload:
    correction: LedgerCorrectionType | None = strawberry.field(description="The correction; null on failure.")
    errors: list[UserError] = strawberry.field(
        description="INVALID (with the field) for a bad input; NOT_FOUND for an unknown id; CONFLICT for an entry "
        "already reversed, waived or under another correction, a decided correction, a reused idempotencyKey with "
        "another correction, or a ledger that no longer allows it; FORBIDDEN when you proposed it (maker-checker) or "
        "only a SUPPORT_LEAD may decide it. Empty on success."
    )


async def _payload(outcome: rules.CorrectionOutcome) -> LedgerCorrectionPayload:
    if outcome.problems:
        return LedgerCorrectionPayload(correction=None, errors=user_errors(list(outcome.problems)))
    row = await LedgerCorrection.filter(id=outcome.correction.id).select_related(*RELATED).get()
    return LedgerCorrectionPayload(correction=LedgerCorrectionType.from_model(row), errors=[])


@strawberry.type
class CorrectionMutations:
    @strawberry.mutation(
        extensions=[allow(SUPPORT_STAFF)],
        description="Propose a ledger correction for a customer's case (support). Nothing posts until a second "
        "person approves it with `decideLedgerCorrection`. Audited; the customer sees it in their security events.",
    )
    async def propose_ledger_correction(self, info: Info, input: ProposeLedgerCorrectionInput
                                        ) -> LedgerCorrectionPayload:
        ctx = info.context
        target = None
        if input.target_contract_id is not None:
            target = contract_row_id(input.target_contract_id) or -1  # junk is not found, like another's id
        proposal = rules.Proposal(
            case_id=row_id(input.case_id, CASE_TYPE_NAME), kind=model_enums.CorrectionKind(input.kind),
            entry_id=row_id(input.entry_id, ENTRY_TYPE_NAME), reason=model_enums.CorrectionReason(input.reason),
            explanation=input.explanation, target_contract_id=target, corrected_amount=input.corrected_amount,
            effective_date=input.effective_date)
        outcome = await rules.propose(ctx.services, staff=ctx.user, origin=ctx.origin, proposal=proposal,
                                      idempotency_key=input.idempotency_key)
        return await _payload(outcome)

    @strawberry.mutation(
        extensions=[allow(SUPPORT_STAFF)],
        description="Approve (post its entries) or reject a proposed ledger correction. Never by its proposer; a "
        "SUPPORT user's proposal, or one above the approval threshold, needs a SUPPORT_LEAD. An approval re-checks "
        "the ledger, posts in one transaction, and sends the customer an email and a notification.",
    )
    async def decide_ledger_correction(self, info: Info, input: DecideLedgerCorrectionInput
                                       ) -> LedgerCorrectionPayload:
        ctx = info.context
        outcome = await rules.decide(ctx.services, staff=ctx.user, origin=ctx.origin,
                                     correction_id=row_id(input.correction_id, TYPE_NAME), approve=input.approve,
                                     note=input.note)
        return await _payload(outcome)

    @strawberry.mutation(
        extensions=[allow(SUPPORT_STAFF)],
        description="Withdraw a ledger correction you proposed while it is still PROPOSED. Audited.",
    )
    async def cancel_ledger_correction(self, info: Info, input: CancelLedgerCorrectionInput
                                       ) -> LedgerCorrectionPayload:
        ctx = info.context
        outcome = await rules.cancel(ctx.services, staff=ctx.user, origin=ctx.origin,
                                     correction_id=row_id(input.correction_id, TYPE_NAME))
        return await _payload(outcome)
