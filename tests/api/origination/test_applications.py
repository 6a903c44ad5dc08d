"""Financing applications at the dealer desk through /graphql: drafts, edits, consent, submission
(with decisioning in the same transaction), withdrawal, another dealership's applications, and the
pipeline (filters, keyset pages, a constant number of SQL statements)."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import timedelta

import pytest

from models import Applicant, AuditEvent, CreditApplication, WebhookDelivery, WebhookEndpoint
from models.enums import ApplicationStatus, Role
from tests import factories
from tests.api.origination import desk
from tests.api.origination.desk import ERRORS, VIN, codes
from tests.api.servicing.builders import gid
from tests.conftest import count_queries

APPLICATION = """application { id number status product createdAt submittedAt updatedAt withdrawnAt
  applicants { role ssnLast4 employer monthlyIncome { amount } housingStatus creditConsentAt creditConsentIp
               customer { firstName } }
  vehicle { vin vinCheckDigitValid year make model condition value { amount } }
  deal { product cashPrice { amount } cashDown { amount } termMonths requestedApr moneyFactor annualMileage }
  quote { loan { monthlyPayment { amount } } lease { monthlyPayment { amount } } errors { code field } }
  submissionProblems { code field } dealership { name } decision { outcome } }"""
CREATE = f"""mutation($input: CreateCreditApplicationInput!) {{ createCreditApplication(input: $input) {{
  {APPLICATION} {ERRORS} }} }}"""
UPDATE = f"""mutation($input: UpdateCreditApplicationInput!) {{ updateCreditApplication(input: $input) {{
  {APPLICATION} {ERRORS} }} }}"""
CONSENT = f"""mutation($input: RecordCreditConsentInput!) {{ recordCreditConsent(input: $input) {{
  {APPLICATION} {ERRORS} }} }}"""
SUBMIT = f"""mutation($input: SubmitCreditApplicationInput!) {{ submitCreditApplication(input: $input) {{
  {APPLICATION} {ERRORS} }} }}"""
WITHDRAW = f"""mutation($input: WithdrawCreditApplicationInput!) {{ withdrawCreditApplication(input: $input) {{
  {APPLICATION} {ERRORS} }} }}"""
NODE = "query($id: ID!) { node(id: $id) { ... on CreditApplication { number status } } }"


async def create(client, **sections) -> dict:
    return (await client.execute(CREATE, {"input": sections}))["createCreditApplication"]


async def draft(client, services, dealer, *, ssn: str = "123456789", co_ssn: str | None = None,
                deal: dict | None = None, vehicle: dict | None = None, standard: bool = False) -> dict:
    """A draft for a verified customer of `dealer`'s dealership (and a co-applicant with `co_ssn`)."""
    person = await desk.onboarded(services, dealer, ssn=ssn, first_name="Maria")
    make = desk.standard_applicant if standard else desk.applicant
    sections = {"applicant": make(person), "vehicle": vehicle or desk.vehicle(),
                "deal": deal or (desk.standard_deal() if standard else desk.loan_deal())}
    if co_ssn:
        sections["coApplicant"] = make(await desk.onboarded(services, dealer, ssn=co_ssn, first_name="Luis"))
    payload = await create(client, **sections)
    assert payload["errors"] == [], payload["errors"]
    return payload["application"]


async def consent(client, application: dict, role: str = "APPLICANT") -> dict:
    value = {"applicationId": application["id"], "role": role}
    return (await client.execute(CONSENT, {"input": value}))["recordCreditConsent"]


async def submit(client, application: dict) -> dict:
    return (await client.execute(SUBMIT, {"input": {"applicationId": application["id"]}}))["submitCreditApplication"]


async def withdraw(client, application: dict, reason: str | None = None) -> dict:
    value = {"applicationId": application["id"], **({"reason": reason} if reason else {})}
    return (await client.execute(WITHDRAW, {"input": value}))["withdrawCreditApplication"]


async def ready(client, services, dealer, **kwargs) -> dict:
    """A complete draft (standard deal, approved by the sandbox bureau's rules) with consent."""
    application = await draft(client, services, dealer, ssn=desk.APPROVED_SSN, standard=True, **kwargs)
    return (await consent(client, application))["application"]


async def endpoint(dealer) -> WebhookEndpoint:
    return await WebhookEndpoint.create(dealership_id=dealer.dealership_id, url="https://hooks.example/autofin",
                                        secret_encrypted="not-used", secret_last4="abcd", created_by=dealer,
                                        created_at=dealer.created_at)


def events(deliveries) -> list[dict]:
    return [json.loads(row.payload)["data"] for row in deliveries]


# -- drafts ---------------------------------------------------------------------------------------

async def test_a_dealer_starts_a_draft_with_applicant_vehicle_and_deal(client, services):
    dealer = await desk.dealer(client, services)
    payload = await create(client, applicant=desk.applicant(await desk.onboarded(services, dealer)),
                           vehicle=desk.vehicle(vin="1hgcm 82633a 004352"), deal=desk.loan_deal())
    assert payload["errors"] == []
    application = payload["application"]
    assert re.fullmatch(r"A\d{9}", application["number"]) and application["status"] == "DRAFT"
    assert application["product"] == "LOAN" and application["dealership"] == {"name": "Sunrise Motors"}
    [person] = application["applicants"]
    assert person["role"] == "APPLICANT" and person["ssnLast4"] == "6789" and person["creditConsentAt"] is None
    assert application["vehicle"]["vin"] == VIN and application["vehicle"]["vinCheckDigitValid"] is True
    assert application["deal"]["cashPrice"] == {"amount": "5000.00"} and application["deal"]["termMonths"] == 36
    assert application["quote"] == {"loan": {"monthlyPayment": {"amount": "166.07"}}, "lease": None, "errors": []}
    assert application["submissionProblems"] == [{"code": "INVALID", "field": ["applicant", "creditConsent"]}]
    assert "123456789" not in json.dumps(payload)
    event = await AuditEvent.get(action="application.created")
    assert event.actor_id == dealer.id and event.details["application_number"] == application["number"]


async def test_applicants_must_be_verified_customers_of_the_dealership_and_two_people(client, services):
    dealer = await desk.dealer(client, services)
    verified = await desk.onboarded(services, dealer)
    unverified = await desk.onboarded(services, dealer, verified=False, ssn="223456789")
    elsewhere = await factories.user(services, "other.dealer", Role.DEALER_USER,
                                     dealership=await factories.dealership())
    theirs = await desk.onboarded(services, elsewhere, ssn="323456789")
    common = {"vehicle": desk.vehicle(), "deal": desk.loan_deal()}

    assert codes(await create(client, applicant=desk.applicant(unverified), **common)) == [
        ("INVALID", ["applicant", "customerId"])]
    assert codes(await create(client, applicant=desk.applicant(theirs), **common)) == [
        ("NOT_FOUND", ["applicant", "customerId"])]
    assert codes(await create(client, applicant=desk.applicant(verified), coApplicant=desk.applicant(verified),
                              **common)) == [("INVALID", ["coApplicant", "customerId"])]
    bogus = {**desk.applicant(verified), "customerId": gid("Contract", verified.id)}
    assert codes(await create(client, applicant=bogus, **common)) == [("NOT_FOUND", ["applicant", "customerId"])]
    assert await CreditApplication.all().count() == 0


@pytest.mark.parametrize(("section", "values", "field"), [
    ("vehicle", {"vin": "1HGCM82633A00435"}, ["vehicle", "vin"]),
    ("vehicle", {"vin": "1HGCM82633A00435O"}, ["vehicle", "vin"]),
    ("vehicle", {"year": 1975}, ["vehicle", "year"]),
    ("vehicle", {"make": ""}, ["vehicle", "make"]),
    ("vehicle", {"value": "-1.00"}, ["vehicle", "value"]),
    ("vehicle", {"mileage": -5}, ["vehicle", "mileage"]),
    ("deal", {"cashPrice": "-10.00"}, ["deal", "cashPrice"]),
    ("deal", {"termMonths": 120}, ["deal", "termMonths"]),
    ("deal", {"moneyFactor": "0.002"}, ["deal", "moneyFactor"]),
    ("applicant", {"monthlyIncome": "10.001"}, ["applicant", "monthlyIncome"]),
    ("applicant", {"monthsEmployed": -1}, ["applicant", "monthsEmployed"]),
])
async def test_a_draft_refuses_malformed_sections_with_their_field(client, services, section, values, field):
    dealer = await desk.dealer(client, services)
    person = await desk.onboarded(services, dealer)
    sections = {"applicant": desk.applicant(person), "vehicle": desk.vehicle(), "deal": desk.loan_deal()}
    sections[section] = {**sections[section], **values}
    payload = await create(client, **sections)
    assert codes(payload) == [("INVALID", field)]
    assert await CreditApplication.all().count() == 0


async def test_a_draft_is_edited_section_by_section(client, services):
    dealer = await desk.dealer(client, services)
    application = await draft(client, services, dealer, co_ssn="223456789")
    await consent(client, application)
    await consent(client, application, "CO_APPLICANT")
    value = {"applicationId": application["id"], "deal": desk.lease_deal(),
             "vehicle": desk.vehicle(vin=desk.OTHER_VIN, condition="USED", value="28000.00"),
             "applicant": desk.applicant(await desk.onboarded(services, dealer, verified=True, ssn="323456789"),
                                         monthlyIncome="7000.00")}
    payload = (await client.execute(UPDATE, {"input": value}))["updateCreditApplication"]
    assert payload["errors"] == []
    changed = payload["application"]
    assert changed["product"] == "LEASE" and changed["deal"]["moneyFactor"] == "0.001250"
    assert changed["quote"]["lease"] == {"monthlyPayment": {"amount": "459.63"}}
    assert changed["vehicle"]["vin"] == desk.OTHER_VIN and changed["vehicle"]["condition"] == "USED"
    applicant, co_applicant = changed["applicants"]
    # Another person as applicant: their consent is not the previous person's.
    assert applicant["monthlyIncome"] == {"amount": "7000.00"} and applicant["creditConsentAt"] is None
    assert co_applicant["role"] == "CO_APPLICANT" and co_applicant["creditConsentAt"] is not None

    co_row = await Applicant.get(role="CO_APPLICANT").select_related("customer")
    value = {"applicationId": application["id"], "coApplicant": desk.applicant(co_row.customer, employer="New Co")}
    payload = (await client.execute(UPDATE, {"input": value}))["updateCreditApplication"]
    co_applicant = payload["application"]["applicants"][1]
    assert co_applicant["employer"] == "New Co" and co_applicant["creditConsentAt"] is not None  # same person

    value = {"applicationId": application["id"], "removeCoApplicant": True}
    payload = (await client.execute(UPDATE, {"input": value}))["updateCreditApplication"]
    assert [a["role"] for a in payload["application"]["applicants"]] == ["APPLICANT"]
    assert (await AuditEvent.filter(action="application.updated").count()) == 3


async def test_an_edit_may_not_make_the_co_applicant_the_applicant(client, services):
    dealer = await desk.dealer(client, services)
    application = await draft(client, services, dealer, co_ssn="223456789")
    co_row = await Applicant.get(role="CO_APPLICANT").select_related("customer")
    value = {"applicationId": application["id"], "applicant": desk.applicant(co_row.customer)}
    payload = (await client.execute(UPDATE, {"input": value}))["updateCreditApplication"]
    assert codes(payload) == [("INVALID", ["coApplicant", "customerId"])]


async def test_consent_is_recorded_with_time_and_ip_once(client, services, clock):
    dealer = await desk.dealer(client, services)
    application = await draft(client, services, dealer)
    payload = await consent(client, application)
    [person] = payload["application"]["applicants"]
    assert person["creditConsentAt"].startswith("2026-11-02T15:00:00") and person["creditConsentIp"] == "127.0.0.1"
    assert payload["application"]["submissionProblems"] == []
    event = await AuditEvent.get(action="application.consent_recorded")
    assert event.details["role"] == "APPLICANT" and event.ip == "127.0.0.1"
    clock.advance(timedelta(minutes=5))
    again = await consent(client, application)
    assert again["application"]["applicants"][0]["creditConsentAt"] == person["creditConsentAt"]
    assert codes(await consent(client, application, "CO_APPLICANT")) == [("INVALID", ["role"])]


# -- submission -----------------------------------------------------------------------------------

async def test_submission_lists_every_missing_or_wrong_item_and_changes_nothing(client, services):
    dealer = await desk.dealer(client, services)
    lease = desk.lease_deal(annualMileage=None, termMonths=60)
    application = await draft(client, services, dealer, co_ssn="223456789", deal=lease,
                              vehicle=desk.vehicle(vin="1HGCM82643A004352"))
    payload = await submit(client, application)
    assert codes(payload) == [
        ("INVALID", ["vehicle", "vin"]), ("INVALID", ["deal", "termMonths"]), ("INVALID", ["deal", "annualMileage"]),
        ("INVALID", ["applicant", "creditConsent"]), ("INVALID", ["coApplicant", "creditConsent"]),
    ]
    stored = await CreditApplication.get()
    assert stored.status == ApplicationStatus.DRAFT and stored.submitted_at is None
    assert not await AuditEvent.filter(action="application.submitted").exists()


async def test_a_complete_draft_is_submitted_and_decided_in_one_step(client, services):
    dealer = await desk.dealer(client, services)
    await endpoint(dealer)
    application = await ready(client, services, dealer)
    payload = await submit(client, application)
    assert payload["errors"] == []
    submitted = payload["application"]
    assert submitted["status"] == "APPROVED" and submitted["decision"] == {"outcome": "APPROVED"}
    assert submitted["submittedAt"].startswith("2026-11-02T15:00:00") and submitted["submissionProblems"] == []
    assert (await AuditEvent.get(action="application.submitted")).actor_id == dealer.id
    sent = events(await WebhookDelivery.filter(event_type="application.status_changed").order_by("id"))
    assert sent[0] == {"application_number": submitted["number"], "status": "SUBMITTED", "decision_outcome": None}
    assert sent[-1]["status"] == "APPROVED"


async def test_a_submitted_application_can_no_longer_be_edited_consented_or_submitted(client, services):
    dealer = await desk.dealer(client, services)
    application = await ready(client, services, dealer)
    await submit(client, application)
    edit = {"applicationId": application["id"], "deal": desk.standard_deal(termMonths=72)}
    assert codes((await client.execute(UPDATE, {"input": edit}))["updateCreditApplication"]) == [
        ("CONFLICT", ["applicationId"])]
    assert codes(await consent(client, application)) == [("CONFLICT", ["applicationId"])]
    assert codes(await submit(client, application)) == [("CONFLICT", ["applicationId"])]
    assert (await CreditApplication.get()).term_months == 60


# -- withdrawal -----------------------------------------------------------------------------------

async def test_a_draft_or_a_decided_application_is_withdrawn_once(client, services):
    dealer = await desk.dealer(client, services)
    await endpoint(dealer)
    first = await draft(client, services, dealer)
    payload = await withdraw(client, first, reason="Customer bought elsewhere")
    assert payload["errors"] == [] and payload["application"]["status"] == "WITHDRAWN"
    assert payload["application"]["withdrawnAt"].startswith("2026-11-02T15:00:00")
    event = await AuditEvent.get(action="application.withdrawn")
    assert event.details["previous_status"] == "DRAFT" and event.details["reason"] == "Customer bought elsewhere"
    assert codes(await withdraw(client, first)) == [("CONFLICT", ["applicationId"])]

    second = await ready(client, services, dealer, vehicle=desk.vehicle(vin=desk.OTHER_VIN))
    await submit(client, second)
    payload = await withdraw(client, second)
    assert payload["application"]["status"] == "WITHDRAWN"
    last = events(await WebhookDelivery.all().order_by("-id").limit(1))[0]
    assert last == {"application_number": second["number"], "status": "WITHDRAWN", "decision_outcome": "APPROVED"}


@pytest.mark.parametrize("status", [ApplicationStatus.CONTRACTED, ApplicationStatus.FUNDED,
                                    ApplicationStatus.DECLINED])
async def test_contracted_funded_or_declined_applications_cannot_be_withdrawn(client, services, status):
    dealer = await desk.dealer(client, services)
    application = await draft(client, services, dealer)
    await CreditApplication.filter(number=application["number"]).update(status=status)
    assert codes(await withdraw(client, application)) == [("CONFLICT", ["applicationId"])]


# -- another dealership ---------------------------------------------------------------------------

async def test_another_dealerships_application_is_not_found_everywhere(client, services):
    owner = await desk.dealer(client, services, username="owner")
    application = await draft(client, services, owner)
    await desk.dealer(client, services, username="intruder")  # another dealership, signed in now
    assert (await client.execute(NODE, {"id": application["id"]}))["node"] is None
    edit = {"applicationId": application["id"], "deal": desk.loan_deal(termMonths=48)}
    assert codes((await client.execute(UPDATE, {"input": edit}))["updateCreditApplication"]) == [
        ("NOT_FOUND", ["applicationId"])]
    assert codes(await consent(client, application)) == [("NOT_FOUND", ["applicationId"])]
    assert codes(await submit(client, application)) == [("NOT_FOUND", ["applicationId"])]
    assert codes(await withdraw(client, application)) == [("NOT_FOUND", ["applicationId"])]
    listed = await client.execute("{ dealer { applications { totalCount } } }")
    assert listed["dealer"]["applications"]["totalCount"] == 0
    stored = await CreditApplication.get()
    assert stored.status == ApplicationStatus.DRAFT and stored.term_months == 36


async def test_a_colleague_at_the_same_dealership_works_on_the_application(client, services):
    owner = await desk.dealer(client, services, username="owner")
    application = await draft(client, services, owner)
    colleague = await factories.user(services, "boss", Role.DEALER_ADMIN, dealership_id=owner.dealership_id)
    await desk.sign_in(client, services, colleague)
    assert (await client.execute(NODE, {"id": application["id"]}))["node"]["status"] == "DRAFT"
    assert (await consent(client, application))["errors"] == []


async def test_underwriters_see_submitted_applications_but_not_drafts(client, services):
    dealer = await desk.dealer(client, services)
    kept_draft = await draft(client, services, dealer)
    submitted = await ready(client, services, dealer, vehicle=desk.vehicle(vin=desk.OTHER_VIN))
    await submit(client, submitted)
    await desk.sign_in(client, services, await factories.user(services, "uma", Role.UNDERWRITER))
    assert (await client.execute(NODE, {"id": kept_draft["id"]}))["node"] is None
    assert (await client.execute(NODE, {"id": submitted["id"]}))["node"]["number"] == submitted["number"]


# -- the pipeline ---------------------------------------------------------------------------------

PIPELINE = """query($filter: ApplicationFilter, $first: Int, $after: String) { dealer {
  applications(filter: $filter, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor }
    edges { node { number status createdAt product applicants { role ssnLast4 customer { firstName } }
                   vehicle { make } deal { termMonths } quote { loan { monthlyPayment { amount } } } } } } } }"""


async def _pipeline(client, **variables) -> dict:
    return (await client.execute(PIPELINE, variables))["dealer"]["applications"]


def _numbers(page: dict) -> list[str]:
    return [edge["node"]["number"] for edge in page["edges"]]


async def test_the_pipeline_lists_newest_first_and_filters_by_status_and_date(client, services, clock):
    dealer = await desk.dealer(client, services)
    made = []
    for n in range(4):
        made.append(await draft(client, services, dealer, ssn=f"12345{n:04d}"))
        clock.advance(timedelta(days=1))
        await desk.sign_in(client, services, dealer)  # the previous session timed out meanwhile
    await withdraw(client, made[1])
    everything = await _pipeline(client)
    assert _numbers(everything) == [a["number"] for a in reversed(made)] and everything["totalCount"] == 4

    drafts = await _pipeline(client, filter={"statuses": ["DRAFT"]})
    assert _numbers(drafts) == [made[3]["number"], made[2]["number"], made[0]["number"]]
    days = await _pipeline(client, filter={"fromDate": "2026-11-03", "toDate": "2026-11-04"})
    assert _numbers(days) == [made[2]["number"], made[1]["number"]] and days["totalCount"] == 2
    both = await _pipeline(client, filter={"statuses": ["WITHDRAWN", "SUBMITTED"], "fromDate": "2026-11-03"})
    assert _numbers(both) == [made[1]["number"]]

    page = await _pipeline(client, first=3)
    assert page["pageInfo"]["hasNextPage"] is True
    rest = await _pipeline(client, first=3, after=page["pageInfo"]["endCursor"])
    assert _numbers(page) + _numbers(rest) == _numbers(everything)

    body = (await client.post(PIPELINE, {"filter": {"fromDate": "2026-11-05", "toDate": "2026-11-01"}})).json()
    assert body["errors"][0]["extensions"]["code"] == "INVALID"


async def test_the_pipeline_costs_the_same_sql_whatever_the_page_size(client, services):
    dealer = await desk.dealer(client, services)
    for n in range(6):
        await draft(client, services, dealer, ssn=f"12345{n:04d}", co_ssn=f"22345{n:04d}")
    counts = {}
    for size in (1, 6):
        with count_queries() as counter:
            page = await _pipeline(client, first=size)
        assert len(page["edges"]) == size
        assert all(len(edge["node"]["applicants"]) == 2 for edge in page["edges"])
        counts[size] = len(counter.statements)
    assert counts[1] == counts[6], counts


async def test_only_dealers_reach_the_pipeline(client, services):
    await desk.sign_in(client, services, await factories.user(services, "uma", Role.UNDERWRITER))
    body = (await client.post("{ dealer { applications { totalCount } } }")).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.postgres_only
async def test_two_submissions_of_one_draft_at_once_decide_it_once(client, services):
    from models import ApplicationDecision

    dealer = await desk.dealer(client, services)
    application = await ready(client, services, dealer)
    results = await asyncio.gather(submit(client, application), submit(client, application))
    assert sorted(tuple(code for code, _ in codes(r)) for r in results) == [(), ("CONFLICT",)]
    assert await ApplicationDecision.all().count() == 1
