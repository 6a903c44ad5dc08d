"""Automated decisioning: each outcome from the sandbox bureau's test SSNs on the standard deal, the
stored reports and decision, rules as data, and what the dealer sees (API, webhook, email)."""

from __future__ import annotations

import json
import re
from decimal import Decimal as D

import pytest
from tortoise.transactions import in_transaction

from finance.underwriting import RulesError
from models import Applicant, AuditEvent, CreditReport, DecisionRuleSet, WebhookDelivery, WebhookEndpoint
from models.enums import ApplicationStatus, ContractKind, DecisionOutcome, Role
from resolvers.origination.rule_sets import default_rules, describe_active, load_rule_set, load_rule_set_file
from tests import factories
from tests.api.origination.decision_builders import (
    BORDERLINE,
    EXCELLENT,
    FRAUD_ALERT,
    FROZEN,
    GOOD,
    HIGH_DEBT,
    NEAR_PRIME,
    SUBPRIME,
    THIN_FILE,
    UNAVAILABLE,
    dealer_with_user,
    decided,
    gid,
    sign_in,
)

DOCUMENTED = {
    EXCELLENT: ApplicationStatus.APPROVED, GOOD: ApplicationStatus.APPROVED,
    NEAR_PRIME: ApplicationStatus.APPROVED_WITH_CONDITIONS, BORDERLINE: ApplicationStatus.REFERRED,
    SUBPRIME: ApplicationStatus.DECLINED, HIGH_DEBT: ApplicationStatus.COUNTER_OFFERED,
    THIN_FILE: ApplicationStatus.REFERRED, FROZEN: ApplicationStatus.REFERRED,
    FRAUD_ALERT: ApplicationStatus.REFERRED, UNAVAILABLE: ApplicationStatus.REFERRED,
}


def codes(items) -> list[str]:
    return [item["code"] for item in items]


async def test_each_test_ssn_gets_its_documented_outcome(services):
    dealership, user = await dealer_with_user(services, "dealer1")
    got = {}
    for ssn in DOCUMENTED:
        application, _ = await decided(services, dealership, user, ssn)
        got[ssn] = application.status
    assert got == DOCUMENTED


async def test_an_approval_records_the_terms_ratios_and_rule_set(services):
    dealership, user = await dealer_with_user(services, "dealer1")
    _, decision = await decided(services, dealership, user, EXCELLENT)
    assert decision.outcome == DecisionOutcome.APPROVED and decision.decided_by_id is None
    assert (decision.rate_tier, decision.approved_apr, decision.approved_term_months, decision.approved_amount) == (
        "A+", D("5.4900"), 60, D("29500.00"))
    assert decision.ratios == {"payment": "563.35", "pti": "0.0939", "dti": "0.3781", "ltv": "0.9516",
                               "monthly_income": "6000.00", "monthly_debt": "1705.00"}
    # A fresh install got the default rules as version 1, and the decision points at them.
    rule_set = await DecisionRuleSet.get(id=decision.rule_set_id)
    assert (rule_set.version, rule_set.active, rule_set.rules) == (1, True, default_rules())


async def test_credit_reports_are_stored_without_the_ssn(services):
    dealership, user = await dealer_with_user(services, "dealer1")
    application, _ = await decided(services, dealership, user, NEAR_PRIME, co_ssn=GOOD)
    reports = await CreditReport.filter(applicant__application_id=application.id).order_by("id")
    assert [r.score for r in reports] == [652, 724] and reports[0].monthly_debt == D("595.00")
    assert reports[0].tradelines[1] == {"creditor": "Woodgrove Mastercard", "kind": "REVOLVING", "balance": "5200.00",
                                        "monthly_payment": "210.00", "status": "LATE_30", "opened_on": "2019-06-01"}
    for report in reports:
        stored = json.dumps([report.reference, report.bureau, report.tradelines])
        assert NEAR_PRIME not in stored and GOOD not in stored and "0650" not in stored


async def test_a_co_applicant_with_a_better_score_and_income_lifts_the_decision(services):
    dealership, user = await dealer_with_user(services, "dealer1")
    _, alone = await decided(services, dealership, user, BORDERLINE)
    _, together = await decided(services, dealership, user, BORDERLINE, co_ssn=EXCELLENT)
    assert (alone.outcome, together.outcome) == (DecisionOutcome.REFERRED, DecisionOutcome.APPROVED)
    assert together.rate_tier == "A+" and together.ratios["monthly_income"] == "12000.00"


async def test_outcome_details_for_the_test_ssns(services):
    dealership, user = await dealer_with_user(services, "dealer1")
    _, near_prime = await decided(services, dealership, user, NEAR_PRIME)
    assert codes(near_prime.conditions) == ["PROOF_OF_INCOME"] and near_prime.rate_tier == "B"
    _, subprime = await decided(services, dealership, user, SUBPRIME)
    assert subprime.reasons == [
        {"code": "DELINQUENT_OBLIGATIONS", "text": "Delinquent past or present credit obligations with others"},
        {"code": "SCORE_BELOW_MINIMUM", "text": "Credit score below minimum"}]
    assert subprime.approved_amount is None and subprime.approved_apr is None
    _, high_debt = await decided(services, dealership, user, HIGH_DEBT)
    assert high_debt.counter_offer == {"strategy": "TERM", "amount": "29500.00", "term_months": 72,
                                       "cash_down": "3000.00", "apr": "7.49", "money_factor": None,
                                       "payment": "509.92"}
    assert (high_debt.approved_term_months, codes(high_debt.reasons)) == (72, ["EXCESSIVE_OBLIGATIONS"])
    referrals = {}
    for ssn in (BORDERLINE, THIN_FILE, FROZEN, FRAUD_ALERT, UNAVAILABLE):
        _, decision = await decided(services, dealership, user, ssn)
        referrals[ssn] = codes(decision.reasons)
    assert referrals == {BORDERLINE: ["REVIEW_BAND"], THIN_FILE: ["INSUFFICIENT_CREDIT_HISTORY"],
                         FROZEN: ["FROZEN_FILE"], FRAUD_ALERT: ["FRAUD_ALERT"], UNAVAILABLE: ["BUREAU_UNAVAILABLE"]}


async def test_an_unavailable_bureau_stores_no_report(services):
    dealership, user = await dealer_with_user(services, "dealer1")
    application, _ = await decided(services, dealership, user, UNAVAILABLE)
    assert not await CreditReport.filter(applicant__application_id=application.id).exists()


async def test_vehicle_age_limits_the_term_and_old_vehicles_are_declined(services):
    dealership, user = await dealer_with_user(services, "dealer1")
    _, seven_years = await decided(services, dealership, user, GOOD, vehicle_year=2019, term_months=72,
                                   vehicle_value=D("19000.00"), cash_price=D("18000.00"))
    assert seven_years.outcome == DecisionOutcome.COUNTER_OFFER and seven_years.counter_offer["term_months"] == 60
    _, twelve_years = await decided(services, dealership, user, EXCELLENT, vehicle_year=2014)
    assert twelve_years.outcome == DecisionOutcome.DECLINED
    assert codes(twelve_years.reasons) == ["COLLATERAL"]


async def test_a_lease_is_priced_with_the_tier_money_factor(services):
    dealership, user = await dealer_with_user(services, "dealer1")
    _, decision = await decided(services, dealership, user, EXCELLENT, product=ContractKind.LEASE, term_months=36,
                                cash_price=D("38000.00"), fees=D("0.00"), taxes=D("0.00"), cash_down=D("2000.00"),
                                vehicle_value=D("38000.00"), residual_value=D("23200.00"),
                                sales_tax_rate=D("0.0700"), requested_apr=None, money_factor=D("0.00125"),
                                annual_mileage=12000)
    assert decision.outcome == DecisionOutcome.APPROVED
    assert (decision.approved_money_factor, decision.approved_apr, decision.approved_amount) == (
        D("0.001500"), None, D("36000.00"))
    assert decision.ratios["payment"] == "475.47"


async def test_a_loaded_rule_set_changes_the_decision(services):
    dealership, user = await dealer_with_user(services, "dealer1")
    _, before = await decided(services, dealership, user, NEAR_PRIME)
    rules = default_rules()
    rules["referral_band"] = {"min_score": 580, "max_score": 659}
    rules["tiers"][2]["min_score"] = 660
    async with in_transaction() as connection:
        loaded = await load_rule_set(rules, description="near-prime to review", clock=services.clock,
                                     using_db=connection)
    _, after = await decided(services, dealership, user, NEAR_PRIME)
    assert (before.outcome, after.outcome) == (DecisionOutcome.APPROVED_WITH_CONDITIONS, DecisionOutcome.REFERRED)
    assert (loaded.version, after.rule_set_id) == (2, loaded.id)
    assert await DecisionRuleSet.filter(active=True).count() == 1


async def test_the_same_unknown_ssn_always_gets_the_same_decision(services):
    dealership, user = await dealer_with_user(services, "dealer1")
    _, first = await decided(services, dealership, user, "123456789")
    _, second = await decided(services, dealership, user, "123456789")
    assert (first.outcome, first.ratios, first.reasons) == (second.outcome, second.ratios, second.reasons)


APPLICATION_QUERY = """query($id: ID!) { node(id: $id) { ... on CreditApplication { number status
  decision { outcome decidedByUnderwriter rateTier approvedApr approvedTermMonths approvedAmount { amount }
             conditions { code text } reasons { code text } ruleSetVersion
             counterOffer { strategy termMonths amount { amount } payment { amount } }
             ratios { paymentToIncome } }
  decisions(first: 5) { totalCount edges { node { outcome } } }
  creditReports { score }
} } }"""


async def test_the_dealer_sees_the_outcome_but_not_the_credit_report(client, services):
    dealership, user = await dealer_with_user(services, "dealer1")
    application, _ = await decided(services, dealership, user, HIGH_DEBT)
    await sign_in(client, services, user)
    node = (await client.execute(APPLICATION_QUERY, {"id": gid("CreditApplication", application.id)}))["node"]
    assert node["status"] == "COUNTER_OFFERED"
    decision = node["decision"]
    assert decision["outcome"] == "COUNTER_OFFER" and decision["decidedByUnderwriter"] is False
    assert decision["counterOffer"] == {"strategy": "TERM", "termMonths": 72, "amount": {"amount": "29500.00"},
                                        "payment": {"amount": "509.92"}}
    assert decision["reasons"] == [{"code": "EXCESSIVE_OBLIGATIONS",
                                    "text": "Excessive obligations in relation to income"}]
    assert decision["ruleSetVersion"] == 1
    assert decision["ratios"] is None and node["creditReports"] is None  # underwriters only
    assert node["decisions"]["totalCount"] == 1


async def test_another_dealership_sees_nothing(client, services):
    dealership, user = await dealer_with_user(services, "dealer1")
    application, decision = await decided(services, dealership, user, EXCELLENT)
    _, stranger = await dealer_with_user(services, "dealer2")
    await sign_in(client, services, stranger)
    data = await client.execute("""query($a: ID!, $d: ID!) { a: node(id: $a) { id } d: node(id: $d) { id } }""",
                                {"a": gid("CreditApplication", application.id),
                                 "d": gid("ApplicationDecision", decision.id)})
    assert data == {"a": None, "d": None}


async def test_decisions_and_reports_by_global_id(client, services):
    dealership, user = await dealer_with_user(services, "dealer1")
    application, decision = await decided(services, dealership, user, GOOD)
    report = await CreditReport.filter(applicant__application_id=application.id).first()
    query = """query($d: ID!, $r: ID!) { d: node(id: $d) { ... on ApplicationDecision { outcome } }
                                          r: node(id: $r) { ... on CreditReport { score } } }"""
    ids = {"d": gid("ApplicationDecision", decision.id), "r": gid("CreditReport", report.id)}
    await sign_in(client, services, user)
    assert await client.execute(query, ids) == {"d": {"outcome": "APPROVED"}, "r": None}
    underwriter = await factories.user(services, "uw1", Role.UNDERWRITER)
    await sign_in(client, services, underwriter)
    assert await client.execute(query, ids) == {"d": {"outcome": "APPROVED"}, "r": {"score": 724}}


async def test_the_dealer_gets_an_email_and_a_webhook_event_without_customer_data(services, mailbox):
    dealership, user = await dealer_with_user(services, "dealer1")
    await WebhookEndpoint.create(dealership=dealership, url="https://dealer.example/hooks", secret_encrypted="x",
                                 secret_last4="abcd", created_by=user, created_at=services.clock.now())
    application, _ = await decided(services, dealership, user, SUBPRIME)
    [message] = [m for m in await mailbox.deliver() if m["To"] == user.email]
    assert message["Subject"] == f"Application {application.number}: declined"
    text = mailbox.text(message)
    assert "Credit score below minimum" in text and "Delinquent past or present credit obligations" in text
    for secret in (SUBPRIME, "0540", "538"):
        assert secret not in text
    [delivery] = await WebhookDelivery.all()
    body = json.loads(delivery.payload)
    assert (body["type"], body["data"]) == ("application.status_changed", {
        "application_number": application.number, "status": "DECLINED", "decision_outcome": "DECLINED"})


async def test_rule_set_files_load_audited_and_bad_ones_change_nothing(services):
    """What `autofin rule-set load FILE` and `autofin rule-set show` do."""
    assert (await describe_active())["version"] is None  # nothing stored yet: the defaults are shown
    rules = default_rules()
    rules["tiers"][0]["apr"] = "4.99"
    row = await load_rule_set_file(rules, description="A+ at 4.99", clock=services.clock)
    shown = await describe_active()
    assert (shown["version"], shown["description"], shown["rules"]["tiers"][0]["apr"]) == (1, "A+ at 4.99", "4.99")
    [event] = await AuditEvent.filter(action="rule_set.loaded")
    assert event.details == {"version": 1, "rule_set_id": row.id, "description": "A+ at 4.99"}
    broken = default_rules()
    del broken["reasons"]["COLLATERAL"]
    with pytest.raises(RulesError, match="COLLATERAL"):
        await load_rule_set_file(broken, description="broken", clock=services.clock)
    assert (await describe_active())["version"] == 1 and await DecisionRuleSet.all().count() == 1


async def test_a_decline_sends_the_applicant_an_adverse_action_notice_with_only_their_own_score(services, mailbox):
    dealership, user = await dealer_with_user(services, "dealer1")
    application, decision = await decided(services, dealership, user, SUBPRIME, co_ssn=GOOD)
    assert decision.outcome == DecisionOutcome.DECLINED  # the co-applicant's 724 cannot offset the delinquencies
    applicant = await Applicant.get(application_id=application.id, role="APPLICANT").prefetch_related("customer")
    co_applicant = await Applicant.get(application_id=application.id, role="CO_APPLICANT").prefetch_related("customer")
    messages = {m["To"]: m for m in await mailbox.deliver()}
    assert set(messages) == {user.email, applicant.customer.email}  # one notice on a joint application
    notice = messages[applicant.customer.email]
    assert notice["Subject"] == f"Your credit application {application.number}"
    text = mailbox.text(notice)
    assert "Delinquent past or present credit obligations with others" in text
    assert "Your credit score: 538 (scores range from 300 to 850)" in text
    assert "Equal Credit Opportunity Act" in text and "sandbox" in text
    # The co-applicant's score as a number of its own (a generated name like "Pat724" is not a score).
    assert not re.search(r"\b724\b", text)
    assert co_applicant.customer.first_name not in text and SUBPRIME not in text


async def test_no_adverse_action_notice_for_other_outcomes(services, mailbox):
    dealership, user = await dealer_with_user(services, "dealer1")
    await decided(services, dealership, user, EXCELLENT)
    await decided(services, dealership, user, BORDERLINE)
    assert {m["To"] for m in await mailbox.deliver()} == {user.email}
