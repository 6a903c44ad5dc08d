"""The web scenarios: dashboard (with the floor), scaling, history page, login storm, pay.

Each takes a `WebContext` (settings, portfolio, the running autofin server) and returns
ScenarioResults. Every wrk run fails loudly on any non-200 or GraphQL error (bench/load.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from bench.baseline.query import DASHBOARD_QUERY
from bench.config import REPO_ROOT, VENV_BIN, WORK_DIR, BenchConfig
from bench.load import WrkResult, run_wrk, write_body, write_tokens
from bench.portfolio import Portfolio, _pg_dsn, refresh_sessions
from bench.report import ScenarioResult
from bench.server import RunningServer, autofin_env, baseline_server

DASHBOARD_BODY = {"query": DASHBOARD_QUERY, "operationName": "Dashboard"}

HISTORY_QUERY = """query History($id: ID!, $after: String) {
  node(id: $id) {
    ... on Contract {
      transactions(first: 50, after: $after) {
        edges { cursor node { id kind effectiveDate amount { amount } } }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
}"""
HISTORY_PAGE = 100
PROFILE_DIR = WORK_DIR / "profiles"

PAY_MUTATION = """mutation Pay($input: MakePaymentInput!) {
  makePayment(input: $input) { payment { id status amount { amount } } errors { code message } }
}"""
PAY_AMOUNT = "1.00"

# Targets (the table) and the tolerances this harness applies to "no slower" / "constant".
DASHBOARD_MIN_RPS_RATIO = 0.5
DASHBOARD_MAX_P99_RATIO = 2.0
HISTORY_MAX_RATIO = 1.2  # page 100 p50 within 20 % of page 1 (run-to-run noise on one core)
SCALING_MAX_HISTORY_FACTOR = 1.5  # same contracts, 240 vs 12 months: p50 within 1.5x
STORM_MAX_P99_RATIO = 2.0


@dataclass
class WebContext:
    config: BenchConfig
    portfolio: Portfolio
    server: RunningServer
    progress: Callable[[str], None] = print
    scaling_points: list[dict] = field(default_factory=list)

    def wrk(self, what: str, *, body_file, tokens_file, script: str = "graphql.lua", connections: int | None = None,
            duration: float | None = None, url: str | None = None) -> WrkResult:
        config = self.config
        duration = duration or config.duration
        profiling = config.profile and url is None
        with profiled(self.server, what, duration) if profiling else nullcontext():
            result = run_wrk(url or self.server.endpoint, script=script, body_file=body_file, tokens_file=tokens_file,
                             duration=duration, connections=connections or config.connections,
                             threads=config.threads, pinning=config.pinning, what=what)
        self.progress(f"  {what}: {result.requests_per_s:,.0f} req/s, p50 {result.p50_ms:.1f} ms, "
                      f"p99 {result.p99_ms:.1f} ms, {result.requests:,} requests, no errors")
        return result

    def warm_up(self, what: str, **kwargs) -> None:
        if self.config.quick:
            return
        kwargs.setdefault("duration", 2)
        run_wrk(kwargs.pop("url", None) or self.server.endpoint, script=kwargs.pop("script", "graphql.lua"),
                duration=kwargs.pop("duration"), connections=kwargs.pop("connections", None) or self.config.connections,
                threads=self.config.threads, pinning=self.config.pinning, what=f"warm-up {what}", **kwargs)

    def refresh(self) -> None:
        asyncio.run(refresh_sessions(self.portfolio))


@contextmanager
def profiled(server: RunningServer, what: str, duration: float) -> Iterator[None]:
    """py-spy (the bench extra) samples the server and its uvicorn workers while the block runs and
    writes a flame graph to var/bench/profiles/<what>.svg."""
    PROFILE_DIR.mkdir(parents=True, exist_ok=True)
    name = "".join(c if c.isalnum() else "-" for c in what).strip("-")
    output = PROFILE_DIR / f"{name}.svg"
    command = [str(VENV_BIN / "py-spy"), "record", "--pid", str(server.process.pid), "--subprocesses",
               "--duration", str(max(1, round(duration))), "--rate", "100", "--format", "flamegraph",
               "--output", str(output), "--nonblocking"]
    recorder = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        yield
    finally:
        try:
            _, err = recorder.communicate(timeout=duration + 60)
        except subprocess.TimeoutExpired:
            recorder.kill()
            err = "timed out"
        if recorder.returncode == 0 and output.exists():
            print(f"  profile: {output}", flush=True)
        else:
            print(f"  profile of {what} failed: {(err or '').strip()[-300:]}", flush=True)


def _ratio(numerator: float, denominator: float) -> float:
    return round(numerator / denominator, 3) if denominator else float("inf")


# -- dashboard ---------------------------------------------------------------------------------------

def dashboard(ctx: WebContext) -> list[ScenarioResult]:
    ctx.progress("dashboard: random signed-in customers, autofin then the floor (same tokens, cores, workers)")
    ctx.refresh()
    body = write_body("dashboard", DASHBOARD_BODY)
    tokens = write_tokens("dashboard", ctx.portfolio.session_tokens)
    ctx.warm_up("autofin dashboard", body_file=body, tokens_file=tokens)
    autofin = ctx.wrk("autofin dashboard", body_file=body, tokens_file=tokens)
    metrics: dict = {"autofin_" + key: value for key, value in autofin.metrics().items()}
    sample = {f"customer {n}": (token, DASHBOARD_BODY) for n, token in enumerate(ctx.portfolio.session_tokens[:20])}
    sql = asyncio.run(statements_per_request(ctx.portfolio, sample)).values()
    metrics["sql_per_request"] = f"{min(sql)}-{max(sql)}" if min(sql) != max(sql) else min(sql)
    target = (f">= {DASHBOARD_MIN_RPS_RATIO}x floor req/s; p99 <= {DASHBOARD_MAX_P99_RATIO}x floor")
    if ctx.portfolio.db != "postgres":
        return [ScenarioResult("dashboard", metrics, target, None,
                               "no floor on SQLite (bench/baseline talks asyncpg): ratios need --db postgres")]
    with baseline_server(ctx.portfolio, workers=ctx.config.workers, pinning=ctx.config.pinning) as floor:
        ctx.warm_up("floor dashboard", body_file=body, tokens_file=tokens, url=floor.endpoint)
        baseline = ctx.wrk("floor dashboard", body_file=body, tokens_file=tokens, url=floor.endpoint)
    metrics.update({"floor_" + key: value for key, value in baseline.metrics().items()})
    rps_ratio = _ratio(autofin.requests_per_s, baseline.requests_per_s)
    p99_ratio = _ratio(autofin.p99_ms, baseline.p99_ms)
    metrics["rps_ratio"] = rps_ratio
    metrics["p99_ratio"] = p99_ratio
    passed = rps_ratio >= DASHBOARD_MIN_RPS_RATIO and p99_ratio <= DASHBOARD_MAX_P99_RATIO
    return [ScenarioResult("dashboard", metrics, target, passed, "")]


# -- scaling -----------------------------------------------------------------------------------------

class _StatementCounter(logging.Handler):
    """The test suite's approach (tests/conftest.py count_queries): Tortoise logs each statement at DEBUG."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.lstrip().split(" ", 1)[0].upper() in {"SELECT", "INSERT", "UPDATE", "DELETE", "WITH"}:
            self.statements.append(message)


@contextmanager
def _count_statements() -> Iterator[_StatementCounter]:
    logger = logging.getLogger("tortoise.db_client")
    counter = _StatementCounter()
    previous = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(counter)
    try:
        yield counter
    finally:
        logger.removeHandler(counter)
        logger.setLevel(previous)


async def statements_per_request(portfolio: Portfolio, requests: dict[str, tuple[str, dict]]) -> dict[str, int]:
    """SQL statements autofin sends for each request (label -> (bearer token, GraphQL body)), counted
    in-process: the app built as the server builds it, on the bench database. Each request is sent twice
    and the second is counted, so a session "touch" write on the first does not make counts differ."""
    from graph.app import create_app
    from service import db
    from service.config import load_settings
    from service.container import Services

    settings = load_settings(autofin_env(portfolio))
    await db.init_db(portfolio.db_url)
    counts: dict[str, int] = {}
    try:
        app = create_app(Services(settings), manage_database=False)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for label, (token, body) in requests.items():
                headers = {"authorization": f"Bearer {token}"}
                for _attempt in range(2):
                    with _count_statements() as counter:
                        response = await client.post("/graphql", json=body, headers=headers)
                    answer = response.json()
                    if response.status_code != 200 or answer.get("errors") or not all((answer["data"] or {}).values()):
                        raise RuntimeError(f"{label!r} failed in-process: {str(answer)[:300]}")
                counts[label] = len(counter.statements)
    finally:
        await db.close_db()
    return counts


def scaling(ctx: WebContext) -> list[ScenarioResult]:
    portfolio = ctx.portfolio
    ctx.progress("scaling: the dashboard of customers with 1-50 contracts and 12 or 240 months of history")
    ctx.refresh()
    statements = asyncio.run(statements_per_request(
        portfolio, {label: (token, DASHBOARD_BODY) for label, token in portfolio.scaling_tokens.items()}))
    body = write_body("dashboard", DASHBOARD_BODY)
    duration = max(2.0, ctx.config.duration / 2)
    results = []
    points = []
    for label, (contracts, months, rows) in sorted(portfolio.scaling.items(), key=lambda kv: (kv[1][1], kv[1][0])):
        tokens = write_tokens("scaling", [portfolio.scaling_tokens[label]])
        ctx.warm_up(label, body_file=body, tokens_file=tokens, connections=1, duration=1)
        result = ctx.wrk(f"scaling {label}", body_file=body, tokens_file=tokens, connections=1, duration=duration)
        points.append({"label": label, "contracts": contracts, "months": months, "rows": rows,
                       "statements": statements[label], "p50_ms": result.p50_ms, "p99_ms": result.p99_ms,
                       "requests_per_s": result.requests_per_s})
    ctx.scaling_points = points
    constant = len({p["statements"] for p in points}) == 1
    by_key = {(p["contracts"], p["months"]): p for p in points}
    shortest, longest = min(p["months"] for p in points), max(p["months"] for p in points)
    factors = {}
    for contracts in sorted({p["contracts"] for p in points}):
        short, long = by_key.get((contracts, shortest)), by_key.get((contracts, longest))
        if short and long and short is not long:
            factors[contracts] = _ratio(long["p50_ms"], short["p50_ms"])
    history_ok = all(factor <= SCALING_MAX_HISTORY_FACTOR for factor in factors.values())
    one = by_key.get((1, shortest))
    biggest = max(points, key=lambda p: (p["contracts"], -p["months"]))
    metrics: dict = {"sql_statements_constant": constant,
                     "sql_statements": "/".join(str(p["statements"]) for p in points)}
    for p in points:
        metrics[f"{p['label']}: p50_ms"] = round(p["p50_ms"], 2)
    for p in points:
        metrics[f"{p['label']}: sql"] = p["statements"]
    for contracts, factor in factors.items():
        metrics[f"{contracts} contracts: p50 240/12 months"] = factor
    if one:
        metrics[f"p50 {biggest['contracts']} vs 1 contract (answer {biggest['contracts']}x)"] = _ratio(
            biggest["p50_ms"], one["p50_ms"])
    target = (f"SQL per request constant; p50(240 months) <= {SCALING_MAX_HISTORY_FACTOR}x p50(12 months) "
              "at each contract count")
    notes = (f"1 connection, {duration:.0f} s per customer; SQL counted in-process (tortoise.db_client log). "
             "240 months = 240 ledger rows per contract (the schema caps terms at 96 months)")
    results.append(ScenarioResult("scaling", metrics, target, constant and history_ok, notes))
    return results


# -- history page ------------------------------------------------------------------------------------

def history(ctx: WebContext) -> list[ScenarioResult]:
    portfolio = ctx.portfolio
    ctx.progress(f"history page: transactions(first: 50) of a {portfolio.history_entries:,}-row ledger, "
                 f"page 1 vs page {HISTORY_PAGE} (keyset cursor)")
    ctx.refresh()
    headers = {"authorization": f"Bearer {portfolio.history_token}"}
    cursor = None
    with httpx.Client(timeout=30) as client:
        for page in range(1, HISTORY_PAGE):
            response = client.post(ctx.server.endpoint, headers=headers, json={
                "query": HISTORY_QUERY, "variables": {"id": portfolio.history_contract_id, "after": cursor}})
            answer = response.json()
            if response.status_code != 200 or answer.get("errors") or not answer["data"]["node"]:
                raise RuntimeError(f"history page {page} failed: {str(answer)[:300]}")
            connection = answer["data"]["node"]["transactions"]
            if not connection["pageInfo"]["hasNextPage"]:
                raise RuntimeError(f"the history ends at page {page}: the portfolio needs > {HISTORY_PAGE * 50} rows")
            cursor = connection["pageInfo"]["endCursor"]
        last = client.post(ctx.server.endpoint, headers=headers, json={
            "query": HISTORY_QUERY, "variables": {"id": portfolio.history_contract_id, "after": cursor}}).json()
        if len(last["data"]["node"]["transactions"]["edges"]) != 50:
            raise RuntimeError("page 100 is not a full page of 50")
    tokens = write_tokens("history", [portfolio.history_token])
    first = write_body("history-page-1", {"query": HISTORY_QUERY, "operationName": "History",
                                          "variables": {"id": portfolio.history_contract_id, "after": None}})
    deep = write_body(f"history-page-{HISTORY_PAGE}", {
        "query": HISTORY_QUERY, "operationName": "History",
        "variables": {"id": portfolio.history_contract_id, "after": cursor}})
    sql = asyncio.run(statements_per_request(portfolio, {
        "page 1": (portfolio.history_token, json.loads(first.read_text())),
        f"page {HISTORY_PAGE}": (portfolio.history_token, json.loads(deep.read_text()))}))
    ctx.warm_up("history", body_file=first, tokens_file=tokens, connections=1)
    page_one = ctx.wrk("history page 1", body_file=first, tokens_file=tokens, connections=1)
    page_deep = ctx.wrk(f"history page {HISTORY_PAGE}", body_file=deep, tokens_file=tokens, connections=1)
    ratio = _ratio(page_deep.p50_ms, page_one.p50_ms)
    metrics = {**page_one.metrics("page1_"), **page_deep.metrics(f"page{HISTORY_PAGE}_"),
               f"p50 page {HISTORY_PAGE} / page 1": ratio, "sql_page1": sql["page 1"],
               f"sql_page{HISTORY_PAGE}": sql[f"page {HISTORY_PAGE}"], "ledger_rows": portfolio.history_entries}
    return [ScenarioResult("history page", metrics,
                           f"page {HISTORY_PAGE} no slower than page 1 (p50 ratio <= {HISTORY_MAX_RATIO})",
                           ratio <= HISTORY_MAX_RATIO, "1 connection")]


# -- login storm -------------------------------------------------------------------------------------

def login_storm(ctx: WebContext) -> list[ScenarioResult]:
    config, portfolio = ctx.config, ctx.portfolio
    rate = config.login_rate
    ctx.progress(f"login storm: the dashboard alone, then with {rate:g} logins/s (argon2id, default profile)")
    ctx.refresh()
    body = write_body("dashboard", DASHBOARD_BODY)
    tokens = write_tokens("dashboard", portfolio.session_tokens)
    users = write_tokens("login-users", [f"{user}\t{password}" for user, password in portfolio.login_users])
    ctx.warm_up("dashboard", body_file=body, tokens_file=tokens)
    calm = ctx.wrk("dashboard without the storm", body_file=body, tokens_file=tokens)
    command = [*config.pinning.prefix(config.pinning.client_cpus), sys.executable, "-m", "bench.storm",
               "--url", ctx.server.endpoint, "--users", str(users), "--rate", str(rate),
               "--duration", str(max(1, round(config.duration)))]
    storm = subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        stormy = ctx.wrk("dashboard during the storm", body_file=body, tokens_file=tokens)
    finally:
        out, err = storm.communicate(timeout=config.duration + 120)
    line = next((line for line in out.splitlines() if line.startswith("STORM_RESULT ")), None)
    if storm.returncode != 0 or line is None:
        raise RuntimeError(f"the login storm failed (exit {storm.returncode}):\n{out[-1500:]}\n{err[-1500:]}")
    logins = json.loads(line.removeprefix("STORM_RESULT "))
    ctx.progress(f"  logins: {logins['completed']} completed of {logins['attempted']} at "
                 f"{logins['achieved_rate_per_s']}/s, p50 {logins['p50_ms']} ms, p99 {logins['p99_ms']} ms")
    bad = logins["bad_status"] + logins["graphql_errors"] + logins["no_token"] + logins["transport_errors"]
    if bad:
        raise RuntimeError(f"login storm: {bad} logins failed: {logins['error_sample']}")
    ratio = _ratio(stormy.p99_ms, calm.p99_ms)
    metrics = {**calm.metrics("calm_"), **stormy.metrics("storm_"), "p99_ratio": ratio,
               "logins_per_s": logins["achieved_rate_per_s"], "logins_completed": logins["completed"],
               "logins_dropped": logins["dropped"], "login_p50_ms": logins["p50_ms"],
               "login_p99_ms": logins["p99_ms"]}
    kept_rate = logins["achieved_rate_per_s"] >= 0.95 * rate and not logins["dropped"]
    notes = "" if kept_rate else (f"the server did not keep up with {rate:g} logins/s "
                                  f"({logins['achieved_rate_per_s']}/s completed, {logins['dropped']} dropped)")
    return [ScenarioResult("login storm", metrics,
                           f"dashboard p99 with {rate:g} logins/s <= {STORM_MAX_P99_RATIO}x without",
                           ratio <= STORM_MAX_P99_RATIO and kept_rate, notes)]


# -- pay ---------------------------------------------------------------------------------------------

def _sql(portfolio: Portfolio, pg: str, lite: str, *args):
    if portfolio.db == "sqlite":
        conn = sqlite3.connect(portfolio.db_url.removeprefix("sqlite://"), timeout=30)
        try:
            cursor = conn.execute(lite, [str(a) if isinstance(a, datetime) else a for a in args])
            rows = cursor.fetchall()
            conn.commit()
            return rows
        finally:
            conn.close()

    async def run():
        import asyncpg

        conn = await asyncpg.connect(_pg_dsn(portfolio.db_url))
        try:
            return await conn.fetch(pg, *args)
        finally:
            await conn.close()

    return asyncio.run(run())


def pay(ctx: WebContext) -> list[ScenarioResult]:
    portfolio = ctx.portfolio
    ctx.progress(f"pay: makePayment ({PAY_AMOUNT}, unique idempotency keys) from {len(portfolio.pay_targets):,} "
                 "customers")
    ctx.refresh()
    targets = write_tokens("pay", ["\t".join(target) for target in portfolio.pay_targets])
    body = write_body("pay", {"query": PAY_MUTATION, "operationName": "Pay", "variables": {"input": {
        "contractId": "__CONTRACT__", "paymentMethodId": "__METHOD__",
        "amount": {"choice": "OTHER", "other": PAY_AMOUNT}, "idempotencyKey": "__KEY__"}}})
    started = datetime.now(UTC)
    try:
        result = ctx.wrk("pay", script="pay.lua", body_file=body, tokens_file=targets)
        made = _sql(portfolio, "SELECT count(*) FROM payments WHERE idempotency_key LIKE 'bench-pay-%'",
                    "SELECT count(*) FROM payments WHERE idempotency_key LIKE 'bench-pay-%'")[0][0]
    finally:
        # Leave the portfolio as built for the scenarios after this one (the daily close would charge them).
        _sql(portfolio, "DELETE FROM payments WHERE idempotency_key LIKE 'bench-pay-%'",
             "DELETE FROM payments WHERE idempotency_key LIKE 'bench-pay-%'")
        _sql(portfolio, "DELETE FROM outbox_messages WHERE template = 'payment_scheduled' AND created_at >= $1",
             "DELETE FROM outbox_messages WHERE template = 'payment_scheduled' AND created_at >= ?", started)
    metrics = {"payments_per_s": round(result.requests_per_s, 1), **result.metrics(), "payments_created": made}
    # wrk stops at the deadline with requests in flight: the server still makes those payments, so up to
    # one per connection more rows than answers counted is expected; fewer would be lost payments.
    in_flight = ctx.config.connections
    ok = result.responses <= made <= result.responses + in_flight
    notes = "" if ok else f"{result.responses} answers but {made} payments rows"
    return [ScenarioResult("pay", metrics, "sustained, no errors; report payments/s", ok,
                           notes or "the scenario's payments are deleted afterwards")]


WEB = {"dashboard": dashboard, "scaling": scaling, "history": history, "login": login_storm, "pay": pay}

