"""`dealQuote` through /graphql: a loan's TILA figures and a lease's Regulation M figures equal
finance-notes.md's worked examples; bad inputs are INVALID with their field; dealers only."""

from __future__ import annotations

import pytest

from models.enums import Role
from tests import factories
from tests.api.origination import desk
from tests.api.origination.desk import ERRORS, codes

LOAN = ("loan { amountFinanced { amount } monthlyPayment { amount } numberOfPayments finalPayment { amount } "
        "firstPaymentDate totalOfPayments { amount } financeCharge { amount } noteRate apr }")
LEASE = ("lease { grossCapCost { amount } capCostReduction { amount } adjustedCapCost { amount } "
         "residualValue { amount } depreciation { amount } rentCharge { amount } numberOfPayments "
         "monthlyDepreciation { amount } monthlyRentCharge { amount } baseMonthlyPayment { amount } "
         "monthlyTax { amount } monthlyPayment { amount } moneyFactor aprEquivalent securityDeposit { amount } "
         "dueAtSigning { amount } tradeInCredit { amount } cashDueAtSigning { amount } totalOfPayments { amount } }")
QUOTE = f"query($input: DealStructureInput!) {{ dealQuote(input: $input) {{ {LOAN} {LEASE} {ERRORS} }} }}"


def amounts(figures: dict) -> dict:
    return {k: v["amount"] if isinstance(v, dict) else v for k, v in figures.items()}


async def quote(client, **deal) -> dict:
    return (await client.execute(QUOTE, {"input": deal}))["dealQuote"]


async def test_a_loan_quote_is_worked_example_1(client, services):
    await desk.dealer(client, services)
    result = await quote(client, **desk.loan_deal())
    assert result["errors"] == [] and result["lease"] is None
    assert amounts(result["loan"]) == {
        "amountFinanced": "5000.00", "monthlyPayment": "166.07", "numberOfPayments": 36, "finalPayment": "166.15",
        "firstPaymentDate": "2026-12-02", "totalOfPayments": "5978.60", "financeCharge": "978.60",
        "noteRate": "12", "apr": "12.00",
    }


async def test_a_loan_quote_nets_the_trade_in_and_finances_fees_and_taxes(client, services):
    await desk.dealer(client, services)
    deal = desk.loan_deal(cashPrice="4000.00", fees="300.00", taxes="200.00", cashDown="1000.00",
                          tradeInValue="2000.00", tradeInPayoff="3500.00")
    loan = (await quote(client, **deal))["loan"]
    assert loan["amountFinanced"]["amount"] == "5000.00" and loan["monthlyPayment"]["amount"] == "166.07"


async def test_a_long_first_period_shows_in_the_disclosed_apr(client, services):
    await desk.dealer(client, services)
    loan = (await quote(client, **desk.loan_deal(firstPaymentDate="2026-12-30")))["loan"]
    assert loan["monthlyPayment"]["amount"] == "166.07" and loan["firstPaymentDate"] == "2026-12-30"
    # Appendix J with t = 1 and f = 28/30 (1 month and 28 days to the first payment): 11.388... %
    assert loan["apr"] == "11.39"


async def test_a_lease_quote_is_worked_example_2(client, services):
    await desk.dealer(client, services)
    result = await quote(client, **desk.lease_deal(securityDeposit="500.00"))
    assert result["errors"] == [] and result["loan"] is None
    assert amounts(result["lease"]) == {
        "grossCapCost": "38000.00", "capCostReduction": "2000.00", "adjustedCapCost": "36000.00",
        "residualValue": "23200.00", "depreciation": "12800.00", "rentCharge": "2664.16", "numberOfPayments": 36,
        "monthlyDepreciation": "355.56", "monthlyRentCharge": "74.00", "baseMonthlyPayment": "429.56",
        "monthlyTax": "30.07", "monthlyPayment": "459.63", "moneyFactor": "0.00125", "aprEquivalent": "3.00",
        "securityDeposit": "500.00", "dueAtSigning": "2959.63", "tradeInCredit": "0.00",
        "cashDueAtSigning": "2959.63", "totalOfPayments": "18546.68",
    }


async def test_a_lease_trade_in_reduces_the_cap_cost_and_the_cash_due(client, services):
    await desk.dealer(client, services)
    deal = desk.lease_deal(cashPrice="35000.00", fees="500.00", cashDown="1000.00", tradeInValue="3000.00",
                           tradeInPayoff="2500.00", residualValue="20000.00")
    lease = amounts((await quote(client, **deal))["lease"])
    assert (lease["grossCapCost"], lease["capCostReduction"], lease["adjustedCapCost"]) == (
        "38000.00", "4000.00", "34000.00")
    assert lease["tradeInCredit"] == "3000.00"
    assert lease["cashDueAtSigning"] == f"{1000 + float(lease['monthlyPayment']):.2f}"


@pytest.mark.parametrize(("deal", "expected"), [
    (desk.loan_deal(termMonths=6), [("INVALID", ["termMonths"])]),
    (desk.loan_deal(termMonths=96), [("INVALID", ["termMonths"])]),
    (desk.lease_deal(termMonths=60), [("INVALID", ["termMonths"])]),
    (desk.loan_deal(termMonths=0), [("INVALID", ["termMonths"])]),
    (desk.loan_deal(requestedApr=None), [("INVALID", ["requestedApr"])]),
    (desk.loan_deal(requestedApr="120"), [("INVALID", ["requestedApr"])]),
    (desk.loan_deal(requestedApr="6.123456"), [("INVALID", ["requestedApr"])]),
    (desk.loan_deal(cashPrice="-1.00"), [("INVALID", ["cashPrice"])]),
    (desk.loan_deal(cashPrice="5000.005"), [("INVALID", ["cashPrice"])]),
    (desk.loan_deal(cashPrice="1e30"), [("INVALID", ["cashPrice"])]),
    (desk.loan_deal(cashPrice="0"), [("INVALID", ["cashPrice"])]),
    (desk.loan_deal(cashDown="5000.00"), [("INVALID", ["cashDown"])]),
    (desk.loan_deal(moneyFactor="0.001"), [("INVALID", ["moneyFactor"])]),
    (desk.loan_deal(securityDeposit="100.00"), [("INVALID", ["securityDeposit"])]),
    (desk.loan_deal(firstPaymentDate="2026-11-02"), [("INVALID", ["firstPaymentDate"])]),
    (desk.loan_deal(firstPaymentDate="2027-03-01"), [("INVALID", ["firstPaymentDate"])]),
    (desk.lease_deal(moneyFactor=None), [("INVALID", ["moneyFactor"])]),
    (desk.lease_deal(moneyFactor="0.0125"), [("INVALID", ["moneyFactor"])]),
    (desk.lease_deal(moneyFactor="0"), [("INVALID", ["moneyFactor"])]),
    (desk.lease_deal(residualValue=None), [("INVALID", ["residualValue"])]),
    (desk.lease_deal(residualValue="36000.00"), [("INVALID", ["residualValue"])]),
    (desk.lease_deal(salesTaxRate="7"), [("INVALID", ["salesTaxRate"])]),
    (desk.lease_deal(requestedApr="3"), [("INVALID", ["requestedApr"])]),
    (desk.lease_deal(cashDown="38000.00"), [("INVALID", ["cashDown"])]),
])
async def test_bad_deals_are_invalid_with_their_field(client, services, deal, expected):
    await desk.dealer(client, services)
    result = await quote(client, **deal)
    assert codes(result) == expected
    assert result["loan"] is None and result["lease"] is None


async def test_a_malformed_amount_is_a_request_error_not_an_internal_one(client, services):
    await desk.dealer(client, services)
    body = (await client.post(QUOTE, {"input": desk.loan_deal(cashPrice="lots")})).json()
    assert body["errors"] and body["errors"][0]["extensions"]["code"] != "INTERNAL"


@pytest.mark.parametrize("role", [Role.CUSTOMER, Role.UNDERWRITER, None])
async def test_only_dealers_may_quote(client, services, role):
    if role is not None:
        links = {"customer": await factories.customer(services)} if role == Role.CUSTOMER else {}
        await desk.sign_in(client, services, await factories.user(services, "someone", role, **links))
    body = (await client.post(QUOTE, {"input": desk.loan_deal()})).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_dealer_admins_quote_too(client, services):
    await desk.dealer(client, services, role=Role.DEALER_ADMIN)
    assert (await quote(client, **desk.loan_deal()))["loan"]["monthlyPayment"]["amount"] == "166.07"
