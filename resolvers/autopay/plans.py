"""Autopay plans: enrol a contract, change the plan, pause it for one cycle, cancel it.

Rules:
- Customers only, on a contract they hold (or co-signed) and with one of their own payment
  methods that is not removed; anything else answers NOT_FOUND, like a row that does not exist.
- Every change needs a recent step-up (auth/stepup.py), mails an alert and writes an audit event,
  in one transaction with the change: nothing changes when a Problem is returned.
- One live plan (ACTIVE or SUSPENDED) per contract: enrolling a second is a CONFLICT. The check
  runs holding the contract row, so two enrolments cannot both pass it. A SUSPENDED plan is
  re-enabled with `change` (its failure count starts again at zero).
- Draft day: the due date or 1–5 days before it. Amount rule: the amount due, or the amount due
  plus a fixed extra toward principal (0.01–10,000.00).
- Pause: the next due date the plan would draft for (its cycle not yet drafted) is skipped; the
  following one drafts normally. Pausing again while paused is refused (INVALID).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from tortoise.expressions import Subquery
from tortoise.transactions import in_transaction

from auth import audit
from auth.stepup import recently_reauthenticated
from mail.notify import portal_link, send
from models import AutopayPlan, Contract, LedgerEntry, PaymentMethod, Session, User
from models.enums import AutopayAmountRule, AutopayStatus, ContractStatus, Role
from resolvers.autopay.schedule import MAX_DAYS_BEFORE_DUE, finished_due_dates, upcoming_due_date
from resolvers.errors import ErrorCode, Problem
from resolvers.identity.account import REAUTH_REQUIRED
from resolvers.servicing.visibility import contracts_visible_to
from service.container import Services

MAX_EXTRA = Decimal("10000.00")
LIVE = (AutopayStatus.ACTIVE, AutopayStatus.SUSPENDED)

CONTRACT_NOT_FOUND = Problem(ErrorCode.NOT_FOUND, "No contract of yours has that id.", ("contractId",))
METHOD_NOT_FOUND = Problem(ErrorCode.NOT_FOUND, "No payment method of yours has that id.", ("paymentMethodId",))
PLAN_NOT_FOUND = Problem(ErrorCode.NOT_FOUND, "No autopay plan of yours has that id.", ("autopayId",))


@dataclass(frozen=True)
class PlanOutcome:
    problems: tuple[Problem, ...] = ()
    plan: AutopayPlan | None = None
    contract: Contract | None = None


def _fail(*problems: Problem) -> PlanOutcome:
    return PlanOutcome(problems=tuple(problems))


def check_terms(days_before_due: int | None, amount_rule: AutopayAmountRule | None,
                extra_principal: Decimal | None) -> tuple[list[Problem], Decimal | None]:
    """Validate the plan terms given (None: not given). Returns the problems and the extra in cents."""
    problems: list[Problem] = []
    extra = None
    if days_before_due is not None and not 0 <= days_before_due <= MAX_DAYS_BEFORE_DUE:
        problems.append(Problem(ErrorCode.INVALID, f"Draft on the due date (0) or up to {MAX_DAYS_BEFORE_DUE} "
                                                   "days before it.", ("daysBeforeDue",)))
    if extra_principal is not None:
        try:
            ok = extra_principal.is_finite() and extra_principal == extra_principal.quantize(Decimal("0.01"))
        except (InvalidOperation, AttributeError):
            ok = False
        if not ok or not Decimal("0") <= extra_principal <= MAX_EXTRA:
            problems.append(Problem(ErrorCode.INVALID, f"The extra toward principal is an amount in cents from 0.00 "
                                                       f"to {MAX_EXTRA:,}.", ("extraPrincipal",)))
        else:
            extra = extra_principal
    if amount_rule == AutopayAmountRule.AMOUNT_DUE_PLUS_EXTRA and extra is not None and extra <= 0:
        problems.append(Problem(ErrorCode.INVALID, "Give the extra amount toward principal (more than 0.00).",
                                ("extraPrincipal",)))
    return problems, extra


async def _method_of(user: User, method_id: int | None, connection) -> PaymentMethod | None:
    if method_id is None or user.customer_id is None:
        return None
    return await PaymentMethod.filter(id=method_id, customer_id=user.customer_id, removed_at=None).using_db(
        connection).first()


async def _plan_of(user: User, plan_id: int | None, connection, *, lock: bool = True) -> AutopayPlan | None:
    """A live plan on a contract the user holds (or co-signed), locked for the change."""
    if plan_id is None or user.role != Role.CUSTOMER:
        return None
    query = AutopayPlan.filter(id=plan_id, status__in=LIVE,
                               contract_id__in=Subquery(contracts_visible_to(user).values("id"))).using_db(connection)
    return await (query.select_for_update() if lock else query).first()


def _describe(plan: AutopayPlan, method: PaymentMethod) -> dict:
    rule = ("the amount due" if plan.amount_rule == AutopayAmountRule.AMOUNT_DUE
            else f"the amount due plus ${Decimal(plan.extra_principal):,.2f} toward principal")
    day = "on the due date" if plan.days_before_due == 0 else f"{plan.days_before_due} day(s) before the due date"
    return {"method": f"{method.kind.value.replace('_', ' ').lower()} ending in {method.last4}", "rule": rule,
            "draft_day": day}


async def _alert(services: Services, template: str, user: User, contract: Contract, plan: AutopayPlan,
                 method: PaymentMethod, change: str, connection) -> None:
    await send(services, template, user.email, {
        "username": user.username, "account_ending": contract.number[-4:], "change": change,
        "when": services.clock.now().strftime("%Y-%m-%d %H:%M UTC"), "link": portal_link(services, "autopay"),
        **_describe(plan, method),
    }, using_db=connection)


async def _audit(services: Services, action: str, user: User, origin: audit.Origin, plan: AutopayPlan,
                 connection, **details) -> None:
    await audit.record(action, clock=services.clock, origin=origin, actor=user, subject=user,
                       details={"autopay_id": plan.id, "contract_id": plan.contract_id, **details},
                       using_db=connection)


async def enroll(services: Services, *, user: User, session: Session | None, origin: audit.Origin,
                 contract_id: int | None, method_id: int | None, days_before_due: int,
                 amount_rule: AutopayAmountRule, extra_principal: Decimal | None) -> PlanOutcome:
    problems, extra = check_terms(days_before_due, amount_rule, extra_principal)
    if problems:
        return _fail(*problems)
    if not recently_reauthenticated(session, services.clock):
        return _fail(REAUTH_REQUIRED)
    if contract_id is None or user.role != Role.CUSTOMER:
        return _fail(CONTRACT_NOT_FOUND)
    now = services.clock.now()
    async with in_transaction() as connection:
        contract = await contracts_visible_to(user).filter(id=contract_id).using_db(
            connection).select_for_update().first()
        if contract is None:
            return _fail(CONTRACT_NOT_FOUND)
        method = await _method_of(user, method_id, connection)
        if method is None:
            return _fail(METHOD_NOT_FOUND)
        if contract.status != ContractStatus.ACTIVE:
            return _fail(Problem(ErrorCode.INVALID, "Autopay is only for a contract that is still active.",
                                 ("contractId",)))
        if await AutopayPlan.filter(contract_id=contract.id, status__in=LIVE).using_db(connection).exists():
            return _fail(Problem(ErrorCode.CONFLICT, "This contract already has autopay; change it instead "
                                                     "(a suspended plan is turned back on with changeAutopay).",
                                 ("contractId",)))
        if amount_rule == AutopayAmountRule.AMOUNT_DUE:
            extra = Decimal("0.00")
        elif extra is None:
            return _fail(Problem(ErrorCode.INVALID, "Give the extra amount toward principal (more than 0.00).",
                                 ("extraPrincipal",)))
        plan = await AutopayPlan.create(contract=contract, user=user, method=method, status=AutopayStatus.ACTIVE,
                                        days_before_due=days_before_due, amount_rule=amount_rule,
                                        extra_principal=extra, created_at=now, updated_at=now, using_db=connection)
        await _alert(services, "autopay_enrolled", user, contract, plan, method, "enrolled", connection)
        await _audit(services, "autopay.enrolled", user, origin, plan, connection, method_id=method.id,
                     days_before_due=days_before_due, amount_rule=amount_rule.value, extra_principal=str(extra))
    return PlanOutcome(plan=plan, contract=contract)


async def change(services: Services, *, user: User, session: Session | None, origin: audit.Origin,
                 plan_id: int | None, method_id: int | None, days_before_due: int | None,
                 amount_rule: AutopayAmountRule | None, extra_principal: Decimal | None) -> PlanOutcome:
    """Change any of the terms given (None keeps it); a SUSPENDED plan becomes ACTIVE again."""
    problems, extra = check_terms(days_before_due, amount_rule, extra_principal)
    if problems:
        return _fail(*problems)
    if not recently_reauthenticated(session, services.clock):
        return _fail(REAUTH_REQUIRED)
    async with in_transaction() as connection:
        plan = await _plan_of(user, plan_id, connection)
        if plan is None:
            return _fail(PLAN_NOT_FOUND)
        method = await _method_of(user, method_id, connection) if method_id is not None else None
        if method_id is not None and method is None:
            return _fail(METHOD_NOT_FOUND)
        if method is None:
            method = await PaymentMethod.get(id=plan.method_id).using_db(connection)
        rule = amount_rule or plan.amount_rule
        new_extra = extra if extra is not None else Decimal(plan.extra_principal)
        if rule == AutopayAmountRule.AMOUNT_DUE:
            new_extra = Decimal("0.00")
        elif new_extra <= 0:
            return _fail(Problem(ErrorCode.INVALID, "Give the extra amount toward principal (more than 0.00).",
                                 ("extraPrincipal",)))
        was_suspended = plan.status == AutopayStatus.SUSPENDED
        plan.method_id = method.id
        plan.days_before_due = plan.days_before_due if days_before_due is None else days_before_due
        plan.amount_rule = rule
        plan.extra_principal = new_extra
        plan.status = AutopayStatus.ACTIVE
        plan.consecutive_failures = 0
        plan.updated_at = services.clock.now()
        await plan.save(using_db=connection, update_fields=["method_id", "days_before_due", "amount_rule",
                                                            "extra_principal", "status", "consecutive_failures",
                                                            "updated_at"])
        contract = await Contract.get(id=plan.contract_id).using_db(connection)
        await _alert(services, "autopay_changed", user, contract, plan, method,
                     "turned back on" if was_suspended else "changed", connection)
        await _audit(services, "autopay.changed", user, origin, plan, connection, method_id=method.id,
                     days_before_due=plan.days_before_due, amount_rule=rule.value, extra_principal=str(new_extra),
                     reenabled=was_suspended)
    return PlanOutcome(plan=plan, contract=contract)


async def pause_one_cycle(services: Services, *, user: User, session: Session | None, origin: audit.Origin,
                          plan_id: int | None) -> PlanOutcome:
    if not recently_reauthenticated(session, services.clock):
        return _fail(REAUTH_REQUIRED)
    today = services.clock.today()
    async with in_transaction() as connection:
        plan = await _plan_of(user, plan_id, connection)
        if plan is None:
            return _fail(PLAN_NOT_FOUND)
        if plan.status != AutopayStatus.ACTIVE:
            return _fail(Problem(ErrorCode.INVALID, "This autopay is suspended: turn it back on first.",
                                 ("autopayId",)))
        contract = await Contract.get(id=plan.contract_id).using_db(connection)
        rows = await LedgerEntry.filter(contract_id=contract.id).order_by("effective_date", "id").using_db(connection)
        finished = await finished_due_dates(plan.id, connection)
        due = upcoming_due_date(plan, contract, rows, today, finished)
        if due is None:
            return _fail(Problem(ErrorCode.INVALID, "There is no upcoming autopay payment to skip.", ("autopayId",)))
        if plan.skip_due_date is not None and plan.skip_due_date >= today:
            return _fail(Problem(ErrorCode.INVALID, f"Autopay is already paused for the payment due "
                                                    f"{plan.skip_due_date.isoformat()}.", ("autopayId",)))
        plan.skip_due_date = due
        plan.updated_at = services.clock.now()
        await plan.save(using_db=connection, update_fields=["skip_due_date", "updated_at"])
        method = await PaymentMethod.get(id=plan.method_id).using_db(connection)
        await _alert(services, "autopay_changed", user, contract, plan, method,
                     f"paused for the payment due {due.isoformat()}", connection)
        await _audit(services, "autopay.paused", user, origin, plan, connection, due_date=due.isoformat())
    return PlanOutcome(plan=plan, contract=contract)


async def cancel(services: Services, *, user: User, session: Session | None, origin: audit.Origin,
                 plan_id: int | None) -> PlanOutcome:
    """Stop autopay. A draft already scheduled stays (cancel it as a scheduled payment)."""
    if not recently_reauthenticated(session, services.clock):
        return _fail(REAUTH_REQUIRED)
    async with in_transaction() as connection:
        plan = await _plan_of(user, plan_id, connection)
        if plan is None:
            return _fail(PLAN_NOT_FOUND)
        plan.status = AutopayStatus.CANCELLED
        plan.updated_at = services.clock.now()
        await plan.save(using_db=connection, update_fields=["status", "updated_at"])
        contract = await Contract.get(id=plan.contract_id).using_db(connection)
        method = await PaymentMethod.get(id=plan.method_id).using_db(connection)
        await _alert(services, "autopay_changed", user, contract, plan, method, "cancelled", connection)
        await _audit(services, "autopay.cancelled", user, origin, plan, connection)
    return PlanOutcome(plan=plan, contract=contract)
