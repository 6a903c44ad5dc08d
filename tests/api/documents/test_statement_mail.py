"""The "statement ready" email: sent over real SMTP once per new statement, to each customer on the
contract who has a login and wants statement notices; never again when the cycle repeats."""

from __future__ import annotations

from datetime import date

from auth.audit import Origin
from jobs.statements import cycle_statements
from models import Document
from resolvers.identity import preferences
from tests.api.documents import helpers

CYCLE_DAY = date(2026, 11, 1)


async def test_statement_ready_mail_goes_only_to_customers_who_want_it(services, mailbox):
    alice, alice_user = await helpers.customer(services, "alice")
    cora, cora_user = await helpers.customer(services, "cora")  # co-borrower on alice's loan
    bob, bob_user = await helpers.customer(services, "bob")  # turned statement notices off
    nolan, _ = await helpers.customer(services)  # no login at all
    alice_loan = await helpers.loan(alice, co_customer=cora)
    bob_loan = await helpers.loan(bob)
    nolan_loan = await helpers.loan(nolan)
    for contract in (alice_loan, bob_loan, nolan_loan):
        await helpers.monthly_loan_payments(contract, through=date(2026, 10, 31))
    await preferences.update(services, user=bob_user, changes={"statements_ready": False},
                             origin=Origin(ip="127.0.0.1", user_agent="test"))

    assert await cycle_statements(services, CYCLE_DAY) == 3
    messages = await mailbox.deliver()
    assert sorted(m["To"] for m in messages) == sorted([alice_user.email, cora_user.email])
    alice_doc = await Document.get(contract_id=alice_loan.id)
    for message in messages:
        assert message["Subject"] == "Your autofin statement for October 2026 is ready"
        text = mailbox.text(message)
        assert f"account ending in {alice_loan.number[-4:]}" in text
        assert "Total amount due: $166.07, by November 15, 2026." in text
        assert mailbox.link_param(message, "document") == helpers.gid("Document", alice_doc.id)
        assert alice_loan.number not in text  # only the last four digits travel by email

    assert await cycle_statements(services, CYCLE_DAY) == 0
    assert await mailbox.deliver() == []


async def test_no_mail_when_the_statement_already_existed(services, mailbox):
    alice, _ = await helpers.customer(services, "alice")
    contract = await helpers.loan(alice)
    from resolvers.servicing.documents import generate_statement

    await generate_statement(services, contract, date(2026, 10, 1), date(2026, 10, 31))  # on demand: no mail
    assert await cycle_statements(services, CYCLE_DAY) == 0
    assert await mailbox.deliver() == []
