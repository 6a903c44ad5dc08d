"""Payment-plan changes in the schema: the PlanChangeRequest node, the customer's requests, the
support queue and its decisions. Thin: the rules live in resolvers/servicing/plan_changes.py."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from auth.permissions import CUSTOMERS, SUPPORT_STAFF
from finance.schedule_changes import MAX_DEFERRED, MAX_DUE_DAY, MIN_DUE_DAY
from graph.access import allow
from graph.errors import UserError, user_errors
from graph.ids import contract_row_id, row_id
from graph.nodes import visible_nodes
from graph.pagination import CountedConnection, Ordering
from models import PlanChangeRequest
from models import enums as model_enums
from resolvers.servicing import plan_changes as rules

if TYPE_CHECKING:
    from graph.servicing.types import ContractType

REQUEST_TYPE_NAME = "PlanChangeRequest"
NEWEST_FIRST = Ordering((("created_at", True), ("id", True)))
OLDEST_FIRST = NEWEST_FIRST.reversed()

PlanChangeKindEnum = strawberry.enum(
    model_enums.PlanChangeKind, name="PlanChangeKind",
    description="DUE_DATE_CHANGE: move the monthly due day. DEFERRAL: move one or two payments to the end of the term.",
)
PlanChangeStatusEnum = strawberry.enum(
    model_enums.PlanChangeStatus, name="PlanChangeStatus",
    description="PENDING_REVIEW: a support specialist decides. APPROVED: the schedule changed. DECLINED: nothing "
    "changed; `decisionReason` says why.",
)


@strawberry.type(name=REQUEST_TYPE_NAME, description="A request to change a contract's payment plan, and its decision.")
class PlanChangeRequestType(relay.Node):
    id: relay.NodeID[int]
    kind: PlanChangeKindEnum = strawberry.field(description="What is asked.")  # type: ignore[valid-type]
    status: PlanChangeStatusEnum = strawberry.field(description="Where the request is.")  # type: ignore[valid-type]
    contract_number: str = strawberry.field(description="The account number of the contract.")
    new_due_day: int | None = strawberry.field(description="DUE_DATE_CHANGE: the day of month asked for.")
    installments_to_defer: int | None = strawberry.field(description="DEFERRAL: how many payments to move.")
    requested_at: datetime = strawberry.field(description="When the customer asked.")
    decided_at: datetime | None = strawberry.field(description="When it was approved or declined; null while pending.")
    decided_by_support: bool = strawberry.field(
        description="True when a support specialist decided; false when the rules decided at once."
    )
    decision_reason: str = strawberry.field(description="Why it was declined or sent for review (empty otherwise).")
    row: strawberry.Private[PlanChangeRequest]

    @classmethod
    def from_model(cls, row: PlanChangeRequest) -> PlanChangeRequestType:
        return cls(id=row.id, kind=row.kind, status=row.status, contract_number=row.contract.number,
                   new_due_day=row.new_due_day, installments_to_defer=row.installments_to_defer,
                   requested_at=row.created_at, decided_at=row.decided_at,
                   decided_by_support=row.decided_by_id is not None, decision_reason=row.decision_reason, row=row)

    @strawberry.field(description="Days past due of the contract today (what a reviewer weighs).")
    async def days_past_due(self, info: Info) -> int:
        state = await info.context.loaders.contract_states.load((self.row.contract,
                                                                 info.context.services.clock.today()))
        return state.due.days_past_due

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        visible = rules.requests_visible_to(info.context.user).select_related("contract")
        return await visible_nodes(visible, node_ids, cls.from_model, required)


@strawberry.type(name="PlanChangeRequestConnection", description="A page of payment-plan change requests.")
class PlanChangeRequestConnection(CountedConnection[PlanChangeRequestType]):
    pass


def requests_query(contract_id: int | None = None, status: model_enums.PlanChangeStatus | None = None):
    query = PlanChangeRequest.all().select_related("contract")
    if contract_id is not None:
        query = query.filter(contract_id=contract_id)
    return query.filter(status=status) if status is not None else query


# -- mutations ----------------------------------------------------------------------------------

LazyContract = Annotated["ContractType", strawberry.lazy("graph.servicing.types")]
KEY_DESCRIPTION = ("A key you make up for this submission (1–128 characters): sending it again returns the first "
                   "request instead of making a second.")


@strawberry.input(description="Ask to move your monthly due date.")
class RequestDueDateChangeInput:
    contract_id: strawberry.ID = strawberry.field(description="The `id` of one of your contracts.")
    new_due_day: int = strawberry.field(description=f"The day of the month ({MIN_DUE_DAY}–{MAX_DUE_DAY}).")
    idempotency_key: str = strawberry.field(description=KEY_DESCRIPTION)


@strawberry.input(description="Ask to move your next one or two payments to the end of the term.")
class RequestDeferralInput:
    contract_id: strawberry.ID = strawberry.field(description="The `id` of one of your contracts.")
    installments: int = strawberry.field(description=f"How many payments to defer (1–{MAX_DEFERRED}).")
    idempotency_key: str = strawberry.field(description=KEY_DESCRIPTION)


@strawberry.enum(name="PlanChangeDecision", description="A reviewer's decision.")
class PlanChangeDecision(Enum):
    APPROVE = strawberry.enum_value("APPROVE", description="Change the schedule as asked.")
    DECLINE = strawberry.enum_value("DECLINE", description="Leave the schedule; the customer sees the reason.")


@strawberry.input(description="Decide a payment-plan change request waiting for review.")
class DecidePlanChangeRequestInput:
    request_id: strawberry.ID = strawberry.field(description="The request's `id`.")
    decision: PlanChangeDecision = strawberry.field(description="Approve or decline.")
    reason: str | None = strawberry.field(default=None, description="Why (required to decline; at most 255 "
                                                                    "characters; the customer sees it).")


@strawberry.type(description="Result of a payment-plan change request or decision.")
class PlanChangePayload:
    request: PlanChangeRequestType | None = strawberry.field(description="The request; null on failure.")
    contract: LazyContract | None = strawberry.field(
        description="The contract with its schedule after the change (null for staff and on failure)."
    )
    errors: list[UserError] = strawberry.field(
        description="INVALID (with the field) for a bad input or a schedule that cannot take it; NOT_FOUND for an "
        "id that is not yours; CONFLICT for a request already waiting, a reused idempotencyKey with another request, "
        "or a decision the rules no longer allow. A request the rules decline is not an error: it comes back "
        "DECLINED with its reason. Empty on success."
    )


def _payload(info: Info, outcome: rules.PlanChangeOutcome) -> PlanChangePayload:
    if outcome.problems:
        return PlanChangePayload(request=None, contract=None, errors=user_errors(list(outcome.problems)))
    from graph.servicing.types import ContractType

    request = outcome.request
    contract = outcome.contract
    for_customer = info.context.user.role == model_enums.Role.CUSTOMER
    return PlanChangePayload(request=PlanChangeRequestType.from_model(request),
                             contract=ContractType.from_model(contract) if for_customer and contract else None,
                             errors=[])


async def _fetched(outcome: rules.PlanChangeOutcome) -> rules.PlanChangeOutcome:
    """The outcome with the request's contract loaded (a replayed request comes without it)."""
    if outcome.request is not None:
        await outcome.request.fetch_related("contract")
        if outcome.contract is None:
            return rules.PlanChangeOutcome(request=outcome.request, contract=outcome.request.contract)
    return outcome


@strawberry.type
class PlanChangeMutations:
    @strawberry.mutation(
        extensions=[allow(CUSTOMERS)],
        description=f"Ask to move your monthly due date to another day ({MIN_DUE_DAY}–{MAX_DUE_DAY}). Allowed once "
        "in 12 months while the account is current: the rules approve or decline it at once. From the next unpaid "
        "payment on, every payment falls on the new day; a loan's first changed month accrues interest for its real "
        "length. You get a notification and an email.",
    )
    async def request_due_date_change(self, info: Info, input: RequestDueDateChangeInput) -> PlanChangePayload:
        ctx = info.context
        outcome = await rules.request_due_date_change(
            ctx.services, user=ctx.user, origin=ctx.origin, contract_id=contract_row_id(input.contract_id),
            new_due_day=input.new_due_day, idempotency_key=input.idempotency_key)
        return _payload(info, await _fetched(outcome))

    @strawberry.mutation(
        extensions=[allow(CUSTOMERS)],
        description=f"Ask to defer your next 1–{MAX_DEFERRED} payments to the end of the term (at most "
        f"{rules.DEFERRALS_PER_12_MONTHS} in 12 months and {rules.DEFERRALS_PER_LIFE} over the contract). Approved at "
        f"once unless the account is {rules.REVIEW_FROM_DAYS_PAST_DUE}+ days past due (then a support specialist "
        f"reviews it) or {rules.DECLINE_FROM_DAYS_PAST_DUE}+ (declined). A loan keeps accruing interest.",
    )
    async def request_deferral(self, info: Info, input: RequestDeferralInput) -> PlanChangePayload:
        ctx = info.context
        outcome = await rules.request_deferral(
            ctx.services, user=ctx.user, origin=ctx.origin, contract_id=contract_row_id(input.contract_id),
            installments=input.installments, idempotency_key=input.idempotency_key)
        return _payload(info, await _fetched(outcome))

    @strawberry.mutation(
        extensions=[allow(SUPPORT_STAFF)],
        description="Approve or decline a request waiting for review (support). An approval re-checks the rules on "
        "today's figures. Audited; the customer is notified and emailed.",
    )
    async def decide_plan_change_request(self, info: Info, input: DecidePlanChangeRequestInput) -> PlanChangePayload:
        ctx = info.context
        outcome = await rules.decide(
            ctx.services, staff=ctx.user, origin=ctx.origin, request_id=row_id(input.request_id, REQUEST_TYPE_NAME),
            approve=input.decision == PlanChangeDecision.APPROVE, reason=input.reason)
        return _payload(info, await _fetched(outcome))
