"""Customer onboarding at the dealer desk through /graphql: create (normalized, SSN encrypted,
duplicates caught by SSN blind index and by email), find, attach an existing customer, verify
identity in person, confirm contact details, and the registration link for onboarded customers."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from models import AuditEvent, Customer, CustomerOnboarding, OneTimeToken
from models.enums import Role, TokenPurpose
from tests import factories
from tests.api.origination import desk
from tests.api.origination.desk import ERRORS, codes, customer_gid

ONBOARDING = ("onboarding { identityVerified identityDocumentType identityDocumentLast4 identityVerifiedBy "
              "identityVerifiedAt contactConfirmedAt contactConfirmedBy onboardedBy "
              "customer { id firstName lastName ssnLast4 maskedEmail maskedPhone city state } }")
ONBOARD = f"""mutation($input: OnboardCustomerInput!) {{ onboardCustomer(input: $input) {{
  {ONBOARDING} existingCustomerId {ERRORS} }} }}"""
ATTACH = f"""mutation($input: OnboardExistingCustomerInput!) {{ onboardExistingCustomer(input: $input) {{
  {ONBOARDING} {ERRORS} }} }}"""
VERIFY = f"""mutation($input: VerifyCustomerIdentityInput!) {{ verifyCustomerIdentity(input: $input) {{
  {ONBOARDING} {ERRORS} }} }}"""
CONFIRM = f"""mutation($input: ConfirmCustomerContactInput!) {{ confirmCustomerContact(input: $input) {{
  {ONBOARDING} {ERRORS} }} }}"""
FIND = f"""query($input: FindCustomerInput!) {{ findCustomer(input: $input) {{
  matches {{ customerId matchedBy onboarding {{ identityVerified customer {{ firstName ssnLast4 }} }} }}
  {ERRORS} }} }}"""
LINK = """mutation($id: ID!) { issueRegistrationLink(input: {customerId: $id}) {
  sentTo expiresAt errors { code field } } }"""


def person(**overrides) -> dict:
    return {"firstName": " Maria ", "lastName": "Lopez", "dateOfBirth": "1990-05-17", "ssn": "123-45-6789",
            "email": "  Maria.Lopez@Example.COM ", "phone": "(512) 555-0142", "addressLine1": "12 Oak Street",
            "addressLine2": "Apt 4", "city": "Austin", "state": "tx", "postalCode": "78701-1234", **overrides}


async def onboard(client, **overrides) -> dict:
    return (await client.execute(ONBOARD, {"input": person(**overrides)}))["onboardCustomer"]


async def test_a_dealer_onboards_a_new_customer_with_normalized_details_and_an_encrypted_ssn(client, services):
    dealer = await desk.dealer(client, services)
    payload = await onboard(client)
    assert payload["errors"] == [] and payload["existingCustomerId"] is None
    shown = payload["onboarding"]
    assert shown["customer"]["firstName"] == "Maria" and shown["customer"]["ssnLast4"] == "6789"
    assert shown["customer"]["maskedEmail"] == "M***@example.com" and shown["customer"]["state"] == "TX"
    assert shown["identityVerified"] is False and shown["onboardedBy"] == "dana"

    customer = await Customer.get()
    assert customer.email == "Maria.Lopez@example.com"  # trimmed, domain lower-cased, mailbox kept
    assert customer.phone == "+15125550142" and customer.postal_code == "78701-1234"
    assert "123456789" not in customer.ssn_encrypted and customer.ssn_last4 == "6789"
    assert services.cipher.decrypt(customer.ssn_encrypted, table="customers", column="ssn") == "123456789"
    assert customer.ssn_blind_index == services.cipher.blind_index("123456789", purpose="customers.ssn")
    onboarding = await CustomerOnboarding.get(customer_id=customer.id)
    assert onboarding.dealership_id == dealer.dealership_id and onboarding.created_by_id == dealer.id

    event = await AuditEvent.get(action="customer.onboarded")
    assert event.actor_id == dealer.id and event.details["customer_id"] == customer.id
    assert "6789" not in str(event.details)


async def test_a_duplicate_ssn_is_a_conflict_naming_the_existing_customer(client, services):
    await desk.dealer(client, services)
    first = await onboard(client)
    existing = first["onboarding"]["customer"]["id"]
    payload = await onboard(client, ssn="123456789", email="someone.else@example.com")
    assert codes(payload) == [("CONFLICT", ["ssn"])]
    assert payload["existingCustomerId"] == existing and existing in payload["errors"][0]["message"]
    assert payload["onboarding"] is None and await Customer.all().count() == 1


async def test_a_duplicate_email_is_a_conflict_whatever_its_case(client, services):
    await desk.dealer(client, services)
    first = await onboard(client)
    payload = await onboard(client, ssn="223456789", email="maria.lopez@EXAMPLE.com")
    assert codes(payload) == [("CONFLICT", ["email"])]
    assert payload["existingCustomerId"] == first["onboarding"]["customer"]["id"]
    assert await Customer.all().count() == 1


@pytest.mark.parametrize(("field", "value"), [
    ("ssn", "000-12-3456"), ("ssn", "666-12-3456"), ("ssn", "912-34-5678"), ("ssn", "123-00-4567"),
    ("ssn", "123-45-0000"), ("ssn", "12345678"), ("ssn", "12345678a"),
    ("phone", "555-0142"), ("phone", "(012) 555-0142"), ("phone", "512-155-0142"), ("phone", "+44 20 7946 0958"),
    ("email", "maria.example.com"), ("email", "maria@@example.com"),
    ("dateOfBirth", "2010-01-01"), ("state", "XX"), ("postalCode", "7870"), ("firstName", "  "),
])
async def test_bad_details_are_refused_with_their_field(client, services, field, value):
    await desk.dealer(client, services)
    payload = await onboard(client, **{field: value})
    assert codes(payload) == [("INVALID", [field])]
    assert await Customer.all().count() == 0


async def test_every_bad_field_is_reported_at_once(client, services):
    await desk.dealer(client, services)
    payload = await onboard(client, ssn="000000000", phone="12", email="nope")
    assert {tuple(f) for _, f in codes(payload)} == {("ssn",), ("phone",), ("email",)}


async def test_find_shows_another_dealerships_customer_only_by_id_until_attached_with_ssn_and_birth_date(
        client, services):
    elsewhere = await factories.user(services, "other.dealer", Role.DEALER_USER,
                                     dealership=await factories.dealership())
    known = await desk.onboarded(services, elsewhere, first_name="Jo", date_of_birth=date(1980, 2, 29))
    me = await desk.dealer(client, services)

    found = (await client.execute(FIND, {"input": {"ssn": "123-45-6789"}}))["findCustomer"]
    assert found["errors"] == []
    assert found["matches"] == [{"customerId": customer_gid(known), "matchedBy": ["SSN"], "onboarding": None}]
    by_email = (await client.execute(FIND, {"input": {"email": known.email.upper()}}))["findCustomer"]
    assert by_email["matches"][0]["matchedBy"] == ["EMAIL"]
    assert (await AuditEvent.filter(action="customer.searched", actor_id=me.id).count()) == 2

    wrong = {"customerId": customer_gid(known), "ssn": "123456789", "dateOfBirth": "1980-03-01"}
    payload = (await client.execute(ATTACH, {"input": wrong}))["onboardExistingCustomer"]
    assert codes(payload) == [("NOT_FOUND", ["customerId"])]
    wrong_ssn = {**wrong, "ssn": "123456788", "dateOfBirth": "1980-02-29"}
    assert codes((await client.execute(ATTACH, {"input": wrong_ssn}))["onboardExistingCustomer"]) == [
        ("NOT_FOUND", ["customerId"])]

    right = {**wrong, "dateOfBirth": "1980-02-29"}
    attached = (await client.execute(ATTACH, {"input": right}))["onboardExistingCustomer"]
    assert attached["errors"] == [] and attached["onboarding"]["customer"]["firstName"] == "Jo"
    assert attached["onboarding"]["identityVerified"] is False  # verification is per dealership
    again = (await client.execute(ATTACH, {"input": right}))["onboardExistingCustomer"]
    assert again["errors"] == [] and await CustomerOnboarding.filter(customer_id=known.id).count() == 2

    found = (await client.execute(FIND, {"input": {"ssn": "123456789"}}))["findCustomer"]
    assert found["matches"][0]["onboarding"]["customer"] == {"firstName": "Jo", "ssnLast4": "6789"}


async def test_find_needs_a_valid_ssn_or_email(client, services):
    await desk.dealer(client, services)
    assert codes((await client.execute(FIND, {"input": {}}))["findCustomer"]) == [("INVALID", ["ssn"])]
    assert codes((await client.execute(FIND, {"input": {"ssn": "666000000"}}))["findCustomer"]) == [
        ("INVALID", ["ssn"])]
    assert (await client.execute(FIND, {"input": {"ssn": "223456789"}}))["findCustomer"] == {
        "matches": [], "errors": []}


async def test_the_identity_check_in_person_is_recorded_and_audited(client, services, clock):
    dealer = await desk.dealer(client, services)
    customer_id = (await onboard(client))["onboarding"]["customer"]["id"]
    value = {"customerId": customer_id, "documentType": "DRIVERS_LICENSE", "documentLast4": "a12z"}
    payload = (await client.execute(VERIFY, {"input": value}))["verifyCustomerIdentity"]
    assert payload["errors"] == []
    shown = payload["onboarding"]
    assert shown["identityVerified"] is True and shown["identityDocumentType"] == "DRIVERS_LICENSE"
    assert shown["identityDocumentLast4"] == "A12Z" and shown["identityVerifiedBy"] == "dana"
    assert shown["identityVerifiedAt"].startswith("2026-11-02T15:00:00")
    event = await AuditEvent.get(action="customer.identity_verified")
    assert event.actor_id == dealer.id and event.details["document_type"] == "DRIVERS_LICENSE"

    bad = (await client.execute(VERIFY, {"input": {**value, "documentLast4": "12"}}))["verifyCustomerIdentity"]
    assert codes(bad) == [("INVALID", ["documentLast4"])]


async def test_another_dealerships_onboarded_customer_is_not_found(client, services):
    elsewhere = await factories.user(services, "other.dealer", Role.DEALER_USER,
                                     dealership=await factories.dealership())
    theirs = await desk.onboarded(services, elsewhere)
    await desk.dealer(client, services)
    value = {"customerId": customer_gid(theirs), "documentType": "PASSPORT", "documentLast4": "1234"}
    assert codes((await client.execute(VERIFY, {"input": value}))["verifyCustomerIdentity"]) == [
        ("NOT_FOUND", ["customerId"])]
    confirm = {"customerId": customer_gid(theirs)}
    assert codes((await client.execute(CONFIRM, {"input": confirm}))["confirmCustomerContact"]) == [
        ("NOT_FOUND", ["customerId"])]
    node = "query($id: ID!) { node(id: $id) { id } }"
    assert (await client.execute(node, {"id": customer_gid(theirs)}))["node"] is None


async def test_an_onboarded_customer_is_visible_to_the_dealership_by_id(client, services):
    await desk.dealer(client, services)
    customer_id = (await onboard(client))["onboarding"]["customer"]["id"]
    node = "query($id: ID!) { node(id: $id) { ... on Customer { firstName ssnLast4 } } }"
    assert (await client.execute(node, {"id": customer_id}))["node"] == {"firstName": "Maria", "ssnLast4": "6789"}


async def test_contact_details_are_confirmed_and_corrected(client, services):
    await desk.dealer(client, services)
    customer_id = (await onboard(client))["onboarding"]["customer"]["id"]
    value = {"customerId": customer_id, "email": " maria@NEW.example ", "phone": "+1 512 555 0199"}
    payload = (await client.execute(CONFIRM, {"input": value}))["confirmCustomerContact"]
    assert payload["errors"] == [] and payload["onboarding"]["contactConfirmedBy"] == "dana"
    customer = await Customer.get()
    assert (customer.email, customer.phone) == ("maria@new.example", "+15125550199")
    assert (await AuditEvent.get(action="customer.contact_confirmed")).details["changed"] == ["email", "phone"]

    just_confirm = (await client.execute(CONFIRM, {"input": {"customerId": customer_id}}))["confirmCustomerContact"]
    assert just_confirm["errors"] == []
    bad_phone = {"customerId": customer_id, "phone": "12345"}
    assert codes((await client.execute(CONFIRM, {"input": bad_phone}))["confirmCustomerContact"]) == [
        ("INVALID", ["phone"])]


async def test_a_contact_change_may_not_take_another_customers_email_nor_touch_an_online_account(client, services):
    dealer = await desk.dealer(client, services)
    other = await factories.customer(services, ssn="223456789", email="taken@example.com")
    customer_id = (await onboard(client))["onboarding"]["customer"]["id"]
    taken = {"customerId": customer_id, "email": "TAKEN@example.com"}
    assert codes((await client.execute(CONFIRM, {"input": taken}))["confirmCustomerContact"]) == [
        ("CONFLICT", ["email"])]

    with_login = await desk.onboarded(services, dealer, ssn="323456789")
    await factories.user(services, "lee", Role.CUSTOMER, customer=with_login)
    change = {"customerId": customer_gid(with_login), "phone": "512-555-0111"}
    assert codes((await client.execute(CONFIRM, {"input": change}))["confirmCustomerContact"]) == [
        ("CONFLICT", ["phone"])]
    assert (await Customer.get(id=other.id)).email == "taken@example.com"


async def test_a_registration_link_goes_to_a_customer_the_dealership_verified_in_person(client, services, mailbox):
    dealer = await desk.dealer(client, services)
    verified = await desk.onboarded(services, dealer, email="verified@example.com")
    payload = (await client.execute(LINK, {"id": customer_gid(verified)}))["issueRegistrationLink"]
    assert payload["errors"] == [] and payload["sentTo"] == "v***@example.com"
    [mail] = await mailbox.deliver()
    assert mail["To"] == "verified@example.com" and mailbox.link_param(mail, "token")
    assert await OneTimeToken.filter(purpose=TokenPurpose.REGISTRATION_LINK, customer_id=verified.id).count() == 1

    unverified = await desk.onboarded(services, dealer, verified=False, ssn="223456789")
    payload = (await client.execute(LINK, {"id": customer_gid(unverified)}))["issueRegistrationLink"]
    assert payload["errors"] == [{"code": "NOT_FOUND", "field": ["customerId"]}]

    elsewhere = await factories.user(services, "other.dealer", Role.DEALER_USER,
                                     dealership=await factories.dealership())
    theirs = await desk.onboarded(services, elsewhere, ssn="323456789")
    payload = (await client.execute(LINK, {"id": customer_gid(theirs)}))["issueRegistrationLink"]
    assert payload["errors"] == [{"code": "NOT_FOUND", "field": ["customerId"]}]


async def test_customers_cannot_onboard(client, services):
    owner = await factories.customer(services)
    user = await factories.user(services, "alice", Role.CUSTOMER, customer=owner)
    await desk.sign_in(client, services, user)
    body = (await client.post(ONBOARD, {"input": person()})).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.postgres_only
async def test_two_dealers_onboarding_the_same_person_at_once_make_one_customer(client, services, app):
    import httpx

    from tests.conftest import GraphQLClient

    first = await desk.dealer(client, services)
    second_user = await factories.user(services, "eve", Role.DEALER_USER, dealership=await factories.dealership())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        other = GraphQLClient(http)
        await desk.sign_in(other, services, second_user)
        results = await asyncio.gather(onboard(client), onboard(other), onboard(client, email="x@example.com"))
    outcomes = sorted(tuple(code for code, _ in codes(r)) for r in results)
    assert outcomes == [(), ("CONFLICT",), ("CONFLICT",)]
    assert await Customer.all().count() == 1 and first.id
