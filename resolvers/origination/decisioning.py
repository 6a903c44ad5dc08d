"""Automated decisioning of a submitted application: pull each applicant's credit report through
`services.bureau`, apply the active rule set (finance/underwriting.py does the evaluation; the rules
are data, resolvers/origination/rule_sets.py), record the decision and move the application to its
outcome status, then tell the dealer (webhook event and an email to the dealer user who created it)
and, on a decline, the applicant (the adverse action notice, resolvers/origination/adverse_action.py).

Everything happens in the caller's transaction (submitApplication's), so a failure leaves the
application as it was. A bureau that cannot answer does not fail the submission: the application
is REFERRED to an underwriter with that reason. Credit reports are stored without the SSN; the SSN
is decrypted only to hand it to the bureau.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tortoise.backends.base.client import BaseDBAsyncClient

from finance import underwriting as uw
from gateways.bureau import BureauError, BureauReport
from mail import notify as mail
from models import Applicant, ApplicationDecision, CreditApplication, CreditReport, User
from models.enums import ApplicantRole, ApplicationStatus, ContractKind, DecisionOutcome
from resolvers.origination.adverse_action import send_adverse_action_notice
from resolvers.origination.rule_sets import active_rule_set, rules_of
from resolvers.webhooks.events import APPLICATION_STATUS_CHANGED, application_status_data, emit
from service.container import Services

log = logging.getLogger("autofin.decisioning")

# An alert of our own: the bureau could not answer (the rules say what that leads to).
BUREAU_UNAVAILABLE = "BUREAU_UNAVAILABLE"

STATUS_OF_OUTCOME = {
    DecisionOutcome.APPROVED: ApplicationStatus.APPROVED,
    DecisionOutcome.APPROVED_WITH_CONDITIONS: ApplicationStatus.APPROVED_WITH_CONDITIONS,
    DecisionOutcome.COUNTER_OFFER: ApplicationStatus.COUNTER_OFFERED,
    DecisionOutcome.DECLINED: ApplicationStatus.DECLINED,
    DecisionOutcome.REFERRED: ApplicationStatus.REFERRED,
    DecisionOutcome.DOCUMENTS_REQUESTED: ApplicationStatus.DOCUMENTS_REQUESTED,
}


@dataclass(frozen=True)
class Pulled:
    """One applicant with what the bureau returned (report None: the bureau could not answer)."""

    applicant: Applicant
    report: BureauReport | None


# -- from rows to the pure evaluation's inputs ---------------------------------------------------

def structure_of(application: CreditApplication) -> uw.Structure:
    """The deal as finance.underwriting sees it (see finance/deal.py for the same arithmetic)."""
    gross = application.cash_price + application.fees + application.taxes + application.trade_in_payoff
    gross += application.add_ons_price  # coverage products sold with the deal are financed
    reduction = application.cash_down + application.trade_in_value
    lease = application.product == ContractKind.LEASE
    return uw.Structure(
        product=uw.LEASE if lease else uw.LOAN, gross=gross, reduction=reduction, cash_down=application.cash_down,
        term_months=application.term_months, vehicle_value=application.vehicle_value,
        residual_value=(application.residual_value or Decimal("0.00")) if lease else Decimal("0.00"),
        tax_rate=(application.sales_tax_rate or Decimal("0")) if lease else Decimal("0"),
    )


def vehicle_age(application: CreditApplication, today: date) -> int:
    """Age in model years (next year's model counts as 0)."""
    return max(0, today.year - application.vehicle_year)


def applicant_file(pulled: Pulled) -> uw.ApplicantFile:
    report, applicant = pulled.report, pulled.applicant
    lines = report.tradelines if report else ()
    return uw.ApplicantFile(
        primary=applicant.role == ApplicantRole.APPLICANT,
        score=report.score if report else None,
        alerts=report.alerts if report else (BUREAU_UNAVAILABLE,),
        bureau_debt=report.monthly_debt if report else Decimal("0.00"),
        mortgage_payment=sum((line.monthly_payment for line in lines if line.kind == "MORTGAGE"), Decimal("0.00")),
        tradeline_statuses=tuple(line.status for line in lines),
        monthly_income=applicant.monthly_income, housing_payment=applicant.housing_payment,
        months_employed=applicant.months_employed,
    )


def facts_of(rules: uw.Rules, application: CreditApplication, pulls: list[Pulled], today: date) -> uw.Facts:
    return uw.combined_facts(rules, [applicant_file(p) for p in pulls], vehicle_age=vehicle_age(application, today),
                             vehicle_mileage=application.vehicle_mileage)


# -- the bureau ----------------------------------------------------------------------------------

async def _pull(services: Services, applicant: Applicant, using_db: BaseDBAsyncClient) -> Pulled:
    customer = applicant.customer
    ssn = services.cipher.decrypt(customer.ssn_encrypted, table="customers", column="ssn")
    try:
        report = await services.bureau.pull(ssn, first_name=customer.first_name, last_name=customer.last_name,
                                            date_of_birth=customer.date_of_birth, postal_code=customer.postal_code)
    except BureauError as error:
        log.warning("credit bureau unavailable", extra={"applicant_id": applicant.id, "error": type(error).__name__})
        return Pulled(applicant, None)
    await CreditReport.create(
        applicant_id=applicant.id, bureau=report.bureau, reference=report.reference[:64], score=report.score,
        monthly_debt=report.monthly_debt, tradelines=[line.as_json() for line in report.tradelines],
        pulled_at=services.clock.now(), using_db=using_db,
    )
    return Pulled(applicant, report)


# -- the decision --------------------------------------------------------------------------------

def decision_values(verdict: uw.Verdict, facts: uw.Facts) -> dict:
    """The ApplicationDecision columns of a verdict (what was approved, or offered instead)."""
    tier = verdict.tier
    offered = verdict.counter.structure if verdict.counter else verdict.structure
    priced = verdict.outcome in (uw.APPROVED, uw.APPROVED_WITH_CONDITIONS, uw.COUNTER_OFFER) and tier is not None
    lease = offered.product == uw.LEASE
    ratios = verdict.ratios.as_json() if verdict.ratios else {}
    ratios.update(monthly_income=str(facts.monthly_income), monthly_debt=str(facts.monthly_debt))
    return dict(
        outcome=DecisionOutcome(verdict.outcome), rate_tier=tier.name if tier else "",
        approved_apr=tier.apr if priced and not lease else None,
        approved_money_factor=tier.money_factor if priced and lease else None,
        approved_term_months=offered.term_months if priced else None,
        approved_amount=verdict.approved_amount if priced else None,
        ratios=ratios, conditions=verdict.conditions,
        counter_offer=verdict.counter.as_json(tier) if verdict.counter else None,
        reasons=verdict.reasons,
    )


async def decide_submitted(services: Services, application: CreditApplication, *,
                           using_db: BaseDBAsyncClient) -> ApplicationDecision:
    """Pull the applicants' credit reports, apply the active rule set, record the decision and move
    the application to its outcome status, in the caller's transaction."""
    rule_set = await active_rule_set(services.clock, using_db)
    rules = rules_of(rule_set)
    applicants = await (Applicant.filter(application_id=application.id).using_db(using_db)
                        .select_related("customer").order_by("role", "id"))
    pulls = [await _pull(services, applicant, using_db) for applicant in applicants]
    facts = facts_of(rules, application, pulls, services.clock.today())
    verdict = uw.evaluate(rules, facts, structure_of(application))
    decision = await ApplicationDecision.create(
        application_id=application.id, decided_by=None, rule_set_id=rule_set.id, created_at=services.clock.now(),
        using_db=using_db, **decision_values(verdict, facts),
    )
    await apply_decision(services, application, decision, using_db=using_db)
    return decision


# -- the status change and the news --------------------------------------------------------------

STATUS_WORDS = {
    ApplicationStatus.APPROVED: "approved",
    ApplicationStatus.APPROVED_WITH_CONDITIONS: "approved with conditions",
    ApplicationStatus.COUNTER_OFFERED: "counter-offered",
    ApplicationStatus.DECLINED: "declined",
    ApplicationStatus.REFERRED: "referred to an underwriter",
    ApplicationStatus.DOCUMENTS_REQUESTED: "waiting for documents",
}


async def apply_decision(services: Services, application: CreditApplication, decision: ApplicationDecision, *,
                         using_db: BaseDBAsyncClient) -> None:
    """Move the application to the decision's status, emit the webhook event and email the dealer
    user who created the application, all in the caller's transaction."""
    application.status = STATUS_OF_OUTCOME[decision.outcome]
    application.updated_at = services.clock.now()
    await application.save(update_fields=["status", "updated_at"], using_db=using_db)
    await emit(services, dealership_id=application.dealership_id, event_type=APPLICATION_STATUS_CHANGED,
               data=application_status_data(application, decision.outcome), using_db=using_db)
    await _email_dealer(services, application, decision, using_db)
    if decision.outcome == DecisionOutcome.DECLINED:
        await send_adverse_action_notice(services, application, decision, using_db=using_db)


def _counter_words(counter: dict | None) -> str:
    if not counter:
        return ""
    rate = f"APR {counter['apr']} %" if counter.get("apr") else f"money factor {counter.get('money_factor')}"
    return (f"{counter['amount']} over {counter['term_months']} months with {counter['cash_down']} down, "
            f"{rate}, about {counter['payment']} a month")


async def _email_dealer(services: Services, application: CreditApplication, decision: ApplicationDecision,
                        using_db: BaseDBAsyncClient) -> None:
    """The dealer's news: the outcome, its conditions, counter-offer and reasons. No customer data
    (no name, SSN or credit figures): the application number identifies it."""
    creator = await User.filter(id=application.created_by_id, is_active=True).using_db(using_db).first()
    if creator is None:
        return
    context = {
        "number": application.number, "status_words": STATUS_WORDS.get(application.status, application.status.value),
        "vehicle": f"{application.vehicle_year} {application.vehicle_make} {application.vehicle_model}",
        "conditions": [item["text"] for item in decision.conditions or []],
        "reasons": [item["text"] for item in decision.reasons or []],
        "counter": _counter_words(decision.counter_offer), "note": decision.note,
    }
    await mail.send(services, "application_decided", creator.email, context, using_db=using_db)
