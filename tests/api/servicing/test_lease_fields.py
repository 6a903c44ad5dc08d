"""Lease fields: Regulation M figures, mileage and projection, end-of-term options and early termination;
buyVsLease. Figures equal finance.lease / finance.compare for the same inputs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from finance.compare import buy_vs_lease
from finance.lease import (
    early_termination_estimate,
    lease_disclosure,
    mileage_projection,
)
from models import OdometerReading
from models.enums import OdometerSource
from tests import factories
from tests.api.servicing import builders

D = Decimal
LEASE_FIELDS = """query($id: ID!, $realized: Decimal) { node(id: $id) { ... on Contract {
  amortizationSchedule { number }
  leaseDetails {
    disclosure { grossCapCost { amount } capCostReduction { amount } adjustedCapCost { amount }
      residualValue { amount } depreciation { amount } rentCharge { amount } totalOfBasePayments { amount }
      termMonths monthlyDepreciation { amount } monthlyRentCharge { amount } baseMonthlyPayment { amount }
      monthlyTax { amount } totalMonthlyPayment { amount } moneyFactor aprEquivalent
      amountDueAtSigning { amount } otherCharges { amount } totalOfPayments { amount } }
    mileage { annualAllowance allowedMilesTotal excessMileageRate { amount } startOdometer
      readings { readOn miles source }
      projection { asOf milesDriven lastReadingDate averageMilesPerDay projectedMilesAtMaturity
        projectedOdometerAtMaturity projectedExcessMiles projectedExcessCharge { amount } } }
    endOfTerm { purchaseOptionPrice { amount } residualValue { amount } purchaseOptionFee { amount }
      dispositionFee { amount }
      earlyTermination(realizedValue: $realized) { asOf remainingPayments adjustedLeaseBalance { amount }
        realizedValue { amount } dispositionFee { amount } unpaidAmounts { amount } estimate { amount }
        assumptions { name value explanation } } }
  }
} } }"""


async def _lease(services, **overrides):
    owner, dealer = await builders.customer_with_login(services, "alice")
    contract = await builders.lease(owner, dealer, **overrides)
    return contract


async def _details(client, contract, realized=None):
    await client.login("alice", factories.TEST_PASSWORD)
    data = await client.execute(LEASE_FIELDS, {"id": builders.gid("Contract", contract.id), "realized": realized})
    return data["node"]


async def test_regulation_m_figures_match_worked_example_2(client, services):
    contract = await _lease(services)
    node = await _details(client, contract)
    assert node["amortizationSchedule"] is None
    d = node["leaseDetails"]["disclosure"]
    expected = lease_disclosure(D("38000.00"), D("2000.00"), D("23200.00"), D("0.00125"), 36, D("0.07"),
                                disposition_fee=D("395.00"), first_payment_at_signing=False)
    assert d["adjustedCapCost"] == {"amount": "36000.00"} and d["depreciation"] == {"amount": "12800.00"}
    assert d["monthlyDepreciation"] == {"amount": "355.56"} and d["monthlyRentCharge"] == {"amount": "74.00"}
    assert d["baseMonthlyPayment"] == {"amount": "429.56"} and d["monthlyTax"] == {"amount": "30.07"}
    assert d["totalMonthlyPayment"] == {"amount": "459.63"}
    assert D(d["aprEquivalent"]) == D("3.00") and d["termMonths"] == 36
    assert d["rentCharge"] == {"amount": str(expected.rent_charge_total)}
    assert d["totalOfBasePayments"] == {"amount": str(expected.total_of_base_payments)}
    assert d["amountDueAtSigning"] == {"amount": "2000.00"} and d["otherCharges"] == {"amount": "395.00"}
    assert d["totalOfPayments"] == {"amount": str(expected.total_of_payments)}


async def test_mileage_projection_from_the_readings(client, services):
    contract = await _lease(services, odometer=12)
    await OdometerReading.create(contract=contract, read_on=date(2026, 7, 15), miles=7012,
                                 source=OdometerSource.CUSTOMER, created_at=services.clock.now())
    node = await _details(client, contract)
    mileage = node["leaseDetails"]["mileage"]
    assert mileage["annualAllowance"] == 12000 and mileage["allowedMilesTotal"] == 36000
    assert mileage["startOdometer"] == 12 and mileage["excessMileageRate"] == {"amount": "0.25"}
    assert mileage["readings"] == [{"readOn": "2026-01-15", "miles": 12, "source": "ORIGINATION"},
                                   {"readOn": "2026-07-15", "miles": 7012, "source": "CUSTOMER"}]
    expected = mileage_projection(start_date=date(2026, 1, 15), maturity_date=contract.maturity_date,
                                  start_odometer=12, readings=[(date(2026, 7, 15), 7012)], annual_allowance=12000,
                                  term_months=36, excess_rate=D("0.25"), as_of=services.clock.today())
    p = mileage["projection"]
    assert p["milesDriven"] == 7000 and p["lastReadingDate"] == "2026-07-15"
    assert p["projectedMilesAtMaturity"] == expected.projected_miles_at_maturity
    assert p["projectedExcessMiles"] == expected.projected_excess_miles > 0  # 7,000 in 6 months: ~42,000 in 3 years
    assert p["projectedExcessCharge"] == {"amount": str(expected.projected_excess_charge)}
    assert p["projectedOdometerAtMaturity"] == 12 + expected.projected_miles_at_maturity


async def test_end_of_term_options_and_early_termination(client, services):
    contract = await _lease(services)
    for month in range(2, 10):  # Feb..Sep paid; October unpaid (past due on 2026-11-02)
        await builders.pay_lease(contract, date(2026, month, 15))
    node = await _details(client, contract)
    end = node["leaseDetails"]["endOfTerm"]
    assert end["purchaseOptionPrice"] == {"amount": "23550.00"}  # residual + purchase option fee
    assert end["dispositionFee"] == {"amount": "395.00"}
    early = end["earlyTermination"]
    # Installments 10..36 (Nov 15 on) are due on or after today; October's (9) is past due.
    assert early["asOf"] == "2026-11-02" and early["remainingPayments"] == 27
    book_value = D("36000.00") - D("355.56") * 9
    expected = early_termination_estimate(
        base_monthly_payment=D("429.56"), residual_value=D("23200.00"), money_factor=D("0.00125"),
        remaining_payments=27, realized_value=book_value, disposition_fee=D("395.00"),
        unpaid_amounts=D("459.63"))
    assert early["adjustedLeaseBalance"] == {"amount": str(expected.adjusted_lease_balance)}
    assert early["realizedValue"] == {"amount": str(book_value)}
    assert early["unpaidAmounts"] == {"amount": "459.63"}
    assert early["estimate"] == {"amount": str(expected.estimate)}
    names = {a["name"] for a in early["assumptions"]}
    assert {"method", "realized_value", "realized_value_source", "termination_date"} <= names

    given = await _details(client, contract, "20000.00")
    assert given["leaseDetails"]["endOfTerm"]["earlyTermination"]["realizedValue"] == {"amount": "20000.00"}


async def test_bad_realized_value_is_invalid(client, services):
    contract = await _lease(services)
    await client.login("alice", factories.TEST_PASSWORD)
    body = (await client.post(LEASE_FIELDS, {"id": builders.gid("Contract", contract.id),
                                             "realized": "-5.00"})).json()
    assert body["errors"][0]["extensions"]["code"] == "INVALID"


async def test_lease_details_are_null_on_a_loan_and_hidden_from_others(client, services):
    owner, dealer = await builders.customer_with_login(services, "alice")
    loan = await builders.loan(owner, dealer)
    lease = await builders.lease(owner, dealer)
    node = await _details(client, loan)
    assert node["leaseDetails"] is None and len(node["amortizationSchedule"]) == 36
    await builders.customer_with_login(services, "mallory")
    await client.login("mallory", factories.TEST_PASSWORD)
    data = await client.execute(LEASE_FIELDS, {"id": builders.gid("Contract", lease.id), "realized": None})
    assert data["node"] is None


BUY_VS_LEASE = """query($input: BuyVsLeaseInput!) { buyVsLease(input: $input) {
  horizonMonths cheaper
  buy { amountFinanced { amount } monthlyPayment { amount } totalPaidOverHorizon { amount }
        equityAtHorizonEnd { amount } netCost { amount } }
  lease { driveOff { amount } monthlyPayment { amount } totalPaid { amount } netCost { amount } }
  monthlyPaymentDifference { amount } totalCostDifference { amount }
  assumptions { name value explanation }
} }"""
OFFER = {"vehiclePrice": "38000.00", "salesTaxRate": "0.07", "downPayment": "2000.00", "loanAprPercent": "6.90",
         "loanTermMonths": 60, "leaseCapCostReduction": "2000.00", "residualValue": "23200.00",
         "moneyFactor": "0.00125", "leaseTermMonths": 36, "dispositionFee": "395.00"}


@pytest.mark.parametrize("signed_in", [False, True])
async def test_buy_vs_lease_equals_the_finance_function(client, services, signed_in):
    if signed_in:
        await builders.customer_with_login(services, "alice")
        await client.login("alice", factories.TEST_PASSWORD)
    data = (await client.execute(BUY_VS_LEASE, {"input": OFFER}))["buyVsLease"]
    expected = buy_vs_lease(
        vehicle_price=D("38000.00"), sales_tax_rate=D("0.07"), down_payment=D("2000.00"),
        loan_apr_percent=D("6.90"), loan_term_months=60, lease_cap_cost_reduction=D("2000.00"),
        residual_value=D("23200.00"), money_factor=D("0.00125"), lease_term_months=36,
        assumed_value_at_end=D("23200.00"), disposition_fee=D("395.00"))
    assert data["horizonMonths"] == 36 and data["cheaper"] == expected.cheaper
    assert data["buy"]["monthlyPayment"] == {"amount": str(expected.loan.monthly_payment)}
    assert data["buy"]["netCost"] == {"amount": str(expected.loan.net_cost)}
    assert data["buy"]["equityAtHorizonEnd"] == {"amount": str(expected.loan.equity_at_horizon_end)}
    assert data["lease"]["monthlyPayment"] == {"amount": "459.63"}
    assert data["lease"]["totalPaid"] == {"amount": str(expected.lease.total_paid)}
    assert data["totalCostDifference"] == {"amount": str(expected.total_cost_difference)}
    assert data["monthlyPaymentDifference"] == {"amount": str(expected.monthly_payment_difference)}
    assert {a["name"] for a in data["assumptions"]} >= {"horizon_months", "assumed_value_at_end"}


@pytest.mark.parametrize("change", [{"moneyFactor": "0.5"}, {"vehiclePrice": "0"}, {"leaseTermMonths": 0},
                                    {"downPayment": "50000.00"}, {"residualValue": "1.001"}])
async def test_buy_vs_lease_refuses_impossible_figures_clearly(client, services, change):
    body = (await client.post(BUY_VS_LEASE, {"input": {**OFFER, **change}})).json()
    assert body["errors"][0]["extensions"]["code"] == "INVALID", body
    assert body["data"] is None
