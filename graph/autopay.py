"""Autopay in the schema: `ContractType.autopay` and the enrol / change / pause / cancel mutations.
Thin: the rules live in resolvers/autopay/."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from auth.permissions import CUSTOMERS
from graph.access import allow
from graph.errors import UserError, user_errors
from graph.ids import contract_row_id, row_id
from graph.payments.methods import PaymentMethodKindEnum
from graph.scalars import Money, money
from models import AutopayCycle, AutopayPlan, Contract
from models import enums as model_enums
from models.enums import AutopayStatus, Role
from resolvers.autopay import plans as rules
from resolvers.autopay.schedule import MAX_DAYS_BEFORE_DUE, REMINDER_DAYS

if TYPE_CHECKING:
    from graph.servicing.types import ContractType

AUTOPAY_TYPE_NAME = "Autopay"

AutopayStatusEnum = strawberry.enum(
    model_enums.AutopayStatus, name="AutopayStatus",
    description="ACTIVE: drafts each installment. SUSPENDED: stopped after two failed drafts in a row; turn it back "
    "on with `changeAutopay`. CANCELLED: ended by you.",
)
AutopayAmountRuleEnum = strawberry.enum(
    model_enums.AutopayAmountRule, name="AutopayAmountRule",
    description="AMOUNT_DUE: what is due (the installment, anything past due and unpaid fees). "
    "AMOUNT_DUE_PLUS_EXTRA: that plus `extraPrincipal` toward principal.",
)


@strawberry.type(name="AutopayMethod", description="The payment method autopay drafts from.")
class AutopayMethodType:
    kind: PaymentMethodKindEnum = strawberry.field(description="Bank account or debit card.")  # type: ignore[valid-type]
    last4: str = strawberry.field(description="Last four digits of the account or card number.")


@strawberry.type(name="AutopayDraft", description="The next draft, as announced in its reminder.")
class AutopayDraftType:
    draft_on: date = strawberry.field(name="date", description="The day the draft is made.")
    amount: Money = strawberry.field(
        description="The amount the reminder announced: the draft never takes more (it takes less when less is owed)."
    )


@strawberry.type(name=AUTOPAY_TYPE_NAME, description="Automatic monthly payments on a contract.")
class AutopayType:
    id: strawberry.ID | None = strawberry.field(
        description="The plan's id (for changeAutopay, pauseAutopayForOneCycle, cancelAutopay); null when the "
        "contract has no autopay."
    )
    enabled: bool = strawberry.field(description="Whether autopay drafts the monthly payment (status ACTIVE).")
    status: AutopayStatusEnum | None = strawberry.field(  # type: ignore[valid-type]
        description="ACTIVE or SUSPENDED; null when the contract has no autopay."
    )
    method: AutopayMethodType | None = strawberry.field(
        description="The method drafted from (shown to the contract's customers only)."
    )
    days_before_due: int | None = strawberry.field(
        description="0: drafted on the due date; 1–5: that many days before it."
    )
    amount_rule: AutopayAmountRuleEnum | None = strawberry.field(description="What is drafted.")  # type: ignore[valid-type]
    extra_principal: Money | None = strawberry.field(
        description="The extra toward principal each draft (0.00 under AMOUNT_DUE)."
    )
    next_draft: AutopayDraftType | None = strawberry.field(
        description=f"The next draft once its reminder fixed it ({REMINDER_DAYS} days before the draft day); null "
        "before that."
    )
    paused_for: date | None = strawberry.field(
        description="The due date whose draft is skipped (pauseAutopayForOneCycle); null when not paused."
    )


DISABLED = AutopayType(id=None, enabled=False, status=None, method=None, days_before_due=None, amount_rule=None,
                       extra_principal=None, next_draft=None, paused_for=None)


def autopay_gid(plan_id: int) -> str:
    return str(relay.GlobalID(AUTOPAY_TYPE_NAME, str(plan_id)))


async def load_autopay(contract_ids: Sequence[int], today: date, show_method: bool) -> list[AutopayType]:
    """The live plan of each contract (or DISABLED): one query, plus one for the open cycles when any."""
    plans = {plan.contract_id: plan for plan in await AutopayPlan.filter(
        contract_id__in=list(contract_ids), status__in=rules.LIVE).select_related("method")}
    cycles: dict[int, AutopayCycle] = {}
    if plans:
        for cycle in await AutopayCycle.filter(plan_id__in=[p.id for p in plans.values()], payment_id=None,
                                               skipped_reason="", due_date__gte=today).order_by("due_date"):
            cycles.setdefault(cycle.plan_id, cycle)
    result = []
    for contract_id in contract_ids:
        plan = plans.get(contract_id)
        if plan is None:
            result.append(DISABLED)
            continue
        cycle = cycles.get(plan.id)
        paused = plan.skip_due_date if plan.skip_due_date is not None and plan.skip_due_date >= today else None
        result.append(AutopayType(
            id=autopay_gid(plan.id), enabled=plan.status == AutopayStatus.ACTIVE, status=plan.status,
            method=AutopayMethodType(kind=plan.method.kind, last4=plan.method.last4) if show_method else None,
            days_before_due=plan.days_before_due, amount_rule=plan.amount_rule,
            extra_principal=money(Decimal(plan.extra_principal)),
            next_draft=(AutopayDraftType(draft_on=cycle.draft_on, amount=money(Decimal(cycle.amount)))
                        if cycle is not None and cycle.due_date != paused else None),
            paused_for=paused,
        ))
    return result


async def autopay_of(info: Info, contract: Contract) -> AutopayType:
    """ContractType.autopay: one loader per request, so a list of contracts costs the same queries."""
    context = info.context
    today = context.services.clock.today()
    show = context.user is not None and context.user.role == Role.CUSTOMER

    def make() -> DataLoader:
        async def load(ids: Sequence[int]) -> list[AutopayType]:
            return await load_autopay(ids, today, show)

        return DataLoader(load_fn=load)

    loader = context.loaders.named("autopay", make)
    return await loader.load(contract.id)


# -- mutations ----------------------------------------------------------------------------------

LazyContract = Annotated["ContractType", strawberry.lazy("graph.servicing.types")]


@strawberry.input(description="Turn on autopay for one of your contracts.")
class EnrollAutopayInput:
    contract_id: strawberry.ID = strawberry.field(description="The `id` of one of your contracts.")
    payment_method_id: strawberry.ID = strawberry.field(
        description="The `id` of one of your payment methods (`viewer.paymentMethods`)."
    )
    days_before_due: int = strawberry.field(
        default=0, description=f"Draft on the due date (0, default) or up to {MAX_DAYS_BEFORE_DUE} days before it."
    )
    amount_rule: AutopayAmountRuleEnum = strawberry.field(  # type: ignore[valid-type]
        default=model_enums.AutopayAmountRule.AMOUNT_DUE, description="What to draft (default AMOUNT_DUE)."
    )
    extra_principal: Decimal | None = strawberry.field(
        default=None, description="With AMOUNT_DUE_PLUS_EXTRA: the extra toward principal, e.g. \"50.00\" "
        "(0.01–10000.00)."
    )


@strawberry.input(description="Change your autopay; leave a field out (or null) to keep it. Turns a SUSPENDED "
                               "plan back on.")
class ChangeAutopayInput:
    autopay_id: strawberry.ID = strawberry.field(description="The contract's `autopay.id`.")
    payment_method_id: strawberry.ID | None = strawberry.field(
        default=None, description="Another of your payment methods."
    )
    days_before_due: int | None = strawberry.field(
        default=None, description=f"0 (the due date) to {MAX_DAYS_BEFORE_DUE} days before it."
    )
    amount_rule: AutopayAmountRuleEnum | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="What to draft."
    )
    extra_principal: Decimal | None = strawberry.field(
        default=None, description="The extra toward principal under AMOUNT_DUE_PLUS_EXTRA (0.01–10000.00)."
    )


@strawberry.input(description="Which autopay to pause for its next draft.")
class PauseAutopayInput:
    autopay_id: strawberry.ID = strawberry.field(description="The contract's `autopay.id`.")


@strawberry.input(description="Which autopay to cancel.")
class CancelAutopayInput:
    autopay_id: strawberry.ID = strawberry.field(description="The contract's `autopay.id`.")


ERRORS_DESCRIPTION = ("REAUTHENTICATION_REQUIRED without a recent `reauthenticate`; NOT_FOUND when an id is not "
                      "yours; INVALID (with the field) for a bad term; CONFLICT when the contract already has "
                      "autopay. Empty on success.")


@strawberry.type(description="Result of an autopay change.")
class AutopayPayload:
    autopay: AutopayType | None = strawberry.field(description="The autopay after the change; null on failure.")
    contract: LazyContract | None = strawberry.field(description="The contract; null on failure.")
    errors: list[UserError] = strawberry.field(description=ERRORS_DESCRIPTION)


async def _payload(info: Info, outcome: rules.PlanOutcome) -> AutopayPayload:
    if outcome.problems:
        return AutopayPayload(autopay=None, contract=None, errors=user_errors(list(outcome.problems)))
    from graph.servicing.types import ContractType

    contract = outcome.contract
    today = info.context.services.clock.today()
    [view] = await load_autopay([contract.id], today, True)
    if view is DISABLED and outcome.plan is not None:  # cancelled: say so
        view = AutopayType(id=autopay_gid(outcome.plan.id), enabled=False, status=outcome.plan.status, method=None,
                           days_before_due=None, amount_rule=None, extra_principal=None, next_draft=None,
                           paused_for=None)
    return AutopayPayload(autopay=view, contract=ContractType.from_model(contract), errors=[])


@strawberry.type
class AutopayMutations:
    @strawberry.mutation(
        extensions=[allow(CUSTOMERS)],
        description="Turn on autopay for one of your contracts (needs a recent `reauthenticate`; mails an alert). "
        f"A reminder with the amount and date is sent {REMINDER_DAYS} days before each draft; a draft never takes "
        "more than the reminder said.",
    )
    async def enroll_autopay(self, info: Info, input: EnrollAutopayInput) -> AutopayPayload:
        ctx = info.context
        outcome = await rules.enroll(
            ctx.services, user=ctx.user, session=ctx.session, origin=ctx.origin,
            contract_id=contract_row_id(input.contract_id), method_id=row_id(input.payment_method_id, "PaymentMethod"),
            days_before_due=input.days_before_due, amount_rule=model_enums.AutopayAmountRule(input.amount_rule),
            extra_principal=input.extra_principal,
        )
        return await _payload(info, outcome)

    @strawberry.mutation(
        extensions=[allow(CUSTOMERS)],
        description="Change your autopay's method, draft day or amount, or turn a SUSPENDED one back on (needs a "
        "recent `reauthenticate`; mails an alert). A reminder already sent keeps its amount as the most drafted.",
    )
    async def change_autopay(self, info: Info, input: ChangeAutopayInput) -> AutopayPayload:
        ctx = info.context
        rule = model_enums.AutopayAmountRule(input.amount_rule) if input.amount_rule is not None else None
        method_id = row_id(input.payment_method_id, "PaymentMethod") if input.payment_method_id is not None else None
        if input.payment_method_id is not None and method_id is None:
            method_id = -1  # not an id of yours: NOT_FOUND
        outcome = await rules.change(
            ctx.services, user=ctx.user, session=ctx.session, origin=ctx.origin,
            plan_id=row_id(input.autopay_id, AUTOPAY_TYPE_NAME), method_id=method_id,
            days_before_due=input.days_before_due, amount_rule=rule, extra_principal=input.extra_principal,
        )
        return await _payload(info, outcome)

    @strawberry.mutation(
        extensions=[allow(CUSTOMERS)],
        description="Skip the next autopay draft only (the one for the next due date); the following ones are "
        "drafted as usual. Needs a recent `reauthenticate`; mails an alert.",
    )
    async def pause_autopay_for_one_cycle(self, info: Info, input: PauseAutopayInput) -> AutopayPayload:
        ctx = info.context
        outcome = await rules.pause_one_cycle(ctx.services, user=ctx.user, session=ctx.session, origin=ctx.origin,
                                              plan_id=row_id(input.autopay_id, AUTOPAY_TYPE_NAME))
        return await _payload(info, outcome)

    @strawberry.mutation(
        extensions=[allow(CUSTOMERS)],
        description="Turn autopay off for the contract (needs a recent `reauthenticate`; mails an alert). A draft "
        "already scheduled can be cancelled as a scheduled payment.",
    )
    async def cancel_autopay(self, info: Info, input: CancelAutopayInput) -> AutopayPayload:
        ctx = info.context
        outcome = await rules.cancel(ctx.services, user=ctx.user, session=ctx.session, origin=ctx.origin,
                                     plan_id=row_id(input.autopay_id, AUTOPAY_TYPE_NAME))
        return await _payload(info, outcome)
