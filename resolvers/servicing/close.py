"""The daily close of a business date: late fees, delinquency, autopay, statements. Idempotent, and
shared by as many worker processes as run it at once.

For business date D (the due status "as of" D, like every other figure):

1. Claim D: insert its DailyCloseRun (business_date is unique) and, in the same transaction, plan
   its shares (DailyCloseChunk): the ACTIVE contracts by id, BATCH_SIZE to a share (phase 1); on
   the statement cycle day, the contracts due a statement, jobs.statements' batch size to a share
   (phase 2); one share for the other document runs (phase 3). A finished run for D means D is
   closed: nothing is done and nothing changes. A process that finds D's run unfinished joins it.
2. Every process closing D claims unfinished shares one at a time (a conditional UPDATE: unclaimed,
   or claimed longer than STALE_AFTER ago by a process that must have died) and does them:
   - phase 1, one transaction per share: one query loads the share's ledger, the due status comes
     from finance.due, and
     - each installment still unpaid at the end of its grace period gets ONE late fee of
       `contract.late_fee`, effective D, with idempotency key `late-fee:<contract>:<installment>`:
       keys already in the ledger are skipped, the rest go in one INSERT ... ON CONFLICT DO NOTHING
       RETURNING, so a fee is posted once even when two closes race (or two dates are closed at once);
     - the ContractDelinquency rows are upserted in one statement (never moved back to an older date).
     Interest is not posted: it accrues daily in the engine from the ledger (finance.servicing), so
     there is nothing to accrue into a row and the balance is always exact to the day.
     Then the autopay plans of the share's contracts get their reminders and drafts for D
     (resolvers/autopay/cycles.py, with the contracts and ledgers already loaded, late fees included).
     The worker's autopay job still runs on its interval for everything else (plans on contracts that
     are not ACTIVE, plans made during the day, retries).
   - phase 2: `jobs.statements.cycle_statements(services, D, first_id=, last_id=)` for the share.
   - phase 3: the other document runs (`maybe_generate_tax_documents`), or the `documents` given.
   Each is idempotent, so a share taken over after a crash is simply done again.
3. The process that finds every share finished removes the delinquency rows of contracts that are
   no longer active and marks the run finished with the totals of its shares.
"""

from __future__ import annotations

import importlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q, Subquery
from tortoise.transactions import in_transaction

from finance.money import ZERO, to_cents
from models import (
    AutopayPlan,
    Contract,
    ContractDelinquency,
    DailyCloseChunk,
    DailyCloseRun,
)
from models.enums import (
    AutopayStatus,
    ContractStatus,
    DelinquencyBucket,
    LedgerEntryKind,
)
from resolvers.analytics.delinquency import record_month_closed_by
from resolvers.servicing.positions import (
    Checkpoint,
    ContractState,
    LedgerRow,
    checkpoint_of,
    contract_state,
    ledger_rows,
    placeholders,
    save_checkpoints,
)
from service.container import Services

log = logging.getLogger("autofin.close")

BATCH_SIZE = 500
STALE_AFTER = timedelta(minutes=30)
DELINQUENCY_FIELDS = ("as_of", "days_past_due", "bucket", "past_due_amount", "next_due_date", "next_due_amount",
                      "principal_balance", "updated_at")
PHASE_CONTRACTS, PHASE_STATEMENTS, PHASE_DOCUMENTS = 1, 2, 3
# The last share of contracts is open-ended: contracts booked while D is being closed are in it.
OPEN_END = 2**62
CLAIM_WINDOW = 8  # shares looked at per claim attempt (several processes race for the first ones)
INSERT_ROWS = 1000  # rows per multi-row INSERT (well under both databases' bound-parameter limits)
CHUNK_COUNTS = ("contracts_processed", "late_fees_assessed", "statements_generated", "autopay_reminders",
                "autopay_drafts")

StatementsHook = Callable[[Services, date], Awaitable[int]]


@dataclass
class CloseReport:
    """What THIS call did (the run's totals are on its DailyCloseRun; an "already_closed" report
    carries those)."""

    business_date: date
    # "closed": the date is closed (this call finished the last share); "already_closed": a finished
    # run existed (nothing changed); "in_progress": other processes still hold shares of it.
    outcome: str = "closed"
    contracts_processed: int = 0
    late_fees_assessed: int = 0
    statements_generated: int = 0
    autopay_reminders: int = 0
    autopay_drafts: int = 0
    shares_done: int = 0
    late_fee_keys: list[str] = field(default_factory=list)
    contracts_skipped: list[int] = field(default_factory=list)  # ledger the engine refused (logged)
    autopay_failed_plans: list[int] = field(default_factory=list)


def late_fee_key(contract_id: int, installment_number: int) -> str:
    return f"late-fee:{contract_id}:{installment_number}"


# The documents part of the issue provides these in jobs/statements.py; each is called when present.
DOCUMENT_HOOKS = ("cycle_statements", "maybe_generate_tax_documents")


def _statements_module():
    try:
        return importlib.import_module("jobs.statements")
    except ModuleNotFoundError as missing:
        if missing.name in ("jobs.statements", "jobs"):
            return None
        raise  # the module exists but something it imports does not: a real error


def document_hooks() -> list[StatementsHook]:
    """The document runs of jobs.statements that exist (none when the module does not)."""
    module = _statements_module()
    if module is None:
        return []
    return [hook for hook in (getattr(module, name, None) for name in DOCUMENT_HOOKS) if hook is not None]


def _split_statements() -> bool:
    """Whether the statement cycle can be split into shares by contract id (jobs.statements says which
    contracts a cycle day covers)."""
    module = _statements_module()
    return module is not None and hasattr(module, "statement_contracts") and hasattr(module, "cycle_statements")


async def close_day(services: Services, business_date: date | None = None, *, batch_size: int = BATCH_SIZE,
                    documents: list[StatementsHook] | None = None) -> CloseReport:
    """Close `business_date` (default: today's business date), or help the processes closing it.
    Safe to call any number of times, from any number of processes.

    `documents`: the document runs to call in phase 3 (default: jobs.statements' runs, with the statement
    cycle split into phase-2 shares; [] for none).
    """
    day = business_date or services.clock.today()
    report = CloseReport(business_date=day)
    run = await _claim(services, day, batch_size, split_statements=documents is None and _split_statements())
    if run is None:
        finished = await DailyCloseRun.get(business_date=day)
        report.outcome = "already_closed"
        for name in CHUNK_COUNTS:
            setattr(report, name, getattr(finished, name))
        return report

    hooks = document_hooks() if documents is None else documents
    if documents is None and _split_statements():
        module = _statements_module()
        hooks = [hook for hook in hooks if hook is not module.cycle_statements]
    me = uuid.uuid4().hex  # this call's claims (two calls in one process must not share them)
    while (share := await _claim_share(services, run.id, me)) is not None:
        counts = CloseReport(business_date=day)
        if share.phase == PHASE_CONTRACTS:
            await _close_contracts(services, share, day, counts)
        elif share.phase == PHASE_STATEMENTS:
            module = _statements_module()
            counts.statements_generated = int(await module.cycle_statements(
                services, day, first_id=share.first_contract_id, last_id=share.last_contract_id) or 0)
        else:
            for hook in hooks:
                counts.statements_generated += int(await hook(services, day) or 0)
            from resolvers.coverage.notices import send_expiry_notices  # coverage about to end (issue 10)

            await send_expiry_notices(services, day)
            await record_month_closed_by(day)  # on the 1st: the month end just closed (analytics, issue 10)
        await DailyCloseChunk.filter(id=share.id, claimed_by=me, finished_at=None).update(
            finished_at=services.clock.now(), **{name: getattr(counts, name) for name in CHUNK_COUNTS})
        _add(report, counts)

    if await DailyCloseChunk.filter(run_id=run.id, finished_at=None).exists():
        report.outcome = "in_progress"
        return report
    await _finish(services, run)
    log.info("daily close finished", extra={"business_date": day.isoformat(),
                                            "contracts": report.contracts_processed,
                                            "late_fees": report.late_fees_assessed,
                                            "statements": report.statements_generated,
                                            "autopay_drafts": report.autopay_drafts})
    return report


def _add(report: CloseReport, counts: CloseReport) -> None:
    for name in CHUNK_COUNTS:
        setattr(report, name, getattr(report, name) + getattr(counts, name))
    report.shares_done += 1
    report.late_fee_keys += counts.late_fee_keys
    report.contracts_skipped += counts.contracts_skipped
    report.autopay_failed_plans += counts.autopay_failed_plans


async def _claim(services: Services, day: date, batch_size: int, *, split_statements: bool) -> DailyCloseRun | None:
    """D's run, created and planned by this call or found unfinished; None when D is closed already."""
    now = services.clock.now()
    try:
        async with in_transaction() as connection:
            run = await DailyCloseRun.create(business_date=day, started_at=now, using_db=connection)
            await _plan(run, day, batch_size, split_statements, connection)
            return run
    except IntegrityError:
        pass
    existing = await DailyCloseRun.get(business_date=day)
    if existing.finished_at is not None:
        return None
    if not await DailyCloseChunk.filter(run_id=existing.id).exists():
        # A run left without shares (by a version that had none): plan them now; a concurrent planner wins.
        try:
            async with in_transaction() as connection:
                await _plan(existing, day, batch_size, split_statements, connection)
        except IntegrityError:
            pass
    return existing


def _ranges(ids: Sequence[int], size: int) -> list[tuple[int, int]]:
    return [(ids[i], ids[min(i + size, len(ids)) - 1]) for i in range(0, len(ids), size)]


async def _plan(run: DailyCloseRun, day: date, batch_size: int, split_statements: bool,
                connection: BaseDBAsyncClient) -> None:
    """The run's shares: contract ranges of the ACTIVE contracts, statement ranges on a cycle day, and
    one share for the other document runs."""
    ids = await (Contract.filter(status=ContractStatus.ACTIVE).order_by("id").using_db(connection)
                 .values_list("id", flat=True))
    shares = [DailyCloseChunk(run_id=run.id, phase=PHASE_CONTRACTS, number=n, first_contract_id=first,
                              last_contract_id=last)
              for n, (first, last) in enumerate(_ranges(list(ids), batch_size))]
    if shares:
        shares[-1].last_contract_id = OPEN_END
    if split_statements:
        module = _statements_module()
        due = module.statement_contracts(day)
        if due is not None:
            from resolvers.servicing.documents import BATCH_SIZE as STATEMENT_BATCH

            statement_ids = list(await due.order_by("id").using_db(connection).values_list("id", flat=True))
            shares += [DailyCloseChunk(run_id=run.id, phase=PHASE_STATEMENTS, number=n, first_contract_id=first,
                                       last_contract_id=last)
                       for n, (first, last) in enumerate(_ranges(statement_ids, STATEMENT_BATCH))]
    shares.append(DailyCloseChunk(run_id=run.id, phase=PHASE_DOCUMENTS, number=0))
    await DailyCloseChunk.bulk_create(shares, using_db=connection)


async def _claim_share(services: Services, run_id: int, me: str) -> DailyCloseChunk | None:
    """The next unfinished share nobody holds (or whose holder went quiet for STALE_AFTER), now ours."""
    while True:
        now = services.clock.now()
        claimable = Q(claimed_at=None) | Q(claimed_at__lt=now - STALE_AFTER)
        candidates = await (DailyCloseChunk.filter(claimable, run_id=run_id, finished_at=None)
                            .order_by("phase", "number").limit(CLAIM_WINDOW))
        if not candidates:
            return None
        for share in candidates:
            if await DailyCloseChunk.filter(claimable, id=share.id, finished_at=None).update(claimed_by=me,
                                                                                              claimed_at=now):
                share.claimed_by, share.claimed_at = me, now
                return share


async def _finish(services: Services, run: DailyCloseRun) -> None:
    inactive = Contract.filter(status__not=ContractStatus.ACTIVE).values("id")
    await ContractDelinquency.filter(contract_id__in=Subquery(inactive)).delete()
    totals = dict.fromkeys(CHUNK_COUNTS, 0)
    for share in await DailyCloseChunk.filter(run_id=run.id).values(*CHUNK_COUNTS):
        for name in CHUNK_COUNTS:
            totals[name] += share[name]
    await DailyCloseRun.filter(id=run.id, finished_at=None).update(finished_at=services.clock.now(), **totals)


async def _close_contracts(services: Services, share: DailyCloseChunk, day: date, report: CloseReport) -> None:
    """Phase 1 for the share's ACTIVE contracts: late fees and delinquency in one transaction, then autopay."""
    batch = list(await Contract.filter(status=ContractStatus.ACTIVE, id__gte=share.first_contract_id,
                                       id__lte=share.last_contract_id).order_by("id"))
    if not batch:
        return
    async with in_transaction() as connection:
        rows = await ledger_rows((c.id for c in batch), connection)
        await _close_batch(services, batch, rows, day, report, connection)
    plans = list(await AutopayPlan.filter(status=AutopayStatus.ACTIVE, contract_id__in=[c.id for c in batch])
                 .order_by("id"))
    if plans:
        from resolvers.autopay.cycles import AutopayReport, process_plans

        autopay = AutopayReport(business_date=day)
        await process_plans(services, plans, day, autopay, contracts={c.id: c for c in batch}, rows=rows)
        report.autopay_reminders += autopay.reminders
        report.autopay_drafts += autopay.drafts
        report.autopay_failed_plans += autopay.failed_plans


async def _close_batch(services: Services, batch: list[Contract], rows: dict[int, list[LedgerRow]], day: date,
                       report: CloseReport, connection: BaseDBAsyncClient) -> None:
    states: dict[int, ContractState] = {}
    checkpoints: dict[int, Checkpoint] = {}
    for contract in batch:
        try:
            # The ledger folded through the day before (stored for the day's dashboards), then D's rows.
            checkpoint = checkpoint_of(contract, rows.get(contract.id, []), day - timedelta(days=1))
            states[contract.id] = contract_state(contract, rows.get(contract.id, []), day, checkpoint=checkpoint)
            checkpoints[contract.id] = checkpoint
        except ValueError:
            # An inconsistent ledger (the engine refuses to show a negative balance) must not stop the
            # close for every other contract: it is logged for operations and left untouched.
            log.exception("daily close skipped a contract", extra={"contract_id": contract.id,
                                                                   "business_date": day.isoformat()})
            report.contracts_skipped.append(contract.id)
    batch = [contract for contract in batch if contract.id in states]
    fees = []
    for contract in batch:
        if contract.late_fee > 0 and states[contract.id].due.late_fee_due_for:
            posted = {row.idempotency_key for row in rows.get(contract.id, ()) if row.kind == LedgerEntryKind.LATE_FEE}
            fees += [(contract, number) for number in states[contract.id].due.late_fee_due_for
                     if late_fee_key(contract.id, number) not in posted]
    for row in await _post_late_fees(services, fees, day, connection):
        rows[row.contract_id].append(row)  # the autopay of this share sees them (amount due includes fees)
        report.late_fees_assessed += 1
        report.late_fee_keys.append(row.idempotency_key)
    await _upsert_delinquency(services, batch, states, day, connection)
    await save_checkpoints(checkpoints, services.clock.now(), connection)
    report.contracts_processed += len(batch)


LATE_FEE_COLUMNS = ("contract_id", "kind", "effective_date", "posted_at", "amount", "principal", "interest", "fees",
                    "tax", "memo", "idempotency_key")


async def _post_late_fees(services: Services, fees: list[tuple[Contract, int]], day: date,
                          connection: BaseDBAsyncClient) -> list[LedgerRow]:
    """Post the late fees not posted yet; the rows this call inserted (a fee another close inserted
    meanwhile is skipped by its unique key, not posted twice)."""
    now = services.clock.now()
    columns = ", ".join(f'"{name}"' for name in LATE_FEE_COLUMNS)
    posted = []
    for start in range(0, len(fees), INSERT_ROWS):
        part = fees[start:start + INSERT_ROWS]
        values: list = []
        wanted = {}
        for contract, number in part:
            key, memo, cents = late_fee_key(contract.id, number), f"Late fee, installment {number}", \
                to_cents(contract.late_fee)
            values += [contract.id, LedgerEntryKind.LATE_FEE.value, day, now, cents, 0, 0, cents, 0, memo, key]
            wanted[key] = (contract, memo)
        sql = (f'INSERT INTO "ledger_entries" ({columns}) '
               f"VALUES {placeholders(connection, len(part), len(LATE_FEE_COLUMNS))} "
               'ON CONFLICT ("idempotency_key") DO NOTHING RETURNING "id", "idempotency_key"')
        inserted = await connection.execute_query_dict(sql, values)  # INSERT ... RETURNING: fetch the rows
        for record in inserted:
            contract, memo = wanted[record["idempotency_key"]]
            posted.append(LedgerRow(record["id"], contract.id, LedgerEntryKind.LATE_FEE, day, now, contract.late_fee,
                                    ZERO, ZERO, contract.late_fee, ZERO, None, memo, record["idempotency_key"]))
    posted.sort(key=lambda row: (row.contract_id, row.idempotency_key))
    return posted


DELINQUENCY_COLUMNS = ("contract_id", *DELINQUENCY_FIELDS)


def _delinquency_row(contract_id: int, state: ContractState, now: datetime) -> list:
    """The columns of DELINQUENCY_COLUMNS for one contract (money in cents, as MoneyField stores it)."""
    due = state.due
    return [contract_id, state.as_of, due.days_past_due, DelinquencyBucket(due.bucket).value,
            to_cents(due.past_due_amount), due.next_due_date, to_cents(state.next_due_amount),
            to_cents(state.principal_balance), now]


async def _upsert_delinquency(services: Services, batch: list[Contract], states: dict[int, ContractState],
                              day: date, connection: BaseDBAsyncClient) -> None:
    """One INSERT ... ON CONFLICT DO UPDATE for the batch; a row already at a later date is kept (a
    close of an older date never moves it back)."""
    if not batch:
        return
    now = services.clock.now()
    values: list = []
    for contract in batch:
        values += _delinquency_row(contract.id, states[contract.id], now)
    columns = ", ".join(f'"{name}"' for name in DELINQUENCY_COLUMNS)
    updates = ", ".join(f'"{name}" = excluded."{name}"' for name in DELINQUENCY_FIELDS)
    sql = (f'INSERT INTO "contract_delinquency" ({columns}) '
           f"VALUES {placeholders(connection, len(batch), len(DELINQUENCY_COLUMNS))} "
           f'ON CONFLICT ("contract_id") DO UPDATE SET {updates} '
           'WHERE "contract_delinquency"."as_of" <= excluded."as_of"')
    await connection.execute_query(sql, values)
