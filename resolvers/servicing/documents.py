"""Statements and tax documents: figures from the ledger, generation, storage, listing and
short-lived signed download links.

Figures come from the same derivation as the dashboard (resolvers/servicing/positions.py), so a
statement and the API agree to the cent:

- Opening balance: the position at the start of the period's first day (entries before it).
  Closing balance: at the end of its last day (entries up to it, interest through it), which is
  also the next statement's opening balance. Loans: principal + accrued interest + unpaid fees;
  leases: scheduled payments not yet paid + unpaid fees.
- Transactions: the ledger entries *effective* in the period (the day money counts from). A
  correction posted after a statement was issued but effective inside its period shows in the
  next statement's opening balance; an issued statement is never rewritten.
- Interest charged (loans): interest accrued during the period, i.e. the growth of the rounded
  total accrued to date. This equals (accrued at end − accrued at start + interest paid in the
  period) when no adjustment credited interest.
- Due figures: finance.due as of the period's last day. Amount due = the current installment +
  past due + unpaid fees (what a real statement's "total amount due" includes), never more than
  the closing balance.

Documents are generated once per (contract, kind, period start): the unique key makes a second
call (or a concurrent one) return the stored document unchanged. The notification mail is written
in the same transaction as the document, so it goes out exactly when the document exists.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from strawberry.relay import to_base64
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Subquery
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from auth import signed_links
from documents.pdf import dollars, long_date
from documents.statement import (
    LEASE,
    LOAN,
    StatementFigures,
    StatementTransaction,
    render_statement,
    statement_filename,
    statement_title,
)
from documents.tax import (
    InterestStatementFigures,
    LeaseTaxStatementFigures,
    TaxParty,
    TaxYearLine,
    interest_statement_title,
    lease_tax_statement_title,
    render_interest_statement,
    render_lease_tax_statement,
    tax_document_filename,
)
from finance.money import ZERO
from mail import notify
from models import Contract, Customer, Document, LedgerEntry, User, Vehicle
from models.enums import (
    ContractKind,
    ContractStatus,
    DocumentKind,
    LedgerEntryKind,
    Role,
)
from resolvers.errors import ErrorCode, Problem
from resolvers.identity.preferences import Category, wants
from resolvers.servicing.positions import contract_state, installments_of, ledger_rows
from resolvers.servicing.visibility import contracts_visible_to
from service.container import Services

log = logging.getLogger("autofin.documents")

DOWNLOAD_TTL = timedelta(minutes=5)
SIGNATURE_PURPOSE = "document"
BATCH_SIZE = 200
TAX_KINDS = (DocumentKind.TAX_INTEREST_STATEMENT, DocumentKind.TAX_LEASE_STATEMENT)
# The daily close of this day (month, day) generates the previous year's tax documents.
TAX_DOCUMENT_DAY = (1, 31)
# Columns for lists: everything but the PDF bytes.
LISTING_FIELDS = ("id", "contract_id", "kind", "period_start", "period_end", "title", "sha256", "size_bytes",
                  "created_at")

PAYMENT_KINDS = (LedgerEntryKind.PAYMENT, LedgerEntryKind.PAYMENT_REVERSAL)
FEE_KINDS = (LedgerEntryKind.LATE_FEE, LedgerEntryKind.RETURNED_PAYMENT_FEE)


# -- periods -----------------------------------------------------------------------------------

def previous_month(business_date: date) -> tuple[date, date]:
    """The calendar month before `business_date`'s month: (first day, last day)."""
    end = business_date.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


def month_of(day: date) -> tuple[date, date]:
    """The calendar month containing `day`."""
    start = day.replace(day=1)
    following = (start + timedelta(days=32)).replace(day=1)
    return start, following - timedelta(days=1)


# -- who and what is printed -------------------------------------------------------------------

@dataclass(frozen=True)
class Parties:
    customer: Customer
    co_customer: Customer | None
    vehicle: Vehicle


def full_name(customer: Customer) -> str:
    return f"{customer.first_name} {customer.last_name}".strip()


def mailing_address(customer: Customer) -> tuple[str, ...]:
    lines = [customer.address_line1, customer.address_line2,
             f"{customer.city}, {customer.state} {customer.postal_code}".strip()]
    return tuple(line for line in lines if line)


def vehicle_label(vehicle: Vehicle) -> str:
    return " ".join(str(part) for part in (vehicle.year, vehicle.make, vehicle.model, vehicle.trim) if part)


async def parties_of(contract: Contract) -> Parties:
    customer = await Customer.get(id=contract.customer_id)
    co = await Customer.get(id=contract.co_customer_id) if contract.co_customer_id else None
    return Parties(customer=customer, co_customer=co, vehicle=await Vehicle.get(id=contract.vehicle_id))


def _kind(row: LedgerEntry) -> str:
    return row.kind.value if isinstance(row.kind, LedgerEntryKind) else str(row.kind)


def _ordered(rows: Sequence[LedgerEntry]) -> list[LedgerEntry]:
    return sorted(rows, key=lambda row: (row.effective_date, row.id))


def _signed_sum(rows: Sequence[LedgerEntry], part: str) -> Decimal:
    """Σ part of payments − Σ part of returned payments."""
    total = ZERO
    for row in rows:
        if row.kind == LedgerEntryKind.PAYMENT:
            total += getattr(row, part)
        elif row.kind == LedgerEntryKind.PAYMENT_REVERSAL:
            total -= getattr(row, part)
    return total


# -- statement figures (pure) ------------------------------------------------------------------

def statement_figures(contract: Contract, parties: Parties, rows: Sequence[LedgerEntry],
                      period_start: date, period_end: date) -> StatementFigures:
    """Every figure of the statement of `contract` for [period_start, period_end], from its ledger rows."""
    if period_end < period_start:
        raise ValueError("a statement period ends on or after its start")
    before = [row for row in rows if row.effective_date < period_start]
    through_end = [row for row in rows if row.effective_date <= period_end]
    in_period = _ordered([row for row in through_end if row.effective_date >= period_start])
    opening = contract_state(contract, before, period_start)
    closing = contract_state(contract, through_end, period_end + timedelta(days=1))
    status = contract_state(contract, through_end, period_end).due

    payments = sum((row.amount for row in in_period if row.kind == LedgerEntryKind.PAYMENT), ZERO)
    returned = sum((row.amount for row in in_period if row.kind == LedgerEntryKind.PAYMENT_REVERSAL), ZERO)
    fees_assessed = sum((row.fees for row in in_period if row.kind in FEE_KINDS), ZERO)
    is_loan = contract.kind == ContractKind.LOAN
    if is_loan:
        interest_charged = closing.loan.interest_accrued_to_date - opening.loan.interest_accrued_to_date
        rent_charge = ZERO
    else:
        interest_charged = ZERO
        rent_charge = _signed_sum(in_period, "interest")
    explained = opening.balance + interest_charged + fees_assessed - payments + returned
    other_credits = closing.balance - explained

    current, due_date = _current_installment(contract, status, period_end)
    balance = closing.balance
    fees_due = min(closing.unpaid_fees, balance)
    past_due = min(status.past_due_amount, balance - fees_due)
    current = min(current, balance - fees_due - past_due)
    return StatementFigures(
        account_number=contract.number,
        product=LOAN if is_loan else LEASE,
        customer_name=full_name(parties.customer),
        co_customer_name=full_name(parties.co_customer) if parties.co_customer else None,
        mailing_address=mailing_address(parties.customer),
        vehicle=vehicle_label(parties.vehicle),
        period_start=period_start,
        period_end=period_end,
        opening_balance=opening.balance,
        closing_balance=balance,
        transactions=tuple(
            StatementTransaction(effective_date=row.effective_date, kind=_kind(row), amount=row.amount,
                                 principal=row.principal, interest=row.interest, fees=row.fees, tax=row.tax,
                                 memo=row.memo)
            for row in in_period
        ),
        interest_charged=interest_charged,
        rent_charge_paid=rent_charge,
        fees_assessed=fees_assessed,
        payments_received=payments,
        payments_returned=returned,
        other_credits=other_credits,
        tax_paid=_signed_sum(in_period, "tax"),
        current_due=current,
        past_due_amount=past_due,
        fees_due=fees_due,
        amount_due=current + past_due + fees_due,
        due_date=due_date if current + past_due + fees_due > ZERO else None,
        days_past_due=status.days_past_due,
        apr=contract.apr if is_loan else None,
        principal_balance=closing.loan.principal if is_loan else None,
        accrued_interest=closing.loan.accrued_interest if is_loan else None,
    )


def _current_installment(contract: Contract, status, as_of: date) -> tuple[Decimal, date | None]:
    """The installment billed on this statement: the next unpaid one when it is not late yet;
    when it is late (and so already in past due), the first one due on or after `as_of`.
    Only past due left (after maturity): nothing current, due at once (the statement date)."""
    if status.next_due_date is None:
        return ZERO, None
    if status.next_due_date >= as_of:
        return status.next_due_amount, status.next_due_date
    upcoming = next((item for item in installments_of(contract) if item.due_date >= as_of), None)
    if upcoming is None:
        return ZERO, as_of + timedelta(days=1)
    return upcoming.amount, upcoming.due_date


# -- tax figures (pure) ------------------------------------------------------------------------

def _tax_party(contract: Contract, parties: Parties) -> TaxParty:
    return TaxParty(
        account_number=contract.number, name=full_name(parties.customer),
        co_name=full_name(parties.co_customer) if parties.co_customer else None,
        mailing_address=mailing_address(parties.customer), vehicle=vehicle_label(parties.vehicle),
        contract_date=contract.contract_date,
    )


def _year_lines(rows: Sequence[LedgerEntry], year: int) -> tuple[list[LedgerEntry], tuple[TaxYearLine, ...]]:
    paid = _ordered([row for row in rows if row.effective_date.year == year and row.kind in PAYMENT_KINDS])
    lines = tuple(
        TaxYearLine(effective_date=row.effective_date, amount=row.amount, principal=row.principal,
                    interest=row.interest, fees=row.fees, tax=row.tax,
                    returned=row.kind == LedgerEntryKind.PAYMENT_REVERSAL)
        for row in paid
    )
    return paid, lines


def interest_statement_figures(contract: Contract, parties: Parties, rows: Sequence[LedgerEntry],
                               year: int) -> InterestStatementFigures:
    """Interest paid on a loan in `year`: Σ interest of payments − Σ interest of returned payments
    effective in the year."""
    paid, lines = _year_lines(rows, year)
    year_end = date(year, 12, 31)
    state = contract_state(contract, [row for row in rows if row.effective_date <= year_end], year_end)
    return InterestStatementFigures(
        year=year, party=_tax_party(contract, parties), interest_paid=_signed_sum(paid, "interest"),
        principal_paid=_signed_sum(paid, "principal"), fees_paid=_signed_sum(paid, "fees"),
        total_paid=_signed_sum(paid, "amount"), lines=lines, principal_balance_at_year_end=state.principal_balance,
    )


def lease_tax_statement_figures(contract: Contract, parties: Parties, rows: Sequence[LedgerEntry],
                                year: int) -> LeaseTaxStatementFigures:
    """A lease's payments in `year` (net of returned payments) and the sales tax in them."""
    paid, lines = _year_lines(rows, year)
    return LeaseTaxStatementFigures(
        year=year, party=_tax_party(contract, parties), total_paid=_signed_sum(paid, "amount"),
        base_payments=_signed_sum(paid, "principal") + _signed_sum(paid, "interest"),
        rent_charge=_signed_sum(paid, "interest"), sales_tax_paid=_signed_sum(paid, "tax"),
        fees_paid=_signed_sum(paid, "fees"), lines=lines,
    )


def tax_kind_for(contract: Contract) -> DocumentKind:
    return DocumentKind.TAX_INTEREST_STATEMENT if contract.kind == ContractKind.LOAN \
        else DocumentKind.TAX_LEASE_STATEMENT


def document_filename(document: Document, contract_number: str) -> str:
    if document.kind == DocumentKind.STATEMENT:
        return statement_filename(contract_number, document.period_start)
    return tax_document_filename(contract_number, document.period_start.year,
                                 lease=document.kind == DocumentKind.TAX_LEASE_STATEMENT)


# -- storage -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Generated:
    document: Document
    created: bool  # False: it existed already (returned unchanged)


Notifier = Callable[[object, Document], Awaitable[None]]


async def _existing(contract_id: int, kind: DocumentKind, period_start: date, using_db=None) -> Document | None:
    return await Document.get_or_none(contract_id=contract_id, kind=kind, period_start=period_start).using_db(
        using_db)


async def _store(services: Services, contract: Contract, kind: DocumentKind, period_start: date, period_end: date,
                 title: str, content: bytes, notifier: Notifier | None) -> Generated:
    """Insert the document (and its notification, in the same transaction) unless it exists."""
    try:
        async with in_transaction() as connection:
            document = await Document.create(
                contract_id=contract.id, kind=kind, period_start=period_start, period_end=period_end, title=title,
                content=content, sha256=hashlib.sha256(content).hexdigest(), size_bytes=len(content),
                created_at=services.clock.now(), using_db=connection,
            )
            if notifier is not None:
                await notifier(connection, document)
    except IntegrityError:
        # Generated concurrently: keep theirs (the same figures, so the same bytes).
        existing = await _existing(contract.id, kind, period_start)
        if existing is None:
            raise
        return Generated(existing, False)
    return Generated(document, True)


async def ensure_statement(services: Services, contract: Contract, period_start: date, period_end: date, *,
                           rows: Sequence[LedgerEntry] | None = None, parties: Parties | None = None,
                           notify_customers: bool = False) -> Generated:
    """The statement of `contract` for the period, generated and stored when missing."""
    existing = await _existing(contract.id, DocumentKind.STATEMENT, period_start)
    if existing is not None:
        return Generated(existing, False)
    if rows is None:
        rows = (await ledger_rows([contract.id])).get(contract.id, [])
    parties = parties or await parties_of(contract)
    figures = statement_figures(contract, parties, rows, period_start, period_end)
    notifier = None
    if notify_customers:
        async def notifier(connection, document: Document) -> None:
            await _notify(services, "statement_ready", contract, document, connection, {
                "period": f"{period_start.strftime('%B')} {period_start.year}",
                "amount_due": dollars(figures.amount_due),
                "due_date": long_date(figures.due_date) if figures.due_date else None,
            })
    return await _store(services, contract, DocumentKind.STATEMENT, period_start, period_end,
                        statement_title(period_start), render_statement(figures), notifier)


async def generate_statement(services: Services, contract: Contract, period_start: date,
                             period_end: date) -> Document:
    """The statement of `contract` for [period_start, period_end]; a second call returns the stored one."""
    return (await ensure_statement(services, contract, period_start, period_end)).document


async def ensure_tax_document(services: Services, contract: Contract, year: int, *,
                              rows: Sequence[LedgerEntry] | None = None, parties: Parties | None = None,
                              notify_customers: bool = False) -> Generated:
    """The tax document of `contract` for `year` (interest statement or lease statement)."""
    kind = tax_kind_for(contract)
    start, end = date(year, 1, 1), date(year, 12, 31)
    existing = await _existing(contract.id, kind, start)
    if existing is not None:
        return Generated(existing, False)
    if rows is None:
        rows = (await ledger_rows([contract.id])).get(contract.id, [])
    parties = parties or await parties_of(contract)
    if kind == DocumentKind.TAX_INTEREST_STATEMENT:
        title = interest_statement_title(year)
        content = render_interest_statement(interest_statement_figures(contract, parties, rows, year))
    else:
        title = lease_tax_statement_title(year)
        content = render_lease_tax_statement(lease_tax_statement_figures(contract, parties, rows, year))
    notifier = None
    if notify_customers:
        async def notifier(connection, document: Document) -> None:
            await _notify(services, "tax_document_ready", contract, document, connection,
                          {"year": year, "title": title})
    return await _store(services, contract, kind, start, end, title, content, notifier)


# -- notifications -----------------------------------------------------------------------------

async def _recipients(contract: Contract, connection=None) -> list[User]:
    """Active logins of the contract's customers (a customer without a login gets no email)."""
    customer_ids = [cid for cid in (contract.customer_id, contract.co_customer_id) if cid]
    return list(await User.filter(customer_id__in=customer_ids, role=Role.CUSTOMER, is_active=True)
                .order_by("id").using_db(connection))


async def _notify(services: Services, template: str, contract: Contract, document: Document, connection,
                  details: dict) -> None:
    # The portal opens the document by its API id (the Relay global id of the `Document` node).
    document_id = to_base64("Document", document.id)
    for user in await _recipients(contract, connection):
        if not await wants(user.id, Category.STATEMENTS_READY):
            continue
        await notify.send(services, template, user.email, {
            "account_ending": contract.number[-4:],
            "link": notify.portal_link(services, "documents", document=document_id),
            **details,
        }, using_db=connection)


# -- batch runs (daily close, CLI) -------------------------------------------------------------

async def _batches(queryset: QuerySet[Contract]):
    """Contracts of `queryset` by id, BATCH_SIZE at a time, with parties and ledger rows preloaded."""
    last_id = 0
    while True:
        batch = list(await queryset.filter(id__gt=last_id).order_by("id").limit(BATCH_SIZE)
                     .prefetch_related("customer", "co_customer", "vehicle"))
        if not batch:
            return
        last_id = batch[-1].id
        rows = await ledger_rows([contract.id for contract in batch])
        yield batch, rows


def _parties(contract: Contract) -> Parties:
    return Parties(customer=contract.customer, co_customer=contract.co_customer, vehicle=contract.vehicle)


def statement_contracts(business_date: date) -> QuerySet[Contract] | None:
    """The contracts that get a statement on `business_date`'s cycle (every ACTIVE contract signed by
    the end of last month, on the 1st), or None on any other day."""
    if business_date.day != 1:
        return None
    _, period_end = previous_month(business_date)
    return Contract.filter(status=ContractStatus.ACTIVE, contract_date__lte=period_end)


async def cycle_statements(services: Services, business_date: date, *, first_id: int | None = None,
                           last_id: int | None = None) -> int:
    """On the 1st of a month, last month's statement of every ACTIVE contract signed by that month's
    end, with a "statement ready" email to each customer who has a login and wants it. Any other day
    does nothing. Returns the number of statements generated now (existing ones are skipped).
    `first_id`/`last_id` limit the run to contracts with ids in that range (the daily close's shares).

    A contract whose statement fails (a ledger the engine refuses) is logged and skipped so the
    others still get theirs; `backfill_documents` makes the missing one once the ledger is fixed."""
    contracts = statement_contracts(business_date)
    if contracts is None:
        return 0
    if first_id is not None:
        contracts = contracts.filter(id__gte=first_id)
    if last_id is not None:
        contracts = contracts.filter(id__lte=last_id)
    period_start, period_end = previous_month(business_date)
    generated = 0
    async for batch, rows in _batches(contracts):
        done = set(await Document.filter(contract_id__in=[c.id for c in batch], kind=DocumentKind.STATEMENT,
                                         period_start=period_start).values_list("contract_id", flat=True))
        for contract in batch:
            if contract.id in done:
                continue
            try:
                outcome = await ensure_statement(services, contract, period_start, period_end,
                                                 rows=rows.get(contract.id, []), parties=_parties(contract),
                                                 notify_customers=True)
            except Exception:  # noqa: BLE001 - one contract's bad ledger must not stop everyone's statements
                log.exception("statement failed", extra={"contract_id": contract.id})
                continue
            generated += outcome.created
    log.info("statements cycled", extra={"period_start": period_start.isoformat(), "generated": generated})
    return generated


async def generate_tax_documents(services: Services, year: int, *, notify_customers: bool = True) -> int:
    """The tax document of `year` for every contract with a ledger entry effective in that year.
    Returns the number generated now (existing ones are left unchanged)."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    active = LedgerEntry.filter(effective_date__gte=start, effective_date__lte=end).distinct().values("contract_id")
    contracts = Contract.filter(id__in=Subquery(active))
    generated = 0
    async for batch, rows in _batches(contracts):
        done = set(await Document.filter(contract_id__in=[c.id for c in batch], kind__in=TAX_KINDS,
                                         period_start=start).values_list("contract_id", flat=True))
        for contract in batch:
            if contract.id in done:
                continue
            try:
                outcome = await ensure_tax_document(services, contract, year, rows=rows.get(contract.id, []),
                                                    parties=_parties(contract), notify_customers=notify_customers)
            except Exception:  # noqa: BLE001 - one contract's bad ledger must not stop everyone's documents
                log.exception("tax document failed", extra={"contract_id": contract.id, "year": year})
                continue
            generated += outcome.created
    log.info("tax documents generated", extra={"year": year, "generated": generated})
    return generated


async def maybe_generate_tax_documents(services: Services, business_date: date) -> int:
    """For the daily close: on January 31, last year's tax documents; any other day nothing."""
    if (business_date.month, business_date.day) != TAX_DOCUMENT_DAY:
        return 0
    return await generate_tax_documents(services, business_date.year - 1)


async def backfill_documents(services: Services, business_date: date) -> int:
    """Every statement (each month from the contract's first through last month) and every tax
    document (each ended year with ledger activity) that a contract should have by `business_date`
    and does not, without
    emails: for demo data with months of history, or after an outage. Returns how many were made."""
    last_period_start, _ = previous_month(business_date)
    generated = 0
    async for batch, rows in _batches(Contract.filter(contract_date__lt=business_date.replace(day=1))):
        have = {(d["contract_id"], d["kind"], d["period_start"]) for d in await Document.filter(
            contract_id__in=[c.id for c in batch]).values("contract_id", "kind", "period_start")}
        for contract in batch:
            contract_rows, parties = rows.get(contract.id, []), _parties(contract)
            start = contract.contract_date.replace(day=1)
            while start <= last_period_start:
                if (contract.id, DocumentKind.STATEMENT, start) not in have:
                    _, end = month_of(start)
                    outcome = await ensure_statement(services, contract, start, end, rows=contract_rows,
                                                     parties=parties)
                    generated += outcome.created
                start = month_of(start)[1] + timedelta(days=1)
            active_years = {row.effective_date.year for row in contract_rows}
            for year in sorted(y for y in active_years if y < business_date.year):
                if (contract.id, tax_kind_for(contract), date(year, 1, 1)) not in have:
                    outcome = await ensure_tax_document(services, contract, year, rows=contract_rows, parties=parties)
                    generated += outcome.created
    return generated


# -- on demand ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class TaxDocumentOutcome:
    document: Document | None = None
    problems: tuple[Problem, ...] = ()


NOT_FOUND = Problem(ErrorCode.NOT_FOUND, "No contract with that id.", ("contractId",))


async def request_tax_document(services: Services, user: User, contract_id: int | None,
                               year: int) -> TaxDocumentOutcome:
    """The viewer's tax document of a past year, generated if it is missing. Not your contract:
    NOT_FOUND; a year that has not ended, or before the contract was signed: INVALID."""
    contract = None
    if contract_id is not None:
        contract = await contracts_visible_to(user).filter(id=contract_id).first()
    if contract is None:
        return TaxDocumentOutcome(problems=(NOT_FOUND,))
    if not 1 <= year < services.clock.today().year:
        return TaxDocumentOutcome(problems=(Problem(
            ErrorCode.INVALID, "Tax documents are available for years that have ended.", ("year",)),))
    if year < contract.contract_date.year:
        return TaxDocumentOutcome(problems=(Problem(
            ErrorCode.INVALID, f"This contract starts in {contract.contract_date.year}; choose that year or later.",
            ("year",)),))
    return TaxDocumentOutcome(document=(await ensure_tax_document(services, contract, year)).document)


# -- access ------------------------------------------------------------------------------------

def documents_visible_to(user: User | None) -> QuerySet[Document]:
    """Documents of the contracts on which `user` is a customer (borrower, lessee or co-signer).
    Staff and dealers see none here, even of contracts they can see: a statement is the lender's
    correspondence with the customer."""
    if user is None or not user.is_active or user.role != Role.CUSTOMER:
        return Document.filter(id__in=[])
    return Document.filter(contract_id__in=Subquery(contracts_visible_to(user).values("id")))


def signed_download_path(services: Services, document_id: int, user_id: int) -> str:
    """A link to the PDF valid DOWNLOAD_TTL, usable only while `user_id` is still a party to the contract."""
    query = signed_links.signed_query(services.settings.secret_key, SIGNATURE_PURPOSE, str(document_id), user_id,
                                      clock=services.clock, ttl=DOWNLOAD_TTL)
    return f"/documents/{document_id}?{query}"


async def document_for_signed_link(services: Services, document_id: str, expires: str, user_id: str,
                                   signature: str) -> tuple[Document, str] | None:
    """The document and its download filename if the link is genuine, unexpired and its user may
    still see the document; None otherwise (every failure looks the same)."""
    if not document_id.isdigit() or len(document_id) > 18:
        return None
    signed_for = signed_links.verified_user_id(services.settings.secret_key, SIGNATURE_PURPOSE, document_id,
                                               expires, user_id, signature, clock=services.clock, ttl=DOWNLOAD_TTL)
    if signed_for is None:
        return None
    user = await User.get_or_none(id=signed_for)
    if user is None:
        return None
    document = await documents_visible_to(user).filter(id=int(document_id)).first()
    if document is None:
        return None
    contract = await Contract.filter(id=document.contract_id).only("id", "number").first()
    return document, document_filename(document, contract.number if contract else "contract")
