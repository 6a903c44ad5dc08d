"""The analytics scenario: each `analytics { ... }` report at portfolio scale, timed in-process over
HTTP against the running autofin server (one request at a time: these are an analyst's queries, not a
throughput load). Target: p99 under 1 s for each report.

An ANALYST login and a bearer session are added to the bench database first (harness set-up, like the
customers' sessions); the reports cover the 12 months up to the portfolio's business date.
"""

from __future__ import annotations

import asyncio
import sqlite3
import statistics
import time
from datetime import UTC, datetime, timedelta

import httpx

from bench.portfolio import USER_AGENT, _pg_dsn
from bench.report import ScenarioResult

TARGET_MS = 1000.0
REQUESTS = 20
QUICK_REQUESTS = 3
QUERIES = {
    "delinquency": "{ analytics { delinquency { months { monthEnd buckets { bucket contracts } } "
                   "rollRates { fromBucket toBucket contracts rate } } } }",
    "originations": "{ analytics { originations { rows { dealerCode creditTier contracts amountFinanced { amount } "
                    "averageApr approvalRate } } } }",
    "balances": "{ analytics { outstandingBalances(vintageBy: QUARTER) { rows { product vintage contracts "
                "outstanding { amount } } } } }",
    "outcomes": "{ analytics { prepaymentsAndChargeOffs { rows { product exposed prepaid chargedOff "
                "prepaymentRate chargeOffRate } } } }",
    "adoption": "{ analytics { adoption { activeContracts autopayRate customers portalRate signedInRate } } }",
}


async def analyst_token(portfolio) -> str:
    """A bearer session of a fresh ANALYST user in the bench database."""
    from auth.tokens import new_token, token_hash

    token = new_token()
    now = datetime.now(UTC)
    username = f"bench-analyst-{int(time.time())}"
    user_row = (username, f"{username}@bench.invalid", "!", "ANALYST", True, now)
    if portfolio.db == "sqlite":
        conn = sqlite3.connect(portfolio.db_url.removeprefix("sqlite://"))
        try:
            cursor = conn.execute("INSERT INTO users (username, email, password_hash, role, is_active, created_at) "
                                  "VALUES (?, ?, ?, ?, ?, ?)", tuple(str(v) if isinstance(v, datetime) else v
                                                                     for v in user_row))
            conn.execute("INSERT INTO sessions (token_hash, kind, scope, created_at, last_seen_at, expires_at, ip, "
                         "user_agent, user_id) VALUES (?, 'BEARER', 'FULL', ?, ?, ?, '127.0.0.1', ?, ?)",
                         (token_hash(token), str(now), str(now), str(now + timedelta(hours=12)), USER_AGENT,
                          cursor.lastrowid))
            conn.commit()
        finally:
            conn.close()
        return token
    import asyncpg

    conn = await asyncpg.connect(_pg_dsn(portfolio.db_url))
    try:
        user_id = await conn.fetchval("INSERT INTO users (username, email, password_hash, role, is_active, created_at)"
                                      " VALUES ($1, $2, $3, $4, $5, $6) RETURNING id", *user_row)
        await conn.execute("INSERT INTO sessions (token_hash, kind, scope, created_at, last_seen_at, expires_at, ip, "
                           "user_agent, user_id) VALUES ($1, 'BEARER', 'FULL', $2, $2, $3, '127.0.0.1', $4, $5)",
                           token_hash(token), now, now + timedelta(hours=12), USER_AGENT, user_id)
    finally:
        await conn.close()
    return token


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(ctx) -> list[ScenarioResult]:
    """Each report REQUESTS times (QUICK_REQUESTS with --quick) after one warm-up; any error fails the run."""
    ctx.progress("analytics: each report at portfolio scale, one request at a time over HTTP, as an ANALYST")
    token = asyncio.run(analyst_token(ctx.portfolio))
    count = QUICK_REQUESTS if ctx.config.quick else REQUESTS
    results = []
    with httpx.Client(timeout=60.0, headers={"authorization": f"Bearer {token}"}) as http:
        for name, query in QUERIES.items():
            timings = []
            for attempt in range(count + 1):
                started = time.perf_counter()
                response = http.post(ctx.server.endpoint, json={"query": query})
                elapsed = (time.perf_counter() - started) * 1000
                body = response.json()
                if response.status_code != 200 or body.get("errors"):
                    raise RuntimeError(f"analytics {name}: HTTP {response.status_code} {str(body)[:300]}")
                if attempt:  # the first is a warm-up
                    timings.append(elapsed)
            p50, p99 = statistics.median(timings), _percentile(timings, 0.99)
            ctx.progress(f"  analytics {name}: p50 {p50:.0f} ms, p99 {p99:.0f} ms ({count} requests)")
            results.append(ScenarioResult(f"analytics {name}", {"p50_ms": round(p50, 1), "p99_ms": round(p99, 1),
                                                                "requests": count},
                                          f"p99 < {TARGET_MS:.0f} ms", p99 < TARGET_MS))
    return results
