"""Ledger corrections through /graphql: proposed by support, decided by a second person (maker-checker),
posted as new ledger entries, with the figures checked against the servicing math computed here.

Business date 2026-11-02. The default loan (5,000.00 at 12 %, 36 months, 166.07 due on the 15th from
2026-02-15, signed 2026-01-15) paid on the 15th of February to October is current."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from decimal import Decimal

import pytest

from models import (
    AuditEvent,
    Contract,
    LedgerCheckpoint,
    LedgerCorrection,
    LedgerEntry,
    Notification,
    User,
)
from models.enums import (
    CaseStatus,
    CorrectionStatus,
    LedgerEntryKind,
    NotificationCategory,
    Role,
)
from resolvers.servicing.positions import contract_state, ledger_rows
from service.config import ConfigError, load_settings
from tests.api.payments.payment_helpers import by_subject
from tests.api.servicing import builders
from tests.api.support import correction_helpers as h
from tests.conftest import GraphQLClient

D = Decimal
TODAY = date(2026, 11, 2)
pytestmark = pytest.mark.usefixtures("db")


@pytest.fixture
def settings_env(settings_env: dict[str, str], request: pytest.FixtureRequest) -> dict[str, str]:
    """The suite's settings, plus any given by indirect parametrization."""
    return {**settings_env, **getattr(request, "param", {})}


async def whole_ledger_figures(contract: Contract) -> dict:
    rows = (await ledger_rows([contract.id])).get(contract.id, [])
    state = contract_state(await Contract.get(id=contract.id), rows, TODAY)
    return {"balance": state.balance, "principal": state.principal_balance, "interest": state.loan.accrued_interest,
            "fees": state.unpaid_fees, "days_past_due": state.due.days_past_due,
            "past_due": state.due.past_due_amount,
            "next_due": state.due.next_due_date.isoformat() if state.due.next_due_date else None}


# -- maker-checker -------------------------------------------------------------------------------

async def test_the_proposer_cannot_approve_and_a_lead_posts_a_reapplied_payment(client, services, mailbox):
    """The October payment was posted as of 10-25; the customer paid on 10-14. Re-applied as of 10-14, interest
    is recomputed from that day, to the cent of the servicing math."""
    days = [*h.MONTHS[:-1], date(2026, 10, 25)]
    contract = await h.loan_paid(services, "alice", days=days)
    customer = await User.get(username="alice")
    alice = await h.customer_token(services, "alice")
    wrong = await LedgerEntry.filter(contract_id=contract.id).order_by("-effective_date").first()
    case = await h.open_case(await contract.customer, contract)
    sam = await h.staff(services, "sam", Role.SUPPORT)
    lee = await h.staff(services, "lee", Role.SUPPORT_LEAD)
    before = await h.figures(client, alice, contract)
    await mailbox.deliver()

    await h.as_(client, sam)
    proposed = await h.propose(client, h.proposal(case, "REAPPLY_PAYMENT", wrong, effectiveDate="2026-10-14",
                                                  reason="PROCESSING_ERROR"))
    assert proposed["errors"] == []
    correction = proposed["correction"]
    assert correction["status"] == "PROPOSED" and correction["amount"]["amount"] == "166.07"
    assert correction["needsLead"] is True and correction["proposedBy"] == "sam" and correction["postedEntries"] == []
    assert await h.figures(client, alice, contract) == before  # nothing posts on a proposal

    # The proposer (even with the right role) never decides; neither does another SUPPORT user.
    refused = await h.decide(client, correction["id"])
    assert h.codes(refused) == [("FORBIDDEN", ["correctionId"])]
    await h.as_(client, await h.staff(services, "sue", Role.SUPPORT))
    assert h.codes(await h.decide(client, correction["id"])) == [("FORBIDDEN", ["correctionId"])]
    assert await LedgerEntry.filter(contract_id=contract.id).count() == len(days)

    await h.as_(client, lee)
    approved = await h.decide(client, correction["id"], note="Bank record shows 10-14.")
    assert approved["errors"] == [], approved
    posted = approved["correction"]
    assert posted["status"] == "POSTED" and posted["decidedBy"] == "lee"
    kinds = [(e["kind"], e["effectiveDate"], e["amount"]["amount"]) for e in posted["postedEntries"]]
    assert kinds == [("PAYMENT_REVERSAL", "2026-10-25", "166.07"), ("PAYMENT", "2026-10-14", "166.07")]

    # The servicing math on the ledger as it should have been: February..September, then 166.07 on 10-14.
    expected = h.expected_payments(contract, [(day, "166.07") for day in [*h.MONTHS[:-1], date(2026, 10, 14)]])
    want = h.expected_figures(contract, expected, TODAY)
    after = await h.figures(client, alice, contract)
    assert h.shown_figures(after) == want == await whole_ledger_figures(contract)
    assert want["days_past_due"] == 0 and want["next_due"] == "2026-11-15"
    reapplied = posted["postedEntries"][1]
    assert D(reapplied["interest"]["amount"]) == expected[-1].interest
    assert D(reapplied["interest"]["amount"]) < wrong.interest  # 11 days less interest
    assert h.amount(after, "balance") < h.amount(before, "balance")
    assert await h.entries_balanced(contract)

    # The customer is told, in plain words, by email and in the portal; the events name the customer.
    [mail] = by_subject(await mailbox.deliver(), "A correction was made to your account")
    text = mailbox.text(mail)
    assert "now counts from 2026-10-14" in text and f"ending {contract.number[-4:]}" in text
    assert contract.number not in text and "lockbox" not in text
    note = await Notification.get(user_id=customer.id, category=NotificationCategory.ACCOUNT_CORRECTIONS)
    assert f"is now ${h.amount(after, 'balance')}" in note.body
    actions = [e.action for e in await AuditEvent.filter(subject_id=customer.id).order_by("id")]
    assert actions == ["support.correction_proposed", "support.correction_posted"]
    events = await client.execute("{ viewer { username } }")  # staff session still works
    assert events["viewer"]["username"] == "lee"
    client.token = alice
    shown = await client.execute("{ viewer { securityEvents(first: 10) { edges { node { action description } } } } }")
    descriptions = {e["node"]["action"]: e["node"]["description"]
                    for e in shown["viewer"]["securityEvents"]["edges"]}
    assert descriptions["support.correction_posted"].startswith("A correction to your account")


async def test_a_back_dated_reapply_re_splits_the_later_payments_and_no_checkpoint_goes_stale(client, services):
    """September's payment was posted as of 09-30 (paid 09-10); October's, on 10-15, was split on the wrong
    history. Re-applying September as of 09-10 re-splits October; the dashboard, read before (checkpoint
    stored through yesterday) and after, shows the whole ledger's figures."""
    days = [*h.MONTHS[:-2], date(2026, 9, 30), date(2026, 10, 15)]
    contract = await h.loan_paid(services, "alice", days=days)
    alice = await h.customer_token(services, "alice")
    september = await LedgerEntry.get(contract_id=contract.id, effective_date=date(2026, 9, 30))
    october = await LedgerEntry.get(contract_id=contract.id, effective_date=date(2026, 10, 15))
    case = await h.open_case(await contract.customer)
    sam, lee = await h.staff(services, "sam"), await h.staff(services, "lee", Role.SUPPORT_LEAD)
    client.token = alice
    await client.execute(h.FIGURES, {"id": h.gid("Contract", contract.id)})  # the dashboard stores a checkpoint
    checkpoint = await LedgerCheckpoint.get(contract_id=contract.id)
    assert checkpoint.through == TODAY - timedelta(days=1) and checkpoint.rows == len(days)

    await h.as_(client, sam)
    proposed = await h.propose(client, h.proposal(case, "REAPPLY_PAYMENT", september, effectiveDate="2026-09-10"))
    await h.as_(client, lee)
    posted = (await h.decide(client, proposed["correction"]["id"]))["correction"]
    kinds = [(e["kind"], e["effectiveDate"]) for e in posted["postedEntries"]]
    assert kinds == [("PAYMENT_REVERSAL", "2026-09-30"), ("PAYMENT", "2026-09-10"),
                     ("PAYMENT_REVERSAL", "2026-10-15"), ("PAYMENT", "2026-10-15")]
    expected = h.expected_payments(contract, [(d, "166.07") for d in
                                              [*h.MONTHS[:-2], date(2026, 9, 10), date(2026, 10, 15)]])
    replayed = posted["postedEntries"][3]
    assert (D(replayed["interest"]["amount"]), D(replayed["principal"]["amount"])) == \
        (expected[-1].interest, expected[-1].principal)
    assert D(replayed["interest"]["amount"]) > october.interest  # 35 days of interest since 09-10, not 15
    # The checkpoint through yesterday counted fewer rows than are there now: it is not used.
    after = await h.figures(client, alice, contract)
    want = h.expected_figures(contract, expected, TODAY)
    assert h.shown_figures(after) == want == await whole_ledger_figures(contract)
    assert (await LedgerCheckpoint.get(contract_id=contract.id)).rows == len(days) + 4
    assert await h.figures(client, alice, contract) == after  # and from the new checkpoint, the same


async def test_a_misapplied_payment_moves_to_the_right_contract_and_both_ledgers_balance(client, services, mailbox):
    """Bob's October payment was posted to Alice's loan. Moved: Alice's ledger gets the exact reversal (no fee),
    Bob's the payment on 10-15 split by his loan's rules; Alice is now late, Bob current."""
    a = await h.loan_paid(services, "alice")  # February..October, October's is Bob's
    b = await h.loan_paid(services, "bob", days=h.MONTHS[:-1])
    alice, bob = await h.customer_token(services, "alice"), await h.customer_token(services, "bob")
    misapplied = await LedgerEntry.get(contract_id=a.id, effective_date=date(2026, 10, 15))
    case = await h.open_case(await b.customer, b)
    a_before, b_before = await h.figures(client, alice, a), await h.figures(client, bob, b)
    assert (a_before["pastDue"]["daysPastDue"], b_before["pastDue"]["daysPastDue"]) == (0, 18)
    await mailbox.deliver()

    await h.as_(client, await h.staff(services, "sam"))
    proposed = await h.propose(client, h.proposal(case, "MOVE_PAYMENT", misapplied, targetContractId=b))
    assert proposed["errors"] == [] and proposed["correction"]["targetContractNumber"] == b.number
    await h.as_(client, await h.staff(services, "lee", Role.SUPPORT_LEAD))
    posted = (await h.decide(client, proposed["correction"]["id"]))["correction"]
    reversal, payment = posted["postedEntries"]
    assert (reversal["kind"], payment["kind"]) == ("PAYMENT_REVERSAL", "PAYMENT")
    assert reversal["amount"] == payment["amount"] == {"amount": "166.07"}  # what left A is what reached B
    assert payment["effectiveDate"] == "2026-10-15"
    assert await LedgerEntry.filter(contract_id=a.id, kind=LedgerEntryKind.RETURNED_PAYMENT_FEE).count() == 0
    assert await h.entries_balanced(a) and await h.entries_balanced(b)

    a_after, b_after = await h.figures(client, alice, a), await h.figures(client, bob, b)
    # A's principal goes back up by exactly the payment's principal; B's down by its own split's principal.
    assert h.amount(a_after, "principalBalance") == h.amount(a_before, "principalBalance") + misapplied.principal
    assert h.amount(b_after, "principalBalance") == \
        h.amount(b_before, "principalBalance") - D(payment["principal"]["amount"])
    a_expected = h.expected_payments(a, [(d, "166.07") for d in h.MONTHS[:-1]])
    b_expected = h.expected_payments(b, [(d, "166.07") for d in h.MONTHS])
    assert h.shown_figures(a_after) == h.expected_figures(a, a_expected, TODAY) == await whole_ledger_figures(a)
    assert h.shown_figures(b_after) == h.expected_figures(b, b_expected, TODAY) == await whole_ledger_figures(b)
    assert (a_after["pastDue"]["daysPastDue"], b_after["pastDue"]["daysPastDue"]) == (18, 0)
    assert D(payment["interest"]["amount"]) == b_expected[-1].interest

    # Each customer hears about their own account only.
    mails = by_subject(await mailbox.deliver(), "A correction was made to your account")
    by_to = {str(m["To"]): mailbox.text(m) for m in mails}
    alice_text, bob_text = by_to["alice@example.com"], by_to["bob@example.com"]
    assert "moved from the account ending" in alice_text and "to the account it belonged to" in alice_text
    assert b.number[-4:] not in alice_text and a.number[-4:] not in bob_text
    assert f"applied to the account ending {b.number[-4:]} as of 2026-10-15" in bob_text
    subjects = {e.subject_id for e in await AuditEvent.filter(action="support.correction_posted")}
    assert subjects == {(await User.get(username="alice")).id, (await User.get(username="bob")).id}


async def test_a_fee_waiver_clears_the_fee(client, services):
    """A late fee is waived for its whole unpaid amount; due status never counted it (no pyramiding), so the
    account stays current and what is due drops by the fee."""
    contract = await h.loan_paid(services, "alice")
    fee = await builders.entry(contract, LedgerEntryKind.LATE_FEE, date(2026, 3, 26), fees="25.00")
    alice = await h.customer_token(services, "alice")
    before = await h.figures(client, alice, contract)
    assert h.amount(before, "unpaidFees") == D("25.00")
    case = await h.open_case(await contract.customer, contract)
    lead = await h.staff(services, "lee", Role.SUPPORT_LEAD)
    await h.as_(client, lead)
    value = h.proposal(case, "WAIVE_FEE", fee, reason="GOODWILL")
    proposed = await h.propose(client, value)
    assert proposed["correction"]["amount"]["amount"] == "25.00"
    # A lead's correction at or below the threshold: any other support user may approve it.
    assert proposed["correction"]["needsLead"] is False
    await h.as_(client, await h.staff(services, "sam"))
    posted = (await h.decide(client, proposed["correction"]["id"]))["correction"]
    assert [(e["kind"], e["fees"]["amount"], e["effectiveDate"]) for e in posted["postedEntries"]] == \
        [("FEE_WAIVER", "25.00", "2026-11-02")]
    after = await h.figures(client, alice, contract)
    assert h.amount(after, "unpaidFees") == 0 and h.amount(after, "balance") == h.amount(before, "balance") - 25
    assert after["pastDue"] == {"amount": {"amount": "0.00"}, "daysPastDue": 0, "bucket": "CURRENT"}
    expected = h.expected_payments(contract, [(d, "166.07") for d in h.MONTHS])
    assert h.shown_figures(after) == h.expected_figures(contract, expected, TODAY)
    # A fee already waived is refused, and so is a fee with a waiver waiting.
    await h.as_(client, lead)
    again = await h.propose(client, {**value, "idempotencyKey": "c-2"})
    assert h.codes(again) == [("CONFLICT", ["entryId"])] and "already waived" in again["errors"][0]["message"]


async def test_a_partly_paid_fee_is_waived_for_what_is_unpaid(client, services):
    contract = await h.loan_paid(services, "alice", days=h.MONTHS[:3])
    fee = await builders.entry(contract, LedgerEntryKind.RETURNED_PAYMENT_FEE, date(2026, 4, 20), fees="25.00")
    await builders.entry(contract, LedgerEntryKind.PAYMENT, date(2026, 4, 21), fees="10.00")
    case = await h.open_case(await contract.customer)
    await h.as_(client, await h.staff(services, "sam"))
    proposed = await h.propose(client, h.proposal(case, "WAIVE_FEE", fee, reason="DISPUTE_RESOLVED"))
    assert proposed["errors"] == [] and proposed["correction"]["amount"]["amount"] == "15.00"


async def test_a_correct_amount_reverses_and_posts_the_right_amount(client, services):
    contract = await h.loan_paid(services, "alice", days=[*h.MONTHS[:-1]])
    wrong = await builders.pay_loan(contract, date(2026, 10, 15), "1660.70")  # keyed with a digit too many
    alice = await h.customer_token(services, "alice")
    case = await h.open_case(await contract.customer, contract)
    await h.as_(client, await h.staff(services, "sam"))
    over = await h.propose(client, h.proposal(case, "CORRECT_AMOUNT", wrong, correctedAmount="1660.70",
                                              reason="KEYING_ERROR"))
    assert h.codes(over) == [("INVALID", ["correctedAmount"])]
    proposed = await h.propose(client, h.proposal(case, "CORRECT_AMOUNT", wrong, key="c-2",
                                                  correctedAmount="166.07", reason="KEYING_ERROR"))
    correction = proposed["correction"]
    # It takes 1,494.63 off the ledger: above the threshold, and a SUPPORT user proposed it: a lead decides.
    assert correction["amount"]["amount"] == "1494.63" and correction["needsLead"] is True
    await h.as_(client, await h.staff(services, "lee", Role.SUPPORT_LEAD))
    posted = (await h.decide(client, correction["id"]))["correction"]
    assert [(e["kind"], e["amount"]["amount"]) for e in posted["postedEntries"]] == \
        [("PAYMENT_REVERSAL", "1660.70"), ("PAYMENT", "166.07")]
    expected = h.expected_payments(contract, [(d, "166.07") for d in h.MONTHS])
    assert h.shown_figures(await h.figures(client, alice, contract)) == h.expected_figures(contract, expected, TODAY)


async def test_above_the_threshold_a_leads_correction_needs_another_lead(client, services):
    a = await h.loan_paid(services, "alice", days=h.MONTHS[:-1])
    big = await builders.pay_loan(a, date(2026, 10, 15), "300.00")
    b = await h.loan_paid(services, "bob", days=h.MONTHS[:-1])
    case = await h.open_case(await a.customer)
    lee = await h.staff(services, "lee", Role.SUPPORT_LEAD)
    await h.as_(client, lee)
    proposed = await h.propose(client, h.proposal(case, "MOVE_PAYMENT", big, targetContractId=b))
    correction = proposed["correction"]
    assert correction["amount"]["amount"] == "300.00" and correction["needsLead"] is True
    assert h.codes(await h.decide(client, correction["id"])) == [("FORBIDDEN", ["correctionId"])]  # own
    await h.as_(client, await h.staff(services, "sam"))
    refused = await h.decide(client, correction["id"])
    assert h.codes(refused) == [("FORBIDDEN", ["correctionId"])] and "more than 250.00" in refused["errors"][0][
        "message"]
    await h.as_(client, await h.staff(services, "liz", Role.SUPPORT_LEAD))
    assert (await h.decide(client, correction["id"]))["correction"]["status"] == "POSTED"


@pytest.mark.parametrize("settings_env", [{"AUTOFIN_CORRECTION_APPROVAL_THRESHOLD": "20.00"}], indirect=True)
async def test_the_approval_threshold_is_a_setting(client, services):
    assert services.settings.correction_approval_threshold == D("20.00")
    contract = await h.loan_paid(services, "alice")
    fee = await builders.entry(contract, LedgerEntryKind.LATE_FEE, date(2026, 3, 26), fees="25.00")
    case = await h.open_case(await contract.customer)
    await h.as_(client, await h.staff(services, "lee", Role.SUPPORT_LEAD))
    correction = (await h.propose(client, h.proposal(case, "WAIVE_FEE", fee)))["correction"]
    assert correction["needsLead"] is True  # 25.00 is above 20.00
    await h.as_(client, await h.staff(services, "sam"))
    refused = await h.decide(client, correction["id"])
    assert h.codes(refused) == [("FORBIDDEN", ["correctionId"])] and "more than 20.00" in refused["errors"][0]["message"]


def test_the_threshold_setting_is_checked():
    assert load_settings({}).correction_approval_threshold == D("250.00")
    assert load_settings({"AUTOFIN_CORRECTION_APPROVAL_THRESHOLD": "0"}).correction_approval_threshold == D("0.00")
    for bad in ("-1", "1.001", "lots", "NaN"):
        with pytest.raises(ConfigError, match="AUTOFIN_CORRECTION_APPROVAL_THRESHOLD"):
            load_settings({"AUTOFIN_CORRECTION_APPROVAL_THRESHOLD": bad})


async def test_a_support_users_correction_is_not_decided_by_another_support_user_and_rejects_need_a_note(
        client, services):
    contract = await h.loan_paid(services, "alice")
    fee = await builders.entry(contract, LedgerEntryKind.LATE_FEE, date(2026, 3, 26), fees="25.00")
    case = await h.open_case(await contract.customer)
    sam = await h.staff(services, "sam")
    await h.as_(client, sam)
    correction = (await h.propose(client, h.proposal(case, "WAIVE_FEE", fee)))["correction"]
    await h.as_(client, await h.staff(services, "sue"))
    assert h.codes(await h.decide(client, correction["id"], approve=False, note="No.")) == \
        [("FORBIDDEN", ["correctionId"])]
    await h.as_(client, await h.staff(services, "lee", Role.SUPPORT_LEAD))
    assert h.codes(await h.decide(client, correction["id"], approve=False)) == [("INVALID", ["note"])]
    rejected = await h.decide(client, correction["id"], approve=False, note="The fee was right.")
    assert rejected["correction"]["status"] == "REJECTED" and rejected["correction"]["postedEntries"] == []
    assert h.codes(await h.decide(client, correction["id"])) == [("CONFLICT", ["correctionId"])]
    assert await LedgerEntry.filter(kind=LedgerEntryKind.FEE_WAIVER).count() == 0
    # Rejected, the fee may be proposed again.
    await h.as_(client, sam)
    assert (await h.propose(client, h.proposal(case, "WAIVE_FEE", fee, key="c-2")))["errors"] == []


async def test_the_proposer_cancels_while_proposed(client, services):
    contract = await h.loan_paid(services, "alice")
    fee = await builders.entry(contract, LedgerEntryKind.LATE_FEE, date(2026, 3, 26), fees="25.00")
    case = await h.open_case(await contract.customer)
    sam = await h.staff(services, "sam")
    await h.as_(client, sam)
    correction = (await h.propose(client, h.proposal(case, "WAIVE_FEE", fee)))["correction"]
    await h.as_(client, await h.staff(services, "lee", Role.SUPPORT_LEAD))
    other = (await client.execute(h.CANCEL, {"input": {"correctionId": correction["id"]}}))["cancelLedgerCorrection"]
    assert h.codes(other) == [("FORBIDDEN", ["correctionId"])]
    await h.as_(client, sam)
    cancelled = (await client.execute(h.CANCEL, {"input": {"correctionId": correction["id"]}}))
    assert cancelled["cancelLedgerCorrection"]["correction"]["status"] == "CANCELLED"
    await h.as_(client, await h.staff(services, "liz", Role.SUPPORT_LEAD))
    assert h.codes(await h.decide(client, correction["id"])) == [("CONFLICT", ["correctionId"])]


# -- validation: nothing written on bad input ---------------------------------------------------------

async def test_bad_proposals_are_errors_and_write_nothing(client, services):
    contract = await h.loan_paid(services, "alice")
    other = await h.loan_paid(services, "bob")
    payment = await LedgerEntry.filter(contract_id=contract.id).order_by("-id").first()
    returned = await LedgerEntry.filter(contract_id=contract.id, effective_date=date(2026, 9, 15)).get()
    await builders.entry(contract, LedgerEntryKind.PAYMENT_REVERSAL, returned.effective_date,
                         principal=str(returned.principal), interest=str(returned.interest), reverses=returned)
    mine = await h.open_case(await contract.customer, contract)
    resolved = await h.open_case(await contract.customer, status=CaseStatus.RESOLVED)
    bobs = await h.open_case(await other.customer, other)
    await h.as_(client, await h.staff(services, "sam"))
    entries = await LedgerEntry.all().count()
    cases = [
        (h.proposal(mine, "WAIVE_FEE", payment), ("INVALID", ["entryId"])),
        (h.proposal(mine, "MOVE_PAYMENT", payment), ("INVALID", ["targetContractId"])),
        (h.proposal(mine, "MOVE_PAYMENT", payment, targetContractId=contract), ("INVALID", ["targetContractId"])),
        (h.proposal(mine, "MOVE_PAYMENT", payment, targetContractId=h.gid("Contract", 999999)),
         ("NOT_FOUND", ["targetContractId"])),
        (h.proposal(mine, "REAPPLY_PAYMENT", payment, targetContractId=other), ("INVALID", ["targetContractId"])),
        (h.proposal(mine, "REAPPLY_PAYMENT", payment, effectiveDate="2026-11-03"), ("INVALID", ["effectiveDate"])),
        (h.proposal(mine, "REAPPLY_PAYMENT", payment, effectiveDate="2026-01-14"), ("INVALID", ["effectiveDate"])),
        (h.proposal(mine, "CORRECT_AMOUNT", payment), ("INVALID", ["correctedAmount"])),
        (h.proposal(mine, "CORRECT_AMOUNT", payment, correctedAmount="0"), ("INVALID", ["correctedAmount"])),
        (h.proposal(mine, "CORRECT_AMOUNT", payment, correctedAmount="170.00"), ("INVALID", ["correctedAmount"])),
        (h.proposal(mine, "CORRECT_AMOUNT", payment, correctedAmount="1.001"), ("INVALID", ["correctedAmount"])),
        (h.proposal(mine, "REAPPLY_PAYMENT", returned), ("CONFLICT", ["entryId"])),
        (h.proposal(resolved, "REAPPLY_PAYMENT", payment), ("CONFLICT", ["caseId"])),
        (h.proposal(bobs, "REAPPLY_PAYMENT", payment), ("INVALID", ["caseId"])),
        ({**h.proposal(mine, "REAPPLY_PAYMENT", payment), "explanation": " "}, ("INVALID", ["explanation"])),
        ({**h.proposal(mine, "REAPPLY_PAYMENT", payment), "idempotencyKey": ""}, ("INVALID", ["idempotencyKey"])),
        ({**h.proposal(mine, "REAPPLY_PAYMENT", payment), "entryId": h.gid("Contract", payment.id)},
         ("NOT_FOUND", ["entryId"])),
        ({**h.proposal(mine, "REAPPLY_PAYMENT", payment), "caseId": "junk"}, ("NOT_FOUND", ["caseId"])),
    ]
    for index, (value, expected) in enumerate(cases):
        payload = await h.propose(client, {**value, "idempotencyKey": value["idempotencyKey"] and f"k-{index}"})
        assert h.codes(payload) == [expected], (index, payload)
        assert payload["correction"] is None
    assert await LedgerCorrection.all().count() == 0 and await LedgerEntry.all().count() == entries
    assert await AuditEvent.filter(action__startswith="support.correction").count() == 0


async def test_one_open_correction_per_entry_and_the_key_replays(client, services):
    contract = await h.loan_paid(services, "alice")
    payment = await LedgerEntry.filter(contract_id=contract.id).order_by("-id").first()
    case = await h.open_case(await contract.customer)
    await h.as_(client, await h.staff(services, "sam"))
    value = h.proposal(case, "REAPPLY_PAYMENT", payment)
    first = await h.propose(client, value)
    assert (await h.propose(client, value))["correction"]["id"] == first["correction"]["id"]
    changed = await h.propose(client, {**value, "effectiveDate": "2026-10-14"})
    assert h.codes(changed) == [("CONFLICT", ["idempotencyKey"])]
    await h.as_(client, await h.staff(services, "sue"))
    twin = await h.propose(client, value)
    assert h.codes(twin) == [("CONFLICT", ["entryId"])]
    assert await LedgerCorrection.all().count() == 1


async def test_approval_re_checks_the_ledger(client, services):
    """The payment was returned after the proposal: the approval is refused and nothing posts."""
    contract = await h.loan_paid(services, "alice")
    payment = await LedgerEntry.filter(contract_id=contract.id).order_by("-id").first()
    case = await h.open_case(await contract.customer)
    await h.as_(client, await h.staff(services, "sam"))
    correction = (await h.propose(client, h.proposal(case, "REAPPLY_PAYMENT", payment)))["correction"]
    await builders.entry(contract, LedgerEntryKind.PAYMENT_REVERSAL, payment.effective_date,
                         principal=str(payment.principal), interest=str(payment.interest), reverses=payment)
    count = await LedgerEntry.all().count()
    await h.as_(client, await h.staff(services, "lee", Role.SUPPORT_LEAD))
    refused = await h.decide(client, correction["id"])
    assert h.codes(refused) == [("CONFLICT", ["correctionId"])] and "already reversed" in refused["errors"][0]["message"]
    assert (await LedgerCorrection.get()).status == CorrectionStatus.PROPOSED
    assert await LedgerEntry.all().count() == count


async def test_support_lists_a_cases_correctable_entries_as_an_audited_view(client, services):
    contract = await h.loan_paid(services, "alice")
    fee = await builders.entry(contract, LedgerEntryKind.LATE_FEE, date(2026, 3, 26), fees="25.00")
    returned = await LedgerEntry.get(contract_id=contract.id, effective_date=date(2026, 9, 15))
    await builders.entry(contract, LedgerEntryKind.PAYMENT_REVERSAL, returned.effective_date,
                         principal=str(returned.principal), interest=str(returned.interest), reverses=returned)
    case = await h.open_case(await contract.customer)
    await h.as_(client, await h.staff(services, "sam"))
    entries = (await client.execute(h.ENTRIES, {"id": h.gid("Case", case.id)}))["support"]["caseLedgerEntries"]
    shown = [(e["entry"]["kind"], e["entry"]["effectiveDate"]) for e in entries]
    assert shown[:2] == [("PAYMENT", "2026-10-15"), ("PAYMENT", "2026-08-15")]  # the returned one is not there
    assert ("LATE_FEE", "2026-03-26") in shown and len(shown) == 9
    assert {e["contractNumber"] for e in entries} == {contract.number}
    assert entries[-3]["entry"]["id"] == h.gid("LedgerTransaction", fee.id)  # before March and February
    customer = await User.get(username="alice")
    assert await AuditEvent.filter(action="support.viewed_account", subject_id=customer.id).count() == 1
    missing = await client.execute(h.ENTRIES, {"id": h.gid("Case", case.id + 1)})
    assert missing["support"]["caseLedgerEntries"] is None


async def test_the_queue_and_one_correction_are_for_support_staff_only(client, services):
    contract = await h.loan_paid(services, "alice")
    fee = await builders.entry(contract, LedgerEntryKind.LATE_FEE, date(2026, 3, 26), fees="25.00")
    payment = await LedgerEntry.filter(contract_id=contract.id, kind=LedgerEntryKind.PAYMENT).order_by("-id").first()
    case = await h.open_case(await contract.customer)
    await h.as_(client, await h.staff(services, "sam"))
    first = (await h.propose(client, h.proposal(case, "WAIVE_FEE", fee)))["correction"]
    second = (await h.propose(client, h.proposal(case, "REAPPLY_PAYMENT", payment, key="c-2")))["correction"]
    queue = (await client.execute(h.QUEUE))["support"]["corrections"]
    assert queue["totalCount"] == 2 and [e["node"]["id"] for e in queue["edges"]] == [first["id"], second["id"]]
    assert (await client.execute(h.QUEUE, {"status": "POSTED"}))["support"]["corrections"]["totalCount"] == 0
    assert (await client.execute(h.ONE, {"id": first["id"]}))["support"]["correction"]["kind"] == "WAIVE_FEE"
    node = await client.execute("query($id: ID!) { node(id: $id) { ... on LedgerCorrection { status } } }",
                                {"id": first["id"]})
    assert node["node"] == {"status": "PROPOSED"}
    # A customer (or anyone not on the desk) sees no correction, even by id.
    client.token = await h.customer_token(services, "alice")
    node = await client.execute("query($id: ID!) { node(id: $id) { ... on LedgerCorrection { status } } }",
                                {"id": first["id"]})
    assert node["node"] is None
    response = await client.post(h.PROPOSE, {"input": h.proposal(case, "WAIVE_FEE", fee, key="c-3")})
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    response = await client.post(h.ENTRIES, {"id": h.gid("Case", case.id)})
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


# -- concurrency (PostgreSQL) ------------------------------------------------------------------------

@pytest.mark.postgres_only
async def test_two_leads_approving_at_once_post_once(client, services):
    contract = await h.loan_paid(services, "alice", days=[*h.MONTHS[:-1], date(2026, 10, 25)])
    wrong = await LedgerEntry.filter(contract_id=contract.id).order_by("-effective_date").first()
    case = await h.open_case(await contract.customer)
    await h.as_(client, await h.staff(services, "sam"))
    correction = (await h.propose(client, h.proposal(case, "REAPPLY_PAYMENT", wrong,
                                                     effectiveDate="2026-10-14")))["correction"]
    leads = [await h.staff(services, name, Role.SUPPORT_LEAD) for name in ("lee", "liz", "lou")]
    clients = [GraphQLClient(client.http, token=lead.token) for lead in leads]
    results = await asyncio.gather(*(h.decide(c, correction["id"]) for c in clients))
    posted = [r for r in results if r["errors"] == []]
    assert len(posted) == 1 and all(h.codes(r) == [("CONFLICT", ["correctionId"])] for r in results
                                    if r not in posted)
    assert await LedgerEntry.filter(idempotency_key__startswith=f"correction:{(await LedgerCorrection.get()).id}:") \
        .count() == 2
    assert await AuditEvent.filter(action="support.correction_posted").count() == 1
    assert await Notification.filter(category=NotificationCategory.ACCOUNT_CORRECTIONS).count() == 1


@pytest.mark.postgres_only
async def test_two_proposals_on_one_entry_at_once_make_one(client, services):
    contract = await h.loan_paid(services, "alice")
    payment = await LedgerEntry.filter(contract_id=contract.id).order_by("-id").first()
    case = await h.open_case(await contract.customer)
    people = [await h.staff(services, name) for name in ("sam", "sue", "sid", "sal")]
    clients = [GraphQLClient(client.http, token=person.token) for person in people]
    results = await asyncio.gather(*(h.propose(c, h.proposal(case, "REAPPLY_PAYMENT", payment)) for c in clients))
    assert sorted(len(r["errors"]) for r in results) == [0, 1, 1, 1]
    assert all(h.codes(r) == [("CONFLICT", ["entryId"])] for r in results if r["errors"])
    assert await LedgerCorrection.all().count() == 1
