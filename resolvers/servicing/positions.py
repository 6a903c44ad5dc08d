"""What a contract stands at on a business date, derived from its ledger (never stored).

One query loads the ledger rows of many contracts (`ledger_rows`); the rest is pure: the rows
become finance `LedgerEvent`s and `Credit`s, the contract terms become installments, and
finance.servicing / finance.due compute the position and the due status.

Figures (the same for the dashboard, the daily close and statements):

- Loan balance = payoff on the business date: principal + interest accrued to that day + unpaid
  fees (finance.servicing.loan_position). Principal balance = the loan's principal.
- Lease balance = what the lessee still owes under the schedule: every scheduled payment (tax
  included) not yet paid, whether past due or still to come, plus unpaid fees. The residual value
  is not part of it: buying the vehicle at the end is an option, not a debt. A lease's principal
  balance is the adjusted capitalized cost less the depreciation paid so far (it ends at the
  residual value).
- Installments: the amortization schedule's payments (loan) or `term_months` equal monthly
  payments of `scheduled_payment` (lease), with the approved payment-plan changes applied
  (finance.schedule_changes: a due-date change or a deferral moves due dates, never amounts). Credits: each payment's amount less its fee part, a
  reversal negative (finance.due.credits_from_events). Grace: `contract.grace_days`.
- A contract PAID_OFF, or a loan whose payoff is zero, owes no installment.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache

from tortoise.backends.base.client import BaseDBAsyncClient

from finance import due as due_math
from finance.loan import ScheduledInstallment, add_months, amortization_schedule
from finance.money import ZERO
from finance.schedule_changes import Change, apply_changes
from finance.servicing import (
    LedgerEvent,
    LoanFold,
    LoanPosition,
    LoanTerms,
    loan_fold,
    loan_position,
    parse_allocation,
)
from models import Contract, LedgerEntry
from models.enums import ContractKind, ContractStatus, LedgerEntryKind

FEE_KINDS = (LedgerEntryKind.LATE_FEE, LedgerEntryKind.RETURNED_PAYMENT_FEE)
log = logging.getLogger("autofin.positions")


@dataclass(frozen=True)
class ContractState:
    """A contract's figures on `as_of` (see the module docstring for what each one means)."""

    contract_id: int
    kind: ContractKind
    as_of: date
    due: due_math.DueStatus
    loan: LoanPosition | None  # None for leases
    balance: Decimal
    principal_balance: Decimal
    unpaid_fees: Decimal
    # The ledger rows effective on or before as_of, oldest first: all of them, unless the state was
    # computed from a checkpoint (complete=False): then the rows after it and the RECENT_KEPT newest.
    entries: tuple[LedgerEntry, ...]
    complete: bool = True

    @property
    def next_due_amount(self) -> Decimal:
        """What is owed on the next installment, never more than the whole balance (a loan's last
        installment is capped at its payoff)."""
        return min(self.due.next_due_amount, self.balance)

    def newest_first(self) -> list[LedgerEntry]:
        return sorted(self.entries, key=lambda row: (row.effective_date, row.id), reverse=True)

    def last_payment(self) -> LedgerEntry | None:
        """The newest PAYMENT that was not returned (a returned one shows as its reversal)."""
        if not self.complete:
            raise ValueError("the last payment needs the whole ledger, not a checkpoint's rows")
        reversed_ids = {row.reverses_id for row in self.entries if row.kind == LedgerEntryKind.PAYMENT_REVERSAL}
        payments = [row for row in self.newest_first()
                    if row.kind == LedgerEntryKind.PAYMENT and row.id not in reversed_ids]
        return payments[0] if payments else None


# -- loading -----------------------------------------------------------------------------------

LEDGER_COLUMNS = ("id", "contract_id", "kind", "effective_date", "posted_at", "amount", "principal", "interest",
                  "fees", "tax", "reverses_id", "memo", "idempotency_key")


class LedgerRow:
    """A ledger entry as read for figures: LedgerEntry's columns as plain attributes, converted by the
    model's own fields (Decimal money, LedgerEntryKind, dates), without a model instance per row.
    Read-only by convention: the ledger is append-only (models/ledger.py)."""

    __slots__ = LEDGER_COLUMNS

    def __init__(self, id, contract_id, kind, effective_date, posted_at, amount, principal,  # noqa: A002
                 interest, fees, tax, reverses_id, memo, idempotency_key) -> None:
        self.id = id
        self.contract_id = contract_id
        self.kind = kind
        self.effective_date = effective_date
        self.posted_at = posted_at
        self.amount = amount
        self.principal = principal
        self.interest = interest
        self.fees = fees
        self.tax = tax
        self.reverses_id = reverses_id
        self.memo = memo
        self.idempotency_key = idempotency_key

    @property
    def pk(self) -> int:
        return self.id

    def __eq__(self, other: object) -> bool:
        return isinstance(other, (LedgerRow, LedgerEntry)) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        return f"<LedgerRow {self.id} {self.kind} {self.effective_date} {self.amount}>"


_LEDGER_SELECT = ("SELECT " + ", ".join(f'"{name}"' for name in LEDGER_COLUMNS)
                  + ' FROM "ledger_entries" WHERE {where} ORDER BY "effective_date", "id"')
_KINDS = {kind.value: kind for kind in LedgerEntryKind}


def _money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)  # = finance.money.from_cents (two places), without its checks


async def _fetch_rows(connection: BaseDBAsyncClient, where: str, params: list) -> list[LedgerRow]:
    """Ledger rows oldest first, converted by hand on PostgreSQL (asyncpg's types are already Python's)
    and by the model's fields on SQLite (text dates)."""
    _, records = await connection.execute_query(_LEDGER_SELECT.format(where=where), params)
    if connection.capabilities.dialect == "postgres":
        return [LedgerRow(r[0], r[1], _KINDS[r[2]], r[3], r[4], _money(r[5]), _money(r[6]), _money(r[7]),
                          _money(r[8]), _money(r[9]), r[10], r[11], r[12]) for r in records]
    converters = [LedgerEntry._meta.fields_map[name].to_python_value for name in LEDGER_COLUMNS]
    converters[LEDGER_COLUMNS.index("contract_id")] = converters[LEDGER_COLUMNS.index("reverses_id")] = int
    return [LedgerRow(*(None if value is None else convert(value) for convert, value in zip(converters, r)))
            for r in records]


def _in(connection: BaseDBAsyncClient, column: str, values: Sequence[int], first: int = 1) -> tuple[str, list]:
    """`column` IN values, as one array parameter on PostgreSQL (one statement text for any count)."""
    if connection.capabilities.dialect == "postgres":
        return f'"{column}" = ANY(${first}::bigint[])', [list(values)]
    return f'"{column}" IN ({", ".join("?" * len(values))})', list(values)


async def ledger_rows(contract_ids: Iterable[int], using_db: BaseDBAsyncClient | None = None
                      ) -> dict[int, list[LedgerRow]]:
    """Every ledger row of the given contracts, oldest first, in ONE query (as LedgerRow values:
    a long history costs its rows, not a model instance each)."""
    ids = sorted(set(contract_ids))
    grouped: dict[int, list[LedgerRow]] = defaultdict(list)
    if not ids:
        return grouped
    connection = using_db or LedgerEntry._meta.db
    where, params = _in(connection, "contract_id", ids)
    for row in await _fetch_rows(connection, where, params):
        grouped[row.contract_id].append(row)
    return grouped


async def states_for(contracts: Sequence[Contract], as_of: date, using_db: BaseDBAsyncClient | None = None
                     ) -> dict[int, ContractState]:
    """The state of each contract on `as_of`: one query whatever the number of contracts."""
    rows = await ledger_rows((c.id for c in contracts), using_db)
    return {c.id: contract_state(c, rows.get(c.id, []), as_of) for c in contracts}


# -- pure derivations --------------------------------------------------------------------------

def loan_terms(contract: Contract) -> LoanTerms:
    return LoanTerms(
        amount_financed=contract.amount_financed, apr_percent=contract.apr, interest_start=contract.contract_date,
        day_count_basis=contract.day_count_basis, allocation_order=parse_allocation(contract.payment_allocation),
    )


def ledger_event(row: LedgerEntry) -> LedgerEvent:
    return LedgerEvent(kind=_kind(row), effective_date=row.effective_date, amount=row.amount,
                       principal=row.principal, interest=row.interest, fees=row.fees, tax=row.tax)


def ledger_events(rows: Iterable[LedgerEntry]) -> list[LedgerEvent]:
    return [ledger_event(row) for row in rows]


def _kind(row: LedgerEntry) -> str:
    return row.kind.value if isinstance(row.kind, LedgerEntryKind) else str(row.kind)


def schedule_of(contract: Contract) -> list[ScheduledInstallment]:
    """A loan's amortization schedule from its stored terms."""
    return amortization_schedule(contract.amount_financed, contract.apr, contract.term_months,
                                 contract.first_payment_date)


@lru_cache(maxsize=16384)
def _loan_payments(amount: Decimal, apr: Decimal, term: int, first_payment: date) -> tuple[Decimal, Decimal]:
    """The level payment and the last one (it absorbs the rounding): all a loan's installments need
    of its amortization schedule. Cached as two numbers, not the schedule's objects, so the cache of
    every contract seen stays small and costs the garbage collector nothing."""
    schedule = amortization_schedule(amount, apr, term, first_payment)
    return schedule[0].payment, schedule[-1].payment


def original_installments(contract: Contract) -> list[due_math.Installment]:
    """The installments as signed, before any payment-plan change (a loan's are its amortization
    schedule's payments: the level payment, the last one absorbing the rounding)."""
    if contract.kind == ContractKind.LOAN:
        term, first = contract.term_months, contract.first_payment_date
        level, last = _loan_payments(contract.amount_financed, contract.apr, term, first)
        return [due_math.Installment(number=n, due_date=add_months(first, n - 1), amount=level if n < term else last)
                for n in range(1, term + 1)]
    return due_math.lease_installments(contract.first_payment_date, contract.term_months,
                                       contract.scheduled_payment)


def applied_changes(contract: Contract) -> list[Change]:
    """The approved payment-plan changes of the contract, oldest first."""
    return [Change(**change) for change in contract.applied_changes or ()]


# Installments of the contracts seen lately, keyed by everything they depend on (a payment-plan change
# or any other change of terms makes a new key). Every dashboard of a contract needs the same ones, and
# building them (dates, amounts, checks) was a tenth of a dashboard's CPU. Bounded, oldest out first.
INSTALLMENTS_CACHED = 2048
_INSTALLMENTS: dict[tuple, due_math.CheckedInstallments] = {}


def installments_of(contract: Contract) -> due_math.CheckedInstallments:
    """The installments in force, in due-date order: as signed, with every approved plan change applied.
    Checked once, so the due-status functions do not check them again on every call."""
    changes = contract.applied_changes
    key = (contract.id, getattr(contract.kind, "value", contract.kind), contract.amount_financed, contract.apr,
           contract.term_months, contract.first_payment_date, contract.scheduled_payment,
           json.dumps(changes, sort_keys=True) if changes else "")
    found = _INSTALLMENTS.get(key)
    if found is None:
        found = due_math.checked_installments(apply_changes(original_installments(contract), applied_changes(contract)))
        if len(_INSTALLMENTS) >= INSTALLMENTS_CACHED:
            del _INSTALLMENTS[next(iter(_INSTALLMENTS))]
        _INSTALLMENTS[key] = found
    return found


def maturity_of(contract: Contract) -> date:
    """The due date of the last installment in force (a deferral moves it later)."""
    return installments_of(contract)[-1].due_date


def unpaid_fees(rows: Iterable[LedgerEntry]) -> Decimal:
    """Fees assessed − fees paid (net of reversals) − fees waived or credited."""
    return max(_fee_total(rows), ZERO)


def _fee_total(rows: Iterable[LedgerEntry]) -> Decimal:
    total = ZERO
    for row in rows:
        if row.kind in FEE_KINDS:
            total += row.fees
        elif row.kind == LedgerEntryKind.PAYMENT_REVERSAL:
            total += row.fees
        elif row.kind in (LedgerEntryKind.PAYMENT, LedgerEntryKind.FEE_WAIVER, LedgerEntryKind.ADJUSTMENT,
                          LedgerEntryKind.PAYOFF_WAIVER):
            total -= row.fees
    return total


def _net_principal_paid(rows: Iterable[LedgerEntry]) -> Decimal:
    total = ZERO
    for row in rows:
        if row.kind == LedgerEntryKind.PAYMENT_REVERSAL:
            total -= row.principal
        elif row.kind in (LedgerEntryKind.PAYMENT, LedgerEntryKind.ADJUSTMENT, LedgerEntryKind.PAYOFF_WAIVER):
            total += row.principal
    return total


def contract_state(contract: Contract, rows: Sequence[LedgerEntry], as_of: date, *,
                   checkpoint: Checkpoint | None = None) -> ContractState:
    """The figures of one contract on `as_of` from its ledger rows (any order; later rows ignored).

    With a `checkpoint` (through a date before as_of, valid for this ledger: see `checkpoint_usable`),
    only the rows effective after it count for the figures; `rows` need hold only those and, for
    `entries`, the newest ones (the state is then not `complete`)."""
    if checkpoint is not None and checkpoint.through > as_of:
        raise ValueError(f"the checkpoint is through {checkpoint.through}, after {as_of}")
    effective = tuple(sorted((r for r in rows if r.effective_date <= as_of),
                             key=lambda r: (r.effective_date, r.id)))
    counted = effective if checkpoint is None else tuple(r for r in effective
                                                         if r.effective_date > checkpoint.through)
    installments = installments_of(contract)
    credits = due_math.credits_from_events(counted)
    grace = int(contract.grace_days)
    fold = checkpoint.credits if checkpoint is not None else None
    if contract.kind == ContractKind.LOAN:
        # Before the contract date nothing has accrued: take the position on the contract date.
        position = loan_position(loan_terms(contract), ledger_events(counted), max(as_of, contract.contract_date),
                                 start=checkpoint.loan if checkpoint is not None else None)
        balance = position.total_due_to_pay_off
        settled = contract.status == ContractStatus.PAID_OFF or balance == ZERO
        status = due_math.due_status(installments, credits, as_of, grace, paid_off=settled, start=fold)
        return ContractState(
            contract_id=contract.id, kind=contract.kind, as_of=as_of, due=status, loan=position, balance=balance,
            principal_balance=position.principal, unpaid_fees=position.unpaid_fees, entries=effective,
            complete=checkpoint is None,
        )
    fee_total, principal_paid, credited = _fee_total(counted), _net_principal_paid(counted), \
        sum((c.amount for c in credits), ZERO)
    if checkpoint is not None:
        fee_total += checkpoint.fee_total
        principal_paid += checkpoint.principal_paid
        credited += checkpoint.credits.credited
    fees = max(fee_total, ZERO)
    settled = contract.status == ContractStatus.PAID_OFF
    status = due_math.due_status(installments, credits, as_of, grace, paid_off=settled, start=fold)
    scheduled_total = sum((item.amount for item in installments), ZERO)
    remaining = ZERO if settled else max(scheduled_total - max(credited, ZERO), ZERO)
    return ContractState(
        contract_id=contract.id, kind=contract.kind, as_of=as_of, due=status, loan=None,
        balance=remaining + fees, principal_balance=contract.amount_financed - principal_paid,
        unpaid_fees=fees, entries=effective, complete=checkpoint is None,
    )


# -- checkpoints ---------------------------------------------------------------------------------

RECENT_KEPT = 20  # newest rows a checkpoint names (history.MAX_RECENT: recentTransactions' most)


@dataclass(frozen=True)
class Checkpoint:
    """A contract's ledger folded through `through` (finance.servicing.LoanFold, finance.due.CreditFold
    and a lease's running sums), so its figures on a later date need only the rows after `through`:
    a dashboard costs the same for 12 months of history as for 240.

    Usable only for the same ledger rows up to `through` and the same installments: `rows` (how many
    rows were effective on or before `through`: the ledger is append-only, so the same count means the
    same rows) and `terms` (terms_key) are checked against the database before use."""

    through: date
    rows: int
    terms: str
    credits: due_math.CreditFold
    loan: LoanFold | None
    fee_total: Decimal  # Σ signed fee parts (unpaid fees before the floor at zero)
    principal_paid: Decimal  # net principal paid (leases' principal balance)
    recent_from: date  # effective date of the oldest of the RECENT_KEPT newest rows up to `through`

    def to_json(self) -> str:
        loan = None
        if self.loan is not None:
            loan = {name: str(getattr(self.loan, name)) for name in LOAN_FOLD_FIELDS}
            loan["cursor"] = self.loan.cursor.isoformat()
        return json.dumps({"credited": str(self.credits.credited), "late": list(self.credits.late), "loan": loan,
                           "fee_total": str(self.fee_total), "principal_paid": str(self.principal_paid)},
                          separators=(",", ":"))

    @classmethod
    def from_json(cls, through: date, recent_from: date, rows: int, terms: str, text: str) -> Checkpoint:
        data = json.loads(text)
        loan = None
        if data["loan"] is not None:
            values = data["loan"]
            loan = LoanFold(through=through, cursor=date.fromisoformat(values["cursor"]),
                            **{name: Decimal(values[name]) for name in LOAN_FOLD_FIELDS})
        credits = due_math.CreditFold(through=through, credited=Decimal(data["credited"]), late=tuple(data["late"]))
        return cls(through=through, rows=rows, terms=terms, credits=credits, loan=loan,
                   fee_total=Decimal(data["fee_total"]), principal_paid=Decimal(data["principal_paid"]),
                   recent_from=recent_from)


LOAN_FOLD_FIELDS = ("exact", "principal_paid", "interest_paid", "fees_paid", "principal_credited",
                    "interest_credited", "fees_credited", "fees_assessed")


def terms_key(contract: Contract) -> str:
    """What the installments, the grace and the engine's terms depend on, hashed: a checkpoint made
    under other terms (a payment-plan change since) is not used."""
    parts = [getattr(contract.kind, "value", contract.kind), str(contract.amount_financed), str(contract.apr),
             contract.term_months, contract.contract_date.isoformat(), contract.first_payment_date.isoformat(),
             str(contract.scheduled_payment), int(contract.grace_days), contract.day_count_basis,
             contract.payment_allocation, contract.applied_changes or []]
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def checkpoint_of(contract: Contract, rows: Sequence[LedgerEntry], through: date) -> Checkpoint:
    """The checkpoint of `contract` through `through` from its ledger rows (any order; later rows ignored)."""
    effective = sorted((r for r in rows if r.effective_date <= through), key=lambda r: (r.effective_date, r.id))
    credits = due_math.credits_from_events(effective)
    loan = None
    if contract.kind == ContractKind.LOAN:
        loan = loan_fold(loan_terms(contract), ledger_events(effective), through)
    return Checkpoint(
        through=through, rows=len(effective), terms=terms_key(contract),
        credits=due_math.credit_fold(installments_of(contract), credits, through, int(contract.grace_days)),
        loan=loan, fee_total=_fee_total(effective), principal_paid=_net_principal_paid(effective),
        recent_from=effective[-RECENT_KEPT:][0].effective_date if effective else through + timedelta(days=1),
    )


def placeholders(connection: BaseDBAsyncClient, rows: int, columns: int, first: int = 1) -> str:
    """"(?, ?), (?, ?)" on SQLite, "($1, $2), ($3, $4)" on PostgreSQL (numbered from `first`)."""
    if connection.capabilities.dialect == "postgres":
        return ", ".join("(" + ", ".join(f"${first + r * columns + c}" for c in range(columns)) + ")"
                         for r in range(rows))
    return ", ".join("(" + ", ".join("?" * columns) + ")" for _ in range(rows))


def _marks(connection: BaseDBAsyncClient, used: int) -> tuple[str, str]:
    if connection.capabilities.dialect == "postgres":
        return f"${used + 1}", f"${used + 2}"
    return "?", "?"


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


async def usable_checkpoints(contracts: Sequence[Contract], as_of: date,
                             using_db: BaseDBAsyncClient | None = None) -> dict[int, Checkpoint]:
    """The stored checkpoints of `contracts` that hold for their ledgers now (same number of rows up
    to the checkpoint's date, same terms, not after `as_of`), in one statement."""
    by_id = {contract.id: contract for contract in contracts}
    if not by_id:
        return {}
    connection = using_db or LedgerEntry._meta.db
    marks = placeholders(connection, 1, len(by_id))[1:-1]
    sql = ('SELECT c."contract_id", c."through", c."recent_from", c."rows", c."terms", c."data", '
           '(SELECT count(*) FROM "ledger_entries" l WHERE l."contract_id" = c."contract_id" '
           'AND l."effective_date" <= c."through") AS "found" '
           f'FROM "ledger_checkpoints" c WHERE c."contract_id" IN ({marks})')
    usable = {}
    for record in await connection.execute_query_dict(sql, sorted(by_id)):
        contract = by_id[record["contract_id"]]
        through = _as_date(record["through"])
        if through <= as_of and record["found"] == record["rows"] and record["terms"] == terms_key(contract):
            usable[contract.id] = Checkpoint.from_json(through, _as_date(record["recent_from"]), record["rows"],
                                                       record["terms"], record["data"])
    return usable


CHECKPOINT_COLUMNS = ("contract_id", "through", "recent_from", "rows", "terms", "data", "updated_at")


async def save_checkpoints(checkpoints: dict[int, Checkpoint], now: datetime,
                           using_db: BaseDBAsyncClient | None = None) -> None:
    """Store checkpoints (one statement per INSERT_ROWS); a stored one through a later date is kept."""
    connection = using_db or LedgerEntry._meta.db
    items = sorted(checkpoints.items())
    columns = ", ".join(f'"{name}"' for name in CHECKPOINT_COLUMNS)
    updates = ", ".join(f'"{name}" = excluded."{name}"' for name in CHECKPOINT_COLUMNS[1:])
    for start in range(0, len(items), CHECKPOINT_INSERT_ROWS):
        part = items[start:start + CHECKPOINT_INSERT_ROWS]
        values: list = []
        for contract_id, checkpoint in part:
            values += [contract_id, checkpoint.through, checkpoint.recent_from, checkpoint.rows, checkpoint.terms,
                       checkpoint.to_json(), now]
        sql = (f'INSERT INTO "ledger_checkpoints" ({columns}) '
               f"VALUES {placeholders(connection, len(part), len(CHECKPOINT_COLUMNS))} "
               f'ON CONFLICT ("contract_id") DO UPDATE SET {updates} '
               'WHERE "ledger_checkpoints"."through" <= excluded."through"')
        await connection.execute_query(sql, values)


CHECKPOINT_INSERT_ROWS = 1000


async def figures_for(contracts: Sequence[Contract], as_of: date, *, now: datetime,
                      using_db: BaseDBAsyncClient | None = None) -> dict[int, ContractState]:
    """Each contract's state on `as_of` for the figures and the newest transactions (not `complete`),
    reading only what a checkpoint does not hold: two statements for any number of contracts and any
    length of history. A contract without a usable checkpoint is computed from its whole ledger, and
    its checkpoint through the day before `as_of` is stored for the next request (a third statement)."""
    if not contracts:
        return {}
    connection = using_db or LedgerEntry._meta.db
    checkpoints = await usable_checkpoints(contracts, as_of, connection)
    missing = sorted(c.id for c in contracts if c.id not in checkpoints)
    # The rows from each checkpoint's recent_from (index range scans), and every row of the others.
    clauses, params = [], []
    for contract_id, checkpoint in sorted(checkpoints.items()):
        first, second = _marks(connection, len(params))
        clauses.append(f'("contract_id" = {first} AND "effective_date" >= {second})')
        params += [contract_id, checkpoint.recent_from]
    if missing:
        clause, values = _in(connection, "contract_id", missing, len(params) + 1)
        clauses.append(clause)
        params += values
    grouped: dict[int, list[LedgerRow]] = defaultdict(list)
    for row in await _fetch_rows(connection, " OR ".join(clauses), params):
        grouped[row.contract_id].append(row)
    states, made = {}, {}
    for contract in contracts:
        rows = grouped.get(contract.id, [])
        checkpoint = checkpoints.get(contract.id)
        if checkpoint is None:
            checkpoint = made[contract.id] = checkpoint_of(contract, rows, as_of - timedelta(days=1))
        states[contract.id] = contract_state(contract, rows, as_of, checkpoint=checkpoint)
    if made and using_db is None:
        try:
            await save_checkpoints(made, now)
        except Exception:  # noqa: BLE001 - a cache that could not be written must not fail the read
            log.warning("ledger checkpoints not saved", exc_info=True)
    return states
