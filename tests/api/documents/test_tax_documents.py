"""Annual tax documents: interest paid on loans and payments and tax on leases, generated for
everyone on January 31 (or by the CLI) and on demand for a past year through requestTaxDocument."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from documents.pdf import dollars, money
from finance.loan import add_months
from jobs.statements import generate_tax_documents, maybe_generate_tax_documents
from models import Document, LedgerEntry
from models.enums import DocumentKind, LedgerEntryKind
from service import cli
from tests import factories
from tests.api.documents import helpers
from tests.api.documents.helpers import D, at

REQUEST = """mutation($contractId: ID!, $year: Int!) {
  requestTaxDocument(input: {contractId: $contractId, year: $year}) {
    document { id kind title periodStart periodEnd sha256 downloadUrl }
    errors { code message field }
  }
}"""


async def _year_sum(contract, year: int, part: str) -> Decimal:
    rows = await LedgerEntry.filter(contract_id=contract.id, effective_date__gte=date(year, 1, 1),
                                    effective_date__lte=date(year, 12, 31))
    total = Decimal("0.00")
    for row in rows:
        if row.kind == LedgerEntryKind.PAYMENT:
            total += getattr(row, part)
        elif row.kind == LedgerEntryKind.PAYMENT_REVERSAL:
            total -= getattr(row, part)
    return total


async def _loan_across_two_years(owner):
    """Signed June 2025; monthly payments through October 2026; March 2026's returned and paid again."""
    contract = await helpers.loan(owner, contract_date=date(2025, 6, 2), first_payment_date=date(2025, 7, 2))
    number = 0
    while (due := add_months(contract.first_payment_date, number)) <= date(2026, 10, 31):
        payment = await helpers.pay_loan(contract, due)
        if due == date(2026, 3, 2):
            await helpers.reverse(payment)
            await helpers.entry(contract, LedgerEntryKind.RETURNED_PAYMENT_FEE, date(2026, 3, 5), fees="25.00")
            await helpers.pay_loan(contract, date(2026, 3, 8), "191.07")
        number += 1
    return contract


async def test_interest_statement_equals_the_years_interest(client, services, clock, mailbox):
    owner, user = await helpers.customer(services, "alice")
    contract = await _loan_across_two_years(owner)
    clock.set(at(date(2027, 1, 31), 5))
    assert await maybe_generate_tax_documents(services, date(2027, 1, 30)) == 0
    assert await maybe_generate_tax_documents(services, date(2027, 1, 31)) == 1
    document = await Document.get(contract_id=contract.id, kind=DocumentKind.TAX_INTEREST_STATEMENT)
    assert (document.period_start, document.period_end) == (date(2026, 1, 1), date(2026, 12, 31))
    assert document.title == "Annual Interest Statement 2026"

    interest = await _year_sum(contract, 2026, "interest")
    assert interest > 0
    text = helpers.pdf_text(bytes(document.content))
    assert f"Interest paid in 2026\n{dollars(interest)}" in text or f"Interest paid in 2026 {dollars(interest)}" in text
    assert f"Principal paid {money(await _year_sum(contract, 2026, 'principal'))}" in text
    assert f"Fees paid {money(await _year_sum(contract, 2026, 'fees'))}" in text
    assert "Returned payment" in text

    (message,) = await mailbox.deliver()
    assert message["To"] == user.email
    assert message["Subject"] == "Your autofin Annual Interest Statement 2026 is ready"
    assert mailbox.link_param(message, "document") == helpers.gid("Document", document.id)

    # Once a year: the run again (or the CLI) leaves it as it is and mails nobody.
    assert await maybe_generate_tax_documents(services, date(2027, 1, 31)) == 0
    assert await generate_tax_documents(services, 2026) == 0
    assert await mailbox.deliver() == []


async def test_lease_statement_has_the_years_payments_and_tax(services, clock):
    owner, _ = await helpers.customer(services)
    contract = await helpers.lease(owner, contract_date=date(2025, 10, 20), first_payment_date=date(2025, 11, 20))
    payments = [await helpers.pay_lease(contract, add_months(contract.first_payment_date, n)) for n in range(12)]
    await helpers.reverse(payments[3])  # February 2026's was returned...
    await helpers.pay_lease(contract, date(2026, 2, 27), fees="25.00")  # ...and paid again with the fee
    await helpers.entry(contract, LedgerEntryKind.RETURNED_PAYMENT_FEE, date(2026, 2, 23), fees="25.00")

    assert await generate_tax_documents(services, 2025) == 1
    assert await generate_tax_documents(services, 2026) == 1
    for year, count in ((2025, 2), (2026, 10)):
        document = await Document.get(contract_id=contract.id, kind=DocumentKind.TAX_LEASE_STATEMENT,
                                      period_start=date(year, 1, 1))
        text = helpers.pdf_text(bytes(document.content))
        total = await _year_sum(contract, year, "amount")
        tax = await _year_sum(contract, year, "tax")
        assert total == D("459.63") * count + (D("25.00") if year == 2026 else 0)
        assert tax == D("30.07") * count
        assert dollars(total) in text
        assert f"Sales tax paid {money(tax)}" in text
        assert f"of which rent charge {money(D('74.00') * count)}" in text


async def test_only_contracts_with_activity_in_the_year_get_one(services):
    owner, _ = await helpers.customer(services)
    quiet = await helpers.loan(owner, contract_date=date(2026, 2, 1), first_payment_date=date(2026, 3, 1))
    busy = await helpers.loan(owner, contract_date=date(2025, 2, 1), first_payment_date=date(2025, 3, 1))
    await helpers.pay_loan(busy, date(2025, 3, 1))
    assert await generate_tax_documents(services, 2025) == 1
    assert await Document.filter(contract_id=quiet.id).count() == 0


async def test_cli_refuses_a_year_that_has_not_ended(capsys):
    assert cli.main(["generate-tax-documents", "--year", "2999"]) == 2
    assert "has not ended" in capsys.readouterr().err


# -- requestTaxDocument ---------------------------------------------------------------------------

async def _request(client, contract_id: str, year: int) -> dict:
    return (await client.execute(REQUEST, {"contractId": contract_id, "year": year}))["requestTaxDocument"]


async def test_request_a_past_years_tax_document(client, services):
    owner, _ = await helpers.customer(services, "alice")
    contract = await _loan_across_two_years(owner)
    await client.login("alice", factories.TEST_PASSWORD)
    contract_id = helpers.gid("Contract", contract.id)

    payload = await _request(client, contract_id, 2025)
    assert payload["errors"] == []
    document = payload["document"]
    assert (document["kind"], document["title"]) == ("TAX_INTEREST_STATEMENT", "Annual Interest Statement 2025")
    assert (document["periodStart"], document["periodEnd"]) == ("2025-01-01", "2025-12-31")
    again = await _request(client, contract_id, 2025)
    assert again["document"]["id"] == document["id"] and again["document"]["sha256"] == document["sha256"]
    assert await Document.filter(contract_id=contract.id).count() == 1

    response = await client.http.get(document["downloadUrl"])
    assert response.status_code == 200
    assert response.headers["content-disposition"] == (
        f'attachment; filename="autofin-interest-statement-{contract.number}-2025.pdf"')
    text = helpers.pdf_text(response.content)
    assert dollars(await _year_sum(contract, 2025, "interest")) in text


@pytest.mark.parametrize("year, field", [(2026, "year"), (2027, "year"), (2024, "year"), (0, "year"),
                                         (-5, "year"), (99999, "year")])
async def test_request_refuses_years_not_ended_or_before_the_contract(client, services, year, field):
    owner, _ = await helpers.customer(services, "alice")
    contract = await helpers.loan(owner, contract_date=date(2025, 6, 2), first_payment_date=date(2025, 7, 2))
    await client.login("alice", factories.TEST_PASSWORD)
    payload = await _request(client, helpers.gid("Contract", contract.id), year)
    assert payload["document"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("INVALID", [field])]
    assert await Document.all().count() == 0


async def test_request_for_someone_elses_contract_is_not_found(client, services):
    alice, _ = await helpers.customer(services, "alice")
    bob, _ = await helpers.customer(services, "bob")
    bobs = await helpers.loan(bob, contract_date=date(2025, 6, 2), first_payment_date=date(2025, 7, 2))
    await helpers.loan(alice)
    await client.login("alice", factories.TEST_PASSWORD)
    for contract_id in (helpers.gid("Contract", bobs.id), helpers.gid("Contract", 987654),
                        helpers.gid("Vehicle", bobs.vehicle_id), "not-an-id", helpers.gid("Contract", "1; DROP")):
        payload = await _request(client, contract_id, 2025)
        assert payload["document"] is None
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [("NOT_FOUND", ["contractId"])]
    assert await Document.all().count() == 0


async def test_request_is_for_customers_only(client, services):
    from auth.sessions import start_session
    from models.enums import Role, SessionKind

    dealer_user = await factories.user(services, "dee", Role.DEALER_USER, dealership=await factories.dealership())
    client.token = (await start_session(dealer_user, kind=SessionKind.BEARER, clock=services.clock,
                                        settings=services.settings, ip="127.0.0.1", user_agent="test")).token
    body = (await client.post(REQUEST, {"contractId": helpers.gid("Contract", 1), "year": 2025})).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_on_demand_tax_document_sends_no_mail(client, services, mailbox):
    owner, _ = await helpers.customer(services, "alice")
    contract = await _loan_across_two_years(owner)
    await client.login("alice", factories.TEST_PASSWORD)
    assert (await _request(client, helpers.gid("Contract", contract.id), 2025))["errors"] == []
    assert await mailbox.deliver() == []
