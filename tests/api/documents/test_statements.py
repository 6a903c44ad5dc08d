"""Monthly statements end to end: the cycle generates them from the ledger, the contract lists them,
and the downloaded PDF carries the figures the API reports for the same period."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from decimal import Decimal

from documents.pdf import dollars, money, us_date
from finance.loan import add_months
from jobs.statements import cycle_statements
from models import Document
from models.enums import ContractStatus, DocumentKind, LedgerEntryKind
from resolvers.servicing import documents as rules
from resolvers.servicing.documents import (
    generate_statement,
    parties_of,
    statement_figures,
)
from resolvers.servicing.positions import ledger_rows
from tests import factories
from tests.api.documents import helpers
from tests.api.documents.helpers import D, at

CYCLE_DAY = date(2026, 11, 1)
OCTOBER = (date(2026, 10, 1), date(2026, 10, 31))

CONTRACT_FIGURES = """query($from: Date!, $to: Date!) { viewer { customer { contracts(first: 10) { edges { node {
  id number
  balance { amount } unpaidFees { amount }
  nextDue { date amount { amount } }
  pastDue { amount { amount } daysPastDue }
  transactions(first: 100, filter: {from: $from, to: $to}) { edges { node { kind effectiveDate amount { amount } } } }
  documents(first: 10) { totalCount edges { node {
    id kind title periodStart periodEnd sha256 sizeBytes createdAt downloadUrl } } }
} } } } } }"""


async def _api_figures(client, period=OCTOBER) -> dict:
    data = await client.execute(CONTRACT_FIGURES, {"from": period[0].isoformat(), "to": period[1].isoformat()})
    (edge,) = data["viewer"]["customer"]["contracts"]["edges"]
    return edge["node"]


async def _download(client, url: str):
    response = await client.http.get(url)
    assert response.status_code == 200, response.text
    return response


def _on_cycle_day(clock) -> None:
    clock.set(at(CYCLE_DAY, 6))


async def test_on_time_loan_statement_pdf_matches_the_api(client, services, clock):
    owner, _ = await helpers.customer(services, "alice")
    contract = await helpers.loan(owner)
    await helpers.monthly_loan_payments(contract, through=date(2026, 10, 31))
    _on_cycle_day(clock)
    assert await cycle_statements(services, CYCLE_DAY) == 1

    await client.login("alice", factories.TEST_PASSWORD)
    node = await _api_figures(client)
    documents = node["documents"]
    assert documents["totalCount"] == 1
    document = documents["edges"][0]["node"]
    assert document["kind"] == "STATEMENT"
    assert document["title"] == "Statement for October 2026"
    assert (document["periodStart"], document["periodEnd"]) == ("2026-10-01", "2026-10-31")
    assert document["createdAt"].startswith("2026-11-01T06:00")

    response = await _download(client, document["downloadUrl"])
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="autofin-statement-{contract.number}-2026-10.pdf"')
    assert "no-store" in response.headers["cache-control"]
    assert hashlib.sha256(response.content).hexdigest() == document["sha256"]
    assert len(response.content) == document["sizeBytes"]

    text = helpers.pdf_text(response.content)
    # Closing balance at the end of Oct 31 = the API's balance on the cycle day (nothing posted on Nov 1).
    assert f"Closing balance, end of 10/31/2026 {money(D(node['balance']['amount']))}" in text
    assert node["pastDue"]["amount"]["amount"] == "0.00"
    due_date = date.fromisoformat(node["nextDue"]["date"])
    assert due_date == date(2026, 11, 15)
    assert f"Payment due date: {us_date(due_date)}" in text
    assert f"Total amount due {dollars(D(node['nextDue']['amount']['amount']))}" in text
    assert f"Current payment {money(D(node['nextDue']['amount']['amount']))}" in text
    transactions = [e["node"] for e in node["transactions"]["edges"]]
    assert [t["effectiveDate"] for t in transactions] == ["2026-10-15"]
    for item in transactions:
        assert f"{us_date(date.fromisoformat(item['effectiveDate']))} Payment {money(D(item['amount']['amount']))}" \
            in text
    assert contract.number in text and owner.last_name in text


async def test_past_due_loan_with_returned_payment_and_late_fee(client, services, clock):
    owner, _ = await helpers.customer(services, "alice")
    contract = await helpers.loan(owner)
    await helpers.monthly_loan_payments(contract, through=date(2026, 8, 31))
    september = await helpers.pay_loan(contract, date(2026, 10, 2))  # September's installment, paid late...
    await helpers.entry(contract, LedgerEntryKind.LATE_FEE, date(2026, 9, 26), fees="25.00", memo="Late fee")
    await helpers.reverse(september)  # ...and returned
    await helpers.entry(contract, LedgerEntryKind.RETURNED_PAYMENT_FEE, date(2026, 10, 5), fees="25.00")
    await helpers.entry(contract, LedgerEntryKind.LATE_FEE, date(2026, 10, 26), fees="25.00", memo="Late fee")
    _on_cycle_day(clock)
    assert await cycle_statements(services, CYCLE_DAY) == 1

    await client.login("alice", factories.TEST_PASSWORD)
    node = await _api_figures(client)
    text = helpers.pdf_text((await _download(client, node["documents"]["edges"][0]["node"]["downloadUrl"])).content)

    past_due = D(node["pastDue"]["amount"]["amount"])
    fees = D(node["unpaidFees"]["amount"])
    assert past_due == D("332.14") and fees == D("75.00")  # September and October; three fees
    assert f"Past due amount {money(past_due)}" in text
    assert f"Unpaid fees {money(fees)}" in text
    # The installment billed is November's; September's and October's are past due.
    assert "Payment due date: 11/15/2026" in text
    assert f"Total amount due {dollars(past_due + fees + D('166.07'))}" in text
    assert f"Your account is {node['pastDue']['daysPastDue'] - 1} days past due." in text  # as of Oct 31
    assert f"Closing balance, end of 10/31/2026 {money(D(node['balance']['amount']))}" in text
    for item in (e["node"] for e in node["transactions"]["edges"]):
        assert money(D(item["amount"]["amount"])) in text
    assert "Returned payment (NSF)" in text and "Returned payments 166.07" in text


async def test_lease_statement_matches_the_api(client, services, clock):
    owner, _ = await helpers.customer(services, "lena")
    contract = await helpers.lease(owner)
    for month in range(9):
        await helpers.pay_lease(contract, add_months(contract.first_payment_date, month))
    _on_cycle_day(clock)
    assert await cycle_statements(services, CYCLE_DAY) == 1
    await client.login("lena", factories.TEST_PASSWORD)
    node = await _api_figures(client)
    text = helpers.pdf_text((await _download(client, node["documents"]["edges"][0]["node"]["downloadUrl"])).content)
    assert f"Closing balance, end of 10/31/2026 {money(D(node['balance']['amount']))}" in text
    assert node["balance"]["amount"] == str(D("459.63") * 27)
    assert f"Payment due date: {us_date(date.fromisoformat(node['nextDue']['date']))}" in text
    assert "10/15/2026 Payment 459.63 355.56 74.00 0.00 30.07" in text
    assert "Rent charge 74.00" in text and "Sales tax 30.07" in text


async def test_statements_chain_and_reconcile_month_to_month(services):
    owner, _ = await helpers.customer(services)
    contract = await helpers.loan(owner)
    await helpers.monthly_loan_payments(contract, through=date(2026, 9, 30))
    late = await helpers.pay_loan(contract, date(2026, 10, 20))
    await helpers.reverse(late)
    await helpers.entry(contract, LedgerEntryKind.LATE_FEE, date(2026, 10, 26), fees="25.00")
    await helpers.entry(contract, LedgerEntryKind.FEE_WAIVER, date(2026, 10, 28), fees="25.00")
    rows = (await ledger_rows([contract.id]))[contract.id]
    parties = await parties_of(contract)

    months, start = [], date(2026, 1, 1)
    while start <= date(2026, 10, 1):
        end = add_months(start, 1) - timedelta(days=1)
        months.append(statement_figures(contract, parties, rows, start, end))
        start = add_months(start, 1)
    assert months[0].opening_balance == D("5000.00")
    for before, after in zip(months, months[1:]):
        assert after.opening_balance == before.closing_balance
    for figures in months:
        assert figures.closing_balance == (figures.opening_balance + figures.interest_charged + figures.fees_assessed
                                           - figures.payments_received + figures.payments_returned
                                           + figures.other_credits)
    october = months[-1]
    assert october.other_credits == D("-25.00")  # the fee waiver
    assert october.payments_received == october.payments_returned == late.amount
    interest_paid = sum((r.interest for r in rows if r.kind == LedgerEntryKind.PAYMENT), Decimal(0)) - late.interest
    # Every cent of interest accrued is either paid or still accrued at the end.
    assert sum(m.interest_charged for m in months) == interest_paid + october.accrued_interest


async def test_generation_is_idempotent_and_never_rewrites_a_statement(services, clock):
    owner, _ = await helpers.customer(services)
    contract = await helpers.loan(owner)
    await helpers.monthly_loan_payments(contract, through=date(2026, 10, 31))
    first = await generate_statement(services, contract, *OCTOBER)
    clock.advance(timedelta(days=3))
    await helpers.entry(contract, LedgerEntryKind.LATE_FEE, date(2026, 10, 30), fees="25.00")  # backdated
    second = await generate_statement(services, contract, *OCTOBER)
    assert (second.id, second.sha256, second.created_at, bytes(second.content)) == (
        first.id, first.sha256, first.created_at, bytes(first.content))
    assert await Document.filter(contract_id=contract.id).count() == 1
    assert hashlib.sha256(bytes(second.content)).hexdigest() == second.sha256


async def test_same_ledger_gives_the_same_bytes(services):
    owner, _ = await helpers.customer(services)
    contract = await helpers.loan(owner)
    await helpers.monthly_loan_payments(contract, through=date(2026, 10, 31))
    stored = await generate_statement(services, contract, *OCTOBER)
    await Document.filter(id=stored.id).delete()
    again = await generate_statement(services, contract, *OCTOBER)
    assert again.id != stored.id and again.sha256 == stored.sha256


async def test_cycle_runs_only_on_the_first_and_only_for_active_contracts_of_the_period(services, monkeypatch):
    owner, _ = await helpers.customer(services)
    dealer = await factories.dealership()
    active = [await helpers.loan(owner, dealer) for _ in range(4)]
    signed_last_day = await helpers.loan(owner, dealer, contract_date=date(2026, 10, 31),
                                         first_payment_date=date(2026, 11, 30))
    signed_after = await helpers.loan(owner, dealer, contract_date=date(2026, 11, 1),
                                      first_payment_date=date(2026, 12, 1))
    paid_off = await helpers.loan(owner, dealer, status=ContractStatus.PAID_OFF)
    monkeypatch.setattr(rules, "BATCH_SIZE", 2)

    assert await cycle_statements(services, date(2026, 11, 2)) == 0
    assert await Document.all().count() == 0
    assert await cycle_statements(services, CYCLE_DAY) == 5
    with_statement = set(await Document.filter(kind=DocumentKind.STATEMENT).values_list("contract_id", flat=True))
    assert with_statement == {c.id for c in active} | {signed_last_day.id}
    assert signed_after.id not in with_statement and paid_off.id not in with_statement
    assert await cycle_statements(services, CYCLE_DAY) == 0  # a second close of the same day changes nothing
    assert await Document.all().count() == 5


async def test_a_new_contract_opens_at_the_amount_financed(services):
    owner, _ = await helpers.customer(services)
    contract = await helpers.loan(owner, contract_date=date(2026, 10, 10), first_payment_date=date(2026, 11, 10))
    figures = statement_figures(contract, await parties_of(contract), [], *OCTOBER)
    assert figures.opening_balance == D("5000.00")
    # 22 days of interest (Oct 10 through Oct 31) at 12 % on 5,000.00: 5000 * 0.12 * 22 / 365 = 36.16.
    assert figures.interest_charged == D("36.16")
    assert figures.closing_balance == D("5036.16")
    assert (figures.due_date, figures.current_due, figures.amount_due) == (date(2026, 11, 10), D("166.07"),
                                                                         D("166.07"))


async def test_one_bad_ledger_does_not_stop_the_cycle(services, caplog):
    owner, _ = await helpers.customer(services)
    good = await helpers.loan(owner)
    broken = await helpers.loan(owner)
    # Interest paid the day the contract was signed: more than has accrued, which the engine refuses.
    await helpers.entry(broken, LedgerEntryKind.PAYMENT, broken.contract_date, principal="100.00", interest="50.00")
    assert await cycle_statements(services, CYCLE_DAY) == 1
    assert await Document.filter(contract_id=good.id).exists()
    assert not await Document.filter(contract_id=broken.id).exists()
    assert any(record.message == "statement failed" for record in caplog.records)


async def test_backfill_makes_every_missing_past_document_without_mail(services, mailbox):
    from jobs.statements import backfill_documents

    owner, _ = await helpers.customer(services, "alice")
    contract = await helpers.loan(owner, contract_date=date(2025, 11, 20), first_payment_date=date(2025, 12, 20))
    await helpers.pay_loan(contract, date(2025, 12, 20))
    await generate_statement(services, contract, date(2026, 3, 1), date(2026, 3, 31))
    # November 2025 .. October 2026 is 12 statements, one existed; the 2025 interest statement.
    assert await backfill_documents(services, CYCLE_DAY) == 11 + 1
    assert await backfill_documents(services, CYCLE_DAY) == 0
    kinds = await Document.filter(contract_id=contract.id).values_list("kind", flat=True)
    assert sorted(kinds).count(DocumentKind.STATEMENT) == 12
    assert DocumentKind.TAX_INTEREST_STATEMENT in kinds
    assert await mailbox.deliver() == []
