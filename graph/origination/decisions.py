"""Decisions in the schema: the ApplicationDecision and CreditReport nodes, the underwriter's desk
(`underwriting { queue ... }`) and `decideApplication`. Thin: the rules are in
resolvers/origination/decisioning.py and underwriting.py.

Who sees what: a dealer sees its applications' decisions (outcome, approved terms, conditions,
counter-offer, adverse-action reasons) but never a credit report or the ratios built from one;
an UNDERWRITER sees those too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

import strawberry
from strawberry import relay
from strawberry.types import Info
from tortoise.expressions import Subquery
from tortoise.transactions import in_transaction

from auth.permissions import UNDERWRITERS
from graph.access import allow
from graph.errors import UserError, user_errors
from graph.ids import row_id
from graph.nodes import visible_nodes
from graph.origination.types import APPLICATION_TYPE_NAME, ApplicationStatusEnum, CreditApplicationType
from graph.pagination import PAGE_ARGS_DESCRIPTION, CountedConnection, Ordering, paginate
from graph.scalars import Money, money, optional_money
from models import ApplicationDecision, CreditReport, User
from models import enums as model_enums
from models.enums import Role
from resolvers.origination import underwriting as rules
from resolvers.origination.rule_sets import REFERRAL_REASONS, active_rule_set
from resolvers.origination.visibility import applications_visible_to

DECISION_TYPE_NAME = "ApplicationDecision"
REPORT_TYPE_NAME = "CreditReport"
QUEUE_ORDER = Ordering((("submitted_at", False), ("id", False)))  # oldest submission first
DECISIONS_NEWEST_FIRST = Ordering((("created_at", True), ("id", True)))

DecisionOutcomeEnum = strawberry.enum(
    model_enums.DecisionOutcome, name="DecisionOutcome",
    description="APPROVED; APPROVED_WITH_CONDITIONS (see `conditions`); COUNTER_OFFER (a structure that would pass, "
    "see `counterOffer`); DECLINED (see `reasons`, the adverse-action reasons); REFERRED (an underwriter decides; "
    "`reasons` says why); DOCUMENTS_REQUESTED (an underwriter asks for the documents in `conditions`).",
)


def _is_underwriter(info: Info) -> bool:
    user = info.context.user
    return user is not None and user.is_active and user.role == Role.UNDERWRITER


def _visible_application_ids(user: User | None):
    return Subquery(applications_visible_to(user).values("id"))


# -- small value types ----------------------------------------------------------------------------

@strawberry.type(description="A coded item of a decision: a condition, a requested document or a reason.")
class DecisionItem:
    code: str = strawberry.field(description="Stable code (e.g. PROOF_OF_INCOME, EXCESSIVE_OBLIGATIONS).")
    text: str = strawberry.field(description="What it means, for people (reasons use Regulation B wording).")


def _decimal(raw: dict, key: str) -> Decimal | None:
    return Decimal(raw[key]) if raw.get(key) is not None else None


def _items(raw: list | None) -> list[DecisionItem]:
    return [DecisionItem(code=item.get("code", ""), text=item.get("text", "")) for item in raw or []]


@strawberry.type(description="A different structure the lender would approve.")
class CounterOffer:
    strategy: str = strawberry.field(description="How it was found: TERM, LARGER_DOWN_PAYMENT, LOWER_AMOUNT (the "
                                     "rules) or UNDERWRITER.")
    amount: Money = strawberry.field(description="Amount financed (loan) or adjusted capitalized cost (lease).")
    term_months: int = strawberry.field(description="Term in months.")
    cash_down: Money = strawberry.field(description="Cash down payment.")
    apr: Decimal | None = strawberry.field(description="APR in percent (loans).")
    money_factor: Decimal | None = strawberry.field(description="Money factor (leases).")
    payment: Money | None = strawberry.field(description="The monthly payment of this structure.")

    @classmethod
    def from_json(cls, raw: dict | None) -> CounterOffer | None:
        if not raw:
            return None
        def dec(key: str) -> Decimal | None:
            return _decimal(raw, key)

        return cls(strategy=raw.get("strategy", ""), amount=money(dec("amount")), term_months=raw["term_months"],
                   cash_down=money(dec("cash_down")), apr=dec("apr"), money_factor=dec("money_factor"),
                   payment=optional_money(dec("payment")))


@strawberry.type(description="The ratios a decision weighed, as decimal fractions (0.1234 = 12.34 %).")
class DecisionRatios:
    payment: Money | None = strawberry.field(description="Monthly payment of the structure weighed.")
    payment_to_income: Decimal | None = strawberry.field(description="PTI: payment / gross monthly income.")
    debt_to_income: Decimal | None = strawberry.field(description="DTI: (monthly debts + housing + payment) / income.")
    loan_to_value: Decimal | None = strawberry.field(description="LTV: amount financed / vehicle value.")
    monthly_income: Money | None = strawberry.field(description="Gross monthly income of the applicants together.")
    monthly_debt: Money | None = strawberry.field(description="Monthly debts on the reports plus housing not on them.")

    @classmethod
    def from_json(cls, raw: dict | None) -> DecisionRatios | None:
        if not raw:
            return None
        def dec(key: str) -> Decimal | None:
            return _decimal(raw, key)

        return cls(payment=optional_money(dec("payment")), payment_to_income=dec("pti"), debt_to_income=dec("dti"),
                   loan_to_value=dec("ltv"), monthly_income=optional_money(dec("monthly_income")),
                   monthly_debt=optional_money(dec("monthly_debt")))


# -- nodes ---------------------------------------------------------------------------------------

@strawberry.type(name=DECISION_TYPE_NAME, description="One decision on an application, by the rules or by an "
                 "underwriter. Decisions are appended: the latest is the one in force.")
class ApplicationDecisionType(relay.Node):
    id: relay.NodeID[int]
    outcome: DecisionOutcomeEnum = strawberry.field(description="What was decided.")  # type: ignore[valid-type]
    decided_by_underwriter: bool = strawberry.field(description="True when an underwriter decided; false: the rules.")
    rate_tier: str = strawberry.field(description="The rules' rate tier that priced it (empty when none did).")
    approved_apr: Decimal | None = strawberry.field(description="Approved (or offered) APR in percent, loans.")
    approved_money_factor: Decimal | None = strawberry.field(description="Approved (or offered) money factor, leases.")
    approved_term_months: int | None = strawberry.field(description="Approved (or offered) term in months.")
    approved_amount: Money | None = strawberry.field(
        description="The most that may be financed (loan) or capitalized (lease) on the approval or counter-offer.")
    conditions: list[DecisionItem] = strawberry.field(
        description="Conditions of an approval, or the documents asked for (DOCUMENTS_REQUESTED).")
    counter_offer: CounterOffer | None = strawberry.field(description="The structure offered instead (COUNTER_OFFER).")
    reasons: list[DecisionItem] = strawberry.field(
        description="DECLINED and COUNTER_OFFER: the principal adverse-action reasons (ECOA / Regulation B), heaviest "
        "first. REFERRED: why an underwriter decides.")
    note: str = strawberry.field(description="The underwriter's note to the dealer (empty for the rules).")
    decided_at: datetime = strawberry.field(description="When it was decided.")
    rule_set_version: int | None = strawberry.field(description="Version of the decision rules in force.")
    row: strawberry.Private[ApplicationDecision]

    @classmethod
    def from_model(cls, row: ApplicationDecision) -> ApplicationDecisionType:
        rule_set = row.rule_set if row.rule_set_id is not None and hasattr(row.rule_set, "version") else None
        return cls(id=row.id, outcome=row.outcome, decided_by_underwriter=row.decided_by_id is not None,
                   rate_tier=row.rate_tier, approved_apr=row.approved_apr,
                   approved_money_factor=row.approved_money_factor, approved_term_months=row.approved_term_months,
                   approved_amount=optional_money(row.approved_amount), conditions=_items(row.conditions),
                   counter_offer=CounterOffer.from_json(row.counter_offer), reasons=_items(row.reasons),
                   note=row.note, decided_at=row.created_at,
                   rule_set_version=rule_set.version if rule_set is not None else None, row=row)

    @strawberry.field(description="The ratios weighed (payment, PTI, DTI, LTV, income, debts). Underwriters only: "
                      "null for everyone else, since they come from the credit reports.")
    def ratios(self, info: Info) -> DecisionRatios | None:
        return DecisionRatios.from_json(self.row.ratios) if _is_underwriter(info) else None

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        visible = ApplicationDecision.filter(
            application_id__in=_visible_application_ids(info.context.user)).select_related("rule_set")
        return await visible_nodes(visible, node_ids, cls.from_model, required)


@strawberry.type(name="Tradeline", description="One credit account on a credit report.")
class TradelineType:
    creditor: str = strawberry.field(description="The creditor's name.")
    kind: str = strawberry.field(description="AUTO, MORTGAGE, REVOLVING, STUDENT or INSTALLMENT.")
    balance: Money = strawberry.field(description="Balance owed.")
    monthly_payment: Money = strawberry.field(description="Monthly payment reported.")
    status: str = strawberry.field(description="CURRENT, LATE_30, LATE_60, LATE_90, COLLECTION or CHARGED_OFF.")
    opened_on: date | None = strawberry.field(description="When the account was opened.")

    @classmethod
    def from_json(cls, raw: dict) -> TradelineType:
        opened = raw.get("opened_on")
        return cls(creditor=raw.get("creditor", ""), kind=raw.get("kind", ""),
                   balance=money(Decimal(raw.get("balance", "0"))),
                   monthly_payment=money(Decimal(raw.get("monthly_payment", "0"))), status=raw.get("status", ""),
                   opened_on=date.fromisoformat(opened) if opened else None)


@strawberry.type(name=REPORT_TYPE_NAME, description="A credit report pulled for an applicant (underwriters only). "
                 "It holds no SSN.")
class CreditReportType(relay.Node):
    id: relay.NodeID[int]
    applicant_role: str = strawberry.field(description="APPLICANT or CO_APPLICANT.")
    bureau: str = strawberry.field(description="The bureau that answered (sandbox in development).")
    reference: str = strawberry.field(description="The bureau's reference of this pull.")
    score: int | None = strawberry.field(description="Credit score; null when the file has none (thin or frozen).")
    monthly_debt: Money = strawberry.field(description="Sum of the tradelines' monthly payments.")
    tradelines: list[TradelineType] = strawberry.field(description="The credit accounts on the file.")
    pulled_at: datetime = strawberry.field(description="When it was pulled.")

    @classmethod
    def from_model(cls, row: CreditReport) -> CreditReportType:
        return cls(id=row.id, applicant_role=row.applicant.role.value, bureau=row.bureau, reference=row.reference,
                   score=row.score, monthly_debt=money(row.monthly_debt),
                   tradelines=[TradelineType.from_json(t) for t in row.tradelines or []], pulled_at=row.pulled_at)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        user = info.context.user
        if not _is_underwriter(info):
            visible = CreditReport.filter(id__in=[])
        else:
            visible = CreditReport.filter(applicant__application_id__in=_visible_application_ids(user))
        return await visible_nodes(visible.select_related("applicant"), node_ids, cls.from_model, required)


@strawberry.type(name="ApplicationDecisionConnection", description="A page of an application's decisions.")
class ApplicationDecisionConnection(CountedConnection[ApplicationDecisionType]):
    pass


@strawberry.type(name="UnderwritingQueueConnection", description="A page of applications waiting for underwriting.")
class UnderwritingQueueConnection(CountedConnection[CreditApplicationType]):
    pass


# -- what CreditApplication shows (called from graph/origination/types.py) --------------------------

async def latest_decision(info: Info, application_id: int) -> ApplicationDecisionType | None:
    row = await info.context.loaders.latest_decisions.load(application_id)
    return ApplicationDecisionType.from_model(row) if row is not None else None


async def decision_history(info: Info, application_id: int, *, first: int | None, after: str | None,
                           last: int | None, before: str | None) -> ApplicationDecisionConnection:
    query = ApplicationDecision.filter(application_id=application_id).select_related("rule_set")
    return await paginate(ApplicationDecisionConnection, query, DECISIONS_NEWEST_FIRST,
                          ApplicationDecisionType.from_model, first=first, after=after, last=last, before=before)


async def credit_reports(info: Info, application_id: int) -> list[CreditReportType] | None:
    if not _is_underwriter(info):
        return None
    return [CreditReportType.from_model(row) for row in await info.context.loaders.credit_reports.load(application_id)]


# -- the underwriter's desk ----------------------------------------------------------------------

@strawberry.type(description="A rule set's decision rules, as loaded.")
class DecisionRuleSetInfo:
    version: int = strawberry.field(description="Version number (increases with each load).")
    description: str = strawberry.field(description="What changed, as given when loaded.")
    created_at: datetime = strawberry.field(description="When it was loaded.")
    rules_json: str = strawberry.field(description="The rules document (JSON): tiers, ratio limits, terms, "
                                       "conditions, counter-offer strategies and reason texts.")


@strawberry.type(description="The underwriter's desk: the queue and the codes a decision may use.")
class UnderwritingDesk:
    @strawberry.field(description="Applications waiting for an underwriter, oldest submission first: REFERRED and "
                      f"DOCUMENTS_REQUESTED unless `statuses` says otherwise. {PAGE_ARGS_DESCRIPTION}")
    async def queue(
        self, info: Info,
        statuses: list[ApplicationStatusEnum] | None = strawberry.UNSET,  # type: ignore[valid-type]
        first: int | None = None, after: str | None = None, last: int | None = None, before: str | None = None,
    ) -> UnderwritingQueueConnection:
        wanted = [model_enums.ApplicationStatus(s) for s in statuses] if statuses else None
        return await paginate(UnderwritingQueueConnection, rules.queue(info.context.user, wanted), QUEUE_ORDER,
                              CreditApplicationType.from_model, first=first, after=after, last=last, before=before)

    @strawberry.field(description="The active decision rules.")
    async def rule_set(self, info: Info) -> DecisionRuleSetInfo:
        row = await _active(info)
        return DecisionRuleSetInfo(version=row.version, description=row.description, created_at=row.created_at,
                                   rules_json=json.dumps(row.rules, sort_keys=True))

    @strawberry.field(description="Adverse-action reasons a decline or counter-offer may give (`reasons`).")
    async def adverse_action_reasons(self, info: Info) -> list[DecisionItem]:
        row = await _active(info)
        return [DecisionItem(code=code, text=entry["text"]) for code, entry in row.rules.get("reasons", {}).items()
                if code not in REFERRAL_REASONS]

    @strawberry.field(description="Conditions of an approval and documents an underwriter may ask for.")
    async def condition_codes(self, info: Info) -> list[DecisionItem]:
        row = await _active(info)
        return [DecisionItem(code=code, text=text) for code, text in row.rules.get("condition_texts", {}).items()]


async def _active(info: Info):
    async with in_transaction() as connection:  # a fresh install writes the default set
        return await active_rule_set(info.context.services.clock, connection)


@strawberry.type
class UnderwritingQuery:
    @strawberry.field(extensions=[allow(UNDERWRITERS)], description="The underwriter's desk: the queue of referred "
                      "applications and the codes decisions use.")
    def underwriting(self) -> UnderwritingDesk:
        return UnderwritingDesk()


# -- deciding ------------------------------------------------------------------------------------

@strawberry.enum(name="UnderwritingAction", description="What an underwriter decides.")
class UnderwritingAction(Enum):
    APPROVE = strawberry.enum_value("APPROVE", description="Approve at the APR or money factor, term and amount "
                                    "given; with `conditions`, APPROVED_WITH_CONDITIONS.")
    COUNTER = strawberry.enum_value("COUNTER", description="Offer the structure given instead (amount, term, rate, "
                                    "down payment), optionally with `reasons`.")
    REQUEST_DOCUMENTS = strawberry.enum_value("REQUEST_DOCUMENTS", description="Ask for the `documents` listed.")
    DECLINE = strawberry.enum_value("DECLINE", description="Decline with 1–4 adverse-action `reasons`.")


@strawberry.input(description="An underwriter's decision on a REFERRED or DOCUMENTS_REQUESTED application.")
class DecideApplicationInput:
    application_id: strawberry.ID = strawberry.field(description="The application's `id`.")
    action: UnderwritingAction = strawberry.field(description="Approve, counter, ask for documents or decline.")
    apr: Decimal | None = strawberry.field(default=None, description="APPROVE/COUNTER on a loan: APR in percent.")
    money_factor: Decimal | None = strawberry.field(default=None, description="APPROVE/COUNTER on a lease: money "
                                                    "factor.")
    term_months: int | None = strawberry.field(default=None, description="APPROVE/COUNTER: term (default: as asked).")
    amount: Decimal | None = strawberry.field(default=None, description="APPROVE/COUNTER: the most that may be "
                                              "financed (default: as asked).")
    cash_down: Decimal | None = strawberry.field(default=None, description="COUNTER: the cash down payment "
                                                 "(default: as asked).")
    conditions: list[str] | None = strawberry.field(default=None, description="APPROVE/COUNTER: condition codes "
                                                    "(see `underwriting { conditionCodes }`).")
    documents: list[str] | None = strawberry.field(default=None, description="REQUEST_DOCUMENTS: document codes "
                                                   "(see `underwriting { conditionCodes }`).")
    reasons: list[str] | None = strawberry.field(default=None, description="DECLINE (required) or COUNTER: "
                                                 "adverse-action reason codes, principal first (see `underwriting { "
                                                 "adverseActionReasons }`).")
    note: str | None = strawberry.field(default=None, description="A note to the dealer (at most 1,000 characters).")


@strawberry.type(description="Result of an underwriter's decision.")
class DecideApplicationPayload:
    application: CreditApplicationType | None = strawberry.field(description="The application; null on failure.")
    decision: ApplicationDecisionType | None = strawberry.field(description="The decision recorded; null on failure.")
    errors: list[UserError] = strawberry.field(
        description="NOT_FOUND for an id you may not decide; CONFLICT when the application is not REFERRED or "
        "DOCUMENTS_REQUESTED; INVALID (with the field) for missing or unknown values. Empty on success.")


@strawberry.type
class UnderwritingMutations:
    @strawberry.mutation(
        extensions=[allow(UNDERWRITERS)],
        description="Decide a REFERRED or DOCUMENTS_REQUESTED application: approve (with conditions), counter-offer, "
        "ask for documents or decline with adverse-action reasons. Audited; the dealer gets the webhook event and an "
        "email.",
    )
    async def decide_application(self, info: Info, input: DecideApplicationInput) -> DecideApplicationPayload:
        ctx = info.context
        request = rules.DecisionRequest(
            action=rules.Action(input.action.value), apr=input.apr, money_factor=input.money_factor,
            term_months=input.term_months, amount=input.amount, cash_down=input.cash_down,
            conditions=list(input.conditions or []), documents=list(input.documents or []),
            reasons=list(input.reasons or []), note=(input.note or "").strip())
        outcome = await rules.decide(ctx.services, user=ctx.user, origin=ctx.origin,
                                     application_id=row_id(input.application_id, APPLICATION_TYPE_NAME),
                                     request=request)
        if outcome.problems:
            return DecideApplicationPayload(application=None, decision=None, errors=user_errors(list(outcome.problems)))
        await outcome.decision.fetch_related("rule_set")
        return DecideApplicationPayload(application=CreditApplicationType.from_model(outcome.application),
                                        decision=ApplicationDecisionType.from_model(outcome.decision), errors=[])
