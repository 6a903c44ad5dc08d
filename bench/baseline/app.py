"""The floor: autofin's dashboard served by hand, with no GraphQL and no ORM.

`POST /dashboard` with `Authorization: Bearer <token>` answers `{"data": ...}` where `data` is
exactly what autofin answers to `bench.baseline.query.DASHBOARD_QUERY` for the same token (same
field names, order and values), so the harness can put the two side by side. It does the same work:

- the session is found by the SHA-256 of the token (kind BEARER) with its user, and refused when
  revoked, past its absolute expiry, idle for `AUTOFIN_SESSION_IDLE_MINUTES` or its user is
  inactive; `last_seen_at` is written at most once a minute (auth/sessions.py's policy); a session
  of scope MFA_ENROLMENT has no viewer (graph/context.py);
- the customer's contracts are those where they are the customer or the co-customer, newest first
  (contract date, then id), at most `first` of them (graph/servicing/types.py);
- each contract's balance and next due come from its whole ledger effective up to today, through
  the same pure finance/ functions autofin uses (finance.servicing, finance.due, finance.loan,
  finance.schedule_changes): the floor measures the stack, not the math;
- the five newest transactions are the newest effective rows.

SQL: two round trips (the session with its user and customer; the contracts with their ledger rows
in one LEFT JOIN), plus the touch UPDATE when `last_seen_at` is over a minute old, as autofin does.

Run like autofin: `uvicorn bench.baseline.app:app` with DATABASE_URL set (PostgreSQL: asyncpg).
"""

from __future__ import annotations

import base64
import contextlib
import gc
import hashlib
import json
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bench.baseline.query import DASHBOARD_PAGE_SIZE
from finance import due as due_math
from finance.loan import add_months, amortization_schedule
from finance.money import ZERO, from_cents
from finance.schedule_changes import Change, apply_changes
from finance.servicing import LedgerEvent, LoanTerms, loan_position, parse_allocation

TOUCH_INTERVAL = timedelta(seconds=60)  # auth/sessions.py
RECENT = 5
POOL_MAX = int(os.environ.get("BENCH_BASELINE_POOL_MAX", "5"))  # Tortoise's asyncpg default maxsize

SESSION_SQL = """
SELECT s.id, s.scope, s.revoked_at, s.expires_at, s.last_seen_at,
       u.is_active, u.customer_id, c.first_name
FROM sessions s
JOIN users u ON u.id = s.user_id
LEFT JOIN customers c ON c.id = u.customer_id
WHERE s.token_hash = $1 AND s.kind = 'BEARER'
"""

TOUCH_SQL = "UPDATE sessions SET last_seen_at = $1 WHERE id = $2 AND revoked_at IS NULL"

CONTRACTS_SQL = """
WITH page AS (
    SELECT id, number, kind, status, contract_date, first_payment_date, term_months, amount_financed,
           scheduled_payment, apr, grace_days, day_count_basis, payment_allocation, applied_changes
    FROM contracts
    WHERE customer_id = $1 OR co_customer_id = $1
    ORDER BY contract_date DESC, id DESC
    LIMIT $2
)
SELECT page.*, l.id AS entry_id, l.kind AS entry_kind, l.effective_date, l.amount, l.principal, l.interest,
       l.fees, l.tax
FROM page
LEFT JOIN ledger_entries l ON l.contract_id = page.id AND l.effective_date <= $3
ORDER BY page.contract_date DESC, page.id DESC, l.effective_date, l.id
"""


def global_id(type_name: str, row_id: int) -> str:
    """strawberry's relay GlobalID: base64 of "Type:id"."""
    return base64.b64encode(f"{type_name}:{row_id}".encode()).decode()


@dataclass(frozen=True)
class Entry:
    id: int
    kind: str
    effective_date: date
    amount: Decimal
    principal: Decimal
    interest: Decimal
    fees: Decimal
    tax: Decimal


@lru_cache(maxsize=16384)
def _loan_payments(amount: Decimal, apr: Decimal, term: int, first_payment: date) -> tuple[Decimal, Decimal]:
    """The level payment and the last one: what a loan's installments need (as autofin caches it)."""
    schedule = amortization_schedule(amount, apr, term, first_payment)
    return schedule[0].payment, schedule[-1].payment


def _installments(contract: asyncpg.Record) -> list[due_math.Installment]:
    amount = from_cents(contract["amount_financed"])
    if contract["kind"] == "LOAN":
        term, first = contract["term_months"], contract["first_payment_date"]
        level, last = _loan_payments(amount, contract["apr"], term, first)
        original = [due_math.Installment(number=n, due_date=add_months(first, n - 1),
                                         amount=level if n < term else last) for n in range(1, term + 1)]
    else:
        original = due_math.lease_installments(contract["first_payment_date"], contract["term_months"],
                                               from_cents(contract["scheduled_payment"]))
    changes = contract["applied_changes"]
    if isinstance(changes, str):
        changes = json.loads(changes)
    return apply_changes(original, [Change(**change) for change in changes or ()])


_FEE_PLUS = ("LATE_FEE", "RETURNED_PAYMENT_FEE", "PAYMENT_REVERSAL")
_FEE_MINUS = ("PAYMENT", "FEE_WAIVER", "ADJUSTMENT", "PAYOFF_WAIVER")


def _lease_unpaid_fees(entries: list[Entry]) -> Decimal:
    total = ZERO
    for entry in entries:
        if entry.kind in _FEE_PLUS:
            total += entry.fees
        elif entry.kind in _FEE_MINUS:
            total -= entry.fees
    return max(total, ZERO)


def figures(contract: asyncpg.Record, entries: list[Entry], as_of: date) -> tuple[Decimal, date | None, Decimal]:
    """(balance, next due date, next due amount) on `as_of`, as resolvers/servicing/positions.py derives them."""
    installments = _installments(contract)
    credits = due_math.credits_from_events(entries)
    grace = int(contract["grace_days"])
    paid_off = contract["status"] == "PAID_OFF"
    if contract["kind"] == "LOAN":
        terms = LoanTerms(amount_financed=from_cents(contract["amount_financed"]), apr_percent=contract["apr"],
                          interest_start=contract["contract_date"], day_count_basis=contract["day_count_basis"],
                          allocation_order=parse_allocation(contract["payment_allocation"]))
        events = [LedgerEvent(kind=e.kind, effective_date=e.effective_date, amount=e.amount, principal=e.principal,
                              interest=e.interest, fees=e.fees, tax=e.tax) for e in entries]
        balance = loan_position(terms, events, max(as_of, contract["contract_date"])).total_due_to_pay_off
        paid_off = paid_off or balance == ZERO
    else:
        scheduled = sum((item.amount for item in installments), ZERO)
        credited = max(sum((credit.amount for credit in credits), ZERO), ZERO)
        balance = (ZERO if paid_off else max(scheduled - credited, ZERO)) + _lease_unpaid_fees(entries)
    status = due_math.due_status(installments, credits, as_of, grace, paid_off=paid_off)
    return balance, status.next_due_date, min(status.next_due_amount, balance)


def _contract_node(contract: asyncpg.Record, entries: list[Entry], as_of: date) -> dict:
    balance, next_date, next_amount = figures(contract, entries, as_of)
    recent = entries[-RECENT:][::-1]  # rows come oldest first by (effective_date, id)
    return {
        "id": global_id("Contract", contract["id"]),
        "number": contract["number"],
        "nextDue": None if next_date is None else {"date": next_date.isoformat(),
                                                   "amount": {"amount": str(next_amount)}},
        "balance": {"amount": str(balance)},
        "recentTransactions": [
            {"id": global_id("LedgerTransaction", e.id), "kind": e.kind, "effectiveDate": e.effective_date.isoformat(),
             "amount": {"amount": str(e.amount)}}
            for e in recent
        ],
    }


class Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def create_app(database_url: str | None = None, *, idle_minutes: int | None = None, clock=None,
               page_size: int = DASHBOARD_PAGE_SIZE) -> Starlette:
    """The floor app. Settings default to autofin's environment variables (DATABASE_URL,
    AUTOFIN_SESSION_IDLE_MINUTES); tests pass a frozen clock."""
    url = database_url or os.environ["DATABASE_URL"]
    idle = timedelta(minutes=idle_minutes if idle_minutes is not None
                     else int(os.environ.get("AUTOFIN_SESSION_IDLE_MINUTES", "15")))
    clock = clock or Clock()
    state: dict[str, asyncpg.Pool] = {}

    async def viewer(token: str) -> dict | None:
        if not token or len(token) > 128:
            return None
        pool = state["pool"]
        digest = hashlib.sha256(token.encode("utf-8")).hexdigest()
        now = clock.now()
        async with pool.acquire() as connection:
            session = await connection.fetchrow(SESSION_SQL, digest)
            if session is None or session["revoked_at"] is not None:
                return None
            if now >= session["expires_at"] or now - session["last_seen_at"] >= idle:
                return None
            if not session["is_active"]:
                return None
            if now - session["last_seen_at"] >= TOUCH_INTERVAL:
                await connection.execute(TOUCH_SQL, now, session["id"])
            if session["scope"] != "FULL":
                return None  # MFA enrolment only: no viewer (graph/context.py)
            customer_id = session["customer_id"]
            if customer_id is None:
                return {"customer": None}
            today = clock.now().date()
            rows = await connection.fetch(CONTRACTS_SQL, customer_id, page_size, today)
        nodes, contract, entries = [], None, []
        for row in rows:
            if contract is None or row["id"] != contract["id"]:
                if contract is not None:
                    nodes.append(_contract_node(contract, entries, today))
                contract, entries = row, []
            if row["entry_id"] is not None:
                entries.append(Entry(row["entry_id"], row["entry_kind"], row["effective_date"],
                                     from_cents(row["amount"]), from_cents(row["principal"]),
                                     from_cents(row["interest"]), from_cents(row["fees"]), from_cents(row["tax"])))
        if contract is not None:
            nodes.append(_contract_node(contract, entries, today))
        return {"customer": {"firstName": session["first_name"],
                             "contracts": {"edges": [{"node": node} for node in nodes]}}}

    async def dashboard(request: Request) -> Response:
        authorization = request.headers.get("authorization", "")
        token = authorization[7:].strip() if authorization.lower().startswith("bearer ") else ""
        await request.body()  # the client sends the query; the floor knows it already
        return JSONResponse({"data": {"viewer": await viewer(token)}})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state["pool"] = await asyncpg.create_pool(url, min_size=1, max_size=POOL_MAX)
        try:
            yield
        finally:
            await state.pop("pool").close()

    return Starlette(routes=[Route("/dashboard", dashboard, methods=["POST"])], lifespan=lifespan)


def _tune_gc() -> None:
    """The garbage collector settings of autofin's web processes (service/asgi.py), so the two are
    compared on the same runtime: what exists at start frozen out of the scans, young collections
    every 10,000 allocations."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


def _app_from_env() -> Starlette:
    """`uvicorn bench.baseline.app:app`: the database is read from DATABASE_URL when it starts."""
    holder: dict[str, Starlette] = {}

    async def asgi(scope, receive, send):
        if "app" not in holder:
            holder["app"] = create_app()
            _tune_gc()
        await holder["app"](scope, receive, send)

    return asgi  # type: ignore[return-value]


app = _app_from_env()
