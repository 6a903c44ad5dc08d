"""Coverage through /graphql: add-ons financed with the deal and booked as coverages of the contract,
dealer-added and cancelled coverage, the status of a vehicle's coverage from its odometer history,
who sees it, constant SQL for a list, and the daily expiry notice (once, respecting preferences,
once under concurrent closes on PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from decimal import Decimal

import pytest

from finance.deal import DealStructure, loan_quote
from finance.loan import add_months
from models import (
    ApplicationAddOn,
    AuditEvent,
    Contract,
    Coverage,
    CreditApplication,
    Notification,
    OdometerReading,
    User,
)
from models.enums import (
    CoverageKind,
    CoverageStatus,
    NotificationCategory,
    OdometerSource,
    Role,
)
from resolvers.coverage.notices import send_expiry_notices
from resolvers.servicing.close import close_day
from tests import factories
from tests.api.origination import desk
from tests.api.origination.booking_builders import approved_deal, book
from tests.api.origination.desk import ERRORS, codes
from tests.api.origination.test_applications import draft
from tests.api.servicing.builders import customer_with_login, gid, loan, posted
from tests.conftest import count_queries

D = Decimal
TODAY = date(2026, 11, 2)
LINES = """coverages { kind provider planName status startDate startDateEstimated termMonths endsOn endsAtMiles
  remainingMonths remainingDays remainingMiles odometer odometerReadOn phone
  coverage { id kind soldAtOrigination cancelled price { amount } mileageLimit startOdometer } }"""
CONTRACTS = f"""{{ viewer {{ customer {{ contracts(first: 20) {{ edges {{ node {{ number
  amountFinanced {{ amount }} disclosure {{ amountFinanced {{ amount }} financeCharge {{ amount }} }}
  {LINES} }} }} }} }} }} }}"""
SET_ADD_ONS = f"""mutation($input: SetApplicationAddOnsInput!) {{ setApplicationAddOns(input: $input) {{
  application {{ id addOns {{ kind price {{ amount }} }} quote {{ loan {{ amountFinanced {{ amount }}
    monthlyPayment {{ amount }} totalOfPayments {{ amount }} financeCharge {{ amount }} apr }} }} }}
  addOns {{ kind provider planName termMonths mileageLimit price {{ amount }} }} {ERRORS} }} }}"""
ADD = f"""mutation($input: AddCoverageInput!) {{ addCoverage(input: $input) {{
  coverage {{ id kind providerPhone mileageLimit startOdometer status {{ status endsOn remainingMiles phone }} }}
  {ERRORS} }} }}"""
CANCEL = f"""mutation($input: CancelCoverageInput!) {{ cancelCoverage(input: $input) {{
  coverage {{ id cancelled status {{ status }} }} {ERRORS} }} }}"""
SERVICE_CONTRACT = {"kind": "EXTENDED_WARRANTY", "provider": "Sunrise Protect", "planName": "Platinum 72/75",
                    "termMonths": 72, "mileageLimit": 75000, "price": "1995.00"}


def lines_of(data: dict) -> dict[str, list[dict]]:
    return {edge["node"]["number"]: edge["node"]["coverages"]
            for edge in data["viewer"]["customer"]["contracts"]["edges"]}


# -- sold with the deal ---------------------------------------------------------------------------

async def test_a_service_contract_sold_with_a_loan_is_financed_in_the_quote(client, services):
    dealer = await desk.dealer(client, services)
    application = await draft(client, services, dealer)  # 5,000.00 at 12 % for 36 months
    result = (await client.execute(SET_ADD_ONS, {"input": {"applicationId": application["id"],
                                                           "addOns": [SERVICE_CONTRACT]}}))["setApplicationAddOns"]
    assert result["errors"] == []
    assert result["addOns"] == [{"kind": "EXTENDED_WARRANTY", "provider": "Sunrise Protect",
                                 "planName": "Platinum 72/75", "termMonths": 72, "mileageLimit": 75000,
                                 "price": {"amount": "1995.00"}}]
    quoted = result["application"]["quote"]["loan"]
    first_payment = add_months(TODAY, 1)
    without = loan_quote(DealStructure(cash_price=D("5000.00")), apr_percent=D(12), term_months=36,
                         contract_date=TODAY, first_payment_date=first_payment)
    expected = loan_quote(DealStructure(cash_price=D("5000.00"), add_ons=D("1995.00")), apr_percent=D(12),
                          term_months=36, contract_date=TODAY, first_payment_date=first_payment)
    assert expected.amount_financed == without.amount_financed + D("1995.00") == D("6995.00")
    assert expected.finance_charge > without.finance_charge
    assert quoted["amountFinanced"]["amount"] == "6995.00"
    assert quoted["monthlyPayment"]["amount"] == str(expected.monthly_payment)
    assert quoted["totalOfPayments"]["amount"] == str(expected.total_of_payments)
    assert quoted["financeCharge"]["amount"] == str(expected.finance_charge)
    assert (await CreditApplication.get(number=application["number"])).add_ons_price == D("1995.00")

    # Replacing the set with nothing takes the price out again.
    cleared = (await client.execute(SET_ADD_ONS, {"input": {"applicationId": application["id"], "addOns": []}}))
    assert cleared["setApplicationAddOns"]["application"]["quote"]["loan"]["amountFinanced"]["amount"] == "5000.00"
    assert await ApplicationAddOn.all().count() == 0
    assert await AuditEvent.filter(action="application.add_ons_set").count() == 2


async def test_add_ons_are_checked_and_belong_to_the_dealers_own_drafts(client, services):
    dealer = await desk.dealer(client, services)
    application = await draft(client, services, dealer)
    bad = [dict(SERVICE_CONTRACT, price="-1"), dict(SERVICE_CONTRACT, kind="TIRE_AND_WHEEL", termMonths=0),
           {"kind": "GAP", "provider": "", "planName": "GAP", "termMonths": 36, "mileageLimit": 10, "price": "595.00"}]
    result = (await client.execute(SET_ADD_ONS, {"input": {"applicationId": application["id"], "addOns": bad}}))
    assert sorted(codes(result["setApplicationAddOns"])) == sorted([
        ("INVALID", ["addOns", "0", "price"]), ("INVALID", ["addOns", "1", "termMonths"]),
        ("INVALID", ["addOns", "2", "provider"]), ("INVALID", ["addOns", "2", "mileageLimit"])])
    twice = [SERVICE_CONTRACT, SERVICE_CONTRACT]
    result = (await client.execute(SET_ADD_ONS, {"input": {"applicationId": application["id"], "addOns": twice}}))
    assert codes(result["setApplicationAddOns"]) == [("INVALID", ["addOns", "1", "kind"])]
    assert await ApplicationAddOn.all().count() == 0

    # Another dealership's draft is not found.
    await desk.dealer(client, services, username="other", dealership=await factories.dealership(name="Elsewhere"))
    result = (await client.execute(SET_ADD_ONS, {"input": {"applicationId": application["id"],
                                                           "addOns": [SERVICE_CONTRACT]}}))
    assert codes(result["setApplicationAddOns"]) == [("NOT_FOUND", ["applicationId"])]
    assert (await CreditApplication.get(number=application["number"])).add_ons_price == 0


async def test_funding_books_each_add_on_as_a_coverage_and_finances_it(client, services):
    customer = await factories.customer(services)
    await factories.user(services, "pat.buyer", Role.CUSTOMER, customer=customer)
    deal = await approved_deal(services, customer=customer)  # 25,000.00 financed without add-ons
    await ApplicationAddOn.create(application=deal.application, kind=CoverageKind.EXTENDED_WARRANTY,
                                  provider="Sunrise Protect", plan_name="Platinum", term_months=72,
                                  mileage_limit=75000, price=D("1995.00"), created_at=services.clock.now())
    await CreditApplication.filter(id=deal.application.id).update(add_ons_price=D("1995.00"))

    funding = await book(services, deal.envelope)

    contract = await Contract.get(id=funding.contract_id)
    assert contract.amount_financed == D("26995.00")
    coverage = await Coverage.get(contract_id=contract.id)
    assert (coverage.sold_at_origination, coverage.start_date, coverage.start_odometer, coverage.mileage_limit) == (
        True, contract.contract_date, 12, 75012)
    await client.login("pat.buyer", factories.TEST_PASSWORD)
    node = (await client.execute(CONTRACTS))["viewer"]["customer"]["contracts"]["edges"][0]["node"]
    assert node["amountFinanced"]["amount"] == node["disclosure"]["amountFinanced"]["amount"] == "26995.00"
    kinds = [line["kind"] for line in node["coverages"]]
    assert kinds == ["FACTORY_BASIC", "FACTORY_POWERTRAIN", "EXTENDED_WARRANTY"]  # a new Toyota Camry
    service = node["coverages"][2]
    assert service["coverage"]["soldAtOrigination"] and service["coverage"]["price"] == {"amount": "1995.00"}
    assert service["endsOn"] == add_months(contract.contract_date, 72).isoformat()
    assert service["endsAtMiles"] == 75012 and service["remainingMiles"] == 75000


# -- status on the customer's vehicle -------------------------------------------------------------

async def _loan_with_history(services, username: str = "alice"):
    owner, dealership = await customer_with_login(services, username)
    vehicle = await factories.vehicle(make="Toyota", condition="NEW", odometer_at_sale=10)
    contract = await loan(owner, dealership, vehicle=vehicle, contract_date=date(2024, 3, 10),
                          first_payment_date=date(2024, 4, 10))
    for day, miles, source in ((date(2025, 3, 1), 11_500, OdometerSource.CUSTOMER),
                               (date(2026, 2, 20), 24_310, OdometerSource.SERVICE)):
        await OdometerReading.create(contract=contract, read_on=day, miles=miles, source=source,
                                     created_at=posted(day))
    return contract, dealership


async def test_status_end_date_and_remaining_miles_from_the_odometer_history(client, services):
    contract, dealership = await _loan_with_history(services)
    await Coverage.create(contract=contract, vehicle_id=contract.vehicle_id, dealership=dealership,
                          kind=CoverageKind.EXTENDED_WARRANTY, provider="Sunrise Protect", plan_name="Gold",
                          start_date=date(2024, 3, 10), term_months=36, start_odometer=10, mileage_limit=36_010,
                          price=D("1495.00"), created_at=services.clock.now())
    await Coverage.create(contract=contract, vehicle_id=contract.vehicle_id, dealership=dealership,
                          kind=CoverageKind.ROADSIDE_ASSISTANCE, provider="RoadPal", plan_name="24/7",
                          provider_phone="1-800-555-0199", start_date=date(2024, 3, 10), term_months=60,
                          price=D("199.00"), created_at=services.clock.now())
    await client.login("alice", factories.TEST_PASSWORD)
    lines = lines_of(await client.execute(CONTRACTS))[contract.number]
    by_kind = {line["kind"]: line for line in lines}
    basic = by_kind["FACTORY_BASIC"]
    assert (basic["startDate"], basic["endsOn"], basic["endsAtMiles"], basic["odometer"], basic["odometerReadOn"],
            basic["remainingMiles"], basic["remainingMonths"], basic["status"], basic["startDateEstimated"]) == (
        "2024-03-10", "2027-03-10", 36_000, 24_310, "2026-02-20", 11_690, 4, "ACTIVE", False)
    assert by_kind["FACTORY_POWERTRAIN"]["endsOn"] == "2029-03-10"
    service = by_kind["EXTENDED_WARRANTY"]
    assert (service["endsOn"], service["remainingMiles"], service["status"], service["phone"]) == (
        "2027-03-10", 11_700, "ACTIVE", None)
    roadside = by_kind["ROADSIDE_ASSISTANCE"]
    assert roadside["phone"] == "1-800-555-0199" and roadside["endsAtMiles"] is None
    assert roadside["remainingMiles"] is None and roadside["endsOn"] == "2029-03-10"

    # A service visit near the limit makes it EXPIRING_SOON; past it, EXPIRED.
    await OdometerReading.create(contract=contract, read_on=TODAY, miles=35_100, source=OdometerSource.SERVICE,
                                 created_at=services.clock.now())
    service = {line["kind"]: line for line in lines_of(await client.execute(CONTRACTS))[contract.number]}
    assert (service["EXTENDED_WARRANTY"]["status"], service["EXTENDED_WARRANTY"]["remainingMiles"]) == (
        "EXPIRING_SOON", 910)
    assert service["FACTORY_BASIC"]["status"] == "EXPIRING_SOON"
    await OdometerReading.create(contract=contract, read_on=TODAY, miles=36_500, source=OdometerSource.CUSTOMER,
                                 created_at=services.clock.now())
    expired = {line["kind"]: line for line in lines_of(await client.execute(CONTRACTS))[contract.number]}
    assert expired["EXTENDED_WARRANTY"]["status"] == "EXPIRED" and expired["FACTORY_BASIC"]["status"] == "EXPIRED"
    assert expired["FACTORY_POWERTRAIN"]["status"] == "ACTIVE"


async def test_another_customers_vehicle_coverage_is_not_visible(client, services):
    contract, dealership = await _loan_with_history(services)
    coverage = await Coverage.create(contract=contract, vehicle_id=contract.vehicle_id, dealership=dealership,
                                     kind=CoverageKind.GAP, provider="GapCo", plan_name="GAP", start_date=TODAY,
                                     term_months=36, price=D("595.00"), created_at=services.clock.now())
    await customer_with_login(services, "mallory")
    await client.login("mallory", factories.TEST_PASSWORD)
    data = await client.execute("query($id: ID!) { node(id: $id) { id } contract: node(id: $c) { id } }"
                                .replace("query($id: ID!)", "query($id: ID!, $c: ID!)"),
                                {"id": gid("Coverage", coverage.id), "c": gid("Contract", contract.id)})
    assert data == {"node": None, "contract": None}
    assert (await client.execute(CONTRACTS))["viewer"]["customer"]["contracts"]["edges"] == []
    # The owner sees it through node too.
    await client.login("alice", factories.TEST_PASSWORD)
    data = await client.execute("query($id: ID!) { node(id: $id) { ... on Coverage { kind status { status } } } }",
                                {"id": gid("Coverage", coverage.id)})
    assert data["node"] == {"kind": "GAP", "status": {"status": "ACTIVE"}}


async def test_listing_coverage_costs_the_same_sql_for_few_and_many_contracts(client, services):
    async def portfolio(username: str, count: int) -> None:
        owner, dealership = await customer_with_login(services, username)
        for n in range(count):
            contract = await loan(owner, dealership)
            await OdometerReading.create(contract=contract, read_on=date(2026, 5, 1), miles=9000 + n,
                                         source=OdometerSource.CUSTOMER, created_at=posted(date(2026, 5, 1)))
            await Coverage.create(contract=contract, vehicle_id=contract.vehicle_id, dealership=dealership,
                                  kind=CoverageKind.TIRE_AND_WHEEL, provider="Tyre", plan_name="T&W",
                                  start_date=date(2026, 1, 15), term_months=36, mileage_limit=36_000,
                                  price=D("400.00"), created_at=services.clock.now())

    await portfolio("few", 1)
    await portfolio("many", 8)

    async def statements(username: str) -> int:
        await client.login(username, factories.TEST_PASSWORD)
        with count_queries() as counter:
            data = await client.execute(CONTRACTS.replace("disclosure { amountFinanced { amount } financeCharge "
                                                          "{ amount } }", ""))
        assert all(len(lines) == 3 for lines in lines_of(data).values())
        return len(counter.statements)

    assert await statements("few") == await statements("many")


# -- added later by the dealer --------------------------------------------------------------------

async def test_a_dealer_adds_and_cancels_coverage_on_its_own_contracts_only(client, services):
    contract, dealership = await _loan_with_history(services)
    dealer = await factories.user(services, "dana", Role.DEALER_USER, dealership=dealership)
    await desk.sign_in(client, services, dealer)
    roadside = {"contractId": gid("Contract", contract.id), "kind": "ROADSIDE_ASSISTANCE", "provider": "RoadPal",
                "planName": "24/7", "startDate": "2026-03-01", "termMonths": 24, "price": "149.00",
                "providerPhone": "1-800-555-0100"}
    bad = dict(roadside, startDate="2024-01-01", providerPhone="call me", price="0")
    result = (await client.execute(ADD, {"input": bad}))["addCoverage"]
    assert sorted(codes(result)) == [("INVALID", ["price"]), ("INVALID", ["providerPhone"])]
    result = (await client.execute(ADD, {"input": dict(roadside, startDate="2024-01-01")}))["addCoverage"]
    assert codes(result) == [("INVALID", ["startDate"])]
    assert await Coverage.all().count() == 0

    added = (await client.execute(ADD, {"input": roadside}))["addCoverage"]
    assert added["errors"] == []
    assert added["coverage"]["status"] == {"status": "ACTIVE", "endsOn": "2028-03-01", "remainingMiles": None,
                                           "phone": "1-800-555-0100"}
    assert added["coverage"]["startOdometer"] == 24_310  # the latest reading on or before the start date
    tires = dict(roadside, kind="TIRE_AND_WHEEL", mileageLimit=30000, providerPhone=None)
    added_tires = (await client.execute(ADD, {"input": tires}))["addCoverage"]["coverage"]
    assert added_tires["mileageLimit"] == 54_310 and added_tires["status"]["remainingMiles"] == 30_000

    cancelled = (await client.execute(CANCEL, {"input": {"coverageId": added["coverage"]["id"]}}))["cancelCoverage"]
    assert cancelled["coverage"] == {"id": added["coverage"]["id"], "cancelled": True,
                                     "status": {"status": "CANCELLED"}}
    again = (await client.execute(CANCEL, {"input": {"coverageId": added["coverage"]["id"]}}))["cancelCoverage"]
    assert codes(again) == [("CONFLICT", ["coverageId"])]
    events = await AuditEvent.filter(action__in=["coverage.added", "coverage.cancelled"]).order_by("id")
    assert [e.action for e in events] == ["coverage.added", "coverage.added", "coverage.cancelled"]
    alice = await User.get(username="alice")
    assert all(e.subject_id == alice.id and e.actor_id == dealer.id for e in events)

    # Another dealership sees neither the contract nor its coverage.
    other = await factories.user(services, "otto", Role.DEALER_USER, dealership=await factories.dealership())
    await desk.sign_in(client, services, other)
    assert codes((await client.execute(ADD, {"input": roadside}))["addCoverage"]) == [("NOT_FOUND", ["contractId"])]
    result = (await client.execute(CANCEL, {"input": {"coverageId": added_tires["id"]}}))["cancelCoverage"]
    assert codes(result) == [("NOT_FOUND", ["coverageId"])]
    assert (await Coverage.get(kind=CoverageKind.TIRE_AND_WHEEL)).status == CoverageStatus.ACTIVE


# -- the daily expiry notice ----------------------------------------------------------------------

async def _ending_soon(services, username: str = "alice") -> Coverage:
    """A service contract ending in 20 days (a notice is due today)."""
    contract, dealership = await _loan_with_history(services, username)
    return await Coverage.create(contract=contract, vehicle_id=contract.vehicle_id, dealership=dealership,
                                 kind=CoverageKind.EXTENDED_WARRANTY, provider="Sunrise Protect", plan_name="Gold",
                                 start_date=add_months(TODAY + timedelta(days=20), -36), term_months=36,
                                 start_odometer=10, mileage_limit=100_000, price=D("1495.00"),
                                 created_at=services.clock.now())


async def test_the_daily_close_sends_one_expiry_notice_per_coverage(client, services, mailbox):
    coverage = await _ending_soon(services)
    far = await Coverage.create(contract_id=coverage.contract_id, vehicle_id=coverage.vehicle_id,
                                dealership_id=coverage.dealership_id, kind=CoverageKind.GAP, provider="GapCo",
                                plan_name="GAP", start_date=date(2026, 1, 1), term_months=60, price=D("595.00"),
                                created_at=services.clock.now())

    await close_day(services, TODAY, documents=[])
    assert await send_expiry_notices(services, TODAY) == 0  # a re-run changes nothing
    assert await send_expiry_notices(services, TODAY + timedelta(days=1)) == 0

    notes = await Notification.filter(category=NotificationCategory.COVERAGE_EXPIRING)
    assert len(notes) == 1 and "ends on" in notes[0].body
    assert (await Coverage.get(id=coverage.id)).expiry_notice_sent_on == TODAY
    assert (await Coverage.get(id=far.id)).expiry_notice_sent_on is None
    messages = await mailbox.deliver()
    assert [m["Subject"] for m in messages] == [notes[0].title]
    assert "ends on" in mailbox.text(messages[0]) and "preferences" in mailbox.text(messages[0])


async def test_no_expiry_notice_when_coverage_reminders_are_off(client, services, mailbox):
    coverage = await _ending_soon(services)
    await client.login("alice", factories.TEST_PASSWORD)
    data = await client.execute("mutation { updateCommunicationPreferences(input: {coverageReminders: false}) { "
                                "communicationPreferences { coverageReminders } errors { code } } }")
    assert data["updateCommunicationPreferences"]["communicationPreferences"] == {"coverageReminders": False}

    assert await send_expiry_notices(services, TODAY) == 0
    assert await Notification.filter(category=NotificationCategory.COVERAGE_EXPIRING).count() == 0
    assert await mailbox.deliver() == []
    assert (await Coverage.get(id=coverage.id)).expiry_notice_sent_on == TODAY  # decided once


@pytest.mark.postgres_only
async def test_concurrent_closes_send_the_expiry_notice_once(services):
    await _ending_soon(services)
    await _ending_soon(services, "bob")
    sent = await asyncio.gather(*(send_expiry_notices(services, TODAY) for _ in range(4)))
    assert sum(sent) == 2
    assert await Notification.filter(category=NotificationCategory.COVERAGE_EXPIRING).count() == 2
