"""Jobs scenarios: the daily close of one business date with 1 and N worker processes, and the
statement cycle's throughput (PDF statements per second).

Each run starts from the same data: the built portfolio is copied once into a snapshot database
(PostgreSQL `CREATE DATABASE ... TEMPLATE`, a file copy on SQLite) and every run gets a fresh work
copy of it, so 1 and 3 workers do exactly the same work.

Daily close (business date D, default the portfolio's `business_date` or today, never a 1st so the
close is the everyday one): N real OS processes each run `autofin close-day --date D` at once, as N
`autofin worker`s do on their first cycle of a new date. The close (resolvers/servicing/close.py)
posts late fees, refreshes delinquency, runs the statement cycle when D is its day and drafts the
autopay plans due, sharing the contracts between the processes. Timed from the start of the
processes until the last one exits. Then:

- re-run: `close-day` again for D (already closed), then once more with D's run record removed so
  every step really runs again, then `run-autopay --date D`: ledger, delinquency, autopay cycles,
  payments, documents, mail and notifications must be exactly as before (a fingerprint of counts
  and sums);
- autopay exactly once: the plans whose draft day is D are computed beforehand from the snapshot
  with autofin's own pure schedule functions (in a subprocess); after the close each has exactly one
  cycle for its due date, drafted with one payment (key `autopay:<plan>:<due date>`) or skipped for a
  stated reason, no key has two payments, and no other plan was drafted for D.

Statements: on the cycle day S (the 1st of D's month: last month's statement for every ACTIVE
contract) N processes run `autofin close-day --date S`, for at most `statement_seconds`; the rate
is statements stored / the time between the first and the last one stored (so the close's other
steps that day are not counted). Target: at least 50 a second.

`python -m bench.scenarios.jobs expected-autopay URL DATE` is the subprocess that lists the plans
due (JSON on stdout).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

try:
    from bench.report import ScenarioResult
except ImportError:  # the harness's report module is not there yet: the same fields
    @dataclass
    class ScenarioResult:  # type: ignore[no-redef]
        name: str
        metrics: dict[str, float | int | str]
        target: str
        passed: bool | None
        notes: str

REPO = Path(__file__).resolve().parents[2]
CLOSE_TARGET_SECONDS = 60.0
CLOSE_TARGET_CONTRACTS = 100_000
STATEMENTS_TARGET_PER_SECOND = 50.0
DEFAULT_STATEMENT_SECONDS = 30.0
PROCESS_TIMEOUT_SECONDS = 1800

Progress = Callable[[str], None]


# -- databases -----------------------------------------------------------------------------------

def _is_sqlite(url: str) -> bool:
    return url.startswith("sqlite:")


def _sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite://"))


def _pg_parts(url: str) -> tuple[str, str]:
    """(server URL ending in /postgres, database name) of a postgres:// URL."""
    base, _, name = url.rstrip("/").rpartition("/")
    return f"{base}/postgres".replace("postgres://", "postgresql://", 1), name.split("?")[0]


def _pg_url(url: str, name: str) -> str:
    base, _, _ = url.rstrip("/").rpartition("/")
    return f"{base}/{name}"


def _remove_sqlite(path: Path) -> None:
    for name in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        name.unlink(missing_ok=True)


class Copies:
    """A snapshot of the portfolio and fresh work copies of it, dropped at the end."""

    def __init__(self, source_url: str, tag: str = "jobs") -> None:
        self.source_url = source_url
        self.sqlite = _is_sqlite(source_url)
        if self.sqlite:
            source = _sqlite_path(source_url)
            self.snapshot = source.with_name(f"{source.stem}_{tag}_snapshot{source.suffix}")
            self.work = source.with_name(f"{source.stem}_{tag}_work{source.suffix}")
        else:
            self.server, name = _pg_parts(source_url)
            self.source_name = name
            self.snapshot_name = f"{name}_{tag}_snapshot"[:63]
            self.work_name = f"{name}_{tag}_work"[:63]

    @property
    def work_url(self) -> str:
        return f"sqlite://{self.work}" if self.sqlite else _pg_url(self.source_url, self.work_name)

    async def _admin(self, *statements: str) -> None:
        import asyncpg

        connection = await asyncpg.connect(self.server)
        try:
            for statement in statements:
                await connection.execute(statement)
        finally:
            await connection.close()

    @staticmethod
    def _sqlite_copy(source: Path, target: Path) -> None:
        """A consistent copy (sqlite3's backup API: the WAL is included); stale -wal/-shm files of the
        target are removed first, or SQLite would apply them to the new file."""
        import sqlite3

        _remove_sqlite(target)
        origin, copy = sqlite3.connect(source), sqlite3.connect(target)
        try:
            origin.backup(copy)
        finally:
            copy.close()
            origin.close()

    async def take_snapshot(self) -> None:
        if self.sqlite:
            self._sqlite_copy(_sqlite_path(self.source_url), self.snapshot)
            return
        try:
            await self._admin(f'DROP DATABASE IF EXISTS "{self.snapshot_name}" WITH (FORCE)',
                              f'CREATE DATABASE "{self.snapshot_name}" TEMPLATE "{self.source_name}" '
                              "STRATEGY FILE_COPY")
        except Exception as exc:  # explain the one likely cause
            raise RuntimeError(f"could not copy {self.source_name} ({exc}); the jobs scenarios need the portfolio "
                               "database with no other connections (stop the web servers first)") from exc

    async def fresh_work_copy(self) -> str:
        if self.sqlite:
            self._sqlite_copy(self.snapshot, self.work)
            return self.work_url
        await self._admin(f'DROP DATABASE IF EXISTS "{self.work_name}" WITH (FORCE)',
                          f'CREATE DATABASE "{self.work_name}" TEMPLATE "{self.snapshot_name}" STRATEGY FILE_COPY')
        return self.work_url

    async def drop(self) -> None:
        if self.sqlite:
            for path in (self.snapshot, self.work):
                _remove_sqlite(path)
            return
        await self._admin(f'DROP DATABASE IF EXISTS "{self.work_name}" WITH (FORCE)',
                          f'DROP DATABASE IF EXISTS "{self.snapshot_name}" WITH (FORCE)')


# -- what the jobs may change --------------------------------------------------------------------

FINGERPRINT_SQL = {
    "ledger": "SELECT count(*), coalesce(sum(amount), 0), coalesce(sum(fees), 0), "
              "coalesce(sum(CASE WHEN kind = 'LATE_FEE' THEN 1 ELSE 0 END), 0), coalesce(max(id), 0) "
              "FROM ledger_entries",
    "delinquency": "SELECT count(*), coalesce(sum(past_due_amount), 0), coalesce(sum(days_past_due), 0), "
                   "coalesce(sum(next_due_amount), 0), coalesce(sum(principal_balance), 0), max(as_of) "
                   "FROM contract_delinquency",
    "autopay_cycles": "SELECT count(*), count(payment_id), "
                      "coalesce(sum(CASE WHEN skipped_reason <> '' THEN 1 ELSE 0 END), 0), "
                      "coalesce(sum(amount), 0) FROM autopay_cycles",
    "autopay_plans": "SELECT status, count(*), coalesce(sum(consecutive_failures), 0) FROM autopay_plans "
                     "GROUP BY status ORDER BY status",
    "payments": "SELECT count(*), coalesce(sum(amount), 0), coalesce(max(id), 0) FROM payments",
    "documents": "SELECT kind, count(*), coalesce(sum(size_bytes), 0) FROM documents GROUP BY kind ORDER BY kind",
    "outbox": "SELECT count(*) FROM outbox_messages",
    "notifications": "SELECT count(*) FROM notifications",
}

ACTIVE_CONTRACTS_SQL = "SELECT count(*) FROM contracts WHERE status = 'ACTIVE'"


async def _query(url: str, sql: str, *args: Any) -> list[tuple]:
    """Rows as tuples, on PostgreSQL (asyncpg) or SQLite (sqlite3; the same SQL with ? placeholders)."""
    if _is_sqlite(url):
        import sqlite3

        with sqlite3.connect(_sqlite_path(url)) as connection:
            return [tuple(row) for row in connection.execute(sql.replace("$1", "?").replace("$2", "?"), args)]
    import asyncpg

    connection = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        return [tuple(row) for row in await connection.fetch(sql, *args)]
    finally:
        await connection.close()


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else (int(value) if hasattr(value, "as_integer_ratio")
                                                              and not isinstance(value, float) else value)


async def fingerprint(url: str) -> dict[str, list]:
    return {name: [[_plain(v) for v in row] for row in await _query(url, sql)]
            for name, sql in FINGERPRINT_SQL.items()}


# -- processes -----------------------------------------------------------------------------------

def worker_env(url: str, var_dir: str, keys: Any = None) -> dict[str, str]:
    """autofin's environment for the worker processes: this database, the portfolio's keys (field
    cipher, as the server gets them), no mail sink, quiet logs."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AUTOFIN_")}
    if keys is not None:
        env.update(keys.env())
    env.update({
        "DATABASE_URL": url, "AUTOFIN_ENV": "development", "AUTOFIN_MAIL_SINK": "false",
        "AUTOFIN_EMBEDDED_WORKER": "false", "AUTOFIN_LOG_LEVEL": "WARNING", "AUTOFIN_VAR_DIR": var_dir,
        "PYTHONPATH": str(REPO) + os.pathsep + env.get("PYTHONPATH", ""),
    })
    return env


@dataclass
class ProcessRun:
    seconds: float
    returncodes: list[int]
    outputs: list[str]
    stopped: bool  # the deadline ended them


def run_processes(commands: Sequence[Sequence[str]], env: dict[str, str], *, deadline_seconds: float | None = None,
                  deadline_after: Callable[[], bool] | None = None) -> ProcessRun:
    """Start every command at once and wait for all of them. With `deadline_seconds`, stop them
    (SIGTERM) that long after the start, or after `deadline_after()` first returns true (polled
    every half second) when it is given."""
    logs = [tempfile.TemporaryFile(mode="w+") for _ in commands]  # noqa: SIM115 - closed below
    started = time.perf_counter()
    processes = [subprocess.Popen(list(command), env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, text=True)
                 for command, log in zip(commands, logs)]
    stopped = False
    clock_from = None if deadline_after is not None else started
    try:
        while any(process.poll() is None for process in processes):
            now = time.perf_counter()
            if now - started > PROCESS_TIMEOUT_SECONDS:
                raise RuntimeError(f"worker processes still running after {PROCESS_TIMEOUT_SECONDS} s")
            if deadline_seconds is not None:
                if clock_from is None and deadline_after is not None and deadline_after():
                    clock_from = now
                if clock_from is not None and now - clock_from >= deadline_seconds:
                    stopped = True
                    for process in processes:
                        if process.poll() is None:
                            process.send_signal(signal.SIGTERM)
                    for process in processes:
                        try:
                            process.wait(timeout=30)
                        except subprocess.TimeoutExpired:
                            process.kill()
                    break
            time.sleep(0.5 if deadline_after is not None else 0.05)
        seconds = time.perf_counter() - started
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    outputs = []
    for log in logs:
        log.seek(0)
        outputs.append(log.read())
        log.close()
    return ProcessRun(seconds, [p.returncode for p in processes], outputs, stopped)


def autofin(*args: str) -> list[str]:
    return [sys.executable, "-m", "service.cli", *args]


def close_command(day: date) -> list[str]:
    """What each worker process runs for the close of `day` (the daily close drafts autopay too)."""
    return autofin("close-day", "--date", day.isoformat())


def _check_close_outputs(run: ProcessRun) -> list[str]:
    """Problems in the close processes' exits: 0 (closed, helped or already closed) or 1 (another
    process was closing and nothing was left to do) are fine; a traceback never is."""
    problems = []
    for code, output in zip(run.returncodes, run.outputs):
        if code not in (0, 1) or "Traceback" in output:
            problems.append(f"exit {code}: {output.strip()[-800:]}")
    return problems


# -- autopay expectations (a subprocess with Tortoise) -------------------------------------------

async def _expected_autopay(url: str, day: date) -> list[dict]:
    """ACTIVE plans whose next draft is on `day`, with the due date, from autofin's pure schedule code."""
    from models import AutopayCycle, AutopayPlan, Contract
    from models.enums import AutopayStatus
    from resolvers.autopay.schedule import draft_day, upcoming_due_date
    from resolvers.servicing.positions import ledger_rows
    from service import db

    await db.init_db(url)
    try:
        expected, after = [], 0
        while True:
            plans = await (AutopayPlan.filter(status=AutopayStatus.ACTIVE, id__gt=after).order_by("id").limit(1000))
            if not plans:
                return expected
            after = plans[-1].id
            contracts = {c.id: c for c in await Contract.filter(id__in=[p.contract_id for p in plans])}
            rows = await ledger_rows(contracts)
            finished: dict[int, set[date]] = {}
            for cycle in await AutopayCycle.filter(plan_id__in=[p.id for p in plans]).values(
                    "plan_id", "due_date", "payment_id", "skipped_reason"):
                if cycle["payment_id"] is not None or cycle["skipped_reason"]:
                    finished.setdefault(cycle["plan_id"], set()).add(cycle["due_date"])
            for plan in plans:
                contract = contracts[plan.contract_id]
                due = upcoming_due_date(plan, contract, rows.get(contract.id, []), day, finished.get(plan.id, set()))
                if due is not None and draft_day(due, plan.days_before_due) == day:
                    expected.append({"plan": plan.id, "due": due.isoformat()})
    finally:
        await db.close_db()


def expected_autopay(url: str, day: date, env: dict[str, str]) -> list[dict]:
    command = [sys.executable, "-m", "bench.scenarios.jobs", "expected-autopay", url, day.isoformat()]
    done = subprocess.run(command, check=False, env=env, cwd=REPO, capture_output=True, text=True, timeout=PROCESS_TIMEOUT_SECONDS)
    if done.returncode != 0:
        raise RuntimeError(f"expected-autopay failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout)


AUTOPAY_ON_DAY_SQL = """
SELECT c.plan_id, c.due_date, c.payment_id, c.skipped_reason, p.idempotency_key, p.scheduled_for
FROM autopay_cycles c LEFT JOIN payments p ON p.id = c.payment_id
WHERE c.draft_on = $1
"""
DUPLICATE_AUTOPAY_SQL = """
SELECT idempotency_key, count(*) FROM payments WHERE idempotency_key LIKE 'autopay:%'
GROUP BY idempotency_key HAVING count(*) > 1
"""


async def check_autopay(url: str, day: date, expected: list[dict]) -> tuple[dict[str, int], list[str]]:
    """(counts, problems): each expected plan drafted (or skipped with a reason) exactly once on `day`."""
    rows = await _query(url, AUTOPAY_ON_DAY_SQL, day)
    cycles: dict[int, list[tuple]] = {}
    for row in rows:
        cycles.setdefault(row[0], []).append(row)
    problems = []
    drafted = skipped = 0
    wanted = {item["plan"]: date.fromisoformat(item["due"]) for item in expected}
    for plan_id, due in wanted.items():
        found = [row for row in cycles.get(plan_id, []) if _as_date(row[1]) == due]
        if len(found) != 1:
            problems.append(f"plan {plan_id}: {len(found)} cycles for {due}")
            continue
        _, _, payment_id, reason, key, scheduled_for = found[0]
        if payment_id is not None:
            drafted += 1
            if key != f"autopay:{plan_id}:{due.isoformat()}" or _as_date(scheduled_for) != day:
                problems.append(f"plan {plan_id}: payment {payment_id} has key {key!r}, date {scheduled_for}")
        elif reason:
            skipped += 1
        else:
            problems.append(f"plan {plan_id}: cycle for {due} neither drafted nor skipped")
    extra = sorted(set(cycles) - set(wanted))
    if extra:
        problems.append(f"{len(extra)} plans drafted on {day} that were not due, e.g. {extra[:5]}")
    duplicates = await _query(url, DUPLICATE_AUTOPAY_SQL)
    if duplicates:
        problems.append(f"{len(duplicates)} autopay keys with more than one payment, e.g. {duplicates[:3]}")
    return {"autopay_due": len(wanted), "autopay_drafted": drafted, "autopay_skipped": skipped}, problems[:20]


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


# -- scenarios -------------------------------------------------------------------------------------

def business_date_of(portfolio: Any) -> date:
    """The portfolio's business date (its `business_date`, else today in UTC), moved off a 1st:
    the everyday close, not the statement day (measured on its own)."""
    day = getattr(portfolio, "business_date", None) or datetime.now(UTC).date()
    if isinstance(day, str):
        day = date.fromisoformat(day)
    return day + timedelta(days=1) if day.day == 1 else day


async def _close_once(copies: Copies, workers: int, day: date, expected: list[dict], var_dir: str,
                      progress: Progress, contracts: int, keys: Any = None) -> ScenarioResult:
    url = await copies.fresh_work_copy()
    env = worker_env(url, var_dir, keys)
    progress(f"daily close {day}: {workers} worker process(es) on {contracts:,} active contracts ...")
    run = run_processes([close_command(day) for _ in range(workers)], env)
    problems = _check_close_outputs(run)
    progress(f"  closed in {run.seconds:.1f} s; checking the re-run and autopay ...")
    closed = await _query(url, "SELECT finished_at, contracts_processed, late_fees_assessed, statements_generated "
                               "FROM daily_close_runs WHERE business_date = $1", day)
    if not closed or closed[0][0] is None:
        problems.append("the close did not finish")
    after = await fingerprint(url)
    counts, autopay_problems = await check_autopay(url, day, expected)
    problems += autopay_problems

    # Re-runs: already closed; then forced (run record removed) with autopay again: nothing changes.
    again = run_processes([autofin("close-day", "--date", day.isoformat())], env)
    problems += _check_close_outputs(again)
    await _forget_close(url, day)
    for command in (autofin("close-day", "--date", day.isoformat()), autofin("run-autopay", "--date", day.isoformat())):
        problems += _check_close_outputs(run_processes([command], env))
    rerun = await fingerprint(url)
    changed = sorted(name for name in after if rerun[name] != after[name])
    if changed:
        problems.append(f"re-running {day} changed {', '.join(changed)}: {[(after[n], rerun[n]) for n in changed]}")

    late_fees = closed[0][2] if closed else 0
    per_second = contracts / run.seconds if run.seconds else 0.0
    metrics: dict[str, float | int | str] = {
        "workers": workers, "business_date": day.isoformat(), "contracts": contracts, "seconds": round(run.seconds, 2),
        "contracts_per_s": round(per_second, 1),
        "projected_100k_s": round(CLOSE_TARGET_CONTRACTS / per_second, 1) if per_second else "n/a",
        "late_fees": int(late_fees or 0), **counts,
        "rerun_changes": len(changed),
    }
    if workers == 3 and contracts >= CLOSE_TARGET_CONTRACTS:
        passed: bool | None = run.seconds < CLOSE_TARGET_SECONDS and not problems
        target = f"< {CLOSE_TARGET_SECONDS:.0f} s for 100,000 contracts with 3 workers; re-run changes nothing"
    else:
        passed = False if problems else None
        target = "re-run changes nothing; autopay drafted once (time target: 100,000 contracts, 3 workers)"
    notes = "; ".join(problems) if problems else "re-run identical; every plan due drafted or skipped exactly once"
    return ScenarioResult(name=f"daily close ({workers} worker{'s' if workers > 1 else ''})", metrics=metrics,
                          target=target, passed=passed, notes=notes)


async def _forget_close(url: str, day: date) -> None:
    """Remove D's run record (and its work claims) so the next close really does every step again."""
    tables = {row[0] for row in await _query(url, _TABLES_SQL[_is_sqlite(url)])}
    if _is_sqlite(url):
        import sqlite3

        with sqlite3.connect(_sqlite_path(url)) as connection:
            if "daily_close_chunks" in tables:
                connection.execute("DELETE FROM daily_close_chunks WHERE run_id IN "
                                   "(SELECT id FROM daily_close_runs WHERE business_date = ?)", (day.isoformat(),))
            connection.execute("DELETE FROM daily_close_runs WHERE business_date = ?", (day.isoformat(),))
        return
    import asyncpg

    connection = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        if "daily_close_chunks" in tables:
            await connection.execute("DELETE FROM daily_close_chunks WHERE run_id IN "
                                     "(SELECT id FROM daily_close_runs WHERE business_date = $1)", day)
        await connection.execute("DELETE FROM daily_close_runs WHERE business_date = $1", day)
    finally:
        await connection.close()


_TABLES_SQL = {
    False: "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
    True: "SELECT name FROM sqlite_master WHERE type = 'table'",
}


async def _statements(copies: Copies, workers: int, day: date, seconds: float, var_dir: str,
                      progress: Progress, keys: Any = None) -> ScenarioResult:
    cycle_day = day.replace(day=1)
    period_start = (cycle_day - timedelta(days=1)).replace(day=1)
    url = await copies.fresh_work_copy()
    eligible = (await _query(url, "SELECT count(*) FROM contracts WHERE status = 'ACTIVE' AND contract_date <= $1",
                             cycle_day - timedelta(days=1)))[0][0]
    progress(f"statements for {period_start:%B %Y} (close of {cycle_day}): {workers} worker process(es), "
             f"{eligible:,} due, at most {seconds:.0f} s ...")
    env = worker_env(url, var_dir, keys)
    stored_sql = ("SELECT count(*), min(created_at), max(created_at) FROM documents "
                  "WHERE kind = 'STATEMENT' AND period_start = $1")

    def first_stored() -> bool:
        return bool(asyncio.run(_query(url, stored_sql, period_start))[0][0])

    # The close does that day's late fees, delinquency and autopay first: the time limit starts
    # with the first statement stored.
    run = await asyncio.to_thread(  # a thread: first_stored runs its own event loop
        run_processes, [autofin("close-day", "--date", cycle_day.isoformat()) for _ in range(workers)], env,
        deadline_seconds=seconds, deadline_after=first_stored)
    problems = [] if run.stopped else _check_close_outputs(run)
    count, first, last = (await _query(url, stored_sql, period_start))[0]
    span = (_as_datetime(last) - _as_datetime(first)).total_seconds() if count and count > 1 else 0.0
    rate = (count - 1) / span if span > 0 else 0.0
    metrics: dict[str, float | int | str] = {
        "workers": workers, "statement_date": cycle_day.isoformat(), "statements": int(count or 0),
        "eligible": int(eligible), "seconds_generating": round(span, 2), "statements_per_s": round(rate, 1),
        "finished": "no (stopped at the time limit)" if run.stopped else "yes",
    }
    if not run.stopped and count != eligible:
        problems.append(f"{count} statements for {eligible} eligible contracts")
    passed = (rate >= STATEMENTS_TARGET_PER_SECOND and not problems) if count else False
    notes = "; ".join(problems) if problems else (
        "rate over the statements stored (first to last), the close's other steps excluded")
    return ScenarioResult(name=f"statements ({workers} worker{'s' if workers > 1 else ''})", metrics=metrics,
                          target=f">= {STATEMENTS_TARGET_PER_SECOND:.0f} statements/s", passed=passed, notes=notes)


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


async def run_async(portfolio: Any, *, workers: Sequence[int] = (1, 3), progress: Progress = print,
                    statement_seconds: float = DEFAULT_STATEMENT_SECONDS, business_date: date | None = None,
                    scenarios: Sequence[str] = ("close", "statements")) -> list[ScenarioResult]:
    source_url = portfolio.db_url
    keys = getattr(portfolio, "keys", None)
    day = business_date or business_date_of(portfolio)
    copies = Copies(source_url)
    counts = list(workers)
    if copies.sqlite and any(n > 1 for n in counts):
        progress("SQLite has one writer: the jobs run with 1 worker process only")
        counts = [1]
    results: list[ScenarioResult] = []
    var_dir = tempfile.mkdtemp(prefix="autofin-bench-jobs-")
    progress(f"jobs: copying the portfolio database for repeatable runs ({copies.__class__.__name__}) ...")
    await copies.take_snapshot()
    try:
        if "close" in scenarios:
            probe_url = await copies.fresh_work_copy()
            progress(f"jobs: plans with a draft on {day} (autofin's schedule functions, before any close) ...")
            expected = expected_autopay(probe_url, day, worker_env(probe_url, var_dir, keys))
            contracts = (await _query(probe_url, ACTIVE_CONTRACTS_SQL))[0][0]
            for n in counts:
                results.append(await _close_once(copies, n, day, expected, var_dir, progress, int(contracts), keys))
        if "statements" in scenarios:
            for n in sorted({1, max(counts)}):
                results.append(await _statements(copies, n, day, statement_seconds, var_dir, progress, keys))
    finally:
        await copies.drop()
        shutil.rmtree(var_dir, ignore_errors=True)
    return results


def run(portfolio: Any, *, workers: list[int] | Sequence[int] = (1, 3), progress: Progress = print,
        statement_seconds: float = DEFAULT_STATEMENT_SECONDS, business_date: date | None = None,
        scenarios: Sequence[str] = ("close", "statements")) -> list[ScenarioResult]:
    """The jobs scenarios on a built portfolio (see the module docstring). Needs the portfolio's
    database with no other connections (it is copied)."""
    return asyncio.run(run_async(portfolio, workers=workers, progress=progress, statement_seconds=statement_seconds,
                                 business_date=business_date, scenarios=scenarios))


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "expected-autopay":
        print(json.dumps(asyncio.run(_expected_autopay(argv[1], date.fromisoformat(argv[2])))))
        return 0
    print("usage: python -m bench.scenarios.jobs expected-autopay DATABASE_URL YYYY-MM-DD", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
