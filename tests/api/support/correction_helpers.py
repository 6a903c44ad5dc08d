"""Helpers for the ledger-correction tests: staff sessions, cases, loans with a payment history, the
mutations and queries, and the servicing math computed independently of the resolvers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from auth.sessions import start_session
from finance import due as due_math
from finance.servicing import LedgerEvent, allocate_payment, loan_position
from models import Contract, Customer, LedgerEntry, SupportCase, User
from models.enums import CaseCategory, CaseStatus, LedgerEntryKind, Role, SessionKind
from resolvers.servicing.positions import installments_of, ledger_event, loan_terms
from tests import factories
from tests.api.servicing import builders

D = Decimal
gid = builders.gid
ERRORS = "errors { code message field }"
CORRECTION = """correction { id kind status reason amount { amount } correctedAmount { amount } effectiveDate
  contractNumber targetContractNumber proposedBy decidedBy decisionNote needsLead caseId
  entry { id kind amount { amount } }
  postedEntries { id kind effectiveDate amount { amount } principal { amount } interest { amount } fees { amount }
                  tax { amount } } }"""
PROPOSE = f"""mutation($input: ProposeLedgerCorrectionInput!) {{ proposeLedgerCorrection(input: $input) {{
  {CORRECTION} {ERRORS} }} }}"""
DECIDE = f"""mutation($input: DecideLedgerCorrectionInput!) {{ decideLedgerCorrection(input: $input) {{
  {CORRECTION} {ERRORS} }} }}"""
CANCEL = f"""mutation($input: CancelLedgerCorrectionInput!) {{ cancelLedgerCorrection(input: $input) {{
  {CORRECTION} {ERRORS} }} }}"""
QUEUE = """query($status: LedgerCorrectionStatus) { support { corrections(status: $status) { totalCount
  edges { node { id kind status amount { amount } proposedBy } } } } }"""
ENTRIES = """query($id: ID!) { support { caseLedgerEntries(caseId: $id, first: 50) { contractId contractNumber
  entry { id kind effectiveDate amount { amount } } } } }"""
ONE = """query($id: ID!) { support { correction(id: $id) { id status kind } } }"""
FIGURES = """query($id: ID!) { node(id: $id) { ... on Contract { number
  balance { amount } principalBalance { amount } unpaidFees { amount }
  nextDue { date amount { amount } } pastDue { amount { amount } daysPastDue bucket }
  payoffQuote { goodThrough principal { amount } interest { amount } fees { amount } total { amount } }
  recentTransactions(first: 20) { id kind effectiveDate amount { amount } } } } }"""
MONTHS = [date(2026, month, 15) for month in range(2, 11)]  # 2026-02-15 .. 2026-10-15


@dataclass
class Staff:
    user: User
    token: str


async def staff(services, username: str, role: Role = Role.SUPPORT) -> Staff:
    user = await factories.user(services, username, role)
    issued = await start_session(user, kind=SessionKind.BEARER, clock=services.clock, settings=services.settings,
                                 ip="127.0.0.1", user_agent="test")
    return Staff(user, issued.token)


async def customer_token(services, username: str) -> str:
    user = await User.get(username=username)
    issued = await start_session(user, kind=SessionKind.BEARER, clock=services.clock, settings=services.settings,
                                 ip="127.0.0.1", user_agent="test")
    return issued.token


async def open_case(customer: Customer, contract: Contract | None = None, *,
                    category: CaseCategory = CaseCategory.MISAPPLIED_PAYMENT,
                    status: CaseStatus = CaseStatus.OPEN) -> SupportCase:
    now = datetime(2026, 11, 2, 14, tzinfo=UTC)
    return await SupportCase.create(customer=customer, contract=contract, category=category, subject="Payment",
                                    status=status, created_at=now, updated_at=now)


async def loan_paid(services, username: str, days=MONTHS, amount: str = "166.07", **terms) -> Contract:
    """A customer with a login and the default loan (5,000.00 at 12 %, 166.07 from 2026-02-15), paid on `days`."""
    owner, dealer = await builders.customer_with_login(services, username)
    contract = await builders.loan(owner, dealer, **terms)
    for day in days:
        await builders.pay_loan(contract, day, amount)
    return contract


async def as_(client, who: Staff | str):
    client.token = who.token if isinstance(who, Staff) else who
    return client


def proposal(case: SupportCase, kind: str, entry: LedgerEntry, key: str = "c-1", **extra) -> dict:
    value = {"caseId": gid("Case", case.id), "kind": kind, "entryId": gid("LedgerTransaction", entry.id),
             "reason": "MISAPPLIED_PAYMENT", "explanation": "Keyed to the wrong account by the lockbox.",
             "idempotencyKey": key}
    for name, item in extra.items():
        value[name] = gid("Contract", item.id) if isinstance(item, Contract) else item
    return value


async def propose(client, value: dict) -> dict:
    return (await client.execute(PROPOSE, {"input": value}))["proposeLedgerCorrection"]


async def decide(client, correction_id: str, approve: bool = True, note: str | None = None) -> dict:
    value = {"correctionId": correction_id, "approve": approve, **({"note": note} if note is not None else {})}
    return (await client.execute(DECIDE, {"input": value}))["decideLedgerCorrection"]


async def figures(client, token: str, contract: Contract) -> dict:
    saved, client.token = client.token, token
    try:
        return (await client.execute(FIGURES, {"id": gid("Contract", contract.id)}))["node"]
    finally:
        client.token = saved


def codes(payload: dict) -> list[tuple[str, list[str] | None]]:
    return [(error["code"], error["field"]) for error in payload["errors"]]


def amount(node: dict, name: str) -> Decimal:
    return D(node[name]["amount"])


# -- the servicing math, independently ----------------------------------------------------------

async def stored_events(contract: Contract) -> list[LedgerEvent]:
    return [ledger_event(row) for row in await LedgerEntry.filter(contract_id=contract.id).order_by("effective_date",
                                                                                                      "id")]


def with_payment(contract: Contract, events: list[LedgerEvent], amount_: Decimal, on: date) -> list[LedgerEvent]:
    """`events` plus a payment received on `on`, split by the engine on that day (installment-sized payments
    split the same with or without the installments owed: interest first, the rest to principal)."""
    split = allocate_payment(loan_terms(contract), [e for e in events if e.effective_date <= on], amount_, on)
    assert split.unapplied == 0
    payment = LedgerEvent("PAYMENT", on, amount_, principal=split.principal, interest=split.interest,
                          fees=split.fees)
    return sorted([*events, payment], key=lambda e: e.effective_date)


def expected_payments(contract: Contract, payments: list[tuple[date, str]],
                      others: list[LedgerEvent] = ()) -> list[LedgerEvent]:
    """The ledger as it should be: the given payments split in date order (plus other events)."""
    events = sorted(others, key=lambda e: e.effective_date)
    for day, value in sorted(payments):
        events = with_payment(contract, events, D(value), day)
    return events


def expected_figures(contract: Contract, events: list[LedgerEvent], today: date) -> dict:
    position = loan_position(loan_terms(contract), events, today)
    credits = due_math.credits_from_events(events)
    status = due_math.due_status(installments_of(contract), credits, today, int(contract.grace_days))
    return {"balance": position.total_due_to_pay_off, "principal": position.principal,
            "interest": position.accrued_interest, "fees": position.unpaid_fees,
            "days_past_due": status.days_past_due, "past_due": status.past_due_amount,
            "next_due": status.next_due_date.isoformat() if status.next_due_date else None}


def shown_figures(node: dict) -> dict:
    return {"balance": amount(node, "balance"), "principal": amount(node, "principalBalance"),
            "interest": D(node["payoffQuote"]["interest"]["amount"]), "fees": amount(node, "unpaidFees"),
            "days_past_due": node["pastDue"]["daysPastDue"], "past_due": D(node["pastDue"]["amount"]["amount"]),
            "next_due": node["nextDue"]["date"] if node["nextDue"] else None}


async def entries_balanced(contract: Contract) -> bool:
    return all(row.principal + row.interest + row.fees + row.tax == row.amount
               for row in await LedgerEntry.filter(contract_id=contract.id))


PAYMENT = LedgerEntryKind.PAYMENT
