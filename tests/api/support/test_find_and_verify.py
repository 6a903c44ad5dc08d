"""The support desk through /graphql: finding a customer (masked results, audited searches), opening
their account (an audit event the customer sees), and verifying a caller's identity for a case
(knowledge check, or a one-time code by email through a real SMTP server or by the SMS sandbox)."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import date, timedelta

import pytest

from auth.sessions import start_session
from gateways.sms import sms_gateway
from models import AuditEvent, IdentityVerification
from models.enums import Role, SessionKind, VerificationStatus
from resolvers.errors import ClientFacingError, ErrorCode
from resolvers.support.verification import require_verified
from tests import factories
from tests.api.support.desk_helpers import (
    case_gid,
    customer_gid,
    customer_with_login,
    make_case,
    sign_in_staff,
)

SSN = "219099999"
ERRORS = "errors { code message field }"
FIND = """query($input: CustomerSearchInput!) { support { findCustomers(input: $input) { limit hasMore
  customers { id firstName lastName maskedEmail maskedPhone maskedSsn birthYear city state hasLogin } } } }"""
VIEW = """query($id: ID!) { support { customer(id: $id) { id firstName maskedSsn birthYear viewedAt
  login { username maskedEmail locked lockedUntil mfaEnabled emailVerified active }
  contracts { number kind status coBuyer vehicle balance { amount } daysPastDue nextDueDate } } } }"""
VERIFICATION = "verification { method status verifiedAt expiresAt codeExpiresAt attemptsLeft }"
KNOWLEDGE = f"""mutation($input: SupportVerifyIdentityInput!) {{ supportVerifyIdentity(input: $input) {{
  {VERIFICATION} {ERRORS} }} }}"""
SEND = f"""mutation($input: SupportSendVerificationCodeInput!) {{ supportSendVerificationCode(input: $input) {{
  {VERIFICATION} sentTo {ERRORS} }} }}"""
CONFIRM = f"""mutation($input: SupportConfirmVerificationCodeInput!) {{
  supportConfirmVerificationCode(input: $input) {{ {VERIFICATION} {ERRORS} }} }}"""
EVENTS = """{ viewer { securityEvents(first: 50) { edges { node { action description byStaff occurredAt ip } } } } }"""


async def jane(services, **fields):
    values = {"first_name": "Jane", "last_name": "Roe", "date_of_birth": date(1979, 3, 8),
              "email": "jane.roe@example.com", "phone": "+15125550147", "postal_code": "78704", "ssn": SSN, **fields}
    return await customer_with_login(services, "jane", **values)


async def find(client, **criteria) -> dict:
    return (await client.execute(FIND, {"input": criteria}))["support"]["findCustomers"]


async def knowledge(client, case, dob="1979-03-08", zip_code="78704", last4=SSN[-4:]) -> dict:
    value = {"caseId": case_gid(case), "dateOfBirth": dob, "postalCode": zip_code, "ssnLast4": last4}
    return (await client.execute(KNOWLEDGE, {"input": value}))["supportVerifyIdentity"]


async def send_code(client, case, channel="EMAIL") -> dict:
    return (await client.execute(SEND, {"input": {"caseId": case_gid(case), "channel": channel}}))[
        "supportSendVerificationCode"]


async def confirm(client, case, code: str) -> dict:
    return (await client.execute(CONFIRM, {"input": {"caseId": case_gid(case), "code": code}}))[
        "supportConfirmVerificationCode"]


def codes(payload: dict) -> list[str]:
    return [error["code"] for error in payload["errors"]]


def code_in(message) -> str:
    from tests.conftest import Mailbox

    match = re.search(r"^\s*(\d{6})\s*$", Mailbox.text(message), re.MULTILINE)
    assert match, Mailbox.text(message)
    return match.group(1)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


# -- finding a customer --------------------------------------------------------------------------

async def test_every_way_of_searching_finds_the_customer_and_shows_only_masked_values(client, services):
    customer, _ = await jane(services)
    dealer = await factories.dealership()
    contract = await factories.loan(customer, dealer, number="4100000777")
    await factories.customer(services, last_name="Roe", date_of_birth=date(1990, 1, 1), ssn="219098888")
    await sign_in_staff(client, services)
    searches = [
        {"by": "CONTRACT_NUMBER", "contractNumber": contract.number},
        {"by": "NAME_AND_DATE_OF_BIRTH", "lastName": "roe", "dateOfBirth": "1979-03-08"},
        {"by": "NAME_AND_DATE_OF_BIRTH", "lastName": "ROE", "firstName": "jane", "dateOfBirth": "1979-03-08"},
        {"by": "EMAIL", "email": "Jane.Roe@Example.com"},
        {"by": "PHONE", "phone": "(512) 555-0147"},
        {"by": "SSN", "ssn": "9999", "dateOfBirth": "1979-03-08"},
        {"by": "SSN", "ssn": "9999", "postalCode": "78704"},
        {"by": "SSN", "ssn": "9999", "lastName": "Roe"},
        {"by": "SSN", "ssn": "219-09-9999"},
    ]
    for criteria in searches:
        response = await client.post(FIND, {"input": criteria})
        text = response.text
        result = response.json()["data"]["support"]["findCustomers"]
        assert [c["id"] for c in result["customers"]] == [customer_gid(customer)], criteria
        assert result["customers"][0] == {
            "id": customer_gid(customer), "firstName": "Jane", "lastName": "Roe", "maskedEmail": "j***@example.com",
            "maskedPhone": "***-***-0147", "maskedSsn": "***-**-9999", "birthYear": 1979, "city": "Austin",
            "state": "TX", "hasLogin": True,
        }
        for secret in (SSN, "219-09-9999", "jane.roe@example.com", "1979-03-08", "5550147", "78704"):
            assert secret not in text, (secret, criteria)
    assert (await find(client, by="NAME_AND_DATE_OF_BIRTH", lastName="Roe", dateOfBirth="1979-03-09"))[
        "customers"] == []


async def test_a_search_that_is_not_one_of_the_ways_is_invalid(client, services):
    await jane(services)
    await sign_in_staff(client, services)
    for criteria in ({"by": "SSN", "ssn": "9999"}, {"by": "SSN", "ssn": "12345"},
                     {"by": "NAME_AND_DATE_OF_BIRTH", "lastName": "Roe"}, {"by": "EMAIL"},
                     {"by": "PHONE", "phone": "555-0147"}):
        body = (await client.post(FIND, {"input": criteria})).json()
        assert body["errors"][0]["extensions"]["code"] == "INVALID", criteria
    assert await AuditEvent.filter(action="support.searched").count() == 0


async def test_searches_are_capped_and_audited_without_the_values(client, services):
    for n in range(23):
        await factories.customer(services, first_name=f"Sam{n:02d}", last_name="Smith", date_of_birth=date(1980, 5, 5))
    staff = await sign_in_staff(client, services)
    result = await find(client, by="NAME_AND_DATE_OF_BIRTH", lastName="Smith", dateOfBirth="1980-05-05")
    assert (len(result["customers"]), result["limit"], result["hasMore"]) == (20, 20, True)
    event = await AuditEvent.get(action="support.searched")
    assert event.actor_id == staff.id and event.subject_id is None
    assert event.details["by"] == "NAME_AND_DATE_OF_BIRTH" and event.details["results"] == 20
    assert "Smith" not in json.dumps(event.details) and "1980" not in json.dumps(event.details)


# -- the customer view ---------------------------------------------------------------------------

async def test_opening_a_customer_is_shown_in_their_security_events_as_by_staff(client, services, clock):
    customer, user = await jane(services)
    dealer = await factories.dealership()
    await factories.loan(customer, dealer, number="4100000778")
    staff = await sign_in_staff(client, services)
    response = await client.post(VIEW, {"id": customer_gid(customer)})
    view = response.json()["data"]["support"]["customer"]
    assert view["maskedSsn"] == "***-**-9999" and view["birthYear"] == 1979
    assert view["login"] == {"username": "jane", "maskedEmail": "j***@example.com", "locked": False,
                             "lockedUntil": None, "mfaEnabled": False, "emailVerified": False, "active": True}
    assert [(c["number"], c["kind"], c["coBuyer"], c["balance"]["amount"]) for c in view["contracts"]] == [
        ("4100000778", "LOAN", False, view["contracts"][0]["balance"]["amount"])]
    assert SSN not in response.text and "1979-03-08" not in response.text and "78704" not in response.text
    event = await AuditEvent.get(action="support.viewed_account")
    assert (event.actor_id, event.subject_id, event.details["customer_id"]) == (staff.id, user.id, customer.id)

    await client.login("jane", factories.TEST_PASSWORD)
    events = [e["node"] for e in (await client.execute(EVENTS))["viewer"]["securityEvents"]["edges"]]
    viewed = [e for e in events if e["action"] == "support.viewed_account"]
    assert len(viewed) == 1 and viewed[0]["byStaff"] is True and viewed[0]["ip"] is None
    assert viewed[0]["description"] == "Support viewed your account"
    assert viewed[0]["occurredAt"].startswith(clock.now().isoformat()[:19])


async def test_a_customer_without_a_login_can_be_viewed_and_the_audit_names_the_customer(client, services):
    customer = await factories.customer(services)
    await sign_in_staff(client, services)
    view = (await client.execute(VIEW, {"id": customer_gid(customer)}))["support"]["customer"]
    assert view["login"] is None and view["contracts"] == []
    event = await AuditEvent.get(action="support.viewed_account")
    assert event.subject_id is None and event.details["customer_id"] == customer.id
    assert (await client.execute(VIEW, {"id": customer_gid(customer)[:-2]}))["support"]["customer"] is None


async def test_customers_and_dealers_cannot_use_the_desk(client, services):
    customer, _ = await jane(services)
    case = await make_case(services, customer)
    dealer_user = await factories.user(services, "dee", Role.DEALER_USER, dealership=await factories.dealership())
    for user in (await factories.user(services, "carl", Role.CUSTOMER, customer=await factories.customer(services)),
                 dealer_user):
        issued = await start_session(user, kind=SessionKind.BEARER, clock=services.clock, settings=services.settings,
                                     ip="127.0.0.1", user_agent="test")
        client.token = issued.token
        for query, variables in ((VIEW, {"id": customer_gid(customer)}),
                                 (FIND, {"input": {"by": "EMAIL", "email": "jane.roe@example.com"}}),
                                 (SEND, {"input": {"caseId": case_gid(case), "channel": "EMAIL"}}),
                                 (KNOWLEDGE, {"input": {"caseId": case_gid(case), "dateOfBirth": "1979-03-08",
                                                        "postalCode": "78704", "ssnLast4": "9999"}})):
            body = (await client.post(query, variables)).json()
            assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN", user.role
    assert await AuditEvent.filter(action__startswith="support.").count() == 0
    assert await IdentityVerification.all().count() == 0


# -- knowledge check -----------------------------------------------------------------------------

async def test_a_wrong_knowledge_answer_fails_and_the_right_one_verifies_for_30_minutes(client, services, clock):
    customer, user = await jane(services)
    case = await make_case(services, customer)
    staff = await sign_in_staff(client, services)
    for dob, zip_code, last4 in (("1979-03-09", "78704", "9999"), ("1979-03-08", "78705", "9999")):
        failed = await knowledge(client, case, dob, zip_code, last4)
        assert failed["errors"] == [] and failed["verification"]["status"] == "FAILED"
        assert failed["verification"]["expiresAt"] is None
    with pytest.raises(ClientFacingError) as refused:
        await require_verified(staff, case.id, clock=clock)
    assert refused.value.code == ErrorCode.VERIFICATION_REQUIRED

    verified = (await knowledge(client, case, zip_code="78704-1234"))["verification"]
    assert verified["status"] == "VERIFIED" and verified["method"] == "KNOWLEDGE"
    assert verified["expiresAt"] == (clock.now() + timedelta(minutes=30)).isoformat()
    assert (await require_verified(staff, case.id, clock=clock)).id == case.id
    clock.advance(timedelta(minutes=30))
    with pytest.raises(ClientFacingError):
        await require_verified(staff, case.id, clock=clock)

    events = await AuditEvent.filter(action__startswith="support.identity").order_by("id")
    assert [e.action for e in events] == ["support.identity_verification_failed"] * 2 + ["support.identity_verified"]
    assert all(e.subject_id == user.id and e.actor_id == staff.id for e in events)
    assert all(set(e.details) == {"case_id", "customer_id", "method", "verification_id"} for e in events)


async def test_bad_knowledge_input_is_an_error_and_changes_nothing(client, services):
    customer, _ = await jane(services)
    case = await make_case(services, customer)
    await sign_in_staff(client, services)
    payload = await knowledge(client, case, "2999-01-01", "7870", "99a9")
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("INVALID", ["dateOfBirth"]), ("INVALID", ["postalCode"]), ("INVALID", ["ssnLast4"])]
    value = {"caseId": customer_gid(customer), "dateOfBirth": "1979-03-08", "postalCode": "78704", "ssnLast4": "9999"}
    payload = (await client.execute(KNOWLEDGE, {"input": value}))["supportVerifyIdentity"]
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("NOT_FOUND", ["caseId"])]
    assert await IdentityVerification.all().count() == 0


async def test_three_failed_checks_lock_verification_of_the_customer_on_every_case(client, services, clock):
    customer, _ = await jane(services)
    case, other_case = await make_case(services, customer), await make_case(services, customer)
    await sign_in_staff(client, services)
    for _ in range(3):
        assert (await knowledge(client, case, last4="0000"))["verification"]["status"] == "FAILED"
    assert codes(await knowledge(client, case)) == ["LOCKED"]
    assert codes(await knowledge(client, other_case)) == ["LOCKED"]
    assert codes(await send_code(client, other_case)) == ["LOCKED"]
    assert await IdentityVerification.filter(status=VerificationStatus.VERIFIED).count() == 0
    clock.advance(timedelta(hours=24))
    await sign_in_staff(client, services)
    assert (await knowledge(client, other_case))["verification"]["status"] == "VERIFIED"


async def test_a_resolved_case_cannot_be_verified(client, services):
    from models.enums import CaseStatus

    customer, _ = await jane(services)
    case = await make_case(services, customer, status=CaseStatus.RESOLVED)
    await sign_in_staff(client, services)
    assert [(e["code"], e["field"]) for e in (await knowledge(client, case))["errors"]] == [("INVALID", ["caseId"])]


# -- one-time codes ------------------------------------------------------------------------------

async def test_a_code_goes_to_the_email_on_file_and_verifies_the_case_once(client, services, mailbox, clock):
    customer, user = await jane(services)
    case = await make_case(services, customer)
    await sign_in_staff(client, services)
    sent = await send_code(client, case)
    assert sent["errors"] == [] and sent["sentTo"] == "j***@example.com"
    assert sent["verification"]["status"] == "PENDING" and sent["verification"]["attemptsLeft"] == 5
    assert sent["verification"]["codeExpiresAt"] == (clock.now() + timedelta(minutes=10)).isoformat()
    [message] = await mailbox.deliver()
    assert message["To"] == "jane.roe@example.com" and message["Subject"] == "Your autofin verification code"
    code = code_in(message)
    row = await IdentityVerification.get()
    assert row.code_hash and code not in row.code_hash and len(row.code_hash) == 64

    verified = await confirm(client, case, code)
    assert verified["errors"] == [] and verified["verification"]["status"] == "VERIFIED"
    assert verified["verification"]["method"] == "EMAIL_CODE"
    assert codes(await confirm(client, case, code)) == ["INVALID_CODE"]  # single use
    events = await AuditEvent.filter(subject_id=user.id, action__startswith="support.").order_by("id")
    assert [e.action for e in events] == ["support.verification_code_sent", "support.identity_verified"]
    assert all(code not in json.dumps(e.details) for e in events)


async def test_a_code_expires_after_10_minutes(client, services, mailbox, clock):
    customer, _ = await jane(services)
    case = await make_case(services, customer)
    await sign_in_staff(client, services)
    await send_code(client, case)
    code = code_in((await mailbox.deliver())[0])
    clock.advance(timedelta(minutes=10))
    assert codes(await confirm(client, case, code)) == ["INVALID_CODE"]
    assert await IdentityVerification.filter(status=VerificationStatus.VERIFIED).count() == 0


async def test_five_wrong_codes_use_the_code_up_and_a_new_code_replaces_the_old(client, services, mailbox):
    customer, _ = await jane(services)
    case = await make_case(services, customer)
    await sign_in_staff(client, services)
    await send_code(client, case)
    first = code_in((await mailbox.deliver())[0])
    await send_code(client, case)
    second = code_in((await mailbox.deliver())[0])
    if first != second:
        assert codes(await confirm(client, case, first)) == ["INVALID_CODE"]  # replaced
    for _ in range(5 if first == second else 4):
        assert codes(await confirm(client, case, wrong(second))) == ["INVALID_CODE"]
    assert codes(await confirm(client, case, second)) == ["INVALID_CODE"]  # used up
    assert await IdentityVerification.filter(status=VerificationStatus.FAILED).count() == 2
    assert await IdentityVerification.filter(status=VerificationStatus.VERIFIED).count() == 0


async def test_a_code_by_text_goes_to_the_phone_on_file_through_the_sms_sandbox(client, services):
    customer, _ = await jane(services)
    case = await make_case(services, customer)
    await sign_in_staff(client, services)
    sent = await send_code(client, case, "SMS")
    assert sent["errors"] == [] and sent["sentTo"] == "***-***-0147"
    [text] = sms_gateway(services.settings).messages()
    assert text["to"] == "+15125550147"
    code = re.search(r"\b(\d{6})\b", text["body"]).group(1)
    assert (await confirm(client, case, code))["verification"]["method"] == "SMS_CODE"


async def test_a_number_that_cannot_take_texts_is_refused_and_the_code_is_void(client, services):
    customer, _ = await jane(services, phone="5125550002")
    case = await make_case(services, customer)
    await sign_in_staff(client, services)
    assert [(e["code"], e["field"]) for e in (await send_code(client, case, "SMS"))["errors"]] == [
        ("INVALID", ["channel"])]
    assert await IdentityVerification.filter(status=VerificationStatus.PENDING).count() == 0


async def test_codes_are_limited_per_case(client, services, mailbox):
    customer, _ = await jane(services)
    case = await make_case(services, customer)
    await sign_in_staff(client, services)
    for _ in range(5):
        assert (await send_code(client, case))["errors"] == []
    assert codes(await send_code(client, case)) == ["RATE_LIMITED"]


# -- concurrency (PostgreSQL) --------------------------------------------------------------------

@pytest.mark.postgres_only
async def test_a_code_confirmed_twice_at_once_verifies_once(client, services, mailbox):
    customer, _ = await jane(services)
    case = await make_case(services, customer)
    await sign_in_staff(client, services)
    await send_code(client, case)
    code = code_in((await mailbox.deliver())[0])
    results = await asyncio.gather(*(confirm(client, case, code) for _ in range(4)))
    assert sorted(r["verification"]["status"] if r["verification"] else r["errors"][0]["code"] for r in results) == [
        "INVALID_CODE", "INVALID_CODE", "INVALID_CODE", "VERIFIED"]
    assert await AuditEvent.filter(action="support.identity_verified").count() == 1


@pytest.mark.postgres_only
async def test_concurrent_wrong_answers_never_exceed_the_failure_limit(client, services):
    customer, _ = await jane(services)
    case = await make_case(services, customer)
    await sign_in_staff(client, services)
    results = await asyncio.gather(*(knowledge(client, case, last4="0000") for _ in range(6)))
    outcomes = [codes(r)[0] if r["errors"] else r["verification"]["status"] for r in results]
    assert sorted(outcomes) == ["FAILED"] * 3 + ["LOCKED"] * 3
    assert await IdentityVerification.filter(status=VerificationStatus.FAILED).count() == outcomes.count("FAILED")
    assert codes(await knowledge(client, case)) == ["LOCKED"]
