"""The underwriter queue and underwriters' decisions.

UNDERWRITERs list the applications the rules referred (REFERRED) or that wait for documents
(DOCUMENTS_REQUESTED), oldest submission first, see the credit reports and the ratios, and decide:

- APPROVE: APR (loan) or money factor (lease), term and the most that may be financed; optional
  conditions (codes from the active rule set's `condition_texts`): APPROVED_WITH_CONDITIONS when
  there are any, APPROVED otherwise.
- COUNTER: a different structure (amount, term, rate, down payment): COUNTER_OFFERED.
- REQUEST_DOCUMENTS: at least one document code: DOCUMENTS_REQUESTED (the underwriter decides again
  once they arrive).
- DECLINE: one to `max_reasons` adverse-action reason codes from the rule set's `reasons` (referral
  reasons such as REVIEW_BAND are not adverse-action reasons): DECLINED.

Only a REFERRED or DOCUMENTS_REQUESTED application can be decided (CONFLICT otherwise; the row is
locked, so two underwriters cannot both decide it). Each decision is appended as an
ApplicationDecision (with the ratios of the decided structure, priced at the decided rate, from
the stored credit reports), audited, announced by the webhook event and emailed to the dealer user
who created the application, in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import Enum

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from auth import audit
from auth.audit import Origin
from finance import underwriting as uw
from gateways.bureau import BureauReport, Tradeline
from models import Applicant, ApplicationDecision, CreditApplication, CreditReport, User
from models.enums import ApplicationStatus, ContractKind, DecisionOutcome, Role
from resolvers.errors import ErrorCode, Problem
from resolvers.origination.decisioning import Pulled, apply_decision, facts_of, structure_of
from resolvers.origination.rule_sets import REFERRAL_REASONS, active_rule_set, rules_of
from resolvers.origination.visibility import applications_visible_to
from service.container import Services

UNDERWRITABLE = (ApplicationStatus.REFERRED, ApplicationStatus.DOCUMENTS_REQUESTED)
MAX_NOTE_LENGTH = 1000
MAX_TERM_MONTHS = 96  # the applications table's limit
MAX_APR = Decimal("36")  # a typo guard: above common state usury caps for auto credit
MAX_MONEY_FACTOR = Decimal("0.01")
MAX_AMOUNT = Decimal("1000000.00")  # a typo guard far above any vehicle

APPLICATION_NOT_FOUND = Problem(ErrorCode.NOT_FOUND, "No application you may decide has that id.", ("applicationId",))


class Action(str, Enum):
    APPROVE = "APPROVE"
    COUNTER = "COUNTER"
    REQUEST_DOCUMENTS = "REQUEST_DOCUMENTS"
    DECLINE = "DECLINE"


@dataclass(frozen=True)
class DecisionRequest:
    """An underwriter's decision as entered (amounts and rates already parsed to Decimal)."""

    action: Action
    apr: Decimal | None = None
    money_factor: Decimal | None = None
    term_months: int | None = None
    amount: Decimal | None = None
    cash_down: Decimal | None = None
    conditions: list[str] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    note: str = ""


@dataclass(frozen=True)
class DecisionOutcomeResult:
    problems: tuple[Problem, ...] = ()
    application: CreditApplication | None = None
    decision: ApplicationDecision | None = None


def _fail(*problems: Problem) -> DecisionOutcomeResult:
    return DecisionOutcomeResult(problems=tuple(problems))


def queue(user: User | None, statuses: list[ApplicationStatus] | None = None):
    """The underwriter's queue: visible applications waiting for an underwriter (or the statuses asked)."""
    wanted = list(statuses or UNDERWRITABLE)
    if user is None or user.role != Role.UNDERWRITER:
        return CreditApplication.filter(id__in=[])
    return applications_visible_to(user).filter(status__in=wanted, submitted_at__isnull=False)


# -- checking the input (no database) ------------------------------------------------------------

def _codes(values: list[str], known: dict, field_name: str, what: str) -> list[str] | Problem:
    codes = list(dict.fromkeys(code.strip().upper() for code in values if code.strip()))
    unknown = [code for code in codes if code not in known]
    if unknown:
        return Problem(ErrorCode.INVALID, f"Unknown {what}: {', '.join(unknown)}. Known: {', '.join(sorted(known))}.",
                       (field_name,))
    return codes


def _structure_problems(request: DecisionRequest, application: CreditApplication) -> list[Problem]:
    # Places the columns keep (APR 4, money factor 6, money 2): more would be silently rounded.
    numbers = (("apr", request.apr, 4), ("moneyFactor", request.money_factor, 6), ("amount", request.amount, 2),
               ("cashDown", request.cash_down, 2))
    problems = [Problem(ErrorCode.INVALID, f"{name} must be a number with at most {places} decimal places.", (name,))
                for name, value, places in numbers
                if value is not None and (not value.is_finite() or value.as_tuple().exponent < -places)]
    if problems:
        return problems
    lease = application.product == ContractKind.LEASE
    if lease:
        if request.money_factor is None or not Decimal(0) <= request.money_factor < MAX_MONEY_FACTOR:
            problems.append(Problem(ErrorCode.INVALID, f"Give the lease's money factor (0 to {MAX_MONEY_FACTOR}).",
                                    ("moneyFactor",)))
    elif request.apr is None or not Decimal(0) <= request.apr <= MAX_APR:
        problems.append(Problem(ErrorCode.INVALID, f"Give the loan's APR in percent (0 to {MAX_APR}).", ("apr",)))
    if request.term_months is not None and not 1 <= request.term_months <= MAX_TERM_MONTHS:
        problems.append(Problem(ErrorCode.INVALID, f"The term is 1 to {MAX_TERM_MONTHS} months.", ("termMonths",)))
    for name, value in (("amount", request.amount), ("cashDown", request.cash_down)):
        lowest = Decimal("0.01") if name == "amount" else Decimal(0)
        if value is not None and not lowest <= value <= MAX_AMOUNT:
            problems.append(Problem(ErrorCode.INVALID, f"{name} must be an amount from {lowest} to {MAX_AMOUNT:,}.",
                                    (name,)))
    return problems


def check_request(request: DecisionRequest, rules: uw.Rules, condition_texts: dict[str, str],
                  application: CreditApplication) -> DecisionRequest | Problem:
    """The request with codes normalized, or the first problem with it."""
    if len(request.note) > MAX_NOTE_LENGTH:
        return Problem(ErrorCode.INVALID, f"The note is at most {MAX_NOTE_LENGTH} characters.", ("note",))
    if request.action in (Action.APPROVE, Action.COUNTER):
        problems = _structure_problems(request, application)
        if problems:
            return problems[0]
        conditions = _codes(request.conditions, condition_texts, "conditions", "condition")
        if isinstance(conditions, Problem):
            return conditions
        reasons = _reasons(request, rules, required=False)
        if isinstance(reasons, Problem):
            return reasons
        return replace(request, conditions=conditions, reasons=reasons)
    if request.action == Action.REQUEST_DOCUMENTS:
        documents = _codes(request.documents, condition_texts, "documents", "document")
        if isinstance(documents, Problem):
            return documents
        if not documents:
            return Problem(ErrorCode.INVALID, "Name at least one document to ask for.", ("documents",))
        return replace(request, documents=documents)
    reasons = _reasons(request, rules, required=True)
    if isinstance(reasons, Problem):
        return reasons
    return replace(request, reasons=reasons)


def _reasons(request: DecisionRequest, rules: uw.Rules, *, required: bool) -> list[str] | Problem:
    """Adverse-action reason codes (a decline needs 1 to max_reasons; a counter-offer may give them)."""
    adverse = {code: text for code, text in rules.reasons.items() if code not in REFERRAL_REASONS}
    reasons = _codes(request.reasons, adverse, "reasons", "adverse-action reason")
    if isinstance(reasons, Problem):
        return reasons
    if len(reasons) > rules.max_reasons or (required and not reasons):
        return Problem(ErrorCode.INVALID, f"Give the principal reasons: {1 if required else 0} to "
                       f"{rules.max_reasons} (Regulation B).", ("reasons",))
    return reasons


# -- the decision ---------------------------------------------------------------------------------

async def _stored_pulls(application: CreditApplication, connection: BaseDBAsyncClient) -> list[Pulled]:
    """Each applicant with its latest stored report, as the bureau answered it (for the ratios)."""
    applicants = await Applicant.filter(application_id=application.id).using_db(connection).order_by("role", "id")
    reports = await (CreditReport.filter(applicant_id__in=[a.id for a in applicants]).using_db(connection)
                     .order_by("applicant_id", "-pulled_at", "-id"))
    latest: dict[int, CreditReport] = {}
    for row in reports:
        latest.setdefault(row.applicant_id, row)
    pulls = []
    for applicant in applicants:
        row = latest.get(applicant.id)
        report = None
        if row is not None:
            lines = tuple(Tradeline(creditor=t.get("creditor", ""), kind=t.get("kind", ""),
                                    balance=Decimal(t.get("balance", "0")),
                                    monthly_payment=Decimal(t.get("monthly_payment", "0")),
                                    status=t.get("status", "")) for t in row.tradelines or [])
            report = BureauReport(bureau=row.bureau, reference=row.reference, score=row.score, tradelines=lines)
        pulls.append(Pulled(applicant, report))
    return pulls


def _decided_structure(request: DecisionRequest, application: CreditApplication) -> uw.Structure:
    structure = structure_of(application)
    if request.cash_down is not None:
        structure = structure.with_more_down(request.cash_down - structure.cash_down)
    if request.amount is not None:
        structure = structure.with_amount(request.amount)
    if request.term_months is not None:
        structure = replace(structure, term_months=request.term_months)
    return structure


def _ratios(request: DecisionRequest, application: CreditApplication, rules: uw.Rules, pulls: list[Pulled],
            structure: uw.Structure, services: Services) -> dict[str, str]:
    facts = facts_of(rules, application, pulls, services.clock.today())
    priced = uw.Tier(name="", min_score=0, apr=request.apr or Decimal(0), money_factor=request.money_factor or
                     Decimal(0), max_ltv=Decimal(0), max_pti=Decimal(0), max_dti=Decimal(0))
    try:
        ratios = uw.ratios_for(structure, priced, facts).as_json()
    except (ArithmeticError, ValueError):
        ratios = {}  # a structure the payment math refuses (e.g. lease residual above the cap cost)
    ratios.update(monthly_income=str(facts.monthly_income), monthly_debt=str(facts.monthly_debt))
    return ratios


def _texts(codes: list[str], catalogue: dict[str, str]) -> list[dict[str, str]]:
    return [{"code": code, "text": catalogue[code]} for code in codes]


def _values(request: DecisionRequest, application: CreditApplication, rules: uw.Rules, texts: dict[str, str],
            pulls: list[Pulled], services: Services) -> dict:
    if request.action == Action.REQUEST_DOCUMENTS:
        return dict(outcome=DecisionOutcome.DOCUMENTS_REQUESTED, conditions=_texts(request.documents, texts))
    if request.action == Action.DECLINE:
        return dict(outcome=DecisionOutcome.DECLINED,
                    reasons=[rules.reason(code) for code in request.reasons])
    structure = _decided_structure(request, application)
    lease = structure.product == uw.LEASE
    values = dict(approved_apr=None if lease else request.apr, approved_money_factor=request.money_factor if lease
                  else None, approved_term_months=structure.term_months, approved_amount=structure.amount,
                  ratios=_ratios(request, application, rules, pulls, structure, services),
                  conditions=[{"code": code, "text": texts[code]} for code in request.conditions])
    if request.action == Action.COUNTER:
        counter = {"strategy": "UNDERWRITER", "amount": str(structure.amount), "term_months": structure.term_months,
                   "cash_down": str(structure.cash_down), "apr": None if lease else str(request.apr),
                   "money_factor": str(request.money_factor) if lease else None,
                   "payment": values["ratios"].get("payment")}
        return dict(values, outcome=DecisionOutcome.COUNTER_OFFER, counter_offer=counter,
                    reasons=[rules.reason(code) for code in request.reasons])
    outcome = DecisionOutcome.APPROVED_WITH_CONDITIONS if request.conditions else DecisionOutcome.APPROVED
    return dict(values, outcome=outcome)


async def decide(services: Services, *, user: User, origin: Origin, application_id: int | None,
                 request: DecisionRequest) -> DecisionOutcomeResult:
    """An UNDERWRITER decides a REFERRED or DOCUMENTS_REQUESTED application."""
    if user.role != Role.UNDERWRITER or application_id is None:
        return _fail(APPLICATION_NOT_FOUND)
    async with in_transaction() as connection:
        application = await (applications_visible_to(user).filter(id=application_id).using_db(connection)
                             .select_for_update().first())
        if application is None:
            return _fail(APPLICATION_NOT_FOUND)
        if application.status not in UNDERWRITABLE:
            return _fail(Problem(ErrorCode.CONFLICT, f"This application is {application.status.value}: only a "
                                 "REFERRED or DOCUMENTS_REQUESTED application can be decided.", ("applicationId",)))
        rule_set = await active_rule_set(services.clock, connection)
        rules = rules_of(rule_set)
        texts = dict(rule_set.rules.get("condition_texts", {}))
        checked = check_request(request, rules, texts, application)
        if isinstance(checked, Problem):
            return _fail(checked)
        pulls = await _stored_pulls(application, connection)
        values = _values(checked, application, rules, texts, pulls, services)
        if values.get("approved_amount") is not None and values["approved_amount"] <= 0:
            return _fail(Problem(ErrorCode.INVALID, "The structure finances nothing.", ("amount",)))
        decision = await ApplicationDecision.create(
            application_id=application.id, decided_by_id=user.id, rule_set_id=rule_set.id, note=checked.note,
            created_at=services.clock.now(), using_db=connection, **values)
        await audit.record("application.decided", clock=services.clock, origin=origin, actor=user,
                           details={"application_id": application.id, "application_number": application.number,
                                    "action": checked.action.value, "outcome": decision.outcome.value,
                                    "conditions": checked.conditions or checked.documents,
                                    "reasons": checked.reasons if checked.action == Action.DECLINE else []},
                           using_db=connection)
        await apply_decision(services, application, decision, using_db=connection)
    return DecisionOutcomeResult(application=application, decision=decision)

