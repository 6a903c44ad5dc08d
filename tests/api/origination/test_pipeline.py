"""The whole origination pipeline through /graphql, as each role would run it: a dealer onboards the
customers and shapes the deal with a quote, submits, the rules refer it (the sandbox bureau's
borderline and thin-file test SSNs), an underwriter approves, the dealer sends the contract, the applicant, the
co-applicant and the dealer sign through their emailed links, the contract is booked, and the
customer registers with the emailed link and sees the contract and its schedule.

Mail comes from the real SMTP sink; nothing is made by hand but the two staff users."""

from __future__ import annotations

from models import AuditEvent, Contract, Funding
from models.enums import Role
from tests import factories
from tests.api.origination.desk import sign_in

ERRORS = "errors { code message field }"
ONBOARD = f"""mutation($input: OnboardCustomerInput!) {{ onboardCustomer(input: $input) {{
  onboarding {{ customer {{ id ssnLast4 }} identityVerified }} {ERRORS} }} }}"""
VERIFY = f"""mutation($id: ID!) {{
  verifyCustomerIdentity(input: {{customerId: $id, documentType: DRIVERS_LICENSE, documentLast4: "4821"}}) {{
    onboarding {{ identityVerified }} {ERRORS} }}
  confirmCustomerContact(input: {{customerId: $id}}) {{ onboarding {{ contactConfirmedAt }} {ERRORS} }} }}"""
QUOTE = f"""query($input: DealStructureInput!) {{ dealQuote(input: $input) {{
  loan {{ amountFinanced {{ amount }} monthlyPayment {{ amount }} apr }} {ERRORS} }} }}"""
CREATE = f"""mutation($input: CreateCreditApplicationInput!) {{ createCreditApplication(input: $input) {{
  application {{ id number status }} {ERRORS} }} }}"""
CONSENT = f"""mutation($id: ID!, $role: ApplicantRole!) {{
  recordCreditConsent(input: {{applicationId: $id, role: $role}}) {{ {ERRORS} }} }}"""
SUBMIT = f"""mutation($id: ID!) {{ submitCreditApplication(input: {{applicationId: $id}}) {{
  application {{ status decision {{ outcome reasons {{ code }} }} }} {ERRORS} }} }}"""
QUEUE = """{ underwriting { queue(first: 10) { edges { node { id number status
  creditReports { applicantRole score } decision { ratios { paymentToIncome } } } } } } }"""
DECIDE = f"""mutation($id: ID!) {{ decideApplication(input: {{applicationId: $id, action: APPROVE, apr: "9.99",
  termMonths: 60, note: "Stable employment."}}) {{ application {{ status }} decision {{ outcome approvedApr }} {ERRORS} }} }}"""
STATUS = """query($id: ID!) { node(id: $id) { ... on CreditApplication { status decision { outcome approvedApr }
  funding { amount { amount } status contractNumber } envelopes { status signers { role status } } } } }"""
SEND = f"""mutation($id: ID!) {{ sendContractForSignature(input: {{applicationId: $id}}) {{
  envelope {{ id status signers {{ routingOrder role }} }} {ERRORS} }} }}"""
SESSION = "query($t: String!) { signingSession(token: $t) { signerName signerStatus documentSha256 } }"
CONSENT_RECORDS = f"""mutation($t: String!) {{ consentToElectronicRecords(input: {{token: $t}}) {{ {ERRORS} }} }}"""
SIGN = f"""mutation($t: String!, $name: String!) {{ signEnvelope(input: {{token: $t, typedName: $name}}) {{
  session {{ signerStatus envelopeStatus }} {ERRORS} }} }}"""
REGISTER = f"""mutation($t: String!, $u: String!, $p: String!) {{
  completeRegistrationLink(input: {{token: $t, username: $u, password: $p}}) {{ username {ERRORS} }} }}"""
MY_CONTRACTS = """{ viewer { customer { contracts { edges { node { number kind apr termMonths scheduledPayment { amount }
  nextDue { date } paymentSchedule { number dueDate } } } } } } }"""
STRONG = "violet harbor tractor 91"

DEAL = {"product": "LOAN", "cashPrice": "30000.00", "fees": "500.00", "taxes": "2000.00", "cashDown": "3000.00",
        "termMonths": 60, "requestedApr": "9.99"}


def person(first: str, ssn: str, email: str) -> dict:
    return {"firstName": first, "lastName": "Rivera", "dateOfBirth": "1988-04-12", "ssn": ssn, "email": email,
            "phone": "(512) 555-0142", "addressLine1": "12 Oak Street", "city": "Austin", "state": "TX",
            "postalCode": "78701"}


def ok(payload: dict) -> dict:
    assert payload["errors"] == [], payload["errors"]
    return payload


async def onboard(client, first: str, ssn: str, email: str) -> str:
    payload = ok((await client.execute(ONBOARD, {"input": person(first, ssn, email)}))["onboardCustomer"])
    customer_id = payload["onboarding"]["customer"]["id"]
    verified = await client.execute(VERIFY, {"id": customer_id})
    assert ok(verified["verifyCustomerIdentity"])["onboarding"]["identityVerified"] is True
    ok(verified["confirmCustomerContact"])
    return customer_id


async def links(mailbox, subject_part: str) -> dict[str, str]:
    """Recipient -> token of the messages just delivered whose subject contains `subject_part`."""
    return {str(m["To"]): mailbox.link_param(m, "token")
            for m in await mailbox.deliver() if subject_part in str(m["Subject"])}


async def sign_as(client, token: str, name: str, device: str) -> dict:
    client.token = None
    client.headers["user-agent"] = device
    session = (await client.execute(SESSION, {"t": token}))["signingSession"]
    assert len(session["documentSha256"]) == 64
    ok((await client.execute(CONSENT_RECORDS, {"t": token}))["consentToElectronicRecords"])
    return ok((await client.execute(SIGN, {"t": token, "name": name}))["signEnvelope"])["session"]


async def test_a_sale_becomes_a_funded_contract_the_customer_sees(client, services, mailbox):
    dealership = await factories.dealership(name="Sunrise Motors")
    dealer = await factories.user(services, "dana.sales", Role.DEALER_USER, dealership=dealership)
    underwriter = await factories.user(services, "uma.underwriter", Role.UNDERWRITER)

    # The dealer onboards both buyers in person and shapes the deal.
    await sign_in(client, services, dealer)
    applicant = await onboard(client, "Ana", "500-10-0610", "ana.rivera@example.com")  # sandbox: borderline
    co_applicant = await onboard(client, "Luis", "500-10-0001", "luis.rivera@example.com")  # thin file
    quote = ok((await client.execute(QUOTE, {"input": DEAL}))["dealQuote"])["loan"]
    assert quote["amountFinanced"]["amount"] == "29500.00"

    people = {"monthlyIncome": "6000.00", "monthsEmployed": 36, "housingPayment": "1200.00"}
    created = ok((await client.execute(CREATE, {"input": {
        "applicant": {"customerId": applicant, **people}, "coApplicant": {"customerId": co_applicant, **people},
        "vehicle": {"vin": "1HGCM82633A004352", "year": 2026, "make": "Honda", "model": "Accord",
                    "condition": "NEW", "value": "31000.00"},
        "deal": DEAL}}))["createCreditApplication"])["application"]
    application_id = created["id"]
    assert created["status"] == "DRAFT"
    for role in ("APPLICANT", "CO_APPLICANT"):
        ok((await client.execute(CONSENT, {"id": application_id, "role": role}))["recordCreditConsent"])
    submitted = ok((await client.execute(SUBMIT, {"id": application_id}))["submitCreditApplication"])
    assert submitted["application"]["status"] == "REFERRED"

    # The underwriter finds it in the queue with the reports and approves it.
    await sign_in(client, services, underwriter)
    queue = (await client.execute(QUEUE))["underwriting"]["queue"]["edges"]
    [item] = [edge["node"] for edge in queue if edge["node"]["id"] == application_id]
    assert sorted(report["applicantRole"] for report in item["creditReports"]) == ["APPLICANT", "CO_APPLICANT"]
    decided = ok((await client.execute(DECIDE, {"id": application_id}))["decideApplication"])
    assert decided["application"]["status"] == "APPROVED" and decided["decision"]["approvedApr"] == "9.9900"
    assert await AuditEvent.filter(actor_id=underwriter.id).exists()

    # The dealer sees the approval and sends the contract for signature.
    await sign_in(client, services, dealer)
    assert (await client.execute(STATUS, {"id": application_id}))["node"]["status"] == "APPROVED"
    await mailbox.deliver()
    envelope = ok((await client.execute(SEND, {"id": application_id}))["sendContractForSignature"])["envelope"]
    assert [signer["role"] for signer in envelope["signers"]] == ["APPLICANT", "CO_APPLICANT", "DEALER"]

    # Each signer signs through the link mailed when their turn comes.
    tokens = await links(mailbox, "sign your contract")
    assert list(tokens) == ["ana.rivera@example.com"]
    assert (await sign_as(client, tokens["ana.rivera@example.com"], "Ana Rivera", "Phone/1"))["envelopeStatus"] \
        == "PARTIALLY_SIGNED"
    tokens = await links(mailbox, "sign your contract")
    await sign_as(client, tokens["luis.rivera@example.com"], "luis  rivera", "Tablet/2")
    [dealer_token] = (await links(mailbox, "sign your contract")).values()
    assert (await sign_as(client, dealer_token, "Sunrise Motors", "Desk/3"))["envelopeStatus"] == "COMPLETED"

    # Booked: the dealer sees the funding; one contract exists.
    client.headers.pop("user-agent", None)
    await sign_in(client, services, dealer)
    status = (await client.execute(STATUS, {"id": application_id}))["node"]
    assert status["status"] == "FUNDED" and status["envelopes"][0]["status"] == "COMPLETED"
    assert status["funding"]["status"] == "FUNDED" and status["funding"]["amount"]["amount"] == "29500.00"
    contract = await Contract.get(number=status["funding"]["contractNumber"])
    assert await Contract.all().count() == 1 and await Funding.all().count() == 1

    # The applicant registers with the emailed link and sees the contract and its schedule.
    invitations = await links(mailbox, "set up online access")
    token = invitations["ana.rivera@example.com"]
    client.token = None
    ok((await client.execute(REGISTER, {"t": token, "u": "ana.rivera", "p": STRONG}))["completeRegistrationLink"])
    await client.login("ana.rivera", STRONG)
    [edge] = (await client.execute(MY_CONTRACTS))["viewer"]["customer"]["contracts"]["edges"]
    mine = edge["node"]
    assert mine["number"] == contract.number and mine["kind"] == "LOAN" and mine["termMonths"] == 60
    assert mine["apr"] == "9.9900" and len(mine["paymentSchedule"]) == 60
    assert mine["nextDue"]["date"] == mine["paymentSchedule"][0]["dueDate"]
