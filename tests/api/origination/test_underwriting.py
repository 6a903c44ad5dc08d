"""The underwriter queue and decideApplication: who may see and decide what, each action, the audit
trail, and what the dealer sees afterwards."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from decimal import Decimal as D

import pytest
from tortoise.transactions import in_transaction

from models import Applicant, ApplicationDecision, AuditEvent, DecisionRuleSet, WebhookDelivery, WebhookEndpoint
from models.enums import ApplicationStatus, Role
from resolvers.origination.rule_sets import active_rule_set
from tests import factories
from tests.api.origination.decision_builders import (
    BORDERLINE,
    EXCELLENT,
    FROZEN,
    THIN_FILE,
    dealer_with_user,
    decided,
    gid,
    sign_in,
    submitted_application,
)
from tests.conftest import count_queries

QUEUE = """query($statuses: [ApplicationStatus!]) { underwriting { queue(statuses: $statuses, first: 10) {
  totalCount edges { node { id number status
    decision { outcome reasons { code } ratios { paymentToIncome debtToIncome loanToValue payment { amount }
                                                 monthlyIncome { amount } monthlyDebt { amount } } }
    creditReports { applicantRole score monthlyDebt { amount } tradelines { creditor kind status
                                                                              monthlyPayment { amount } } }
  } } } } }"""

DECIDE = """mutation($input: DecideApplicationInput!) { decideApplication(input: $input) {
  application { id status }
  decision { outcome decidedByUnderwriter approvedApr approvedMoneyFactor approvedTermMonths approvedAmount { amount }
             conditions { code text } reasons { code text } note
             counterOffer { strategy amount { amount } termMonths cashDown { amount } apr payment { amount } }
             ratios { paymentToIncome debtToIncome loanToValue payment { amount } } }
  errors { code message field } } }"""


async def underwriter_signed_in(client, services, username: str = "uw1"):
    user = await factories.user(services, username, Role.UNDERWRITER)
    await sign_in(client, services, user)
    return user


async def decide(client, application, **fields) -> dict:
    data = await client.execute(DECIDE, {"input": {"applicationId": gid("CreditApplication", application.id),
                                                   **fields}})
    return data["decideApplication"]


async def test_the_queue_lists_referred_applications_oldest_first_with_reports_and_ratios(client, services, clock):
    dealership, dealer = await dealer_with_user(services, "dealer1")
    referred, _ = await decided(services, dealership, dealer, BORDERLINE)
    clock.advance(timedelta(minutes=5))
    frozen, _ = await decided(services, dealership, dealer, FROZEN)
    await decided(services, dealership, dealer, EXCELLENT)  # approved: not waiting
    await submitted_application(services, dealership, dealer, EXCELLENT,  # a draft: never seen by underwriters
                                status=ApplicationStatus.DRAFT, submitted_at=None)
    await underwriter_signed_in(client, services)
    queue = (await client.execute(QUEUE))["underwriting"]["queue"]
    assert queue["totalCount"] == 2
    first, second = (edge["node"] for edge in queue["edges"])
    assert (first["number"], second["number"]) == (referred.number, frozen.number)
    assert first["decision"]["reasons"] == [{"code": "REVIEW_BAND"}]
    assert first["decision"]["ratios"] == {
        "paymentToIncome": "0.1081", "debtToIncome": "0.3848", "loanToValue": "0.9516", "payment": {"amount": "648.63"},
        "monthlyIncome": {"amount": "6000.00"}, "monthlyDebt": {"amount": "1660.00"}}
    [report] = first["creditReports"]
    assert (report["applicantRole"], report["score"], report["monthlyDebt"]) == ("APPLICANT", 604,
                                                                                  {"amount": "460.00"})
    assert report["tradelines"][1] == {"creditor": "Adventure Works Lending", "kind": "INSTALLMENT",
                                       "status": "LATE_30", "monthlyPayment": {"amount": "300.00"}}
    assert second["creditReports"][0]["score"] is None  # frozen file
    approved = (await client.execute(QUEUE, {"statuses": ["APPROVED"]}))["underwriting"]["queue"]
    assert approved["totalCount"] == 1


async def test_the_desk_lists_the_codes_decisions_use(client, services):
    await underwriter_signed_in(client, services)
    desk = (await client.execute("""{ underwriting { ruleSet { version rulesJson }
        adverseActionReasons { code text } conditionCodes { code text } } }"""))["underwriting"]
    assert desk["ruleSet"]["version"] == 1 and "tiers" in json.loads(desk["ruleSet"]["rulesJson"])
    reasons = {item["code"] for item in desk["adverseActionReasons"]}
    assert "EXCESSIVE_OBLIGATIONS" in reasons and "REVIEW_BAND" not in reasons  # referral reasons are not adverse
    assert "PROOF_OF_INCOME" in {item["code"] for item in desk["conditionCodes"]}


async def test_approval_with_conditions_is_audited_and_the_dealer_sees_it(client, services, mailbox):
    dealership, dealer = await dealer_with_user(services, "dealer1")
    application, _ = await decided(services, dealership, dealer, THIN_FILE)
    await mailbox.deliver()  # the referral email
    underwriter = await underwriter_signed_in(client, services)
    result = await decide(client, application, action="APPROVE", apr="9.99", termMonths=60,
                          conditions=["proof_of_income", "PROOF_OF_RESIDENCE"], note="First-time buyer program.")
    assert result["errors"] == []
    assert result["application"]["status"] == "APPROVED_WITH_CONDITIONS"
    decision = result["decision"]
    assert (decision["outcome"], decision["decidedByUnderwriter"], decision["approvedApr"],
            decision["approvedTermMonths"], decision["approvedAmount"]) == (
        "APPROVED_WITH_CONDITIONS", True, "9.9900", 60, {"amount": "29500.00"})
    assert [c["code"] for c in decision["conditions"]] == ["PROOF_OF_INCOME", "PROOF_OF_RESIDENCE"]
    # 29,500.00 at 9.99 % for 60 months; debts 35.00 on the thin file + 1,200.00 rent.
    assert decision["ratios"] == {"paymentToIncome": "0.1044", "debtToIncome": "0.3103", "loanToValue": "0.9516",
                                  "payment": {"amount": "626.64"}}
    [event] = await AuditEvent.filter(action="application.decided")
    assert event.actor_id == underwriter.id
    assert event.details == {"application_id": application.id, "application_number": application.number,
                             "action": "APPROVE", "outcome": "APPROVED_WITH_CONDITIONS",
                             "conditions": ["PROOF_OF_INCOME", "PROOF_OF_RESIDENCE"], "reasons": []}
    [message] = await mailbox.deliver()
    assert message["Subject"] == f"Application {application.number}: approved with conditions"
    assert "First-time buyer program." in mailbox.text(message)
    await sign_in(client, services, dealer)
    node = (await client.execute("""query($id: ID!) { node(id: $id) { ... on CreditApplication { status
        decision { outcome approvedApr note ratios { paymentToIncome } } decisions { totalCount } } } }""",
                                 {"id": gid("CreditApplication", application.id)}))["node"]
    assert node == {"status": "APPROVED_WITH_CONDITIONS", "decisions": {"totalCount": 2},
                    "decision": {"outcome": "APPROVED_WITH_CONDITIONS", "approvedApr": "9.9900",
                                 "note": "First-time buyer program.", "ratios": None}}


async def test_counter_offer_by_an_underwriter(client, services):
    dealership, dealer = await dealer_with_user(services, "dealer1")
    application, _ = await decided(services, dealership, dealer, BORDERLINE)
    await underwriter_signed_in(client, services)
    result = await decide(client, application, action="COUNTER", apr="13.49", termMonths=72, amount="25000.00",
                          cashDown="7500.00", reasons=["EXCESSIVE_OBLIGATIONS"])
    assert result["errors"] == [] and result["application"]["status"] == "COUNTER_OFFERED"
    decision = result["decision"]
    assert decision["counterOffer"] == {"strategy": "UNDERWRITER", "amount": {"amount": "25000.00"}, "termMonths": 72,
                                        "cashDown": {"amount": "7500.00"}, "apr": "13.49",
                                        "payment": {"amount": "508.34"}}
    assert decision["approvedAmount"] == {"amount": "25000.00"}
    assert [r["code"] for r in decision["reasons"]] == ["EXCESSIVE_OBLIGATIONS"]


async def test_documents_requested_then_decided_again(client, services):
    dealership, dealer = await dealer_with_user(services, "dealer1")
    application, _ = await decided(services, dealership, dealer, FROZEN)
    await underwriter_signed_in(client, services)
    asked = await decide(client, application, action="REQUEST_DOCUMENTS", documents=["PROOF_OF_IDENTITY",
                                                                                     "BANK_STATEMENTS"])
    assert asked["errors"] == [] and asked["application"]["status"] == "DOCUMENTS_REQUESTED"
    assert [c["code"] for c in asked["decision"]["conditions"]] == ["PROOF_OF_IDENTITY", "BANK_STATEMENTS"]
    # Still in the queue, and the underwriter may decide once the documents are in.
    queue = (await client.execute(QUEUE))["underwriting"]["queue"]
    assert [edge["node"]["status"] for edge in queue["edges"]] == ["DOCUMENTS_REQUESTED"]
    declined = await decide(client, application, action="DECLINE",
                            reasons=["UNABLE_TO_VERIFY_IDENTITY", "UNABLE_TO_VERIFY_CREDIT_REFERENCES"])
    assert declined["errors"] == [] and declined["application"]["status"] == "DECLINED"
    assert declined["decision"]["reasons"] == [
        {"code": "UNABLE_TO_VERIFY_IDENTITY", "text": "Unable to verify identity"},
        {"code": "UNABLE_TO_VERIFY_CREDIT_REFERENCES", "text": "Unable to verify credit references"}]
    assert await ApplicationDecision.filter(application_id=application.id).count() == 3


async def test_each_decision_emits_the_status_webhook(client, services):
    dealership, dealer = await dealer_with_user(services, "dealer1")
    await WebhookEndpoint.create(dealership=dealership, url="https://dealer.example/hooks", secret_encrypted="x",
                                 secret_last4="abcd", created_by=dealer, created_at=services.clock.now())
    application, _ = await decided(services, dealership, dealer, BORDERLINE)
    await underwriter_signed_in(client, services)
    await decide(client, application, action="DECLINE", reasons=["SCORE_BELOW_MINIMUM"])
    bodies = [json.loads(d.payload)["data"] for d in await WebhookDelivery.all().order_by("id")]
    assert [(b["status"], b["decision_outcome"]) for b in bodies] == [("REFERRED", "REFERRED"),
                                                                      ("DECLINED", "DECLINED")]


@pytest.mark.parametrize("fields, code, field", [
    ({"action": "DECLINE"}, "INVALID", ["reasons"]),
    ({"action": "DECLINE", "reasons": ["REVIEW_BAND"]}, "INVALID", ["reasons"]),  # a referral reason
    ({"action": "DECLINE", "reasons": ["BECAUSE"]}, "INVALID", ["reasons"]),
    ({"action": "DECLINE", "reasons": ["SCORE_BELOW_MINIMUM", "COLLATERAL", "INCOMPLETE_APPLICATION",
                                       "LENGTH_OF_EMPLOYMENT", "UNABLE_TO_VERIFY_INCOME"]}, "INVALID", ["reasons"]),
    ({"action": "APPROVE"}, "INVALID", ["apr"]),  # a loan needs its APR
    ({"action": "APPROVE", "apr": "NaN"}, "INVALID", ["apr"]),
    ({"action": "APPROVE", "apr": "99"}, "INVALID", ["apr"]),
    ({"action": "APPROVE", "apr": "7", "termMonths": 120}, "INVALID", ["termMonths"]),
    ({"action": "APPROVE", "apr": "7", "amount": "0"}, "INVALID", ["amount"]),
    ({"action": "APPROVE", "apr": "7", "amount": "1e30"}, "INVALID", ["amount"]),
    ({"action": "APPROVE", "apr": "7", "amount": "100.001"}, "INVALID", ["amount"]),
    ({"action": "APPROVE", "apr": "7.12345"}, "INVALID", ["apr"]),
    ({"action": "COUNTER", "apr": "7", "cashDown": "-1"}, "INVALID", ["cashDown"]),
    ({"action": "COUNTER", "apr": "7", "cashDown": "40000.00"}, "INVALID", ["amount"]),  # finances nothing
    ({"action": "APPROVE", "apr": "7", "conditions": ["A_PONY"]}, "INVALID", ["conditions"]),
    ({"action": "REQUEST_DOCUMENTS"}, "INVALID", ["documents"]),
    ({"action": "APPROVE", "apr": "7", "note": "x" * 1001}, "INVALID", ["note"]),
])
async def test_invalid_decisions_change_nothing(client, services, fields, code, field):
    dealership, dealer = await dealer_with_user(services, "dealer1")
    application, _ = await decided(services, dealership, dealer, BORDERLINE)
    await underwriter_signed_in(client, services)
    result = await decide(client, application, **fields)
    assert [(e["code"], e["field"]) for e in result["errors"]] == [(code, field)]
    assert result["application"] is None
    await application.refresh_from_db()
    assert application.status == ApplicationStatus.REFERRED
    assert await ApplicationDecision.filter(application_id=application.id).count() == 1
    assert not await AuditEvent.filter(action="application.decided").exists()


async def test_only_referred_or_documents_requested_applications_can_be_decided(client, services):
    dealership, dealer = await dealer_with_user(services, "dealer1")
    approved, _ = await decided(services, dealership, dealer, EXCELLENT)
    draft = await submitted_application(services, dealership, dealer, EXCELLENT, status=ApplicationStatus.DRAFT,
                                        submitted_at=None)
    await underwriter_signed_in(client, services)
    conflict = await decide(client, approved, action="DECLINE", reasons=["COLLATERAL"])
    assert [e["code"] for e in conflict["errors"]] == ["CONFLICT"]
    hidden = await decide(client, draft, action="DECLINE", reasons=["COLLATERAL"])  # drafts are the dealer's
    assert [e["code"] for e in hidden["errors"]] == ["NOT_FOUND"]
    other_type = await client.execute(DECIDE, {"input": {"applicationId": gid("Contract", approved.id),
                                                         "action": "DECLINE", "reasons": ["COLLATERAL"]}})
    assert [e["code"] for e in other_type["decideApplication"]["errors"]] == ["NOT_FOUND"]


async def test_dealers_cannot_use_the_underwriter_desk_or_decide(client, services):
    dealership, dealer = await dealer_with_user(services, "dealer1", Role.DEALER_ADMIN)
    application, _ = await decided(services, dealership, dealer, BORDERLINE)
    await sign_in(client, services, dealer)
    for query, variables in ((QUEUE, None), (DECIDE, {"input": {"applicationId": gid("CreditApplication",
                                                                                     application.id),
                                                                "action": "DECLINE",
                                                                "reasons": ["COLLATERAL"]}})):
        body = (await client.post(query, variables)).json()
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    await application.refresh_from_db()
    assert application.status == ApplicationStatus.REFERRED


async def test_a_lease_approval_needs_a_money_factor(client, services):
    dealership, dealer = await dealer_with_user(services, "dealer1")
    application, _ = await decided(services, dealership, dealer, BORDERLINE, product="LEASE", term_months=36,
                                   cash_price=D("38000.00"), fees=D("0.00"), taxes=D("0.00"),
                                   cash_down=D("2000.00"), vehicle_value=D("38000.00"),
                                   residual_value=D("23200.00"), sales_tax_rate=D("0.0700"), requested_apr=None,
                                   money_factor=D("0.00125"), annual_mileage=12000)
    await underwriter_signed_in(client, services)
    missing = await decide(client, application, action="APPROVE", apr="5")
    assert [(e["code"], e["field"]) for e in missing["errors"]] == [("INVALID", ["moneyFactor"])]
    approved = await decide(client, application, action="APPROVE", moneyFactor="0.0025")
    assert approved["errors"] == []
    assert (approved["decision"]["approvedMoneyFactor"], approved["decision"]["approvedApr"]) == ("0.002500", None)
    # finance-notes example 2 at money factor 0.0025: 355.56 + 148.00 rent = 503.56, + 7 % tax 35.25.
    assert approved["decision"]["ratios"]["payment"] == {"amount": "538.81"}


@pytest.mark.postgres_only
async def test_two_underwriters_deciding_at_once_make_one_decision(app, services):
    import httpx

    from tests.conftest import GraphQLClient

    dealership, dealer = await dealer_with_user(services, "dealer1")
    application, _ = await decided(services, dealership, dealer, BORDERLINE)
    clients = []
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http_a, \
            httpx.AsyncClient(transport=transport, base_url="http://testserver") as http_b:
        for index, http in enumerate((http_a, http_b)):
            client = GraphQLClient(http)
            await underwriter_signed_in(client, services, f"uw{index}")
            clients.append(client)
        results = await asyncio.gather(
            decide(clients[0], application, action="APPROVE", apr="9.99"),
            decide(clients[1], application, action="DECLINE", reasons=["SCORE_BELOW_MINIMUM"]))
    errors = sorted(tuple(e["code"] for e in result["errors"]) for result in results)
    assert errors == [(), ("CONFLICT",)]
    assert await ApplicationDecision.filter(application_id=application.id, decided_by_id__isnull=False).count() == 1
    assert await AuditEvent.filter(action="application.decided").count() == 1


async def test_the_sql_count_of_a_queue_page_does_not_grow_with_its_length(client, services):
    dealership, dealer = await dealer_with_user(services, "dealer1")
    await decided(services, dealership, dealer, BORDERLINE, co_ssn=THIN_FILE)
    await underwriter_signed_in(client, services)

    async def page() -> tuple[int, int]:
        with count_queries() as counter:
            queue = (await client.execute(QUEUE))["underwriting"]["queue"]
        return len(queue["edges"]), len(counter.statements)

    one, queries_for_one = await page()
    for ssn in (FROZEN, BORDERLINE, THIN_FILE, BORDERLINE):
        await decided(services, dealership, dealer, ssn, co_ssn=BORDERLINE)
    five, queries_for_five = await page()
    assert (one, five) == (1, 5)
    assert queries_for_five == queries_for_one


async def test_an_underwriter_decline_sends_the_adverse_action_notice(client, services, mailbox):
    dealership, dealer = await dealer_with_user(services, "dealer1")
    application, _ = await decided(services, dealership, dealer, THIN_FILE)
    await mailbox.deliver()
    await underwriter_signed_in(client, services)
    await decide(client, application, action="DECLINE", reasons=["INSUFFICIENT_CREDIT_HISTORY",
                                                                  "LENGTH_OF_EMPLOYMENT"])
    applicant = await Applicant.get(application_id=application.id).prefetch_related("customer")
    [notice] = [m for m in await mailbox.deliver() if m["To"] == applicant.customer.email]
    text = mailbox.text(notice).replace("\r\n", "\n")
    assert "- Insufficient credit history\n- Length of employment" in text
    assert "Your credit score" not in text  # the thin file has none


@pytest.mark.postgres_only
async def test_concurrent_first_reads_store_the_default_rules_once(services):
    async def active():
        async with in_transaction() as connection:
            return await active_rule_set(services.clock, connection)

    for _ in range(5):
        await DecisionRuleSet.all().delete()
        rows = await asyncio.gather(*(active() for _ in range(4)))
        assert {row.version for row in rows} == {1} and await DecisionRuleSet.all().count() == 1
