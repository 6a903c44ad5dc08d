"""The daily close of a business date: late fees, delinquency, statements. Idempotent.

For business date D (the due status "as of" D, like every other figure):

1. Claim D: insert its DailyCloseRun (business_date is unique). A finished run for D means D is
   closed: nothing is done and nothing changes. An unfinished run younger than STALE_AFTER is
   another process working on D: this one stands back. An older unfinished run crashed: it is
   taken over (everything below is safe to repeat).
2. Every ACTIVE contract, in batches of BATCH_SIZE by id (keyset), each batch one transaction:
   one query loads the batch's ledger, the due status comes from finance.due, and
   - each installment still unpaid at the end of its grace period gets ONE late fee of
     `contract.late_fee`, effective D, with idempotency key `late-fee:<contract>:<installment>`.
     The unique key makes it once even when two closes race (or two dates are closed at once):
     the insert runs in a savepoint and an IntegrityError means it exists already.
   - the ContractDelinquency row is upserted (never moved back to an older date).
   Interest is not posted: it accrues daily in the engine from the ledger (finance.servicing), so
   there is nothing to accrue into a row and the balance is always exact to the day.
3. Delinquency rows of contracts that are no longer active are removed.
4. Documents: `jobs.statements.cycle_statements(services, D)` and
   `maybe_generate_tax_documents(services, D)` when that module has them (the documents part of the
   issue; each acts only on its own days and is idempotent); a missing module is skipped. The run's
   `statements_generated` counts every document they generated.
5. The run is marked finished with its counts.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Subquery
from tortoise.transactions import in_transaction

from models import Contract, ContractDelinquency, DailyCloseRun, LedgerEntry
from models.enums import ContractStatus, DelinquencyBucket, LedgerEntryKind
from resolvers.servicing.positions import ContractState, contract_state, ledger_rows
from service.container import Services

log = logging.getLogger("autofin.close")

BATCH_SIZE = 500
STALE_AFTER = timedelta(minutes=30)
DELINQUENCY_FIELDS = ("as_of", "days_past_due", "bucket", "past_due_amount", "next_due_date", "next_due_amount",
                      "principal_balance", "updated_at")

StatementsHook = Callable[[Services, date], Awaitable[int]]


@dataclass
class CloseReport:
    business_date: date
    # "closed": this call closed the date; "already_closed": a finished run existed (nothing changed);
    # "in_progress": another process is closing it right now (nothing done here).
    outcome: str = "closed"
    contracts_processed: int = 0
    late_fees_assessed: int = 0
    statements_generated: int = 0
    late_fee_keys: list[str] = field(default_factory=list)
    contracts_skipped: list[int] = field(default_factory=list)  # ledger the engine refused (logged)


def late_fee_key(contract_id: int, installment_number: int) -> str:
    return f"late-fee:{contract_id}:{installment_number}"


# The documents part of the issue provides these in jobs/statements.py; each is called when present.
DOCUMENT_HOOKS = ("cycle_statements", "maybe_generate_tax_documents")


def document_hooks() -> list[StatementsHook]:
    """The document runs of jobs.statements that exist (none when the module does not)."""
    try:
        module = importlib.import_module("jobs.statements")
    except ModuleNotFoundError as missing:
        if missing.name in ("jobs.statements", "jobs"):
            return []
        raise  # the module exists but something it imports does not: a real error
    return [hook for hook in (getattr(module, name, None) for name in DOCUMENT_HOOKS) if hook is not None]


async def close_day(services: Services, business_date: date | None = None, *, batch_size: int = BATCH_SIZE,
                    documents: list[StatementsHook] | None = None) -> CloseReport:
    """Close `business_date` (default: today's business date). Safe to call any number of times.

    `documents`: the document runs to call (default: those jobs.statements provides; [] for none).
    """
    day = business_date or services.clock.today()
    report = CloseReport(business_date=day)
    run = await _claim(services, day)
    if isinstance(run, str):
        report.outcome = run
        if run == "already_closed":
            finished = await DailyCloseRun.get(business_date=day)
            report.contracts_processed = finished.contracts_processed
            report.late_fees_assessed = finished.late_fees_assessed
            report.statements_generated = finished.statements_generated
        return report

    after_id = 0
    while True:
        batch = await (Contract.filter(status=ContractStatus.ACTIVE, id__gt=after_id)
                       .order_by("id").limit(batch_size))
        if not batch:
            break
        async with in_transaction() as connection:
            await _close_batch(services, batch, day, report, connection)
        after_id = batch[-1].id
    inactive = Contract.filter(status__not=ContractStatus.ACTIVE).values("id")
    await ContractDelinquency.filter(contract_id__in=Subquery(inactive)).delete()

    for hook in document_hooks() if documents is None else documents:
        report.statements_generated += int(await hook(services, day) or 0)

    await DailyCloseRun.filter(id=run.id).update(
        finished_at=services.clock.now(), contracts_processed=report.contracts_processed,
        late_fees_assessed=report.late_fees_assessed, statements_generated=report.statements_generated,
    )
    log.info("daily close finished", extra={"business_date": day.isoformat(),
                                            "contracts": report.contracts_processed,
                                            "late_fees": report.late_fees_assessed,
                                            "statements": report.statements_generated})
    return report


async def _claim(services: Services, day: date) -> DailyCloseRun | str:
    """This process's run for `day`, or why there is none ("already_closed" / "in_progress")."""
    now = services.clock.now()
    try:
        async with in_transaction() as connection:
            return await DailyCloseRun.create(business_date=day, started_at=now, using_db=connection)
    except IntegrityError:
        pass
    existing = await DailyCloseRun.get(business_date=day)
    if existing.finished_at is not None:
        return "already_closed"
    if now - existing.started_at < STALE_AFTER:
        return "in_progress"
    # Take over a crashed run, unless another process just did.
    taken = await DailyCloseRun.filter(id=existing.id, finished_at=None, started_at=existing.started_at).update(
        started_at=now)
    return existing if taken else "in_progress"


async def _close_batch(services: Services, batch: list[Contract], day: date, report: CloseReport,
                       connection: BaseDBAsyncClient) -> None:
    rows = await ledger_rows((c.id for c in batch), connection)
    states: dict[int, ContractState] = {}
    for contract in batch:
        try:
            states[contract.id] = contract_state(contract, rows.get(contract.id, []), day)
        except ValueError:
            # An inconsistent ledger (the engine refuses to show a negative balance) must not stop the
            # close for every other contract: it is logged for operations and left untouched.
            log.exception("daily close skipped a contract", extra={"contract_id": contract.id,
                                                                   "business_date": day.isoformat()})
            report.contracts_skipped.append(contract.id)
    batch = [contract for contract in batch if contract.id in states]
    for contract in batch:
        state = states[contract.id]
        if contract.late_fee > 0:
            for number in state.due.late_fee_due_for:
                if await _post_late_fee(services, contract, number, day, connection):
                    report.late_fees_assessed += 1
                    report.late_fee_keys.append(late_fee_key(contract.id, number))
    await _upsert_delinquency(services, batch, states, day, connection)
    report.contracts_processed += len(batch)


async def _post_late_fee(services: Services, contract: Contract, number: int, day: date,
                         connection: BaseDBAsyncClient) -> bool:
    """Post the late fee of installment `number` once; False when it exists already."""
    key = late_fee_key(contract.id, number)
    try:
        async with in_transaction(connection.connection_name) as savepoint:
            await LedgerEntry.create(
                contract_id=contract.id, kind=LedgerEntryKind.LATE_FEE, effective_date=day,
                posted_at=services.clock.now(), amount=contract.late_fee, fees=contract.late_fee,
                memo=f"Late fee, installment {number}", idempotency_key=key, using_db=savepoint,
            )
    except IntegrityError:
        return False
    return True


def _delinquency_values(state: ContractState, now: datetime) -> dict:
    due = state.due
    return dict(as_of=state.as_of, days_past_due=due.days_past_due, bucket=DelinquencyBucket(due.bucket),
                past_due_amount=due.past_due_amount, next_due_date=due.next_due_date,
                next_due_amount=state.next_due_amount, principal_balance=state.principal_balance, updated_at=now)


async def _upsert_delinquency(services: Services, batch: list[Contract], states: dict[int, ContractState],
                              day: date, connection: BaseDBAsyncClient) -> None:
    """One read, one bulk update and one bulk insert per batch. A row already at a later date is kept."""
    now = services.clock.now()
    existing = {row.contract_id: row for row in await ContractDelinquency.filter(
        contract_id__in=[c.id for c in batch]).using_db(connection)}
    changed, created = [], []
    for contract in batch:
        values = _delinquency_values(states[contract.id], now)
        row = existing.get(contract.id)
        if row is None:
            created.append(ContractDelinquency(contract_id=contract.id, **values))
        elif row.as_of <= day:
            for name, value in values.items():
                setattr(row, name, value)
            changed.append(row)
    if changed:
        await ContractDelinquency.bulk_update(changed, fields=list(DELINQUENCY_FIELDS), using_db=connection)
    if not created:
        return
    try:
        async with in_transaction(connection.connection_name) as savepoint:
            await ContractDelinquency.bulk_create(created, using_db=savepoint)
    except IntegrityError:
        # A concurrent close created some of them meanwhile: write one by one, newest date wins.
        for row in created:
            values = {name: getattr(row, name) for name in DELINQUENCY_FIELDS}
            updated = await ContractDelinquency.filter(contract_id=row.contract_id, as_of__lte=day).using_db(
                connection).update(**values)
            if not updated and not await ContractDelinquency.filter(contract_id=row.contract_id).using_db(
                    connection).exists():
                await ContractDelinquency.create(contract_id=row.contract_id, **values, using_db=connection)
