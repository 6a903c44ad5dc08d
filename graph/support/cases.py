"""Support cases in the schema: the Case node, the desk's queue (`support { cases case }`) and the case
mutations. Thin: the rules live in resolvers/support/cases.py.

A list of N cases costs a constant number of SQL statements: the related rows (customer, its login,
contract, assignee, plan-change request, live verification, note count) come from per-request
DataLoaders, one batch each. A case's `notes` connection is one query per case: ask for it on one
case (`support { case(id:) }`), not across a page of the queue.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from enum import Enum

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader
from strawberry.types import Info
from tortoise.functions import Count

from auth.permissions import SUPPORT_STAFF
from graph import enums as graph_enums
from graph.access import allow
from graph.errors import UserError, user_errors
from graph.ids import row_id
from graph.nodes import visible_nodes
from graph.pagination import (
    PAGE_ARGS_DESCRIPTION,
    CountedConnection,
    Ordering,
    paginate,
)
from graph.servicing.plan_changes import PlanChangeRequestType
from models import CaseNote, IdentityVerification, PlanChangeRequest, SupportCase, User
from models import enums as model_enums
from models.enums import CaseStatus, Role, VerificationStatus
from resolvers.support import cases as rules

CASE_TYPE_NAME = "Case"
NOTE_TYPE_NAME = "CaseNote"
# Open work: the case that waited longest since anyone touched it comes first.
OLDEST_UPDATED_FIRST = Ordering((("updated_at", False), ("id", False)))
NEWEST_UPDATED_FIRST = OLDEST_UPDATED_FIRST.reversed()
NOTE_ORDER = Ordering((("created_at", False), ("id", False)))

CaseCategoryEnum = strawberry.enum(
    model_enums.CaseCategory, name="CaseCategory",
    description="What a case is about: PAYMENT_DISPUTE, MISAPPLIED_PAYMENT, FEE_WAIVER, DUE_DATE_CHANGE, DEFERRAL, "
    "ACCOUNT_ACCESS or OTHER. Payment-plan change requests waiting for review arrive as DUE_DATE_CHANGE or DEFERRAL.",
)
CaseStatusEnum = strawberry.enum(
    model_enums.CaseStatus, name="CaseStatus",
    description="OPEN: support is working it. WAITING_ON_CUSTOMER: support needs something from the customer. "
    "RESOLVED: done, with a resolution note (it can be reopened).",
)


@strawberry.enum(name="CaseAssigneeFilter", description="Whose cases to list.")
class CaseAssigneeFilter(Enum):
    ME = strawberry.enum_value("ME", description="Cases assigned to you.")
    UNASSIGNED = strawberry.enum_value("UNASSIGNED", description="Cases nobody has taken yet.")
    ANY = strawberry.enum_value("ANY", description="Every case, assigned or not.")


# -- loaders (one batch per request each) -------------------------------------------------------

def _users_loader() -> DataLoader[int, User | None]:
    async def load(ids: Sequence[int]):
        rows = {row.id: row for row in await User.filter(id__in=list(ids))}
        return [rows.get(i) for i in ids]

    return DataLoader(load_fn=load)


def _logins_loader() -> DataLoader[int, bool]:
    """Customer id -> whether the customer has a portal login."""

    async def load(customer_ids: Sequence[int]):
        found = set(await User.filter(customer_id__in=list(customer_ids), role=Role.CUSTOMER)
                    .values_list("customer_id", flat=True))
        return [i in found for i in customer_ids]

    return DataLoader(load_fn=load)


def _plan_changes_loader() -> DataLoader[int, PlanChangeRequest | None]:
    async def load(ids: Sequence[int]):
        rows = {row.id: row for row in await PlanChangeRequest.filter(id__in=list(ids)).select_related("contract")}
        return [rows.get(i) for i in ids]

    return DataLoader(load_fn=load)


def _verifications_loader(now: datetime) -> DataLoader[int, datetime | None]:
    """Case id -> when its latest live (VERIFIED, unexpired) identity verification expires, or None."""

    async def load(case_ids: Sequence[int]):
        latest: dict[int, datetime] = {}
        rows = await IdentityVerification.filter(case_id__in=list(case_ids), status=VerificationStatus.VERIFIED,
                                                 expires_at__gt=now).values_list("case_id", "expires_at")
        for case_id, expires_at in rows:
            if case_id not in latest or expires_at > latest[case_id]:
                latest[case_id] = expires_at
        return [latest.get(i) for i in case_ids]

    return DataLoader(load_fn=load)


def _note_counts_loader() -> DataLoader[int, int]:
    async def load(case_ids: Sequence[int]):
        counts: dict[int, int] = defaultdict(int)
        rows = await CaseNote.filter(case_id__in=list(case_ids)).annotate(count=Count("id")).group_by("case_id")\
            .values_list("case_id", "count")
        for case_id, count in rows:
            counts[case_id] = count
        return [counts[i] for i in case_ids]

    return DataLoader(load_fn=load)


def _loader(info: Info, name: str, factory) -> DataLoader:
    return info.context.loaders.named(f"support_cases.{name}", factory)


# -- types --------------------------------------------------------------------------------------

def _masked_name(first: str, last: str) -> str:
    return f"{first} {last[:1]}." if last else first


@strawberry.type(
    name="CaseCustomer",
    description="The customer a case is about, masked for the queue: given name and last initial only. Find and "
    "verify the customer before looking at or changing their account.",
)
class CaseCustomerType:
    id: strawberry.ID = strawberry.field(description="The customer's global id (`Customer:<n>`), for other desk "
                                                     "fields and mutations.")
    display_name: str = strawberry.field(description="Given name and last initial, e.g. 'Alice J.'.")
    has_login: bool = strawberry.field(description="True when the customer has a portal login (and so sees the "
                                                   "desk's actions on their account in their security events).")


@strawberry.type(name="CaseContract", description="The contract a case is about (no figures: just which one).")
class CaseContractType:
    id: strawberry.ID = strawberry.field(description="The contract's global id (`Contract:<n>`).")
    number: str = strawberry.field(description="The account number.")
    kind: graph_enums.ContractKind = strawberry.field(description="LOAN or LEASE.")  # type: ignore[valid-type]
    status: graph_enums.ContractStatus = strawberry.field(  # type: ignore[valid-type]
        description="Where the contract is in its life."
    )


@strawberry.type(name="CaseAssignee", description="The support user working a case (name only).")
class CaseAssigneeType:
    username: str = strawberry.field(description="Their user ID.")
    is_you: bool = strawberry.field(description="True when it is you.")


@strawberry.type(name="CaseVerification", description="Whether the customer's identity is verified for this case.")
class CaseVerificationType:
    verified: bool = strawberry.field(description="True while a verification for this case is live (verified "
                                                  "within the last 30 minutes).")
    expires_at: datetime | None = strawberry.field(description="When the live verification expires (UTC); null "
                                                               "when there is none.")


@strawberry.type(name=NOTE_TYPE_NAME, description="A note on a case, by a support user. Notes are never edited.")
class CaseNoteType(relay.Node):
    id: relay.NodeID[int]
    body: str = strawberry.field(description="The note.")
    created_at: datetime = strawberry.field(description="When it was written (UTC).")
    row: strawberry.Private[CaseNote]

    @classmethod
    def from_model(cls, row: CaseNote) -> CaseNoteType:
        return cls(id=row.id, body=row.body, created_at=row.created_at, row=row)

    @strawberry.field(description="Who wrote it.")
    async def author(self, info: Info) -> CaseAssigneeType | None:
        user = await _loader(info, "users", _users_loader).load(self.row.author_id)
        return CaseAssigneeType(username=user.username, is_you=user.id == info.context.user.id) if user else None

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        return await visible_nodes(rules.notes_visible_to(info.context.user), node_ids, cls.from_model, required)


@strawberry.type(name="CaseNoteConnection", description="A page of a case's notes, oldest first.")
class CaseNoteConnection(CountedConnection[CaseNoteType]):
    pass


@strawberry.type(
    name=CASE_TYPE_NAME,
    description="A support case: one matter for one customer (optionally one contract), with notes, a status and "
    "an assignee. Support staff only.",
)
class CaseType(relay.Node):
    id: relay.NodeID[int]
    category: CaseCategoryEnum = strawberry.field(description="What it is about.")  # type: ignore[valid-type]
    status: CaseStatusEnum = strawberry.field(description="Where it is.")  # type: ignore[valid-type]
    subject: str = strawberry.field(description="One line saying what it is about.")
    created_at: datetime = strawberry.field(description="When it was opened (UTC).")
    updated_at: datetime = strawberry.field(description="When anything last happened on it (UTC).")
    resolved_at: datetime | None = strawberry.field(description="When it was resolved (UTC); null while open.")
    opened_by_system: bool = strawberry.field(
        description="True when the system opened it (a payment-plan change request waiting for review)."
    )
    row: strawberry.Private[SupportCase]

    @classmethod
    def from_model(cls, row: SupportCase) -> CaseType:
        return cls(id=row.id, category=row.category, status=row.status, subject=row.subject,
                   created_at=row.created_at, updated_at=row.updated_at, resolved_at=row.resolved_at,
                   opened_by_system=row.opened_by_id is None, row=row)

    @strawberry.field(description="The customer, masked.")
    async def customer(self, info: Info) -> CaseCustomerType:
        customer = await info.context.loaders.customers.load(self.row.customer_id)
        has_login = await _loader(info, "logins", _logins_loader).load(self.row.customer_id)
        return CaseCustomerType(id=strawberry.ID(relay.to_base64("Customer", customer.id)),
                                display_name=_masked_name(customer.first_name, customer.last_name),
                                has_login=has_login)

    @strawberry.field(description="The contract it is about; null when it is about the customer in general.")
    async def contract(self, info: Info) -> CaseContractType | None:
        if self.row.contract_id is None:
            return None
        contract = await info.context.loaders.contracts.load(self.row.contract_id)
        return CaseContractType(id=strawberry.ID(relay.to_base64("Contract", contract.id)), number=contract.number,
                                kind=contract.kind, status=contract.status)

    @strawberry.field(description="Who is working it; null while unassigned.")
    async def assignee(self, info: Info) -> CaseAssigneeType | None:
        if self.row.assigned_to_id is None:
            return None
        user = await _loader(info, "users", _users_loader).load(self.row.assigned_to_id)
        return CaseAssigneeType(username=user.username, is_you=user.id == info.context.user.id)

    @strawberry.field(description="The payment-plan change request this case came from (decide it with "
                                  "`decidePlanChangeRequest`); null for other cases.")
    async def plan_change_request(self, info: Info) -> PlanChangeRequestType | None:
        if self.row.plan_change_request_id is None:
            return None
        request = await _loader(info, "plan_changes", _plan_changes_loader).load(self.row.plan_change_request_id)
        return PlanChangeRequestType.from_model(request) if request else None

    @strawberry.field(description="Whether the customer's identity is verified for this case right now.")
    async def verification(self, info: Info) -> CaseVerificationType:
        now = info.context.services.clock.now()
        expires_at = await _loader(info, "verifications", lambda: _verifications_loader(now)).load(self.row.id)
        return CaseVerificationType(verified=expires_at is not None, expires_at=expires_at)

    @strawberry.field(description="How many notes the case has.")
    async def note_count(self, info: Info) -> int:
        return await _loader(info, "note_counts", _note_counts_loader).load(self.row.id)

    @strawberry.field(description=f"The notes, oldest first (one query per case: ask on one case). "
                                  f"{PAGE_ARGS_DESCRIPTION}")
    async def notes(self, info: Info, first: int | None = None, after: str | None = None, last: int | None = None,
                    before: str | None = None) -> CaseNoteConnection:
        query = rules.notes_visible_to(info.context.user).filter(case_id=self.row.id)
        return await paginate(CaseNoteConnection, query, NOTE_ORDER, CaseNoteType.from_model, first=first,
                              after=after, last=last, before=before)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        return await visible_nodes(rules.cases_visible_to(info.context.user), node_ids, cls.from_model, required)


@strawberry.type(name="CaseConnection", description="A page of support cases.")
class CaseConnection(CountedConnection[CaseType]):
    pass


# -- the desk: queue and one case ---------------------------------------------------------------

@strawberry.input(description="Which cases to list. Every condition given must hold.")
class CaseFilter:
    status: CaseStatusEnum | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Only cases in this status. Default: open work (OPEN and WAITING_ON_CUSTOMER)."
    )
    assigned_to: CaseAssigneeFilter = strawberry.field(default=CaseAssigneeFilter.ANY,
                                                       description="Whose cases (default ANY).")
    category: CaseCategoryEnum | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Only cases about this."
    )
    customer_id: strawberry.ID | None = strawberry.field(default=None, description="Only this customer's cases "
                                                                                   "(the customer's global id).")


def queue_query(user: User, selection: CaseFilter):
    query = rules.cases_visible_to(user)
    status = CaseStatus(selection.status) if selection.status is not None else None
    query = query.filter(status=status) if status is not None else query.filter(status__in=rules.OPEN_STATUSES)
    if selection.assigned_to == CaseAssigneeFilter.ME:
        query = query.filter(assigned_to_id=user.id)
    elif selection.assigned_to == CaseAssigneeFilter.UNASSIGNED:
        query = query.filter(assigned_to_id__isnull=True)
    if selection.category is not None:
        query = query.filter(category=model_enums.CaseCategory(selection.category))
    if selection.customer_id is not None:
        customer_id = row_id(selection.customer_id, "Customer")
        query = query.filter(customer_id=customer_id) if customer_id is not None else query.filter(id__in=[])
    return query, (NEWEST_UPDATED_FIRST if status == CaseStatus.RESOLVED else OLDEST_UPDATED_FIRST)


@strawberry.type
class CaseDesk:
    @strawberry.field(
        extensions=[allow(SUPPORT_STAFF)],
        description="The case queue: open work oldest-updated first (the case that waited longest since anyone "
        "touched it); RESOLVED cases newest first. Payment-plan change requests waiting for review are here too. "
        f"A case that changes moves to the end of the walk. {PAGE_ARGS_DESCRIPTION}",
    )
    async def cases(self, info: Info, filter: CaseFilter | None = None, first: int | None = None,
                    after: str | None = None, last: int | None = None, before: str | None = None) -> CaseConnection:
        query, ordering = queue_query(info.context.user, filter or CaseFilter())
        return await paginate(CaseConnection, query, ordering, CaseType.from_model, first=first, after=after,
                              last=last, before=before)

    @strawberry.field(
        extensions=[allow(SUPPORT_STAFF)],
        description="One case by id (null when there is none). Looking at a case is a view of the customer's "
        "account: it is audited and the customer sees it in their security events.",
    )
    async def case(self, info: Info, id: strawberry.ID) -> CaseType | None:
        case_id = row_id(id, CASE_TYPE_NAME)
        ctx = info.context
        row = await rules.cases_visible_to(ctx.user).filter(id=case_id).first() if case_id is not None else None
        if row is None:
            return None
        await rules.record_view(ctx.services, staff=ctx.user, origin=ctx.origin, case=row)
        return CaseType.from_model(row)


# -- mutations ----------------------------------------------------------------------------------

@strawberry.input(description="Open a support case for a customer.")
class OpenCaseInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer's global id.")
    contract_id: strawberry.ID | None = strawberry.field(
        default=None, description="One of the customer's contracts (held or co-signed), when the case is about it."
    )
    category: CaseCategoryEnum = strawberry.field(description="What it is about.")  # type: ignore[valid-type]
    subject: str = strawberry.field(description=f"One line (1–{rules.MAX_SUBJECT_LENGTH} characters). Keep SSNs, "
                                                "account numbers and codes out of it.")
    note: str | None = strawberry.field(default=None, description=f"A first note (at most {rules.MAX_NOTE_LENGTH} "
                                                                  "characters).")
    assign_to_me: bool = strawberry.field(default=True, description="Take the case yourself (default); false "
                                                                    "leaves it unassigned in the queue.")
    idempotency_key: str = strawberry.field(description="A key you make up for this submission (1–128 characters): "
                                                        "sending it again returns the first case instead of "
                                                        "opening a second.")


@strawberry.input(description="Add a note to a case.")
class AddCaseNoteInput:
    case_id: strawberry.ID = strawberry.field(description="The case's id.")
    body: str = strawberry.field(description=f"The note (1–{rules.MAX_NOTE_LENGTH} characters).")


@strawberry.input(description="Assign a case to yourself or another support user.")
class AssignCaseInput:
    case_id: strawberry.ID = strawberry.field(description="The case's id.")
    assignee_id: strawberry.ID | None = strawberry.field(
        default=None, description="The support user's id (`User:<n>`, SUPPORT or SUPPORT_LEAD); omit to take it "
        "yourself."
    )


@strawberry.input(description="Move a case to another status.")
class SetCaseStatusInput:
    case_id: strawberry.ID = strawberry.field(description="The case's id.")
    status: CaseStatusEnum = strawberry.field(description="The new status.")  # type: ignore[valid-type]
    note: str | None = strawberry.field(default=None, description="A note added with the change; required to "
                                                                  "resolve (the resolution).")


@strawberry.type(description="Result of a case mutation.")
class CasePayload:
    case: CaseType | None = strawberry.field(description="The case after the change; null on failure.")
    note: CaseNoteType | None = strawberry.field(description="The note added (addCaseNote); null otherwise.")
    errors: list[UserError] = strawberry.field(
        description="INVALID (with the field) for bad input, an assignee who is not support staff, or a contract "
        "that is not the customer's; NOT_FOUND for an unknown case or customer; CONFLICT for a reused "
        "idempotencyKey with another case, a resolved case, a status it already has, or resolving a plan-change "
        "case whose request still waits. Empty on success."
    )


def _payload(outcome: rules.CaseOutcome) -> CasePayload:
    if outcome.problems:
        return CasePayload(case=None, note=None, errors=user_errors(list(outcome.problems)))
    note = CaseNoteType.from_model(outcome.note) if outcome.note is not None else None
    return CasePayload(case=CaseType.from_model(outcome.case), note=note, errors=[])


@strawberry.type
class CaseMutations:
    @strawberry.mutation(
        extensions=[allow(SUPPORT_STAFF)],
        description="Open a support case for a customer (optionally about one of their contracts), with a first "
        "note; it is yours unless `assignToMe` is false. Audited; the customer sees that a case was opened.",
    )
    async def open_case(self, info: Info, input: OpenCaseInput) -> CasePayload:
        ctx = info.context
        outcome = await rules.open_case(
            ctx.services, staff=ctx.user, origin=ctx.origin, customer_id=row_id(input.customer_id, "Customer"),
            contract_id=row_id(input.contract_id, "Contract"), contract_given=input.contract_id is not None,
            category=model_enums.CaseCategory(input.category), subject=input.subject, note=input.note,
            assign_to_me=input.assign_to_me, idempotency_key=input.idempotency_key)
        return _payload(outcome)

    @strawberry.mutation(extensions=[allow(SUPPORT_STAFF)],
                         description="Append a note to an open case. Audited (without the note's text).")
    async def add_case_note(self, info: Info, input: AddCaseNoteInput) -> CasePayload:
        ctx = info.context
        outcome = await rules.add_note(ctx.services, staff=ctx.user, origin=ctx.origin,
                                       case_id=row_id(input.case_id, CASE_TYPE_NAME), body=input.body)
        return _payload(outcome)

    @strawberry.mutation(
        extensions=[allow(SUPPORT_STAFF)],
        description="Assign an open case to yourself (no assigneeId) or to another SUPPORT or SUPPORT_LEAD user. "
        "Assigning it to who already has it changes nothing. Audited.",
    )
    async def assign_case(self, info: Info, input: AssignCaseInput) -> CasePayload:
        ctx = info.context
        outcome = await rules.assign(ctx.services, staff=ctx.user, origin=ctx.origin,
                                     case_id=row_id(input.case_id, CASE_TYPE_NAME),
                                     assignee_id=row_id(input.assignee_id, "User"),
                                     assignee_given=input.assignee_id is not None)
        return _payload(outcome)

    @strawberry.mutation(
        extensions=[allow(SUPPORT_STAFF)],
        description="Move a case to OPEN, WAITING_ON_CUSTOMER or RESOLVED (resolving needs a resolution note; a "
        "resolved case can be reopened). A plan-change case resolves when its request is decided. Audited.",
    )
    async def set_case_status(self, info: Info, input: SetCaseStatusInput) -> CasePayload:
        ctx = info.context
        outcome = await rules.set_status(ctx.services, staff=ctx.user, origin=ctx.origin,
                                         case_id=row_id(input.case_id, CASE_TYPE_NAME),
                                         status=CaseStatus(input.status), note=input.note)
        return _payload(outcome)
