"""E-signature through /graphql and the download route: a dealer sends an approved application's
contract, the signers act through the links emailed to them (read from a real SMTP server), the
envelope records every step, and the signed copy carries its certificate of completion.

Business date 2026-11-02. The default deal is finance-notes.md worked example 1 (5,000.00 financed
at 12 % for 36 months: payment 166.07, finance charge 978.60) with a co-applicant. The completion
tests (which book the contract through resolvers/origination/funding.py) come last."""

from __future__ import annotations

import asyncio
import hashlib
import io
import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from pypdf import PdfReader
from strawberry import relay

from auth.sessions import start_session
from jobs.esign import expire_envelopes
from models import (
    Applicant,
    ApplicationDecision,
    AuditEvent,
    Contract,
    CreditApplication,
    EnvelopeDocument,
    EnvelopeEvent,
    Funding,
    Signer,
    WebhookDelivery,
    WebhookEndpoint,
)
from models.enums import (
    ApplicantRole,
    ApplicationStatus,
    ContractKind,
    DecisionOutcome,
    EnvelopeDocumentKind,
    Role,
    SessionKind,
    SignerStatus,
    VehicleCondition,
)
from tests import factories
from tests.conftest import count_queries

D = Decimal
_seq = itertools.count(1)
ERRORS = "errors { code message field }"
ENVELOPE = """id status expiresAt completedAt voidReason
  signers { routingOrder role name maskedEmail status consentedAt signedAt declineReason }
  events { action actor ip userAgent documentSha256 detail }
  documents { kind title sha256 sizeBytes downloadUrl }"""
SEND = f"""mutation($id: ID!) {{ sendContractForSignature(input: {{applicationId: $id}}) {{
  envelope {{ {ENVELOPE} }} {ERRORS} }} }}"""
VOID = f"""mutation($id: ID!, $reason: String!) {{ voidEnvelope(input: {{envelopeId: $id, reason: $reason}}) {{
  envelope {{ {ENVELOPE} }} {ERRORS} }} }}"""
APPLICATION = f"""query($id: ID!) {{ node(id: $id) {{ ... on CreditApplication {{ status
  envelopes {{ {ENVELOPE} }} }} }} }}"""
SESSION_FIELDS = """envelopeId envelopeStatus applicationNumber product dealershipName documentTitle documentSha256
  documentSizeBytes documentUrl signerName signerRole signerStatus consentedAt signedAt consentText consentVersion
  parties { routingOrder role name status }"""
SESSION = f"query($t: String!) {{ signingSession(token: $t) {{ {SESSION_FIELDS} }} }}"
CONSENT = f"""mutation($t: String!) {{ consentToElectronicRecords(input: {{token: $t}}) {{
  session {{ {SESSION_FIELDS} }} {ERRORS} }} }}"""
SIGN = f"""mutation($t: String!, $name: String!) {{ signEnvelope(input: {{token: $t, typedName: $name}}) {{
  session {{ {SESSION_FIELDS} }} {ERRORS} }} }}"""
SIGNED_CONTRACTS = "{ signedContracts { totalCount edges { node { id kind title sha256 downloadUrl } } } }"
DECLINE = f"""mutation($t: String!, $reason: String!) {{ declineEnvelope(input: {{token: $t, reason: $reason}}) {{
  session {{ {SESSION_FIELDS} }} {ERRORS} }} }}"""


def gid(type_name: str, row_id: int) -> str:
    return str(relay.GlobalID(type_name, str(row_id)))


def codes(payload: dict) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


def pdf_text(content: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).split())


# -- building an approved application ------------------------------------------------------------

async def dealer(services, dealership, username: str | None = None, role: Role = Role.DEALER_USER):
    return await factories.user(services, username or f"dealer{next(_seq)}", role, dealership=dealership)


async def approved_application(services, dealership, created_by, *, co: bool = True,
                               status: ApplicationStatus = ApplicationStatus.APPROVED,
                               approved_amount: Decimal = D("40000.00"), **deal) -> CreditApplication:
    n = next(_seq)
    now = services.clock.now()
    values = dict(product=ContractKind.LOAN, cash_price=D("6000.00"), taxes=D("400.00"), fees=D("100.00"),
                  cash_down=D("1000.00"), trade_in_value=D("1000.00"), trade_in_payoff=D("500.00"), term_months=36,
                  requested_apr=D("12.0000"))
    values.update(deal)
    application = await CreditApplication.create(
        number=f"A{900000000 + n}", dealership=dealership, created_by=created_by, status=status,
        vin=f"1HGCM82633A{n:06d}", vehicle_year=2025, vehicle_make="Honda", vehicle_model="Civic", vehicle_trim="EX",
        vehicle_condition=VehicleCondition.NEW, vehicle_mileage=12, vehicle_value=D("6500.00"),
        submitted_at=now - timedelta(days=1), created_at=now - timedelta(days=2), updated_at=now, **values,
    )
    buyer = await factories.customer(services, first_name="Ana", last_name="Núñez", email=f"ana{n}@example.com")
    await Applicant.create(application=application, customer=buyer, role=ApplicantRole.APPLICANT,
                           monthly_income=D("7000.00"), credit_consent_at=now)
    if co:
        cobuyer = await factories.customer(services, first_name="Ben", last_name="Okafor", email=f"ben{n}@example.com")
        await Applicant.create(application=application, customer=cobuyer, role=ApplicantRole.CO_APPLICANT,
                               monthly_income=D("4000.00"), credit_consent_at=now)
    await ApplicationDecision.create(application=application, outcome=DecisionOutcome.APPROVED, rate_tier="A",
                                     approved_apr=D("12.0000"), approved_term_months=36,
                                     approved_amount=approved_amount, created_at=now - timedelta(hours=1))
    return application


async def sign_in(client, services, user) -> None:
    issued = await start_session(user, kind=SessionKind.BEARER, clock=services.clock, settings=services.settings,
                                 ip="127.0.0.1", user_agent="dealer desk")
    client.token = issued.token


class Desk:
    """A dealership with a signed-in dealer user and an approved application."""

    def __init__(self, client, services, mailbox):
        self.client, self.services, self.mailbox = client, services, mailbox

    async def open(self, **application) -> Desk:
        self.dealership = await factories.dealership(name="Sunrise Motors")
        self.user = await dealer(self.services, self.dealership, "sam.sales")
        self.application = await approved_application(self.services, self.dealership, self.user, **application)
        await self.mailbox.deliver()  # nothing before the sending
        return self

    async def as_dealer(self) -> None:
        self.client.headers.pop("user-agent", None)
        await sign_in(self.client, self.services, self.user)

    def as_signer(self, device: str) -> None:
        self.client.token = None
        self.client.headers["user-agent"] = device

    async def send(self) -> dict:
        await self.as_dealer()
        payload = (await self.client.execute(SEND, {"id": gid("CreditApplication", self.application.id)}))
        return payload["sendContractForSignature"]

    async def next_link(self, recipient: str | None = None) -> str:
        """The token of the one signing link mailed since the last look."""
        messages = [m for m in await self.mailbox.deliver() if "sign your contract" in m["Subject"]]
        assert len(messages) == 1, [m["Subject"] for m in messages]
        if recipient is not None:
            assert messages[0]["To"] == recipient
        return self.mailbox.link_param(messages[0], "token")

    async def session(self, token: str) -> dict:
        return (await self.client.execute(SESSION, {"t": token}))["signingSession"]

    async def consent(self, token: str) -> dict:
        return (await self.client.execute(CONSENT, {"t": token}))["consentToElectronicRecords"]

    async def sign(self, token: str, name: str) -> dict:
        return (await self.client.execute(SIGN, {"t": token, "name": name}))["signEnvelope"]

    async def decline(self, token: str, reason: str) -> dict:
        return (await self.client.execute(DECLINE, {"t": token, "reason": reason}))["declineEnvelope"]

    async def sign_through(self, token: str, name: str, device: str) -> dict:
        self.as_signer(device)
        await self.session(token)
        await self.consent(token)
        payload = await self.sign(token, name)
        assert payload["errors"] == [], payload["errors"]
        return payload

    async def view(self) -> dict:
        await self.as_dealer()
        data = await self.client.execute(APPLICATION, {"id": gid("CreditApplication", self.application.id)})
        return data["node"]


@pytest.fixture
async def desk(client, services, mailbox) -> Desk:
    return await Desk(client, services, mailbox).open()


async def link_error(client, token: str) -> tuple[str, str]:
    """The top-level error signingSession answers for a link that does not work."""
    body = (await client.post(SESSION, {"t": token})).json()
    assert body.get("data") is None or body["data"].get("signingSession") is None
    [error] = body["errors"]
    return error["extensions"]["code"], error["message"]


# -- sending -------------------------------------------------------------------------------------

async def test_sending_stores_the_contract_with_its_hash_and_mails_only_the_first_signer(desk, client, services):
    payload = await desk.send()
    assert payload["errors"] == []
    envelope = payload["envelope"]
    assert envelope["status"] == "SENT"
    assert [(s["routingOrder"], s["role"], s["name"], s["status"]) for s in envelope["signers"]] == [
        (1, "APPLICANT", "Ana Núñez", "SENT"), (2, "CO_APPLICANT", "Ben Okafor", "WAITING"),
        (3, "DEALER", "Sunrise Motors", "WAITING")]
    assert envelope["signers"][0]["maskedEmail"].startswith("a***@")
    [document] = envelope["documents"]
    stored = await EnvelopeDocument.get(kind=EnvelopeDocumentKind.UNSIGNED)
    assert document["sha256"] == stored.sha256 == hashlib.sha256(bytes(stored.content)).hexdigest()
    assert document["kind"] == "UNSIGNED" and document["title"] == "Retail Installment Sale Contract"
    [event] = envelope["events"]
    assert (event["action"], event["actor"], event["documentSha256"]) == ("sent", "sam.sales", stored.sha256)

    view = await desk.view()
    assert view["status"] == "CONTRACTED" and view["envelopes"][0]["id"] == envelope["id"]
    audit = await AuditEvent.get(action="esign.envelope_sent")
    assert audit.details["document_sha256"] == stored.sha256 and audit.actor_id == desk.user.id

    # Only the applicant has a link so far; its hash alone is stored.
    token = await desk.next_link(recipient=(await Signer.get(routing_order=1)).email)
    first = await Signer.get(routing_order=1)
    assert first.token_hash == hashlib.sha256(token.encode()).hexdigest() and token not in first.token_hash
    assert first.token_expires_at == services.clock.now() + timedelta(days=7)
    assert await Signer.filter(token_hash__isnull=False).count() == 1


async def test_the_contract_downloaded_by_the_dealer_shows_the_tila_box(desk, client):
    envelope = (await desk.send())["envelope"]
    response = await client.http.get(envelope["documents"][0]["downloadUrl"])
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(response.content).hexdigest() == envelope["documents"][0]["sha256"]
    text = pdf_text(response.content)
    for figure in ("ANNUAL PERCENTAGE RATE", "12.00%", "FINANCE CHARGE", "$978.60", "Amount Financed", "$5,000.00",
                   "Total of Payments", "$5,978.60", "Total Sale Price", "$7,478.60", "35 166.07 Monthly beginning",
                   "Ana Núñez", "Ben Okafor", "Sunrise Motors", desk.application.number):
        assert figure in text, figure


async def test_a_lease_is_sent_with_its_regulation_m_disclosures(client, services, mailbox):
    # finance-notes.md worked example 2 (459.63 a month) with a 500.00 refundable security deposit.
    desk = await Desk(client, services, mailbox).open(
        co=False, product=ContractKind.LEASE, cash_price=D("37500.00"), taxes=D("0.00"), fees=D("500.00"),
        cash_down=D("2000.00"), trade_in_value=D("0.00"), trade_in_payoff=D("0.00"), requested_apr=None,
        money_factor=D("0.00125"), residual_value=D("23200.00"), annual_mileage=12000, sales_tax_rate=D("0.0700"),
        security_deposit=D("500.00"))
    await ApplicationDecision.filter(application_id=desk.application.id).update(
        approved_apr=None, approved_money_factor=D("0.00125"))
    envelope = (await desk.send())["envelope"]
    assert envelope["documents"][0]["title"] == "Motor Vehicle Lease Agreement"
    assert [s["role"] for s in envelope["signers"]] == ["APPLICANT", "DEALER"]
    text = pdf_text((await client.http.get(envelope["documents"][0]["downloadUrl"])).content)
    for figure in ("Amount Due at Lease Signing", "$2,500.00", "Monthly Payments", "$459.63", "Other Charges",
                   "$395.00", "Total of Payments", "$18,941.68", "Residual value", "Rent charge 2,664.16",
                   "$0.25 per mile", "$23,550.00", "Lessee", "Lessor"):
        assert figure in text, figure


async def test_only_an_approved_application_within_its_approval_is_sent(client, services, mailbox):
    desk = await Desk(client, services, mailbox).open(status=ApplicationStatus.REFERRED)
    assert codes(await desk.send()) == [("CONFLICT", ["applicationId"])]
    over = await approved_application(services, desk.dealership, desk.user, approved_amount=D("4999.99"))
    desk.application = over
    payload = await desk.send()
    assert codes(payload) == [("CONFLICT", ["applicationId"])] and "approved" in payload["errors"][0]["message"]
    assert await EnvelopeDocument.all().count() == 0 and await mailbox.deliver() == []

    desk.application = await approved_application(services, desk.dealership, desk.user)
    assert (await desk.send())["errors"] == []
    assert codes(await desk.send()) == [("CONFLICT", ["applicationId"])]  # already CONTRACTED


async def test_another_dealership_cannot_send_void_or_see_the_envelope(desk, client, services):
    envelope = (await desk.send())["envelope"]
    other = await dealer(services, await factories.dealership(), "rival")
    await sign_in(client, services, other)
    assert codes((await client.execute(SEND, {"id": gid("CreditApplication", desk.application.id)}))
                 ["sendContractForSignature"]) == [("NOT_FOUND", ["applicationId"])]
    assert codes((await client.execute(VOID, {"id": envelope["id"], "reason": "mine now"}))["voidEnvelope"]) == [
        ("NOT_FOUND", ["envelopeId"])]
    assert (await client.execute("query($id: ID!) { node(id: $id) { id } }", {"id": envelope["id"]}))["node"] is None
    # A download link made for the dealer does not work for anyone else: it names its user.
    url = envelope["documents"][0]["downloadUrl"]
    assert (await client.http.get(url.replace(f"party=u{desk.user.id}", f"party=u{other.id}"))).status_code == 404
    assert (await EnvelopeEvent.all().count(), (await desk.view())["envelopes"][0]["status"]) == (1, "SENT")


# -- signing steps -------------------------------------------------------------------------------

async def test_a_signer_must_consent_first_and_type_their_own_name(desk, client):
    await desk.send()
    token = await desk.next_link()
    desk.as_signer("Mozilla/5.0 (iPhone) Ana")
    session = await desk.session(token)
    assert session["signerName"] == "Ana Núñez" and session["signerStatus"] == "DELIVERED"
    assert session["envelopeStatus"] == "DELIVERED" and "electronic" in session["consentText"]
    assert codes(await desk.sign(token, "Ana Núñez")) == [("INVALID", ["token"])]
    await desk.consent(token)
    assert codes(await desk.sign(token, "Ana Nunez")) == [("INVALID", ["typedName"])]  # not her name as printed
    assert codes(await desk.sign(token, "Ben Okafor")) == [("INVALID", ["typedName"])]
    assert codes(await desk.sign(token, "   ")) == [("INVALID", ["typedName"])]
    signed = await desk.sign(token, "  ana   NÚÑEZ ")
    assert signed["errors"] == [] and signed["session"]["signerStatus"] == "SIGNED"
    assert [p["status"] for p in signed["session"]["parties"]] == ["SIGNED", "SENT", "WAITING"]

    events = await EnvelopeEvent.filter(signer_id__isnull=False).order_by("id")
    assert [e.action for e in events] == ["delivered", "consented", "signed"]
    assert {(e.ip, e.user_agent) for e in events} == {("127.0.0.1", "Mozilla/5.0 (iPhone) Ana")}
    assert events[2].detail == 'typed name "ana NÚÑEZ"'
    assert len({e.document_sha256 for e in await EnvelopeEvent.all()}) == 1
    view = await desk.view()
    assert view["envelopes"][0]["status"] == "PARTIALLY_SIGNED"
    assert view["envelopes"][0]["events"][1]["actor"].startswith("Ana Núñez <a***@")


async def test_a_link_is_spent_once_its_signer_signs(desk, client):
    await desk.send()
    token = await desk.next_link()
    await desk.sign_through(token, "Ana Núñez", "phone")
    assert await link_error(client, token) == ("INVALID_TOKEN", "You have already signed this contract: this link "
                                                                "was used.")
    assert codes(await desk.sign(token, "Ana Núñez")) == [("INVALID_TOKEN", ["token"])]
    assert codes(await desk.decline(token, "changed my mind")) == [("INVALID_TOKEN", ["token"])]
    assert codes(await desk.consent(token)) == [("INVALID_TOKEN", ["token"])]
    assert (await link_error(client, "not-a-real-token"))[0] == "INVALID_TOKEN"
    assert await EnvelopeEvent.filter(action="signed").count() == 1
    # The co-applicant got their own link when the applicant signed.
    assert (await desk.session(await desk.next_link()))["signerName"] == "Ben Okafor"


async def test_the_dealer_link_stops_working_when_its_user_is_deactivated(desk, client):
    await desk.send()
    await desk.sign_through(await desk.next_link(), "Ana Núñez", "phone")
    await desk.sign_through(await desk.next_link(), "Ben Okafor", "laptop")
    token = await desk.next_link(desk.user.email)
    desk.user.is_active = False
    await desk.user.save(update_fields=["is_active"])
    code, message = await link_error(client, token)
    assert code == "INVALID_TOKEN" and "no longer active" in message


async def test_an_expired_link_is_refused_and_the_worker_expires_the_envelope(desk, client, services, clock,
                                                                              mailbox):
    await desk.send()
    token = await desk.next_link()
    desk.as_signer("phone")
    await desk.session(token)
    clock.advance(timedelta(days=8))
    assert await link_error(client, token) == ("INVALID_TOKEN", "This signing link has expired. Ask the dealer to "
                                                                "send the contract again.")
    assert codes(await desk.consent(token)) == [("INVALID_TOKEN", ["token"])]

    assert await expire_envelopes(services) == 1
    assert await expire_envelopes(services) == 0
    view = await desk.view()
    assert view["status"] == "APPROVED" and view["envelopes"][0]["status"] == "EXPIRED"
    assert view["envelopes"][0]["events"][-1]["action"] == "expired"
    [mail] = await mailbox.deliver()
    assert mail["To"] == desk.user.email and "expired unsigned" in mail["Subject"]
    assert (await desk.send())["errors"] == []  # the dealer can send it again


async def test_a_decline_closes_the_envelope_and_books_nothing(desk, client, services, mailbox):
    await desk.send()
    await desk.sign_through(await desk.next_link(), "Ana Núñez", "phone")
    token = await desk.next_link()
    desk.as_signer("Ben's laptop")
    await desk.session(token)
    assert codes(await desk.decline(token, "  ")) == [("INVALID", ["reason"])]
    payload = await desk.decline(token, "The trade-in value is wrong")
    assert payload["errors"] == [] and payload["session"]["signerStatus"] == "DECLINED"
    assert payload["session"]["envelopeStatus"] == "DECLINED"
    assert await Funding.all().count() == 0 and await Contract.all().count() == 0

    view = await desk.view()
    assert view["status"] == "APPROVED"
    signer = view["envelopes"][0]["signers"][1]
    assert (signer["status"], signer["declineReason"]) == ("DECLINED", "The trade-in value is wrong")
    [mail] = await mailbox.deliver()
    assert mail["To"] == desk.user.email and "The trade-in value is wrong" in mailbox.text(mail)
    assert (await link_error(client, token))[0] == "INVALID_TOKEN"
    first = await Signer.get(routing_order=1)
    assert (await link_error(client, "x" * 43))[0] == "INVALID_TOKEN" and first.status == SignerStatus.SIGNED


async def test_the_dealer_voids_an_open_envelope_with_a_reason(desk, client, services, mailbox):
    envelope = (await desk.send())["envelope"]
    token = await desk.next_link()
    await desk.as_dealer()
    assert codes((await client.execute(VOID, {"id": envelope["id"], "reason": ""}))["voidEnvelope"]) == [
        ("INVALID", ["reason"])]
    voided = (await client.execute(VOID, {"id": envelope["id"], "reason": "Wrong trim on the contract"}))
    voided = voided["voidEnvelope"]
    assert voided["errors"] == [] and voided["envelope"]["status"] == "VOIDED"
    assert voided["envelope"]["voidReason"] == "Wrong trim on the contract"
    assert voided["envelope"]["events"][-1]["action"] == "voided"
    assert (await AuditEvent.get(action="esign.envelope_voided")).details["reason"] == "Wrong trim on the contract"
    assert (await desk.view())["status"] == "APPROVED"
    [mail] = await mailbox.deliver()
    assert "withdrawn" in mail["Subject"] and "Wrong trim" in mailbox.text(mail)

    assert await link_error(client, token) == ("INVALID_TOKEN", "The dealer voided this contract: the link no longer "
                                                                "works.")
    await desk.as_dealer()
    again = (await client.execute(VOID, {"id": envelope["id"], "reason": "again"}))["voidEnvelope"]
    assert codes(again) == [("CONFLICT", ["envelopeId"])]


async def test_status_changes_reach_dealer_webhooks(desk, services):
    await WebhookEndpoint.create(dealership=desk.dealership, url="https://dms.example/hooks", secret_encrypted="x",
                                 secret_last4="abcd", created_by=desk.user, created_at=services.clock.now())
    await desk.send()
    await desk.sign_through(await desk.next_link(), "Ana Núñez", "phone")
    rows = await WebhookDelivery.all().order_by("id")
    kinds = [(row.event_type, row.payload) for row in rows]
    assert [k for k, _ in kinds] == ["envelope.status_changed", "application.status_changed",
                                     "envelope.status_changed", "envelope.status_changed"]
    statuses = ['"status":"SENT"', '"status":"CONTRACTED"', '"status":"DELIVERED"', '"status":"PARTIALLY_SIGNED"']
    assert all(status in payload for status, (_, payload) in zip(statuses, kinds, strict=True))


async def test_envelopes_of_many_applications_load_in_four_queries(desk, client, services):
    await desk.send()
    others = [await approved_application(services, desk.dealership, desk.user) for _ in range(3)]
    for application in others:
        desk.application = application
        await desk.send()
    await desk.as_dealer()
    query = (f"query($ids: [ID!]!) {{ nodes(ids: $ids) {{ ... on CreditApplication {{ envelopes {{ {ENVELOPE} }} }} }} "
             "}")

    async def count(applications) -> int:
        ids = [gid("CreditApplication", a.id) for a in applications]
        with count_queries() as counter:
            data = await client.execute(query, {"ids": ids})
        assert all(len(node["envelopes"]) == 1 for node in data["nodes"])
        return len(counter.statements)

    # `nodes` fetches each id on its own (one query per id, graph/schema.py); envelopes, signers, events
    # and documents add the same four queries whatever the number of applications.
    assert await count(others) - await count(others[:1]) == len(others) - 1


# -- downloads -----------------------------------------------------------------------------------

async def test_a_tampered_document_is_refused_on_download(desk, client, caplog):
    envelope = (await desk.send())["envelope"]
    token = await desk.next_link()
    desk.as_signer("phone")
    signer_url = (await desk.session(token))["documentUrl"]
    dealer_url = envelope["documents"][0]["downloadUrl"]
    assert (await client.http.get(signer_url)).status_code == 200

    stored = await EnvelopeDocument.get(kind=EnvelopeDocumentKind.UNSIGNED)
    original = bytes(stored.content)
    forged = original[:200] + bytes([original[200] ^ 1]) + original[201:]  # one bit flipped
    await EnvelopeDocument.filter(id=stored.id).update(content=forged)
    for url in (signer_url, dealer_url):
        response = await client.http.get(url)
        assert response.status_code == 409 and b"%PDF" not in response.content
    assert "failed its integrity check" in caplog.text

    # Rewriting the recorded hash too is caught by the hash the "sent" event recorded.
    await EnvelopeDocument.filter(id=stored.id).update(sha256=hashlib.sha256(forged).hexdigest())
    assert (await client.http.get(dealer_url)).status_code == 409


async def test_download_links_are_short_lived_and_bound_to_their_party(desk, client, clock):
    envelope = (await desk.send())["envelope"]
    url = envelope["documents"][0]["downloadUrl"]
    assert (await client.http.get(url.replace("signature=", "signature=0"))).status_code == 404
    assert (await client.http.get(url.replace("party=u", "party=s"))).status_code == 404
    clock.advance(timedelta(minutes=6))
    assert (await client.http.get(url)).status_code == 404


# -- completion (books the contract through resolvers/origination/funding.py) ---------------------

async def test_two_signers_and_the_dealer_sign_through_their_emailed_links(desk, client, services, mailbox):
    await desk.send()
    customers = {s.routing_order: s for s in await Signer.all()}
    await desk.sign_through(await desk.next_link(customers[1].email), "Ana Núñez", "Ana's iPhone")
    await desk.sign_through(await desk.next_link(customers[2].email), "ben okafor", "Ben's laptop")
    dealer_token = await desk.next_link(desk.user.email)  # the dealer signs through the same kind of link
    done = await desk.sign_through(dealer_token, "Sunrise Motors", "dealer desk browser")
    assert done["session"]["envelopeStatus"] == "COMPLETED"

    view = await desk.view()
    assert view["status"] == "FUNDED"
    envelope = view["envelopes"][0]
    assert envelope["status"] == "COMPLETED" and envelope["completedAt"]
    assert [s["status"] for s in envelope["signers"]] == ["SIGNED"] * 3
    assert [e["action"] for e in envelope["events"]] == [
        "sent", "delivered", "consented", "signed", "delivered", "consented", "signed", "delivered", "consented",
        "signed", "completed"]
    unsigned, signed = envelope["documents"]
    assert (unsigned["kind"], signed["kind"]) == ("UNSIGNED", "SIGNED")

    response = await client.http.get(signed["downloadUrl"])
    assert response.status_code == 200 and hashlib.sha256(response.content).hexdigest() == signed["sha256"]
    original = bytes((await EnvelopeDocument.get(kind=EnvelopeDocumentKind.UNSIGNED)).content)
    assert response.content.startswith(original)  # the signed copy begins with exactly what was signed
    text = pdf_text(response.content)
    for words in ("Certificate of Completion", unsigned["sha256"], "Ana's iPhone", "Ben's laptop", "ben okafor",
                  "Sunrise Motors", "Signer 3: Seller", "127.0.0.1", "$978.60"):
        assert words in text, words

    # A signer with a login finds the signed copy in the portal; another customer does not.
    ana = await Signer.get(routing_order=1)
    await factories.user(services, "ana.nunez", Role.CUSTOMER, customer_id=ana.customer_id)
    await factories.user(services, "someone.else", Role.CUSTOMER, customer=await factories.customer(services))
    await client.login("ana.nunez", factories.TEST_PASSWORD)
    mine = (await client.execute(SIGNED_CONTRACTS))["signedContracts"]
    assert mine["totalCount"] == 1 and mine["edges"][0]["node"]["sha256"] == signed["sha256"]
    copy = await client.http.get(mine["edges"][0]["node"]["downloadUrl"])
    assert copy.status_code == 200 and copy.content == response.content
    assert (await client.http.get(unsigned["downloadUrl"])).status_code == 200  # the dealer's link still works
    await client.login("someone.else", factories.TEST_PASSWORD)
    assert (await client.execute(SIGNED_CONTRACTS))["signedContracts"]["totalCount"] == 0
    node = await client.execute("query($id: ID!) { node(id: $id) { id } }", {"id": mine["edges"][0]["node"]["id"]})
    assert node["node"] is None

    funding = await Funding.get(application_id=desk.application.id)
    contract = await Contract.get(id=funding.contract_id)
    assert (contract.amount_financed, contract.scheduled_payment, contract.apr) == (
        D("5000.00"), D("166.07"), D("12.0000"))
    completed = [m for m in await mailbox.deliver() if "signed by everyone" in m["Subject"]]
    assert sorted(m["To"] for m in completed) == sorted(s.email for s in await Signer.all())
    assert all(not m.is_multipart() or not list(m.iter_attachments()) for m in completed)
    assert (await link_error(client, dealer_token))[0] == "INVALID_TOKEN"


@pytest.mark.postgres_only
async def test_a_double_submitted_last_signature_completes_and_books_once(desk, client, services):
    await desk.send()
    await desk.sign_through(await desk.next_link(), "Ana Núñez", "phone")
    await desk.sign_through(await desk.next_link(), "Ben Okafor", "laptop")
    token = await desk.next_link()
    desk.as_signer("desk")
    await desk.consent(token)
    first, second = await asyncio.gather(desk.sign(token, "Sunrise Motors"), desk.sign(token, "Sunrise Motors"))
    assert sorted(len(p["errors"]) for p in (first, second)) == [0, 1]
    assert await Funding.all().count() == 1 and await Contract.all().count() == 1
    assert await EnvelopeDocument.filter(kind=EnvelopeDocumentKind.SIGNED).count() == 1
    assert await EnvelopeEvent.filter(action="completed").count() == 1


@pytest.mark.postgres_only
async def test_a_void_racing_the_last_signature_leaves_one_outcome(desk, client, services):
    envelope = (await desk.send())["envelope"]
    await desk.sign_through(await desk.next_link(), "Ana Núñez", "phone")
    await desk.sign_through(await desk.next_link(), "Ben Okafor", "laptop")
    token = await desk.next_link()
    desk.as_signer("desk")
    await desk.consent(token)
    user = desk.user
    issued = await start_session(user, kind=SessionKind.BEARER, clock=services.clock, settings=services.settings,
                                 ip="127.0.0.1", user_agent="dealer desk")
    void = client.post(VOID, {"id": envelope["id"], "reason": "stop"}, headers={"authorization": f"Bearer "
                                                                                                 f"{issued.token}"})
    signed, voided = await asyncio.gather(desk.sign(token, "Sunrise Motors"), void)
    voided = voided.json()["data"]["voidEnvelope"]
    assert sorted([len(signed["errors"]), len(voided["errors"])]) == [0, 1]
    final = (await desk.view())["envelopes"][0]["status"]
    assert final in ("COMPLETED", "VOIDED")
    assert await Funding.all().count() == (1 if final == "COMPLETED" else 0)
