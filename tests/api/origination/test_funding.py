"""Funding: a completed envelope on an approved application books the servicing contract, exactly
once, and the customer finds it in their account (or is invited to register)."""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal

import pytest
from strawberry import relay

from auth.sessions import start_session
from models import (
    AuditEvent,
    Contract,
    CreditApplication,
    Funding,
    Notification,
    OdometerReading,
    Vehicle,
)
from models.enums import (
    ApplicationStatus,
    ContractKind,
    ContractStatus,
    DecisionOutcome,
    EnvelopeStatus,
    FundingStatus,
    OdometerSource,
    Role,
    SessionKind,
)
from models.origination import ApplicationDecision
from resolvers.origination.funding import BookingError
from tests import factories
from tests.api.origination.booking_builders import LEASE_DEAL, approved_deal, book
from tests.api.servicing.builders import loan as existing_loan

D = Decimal
STRONG = "violet harbor tractor 91"
CONTRACTS = """{ viewer { customer { contracts(first: 10) { totalCount edges { node {
  number kind status contractDate firstPaymentDate maturityDate termMonths apr
  amountFinanced { amount } scheduledPayment { amount }
  vehicle { vin year make model }
  paymentSchedule { number dueDate amount { amount } }
  nextDue { date amount { amount } }
  balance { amount }
  disclosure { amountFinanced { amount } totalOfPayments { amount } apr }
  lease { grossCapCost { amount } capCostReduction { amount } residualValue { amount } moneyFactor
          annualMileageAllowance }
} } } } } }"""
FUNDING = """query($id: ID!) { node(id: $id) { ... on CreditApplication {
  status funding { amount { amount } status fundedAt contractNumber } } } }"""
COMPLETE = """mutation($t: String!, $u: String!, $p: String!) {
  completeRegistrationLink(input: {token: $t, username: $u, password: $p}) { username errors { code } } }"""


async def sign_in_as(client, services, user) -> None:
    issued = await start_session(user, kind=SessionKind.BEARER, clock=services.clock, settings=services.settings,
                                 ip="127.0.0.1", user_agent="test")
    client.token = issued.token


def app_gid(application) -> str:
    return str(relay.GlobalID("CreditApplication", str(application.id)))


async def test_a_completed_envelope_books_the_loan_once_and_the_customer_sees_it(client, services, mailbox):
    customer = await factories.customer(services)
    login = await factories.user(services, "pat.buyer", Role.CUSTOMER, customer=customer)
    deal = await approved_deal(services, customer=customer)

    first = await book(services, deal.envelope)
    again = await book(services, deal.envelope)  # the completion processed a second time

    assert again.id == first.id
    assert await Contract.all().count() == 1 and await Funding.all().count() == 1
    contract = await Contract.get(id=first.contract_id)
    # 30,000 + 500 fees + 2,000 taxes − 3,000 down − 5,000 trade-in + 500 payoff = 25,000.00 at 6.90 % for 60.
    assert contract.amount_financed == D("25000.00") and contract.scheduled_payment == D("493.85")
    # The contract date is the day the contract was sent (printed on the signed document), yesterday.
    assert (contract.contract_date, contract.first_payment_date, contract.maturity_date) == (
        date(2026, 11, 1), date(2026, 12, 1), date(2031, 11, 1))
    assert contract.number.isdigit() and len(contract.number) == 10
    assert (contract.late_fee, contract.returned_payment_fee) == (D("25.00"), D("25.00"))
    assert first.amount == D("25000.00") and first.status == FundingStatus.FUNDED
    assert first.funded_at == services.clock.now()
    application = await CreditApplication.get(id=deal.application.id)
    assert application.status == ApplicationStatus.FUNDED
    assert await AuditEvent.filter(action="application.funded").count() == 1

    await client.login("pat.buyer", factories.TEST_PASSWORD)
    contracts = (await client.execute(CONTRACTS))["viewer"]["customer"]["contracts"]
    assert contracts["totalCount"] == 1
    node = contracts["edges"][0]["node"]
    assert node["number"] == contract.number and node["kind"] == "LOAN" and node["status"] == "ACTIVE"
    assert node["vehicle"] == {"vin": deal.application.vin, "year": 2025, "make": "Toyota", "model": "Camry"}
    assert len(node["paymentSchedule"]) == 60
    assert node["paymentSchedule"][0] == {"number": 1, "dueDate": "2026-12-01", "amount": {"amount": "493.85"}}
    assert node["paymentSchedule"][-1]["dueDate"] == "2031-11-01"
    assert node["nextDue"] == {"date": "2026-12-01", "amount": {"amount": "493.85"}}
    assert node["balance"] == {"amount": "25004.73"}  # one day's interest since signing: 25,000 × 6.9 % / 365
    assert node["disclosure"]["amountFinanced"] == {"amount": "25000.00"} and node["disclosure"]["apr"] == "6.90"

    notification = await Notification.get()
    assert notification.title == "Your new 2025 Toyota Camry loan is in your account"
    [message] = await mailbox.deliver()
    assert message["To"] == login.email and "Your new 2025 Toyota Camry loan" in message["Subject"]
    assert contract.number in mailbox.text(message)


async def test_a_customer_without_a_login_is_mailed_a_registration_link_and_then_sees_the_contract(
        client, services, mailbox):
    deal = await approved_deal(services)
    funding = await book(services, deal.envelope)
    contract = await Contract.get(id=funding.contract_id)

    [message] = await mailbox.deliver()
    assert message["To"] == deal.customer.email
    assert message["Subject"] == "Your new 2025 Toyota Camry contract: set up online access"
    assert contract.number in mailbox.text(message) and "493.85" in mailbox.text(message)
    token = mailbox.link_param(message, "token")
    done = (await client.execute(COMPLETE, {"t": token, "u": "pat.new", "p": STRONG}))["completeRegistrationLink"]
    assert done == {"username": "pat.new", "errors": []}
    await client.login("pat.new", STRONG)
    contracts = (await client.execute(CONTRACTS))["viewer"]["customer"]["contracts"]
    assert [e["node"]["number"] for e in contracts["edges"]] == [contract.number]


async def test_the_dealer_sees_the_funding_on_the_application(client, services):
    deal = await approved_deal(services)
    await sign_in_as(client, services, deal.dealer_user)
    before = (await client.execute(FUNDING, {"id": app_gid(deal.application)}))["node"]
    assert before == {"status": "CONTRACTED", "funding": None}

    funding = await book(services, deal.envelope)
    contract = await Contract.get(id=funding.contract_id)
    after = (await client.execute(FUNDING, {"id": app_gid(deal.application)}))["node"]
    assert after == {"status": "FUNDED", "funding": {"amount": {"amount": "25000.00"}, "status": "FUNDED",
                                                     "fundedAt": "2026-11-02T15:00:00+00:00",
                                                     "contractNumber": contract.number}}

    other = await approved_deal(services)  # another dealership: its application is not visible
    await book(services, other.envelope)
    assert (await client.execute(FUNDING, {"id": app_gid(other.application)}))["node"] is None


async def test_a_structure_over_the_approved_amount_is_not_booked(services):
    # The signed document never exceeds the approval (e-signature refuses to send it), so a booking
    # over it means the decision changed since: refused, not capped, so booked = signed.
    deal = await approved_deal(services, approved_amount=D("20000.00"))
    with pytest.raises(BookingError, match="more than the approved") as raised:
        await book(services, deal.envelope)
    assert raised.value.problem.code.value == "CONFLICT"
    assert await Contract.all().count() == 0 and await Funding.all().count() == 0


async def test_a_lease_books_the_regulation_m_figures(client, services):
    customer = await factories.customer(services)
    await factories.user(services, "lee.lessee", Role.CUSTOMER, customer=customer)
    deal = await approved_deal(services, customer=customer, approved_amount=D("36000.00"), **LEASE_DEAL)
    funding = await book(services, deal.envelope)
    contract = await Contract.get(id=funding.contract_id)
    assert contract.kind == ContractKind.LEASE and contract.apr is None
    # finance-notes.md worked example 2.
    assert (contract.gross_cap_cost, contract.cap_cost_reduction, contract.amount_financed) == (
        D("38000.00"), D("2000.00"), D("36000.00"))
    assert contract.scheduled_payment == D("459.63") and funding.amount == D("36000.00")
    assert contract.maturity_date == date(2029, 11, 1)
    reading = await OdometerReading.get(contract_id=contract.id)
    assert (reading.source, reading.miles, reading.read_on) == (OdometerSource.ORIGINATION, 12, date(2026, 11, 1))

    await client.login("lee.lessee", factories.TEST_PASSWORD)
    node = (await client.execute(CONTRACTS))["viewer"]["customer"]["contracts"]["edges"][0]["node"]
    assert node["lease"] == {"grossCapCost": {"amount": "38000.00"}, "capCostReduction": {"amount": "2000.00"},
                             "residualValue": {"amount": "23200.00"}, "moneyFactor": "0.001250",
                             "annualMileageAllowance": 12000}
    assert node["nextDue"] == {"date": "2026-12-01", "amount": {"amount": "459.63"}}


async def test_a_lease_above_the_approved_amount_is_not_booked(services):
    deal = await approved_deal(services, approved_amount=D("30000.00"), **LEASE_DEAL)
    with pytest.raises(BookingError) as raised:
        await book(services, deal.envelope)
    assert raised.value.problem.code.value == "CONFLICT"
    assert await Contract.all().count() == 0 and await Funding.all().count() == 0


async def test_the_co_applicant_becomes_the_co_customer_and_both_are_told(services, mailbox):
    co = await factories.customer(services, ssn="987654321")
    deal = await approved_deal(services, co_customer=co)
    funding = await book(services, deal.envelope)
    contract = await Contract.get(id=funding.contract_id)
    assert (contract.customer_id, contract.co_customer_id) == (deal.customer.id, co.id)
    assert sorted(m["To"] for m in await mailbox.deliver()) == sorted([deal.customer.email, co.email])


async def test_the_application_first_payment_date_is_kept_when_ahead(services):
    deal = await approved_deal(services, first_payment_date=date(2026, 12, 15))
    contract = await Contract.get(id=(await book(services, deal.envelope)).contract_id)
    assert (contract.first_payment_date, contract.maturity_date) == (date(2026, 12, 15), date(2031, 11, 15))


async def test_a_known_vin_is_reused_unless_an_active_contract_finances_it(services):
    dealer = await factories.dealership()
    owner = await factories.customer(services)
    paid_off = await factories.vehicle(vin="1FTFW1E50SFA00001")
    await existing_loan(owner, dealer, vehicle=paid_off, status=ContractStatus.PAID_OFF)
    deal = await approved_deal(services, vin="1FTFW1E50SFA00001")
    contract = await Contract.get(id=(await book(services, deal.envelope)).contract_id)
    assert contract.vehicle_id == paid_off.id and await Vehicle.all().count() == 1

    financed = await factories.vehicle(vin="1FTFW1E50SFA00002")
    await existing_loan(owner, dealer, vehicle=financed)
    blocked = await approved_deal(services, vin="1FTFW1E50SFA00002")
    with pytest.raises(BookingError, match="still financed"):
        await book(services, blocked.envelope)
    assert await Funding.filter(application_id=blocked.application.id).count() == 0
    assert (await CreditApplication.get(id=blocked.application.id)).status == ApplicationStatus.CONTRACTED


async def test_only_a_completed_envelope_on_an_approved_application_books(services):
    unsigned = await approved_deal(services, envelope_status=EnvelopeStatus.PARTIALLY_SIGNED)
    with pytest.raises(BookingError, match="completed envelope"):
        await book(services, unsigned.envelope)

    declined_later = await approved_deal(services)
    await ApplicationDecision.create(application=declined_later.application, outcome=DecisionOutcome.DECLINED,
                                     created_at=services.clock.now())
    with pytest.raises(BookingError, match="does not approve"):
        await book(services, declined_later.envelope)

    withdrawn = await approved_deal(services)
    await CreditApplication.filter(id=withdrawn.application.id).update(status=ApplicationStatus.WITHDRAWN)
    with pytest.raises(BookingError, match="WITHDRAWN"):
        await book(services, withdrawn.envelope)
    assert await Contract.all().count() == 0


@pytest.mark.postgres_only
async def test_two_completions_at_the_same_moment_book_one_contract(services):
    deal = await approved_deal(services)
    fundings = await asyncio.gather(book(services, deal.envelope), book(services, deal.envelope))
    assert fundings[0].id == fundings[1].id
    assert await Contract.all().count() == 1 and await Funding.all().count() == 1
    assert await AuditEvent.filter(action="application.funded").count() == 1
