"""The floor (bench/baseline/app.py) answers exactly autofin's dashboard `data` for the same token.

PostgreSQL only (the floor talks asyncpg). Demo data gives loans and leases, a co-buyer, a late fee
and a returned payment; a payment-plan change and sessions in every state cover the rest.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
import pytest

from auth.sessions import start_session
from bench.baseline.app import create_app as create_baseline
from bench.baseline.query import DASHBOARD_QUERY
from models import Contract, Session, User
from models.enums import SessionKind, SessionScope

pytestmark = pytest.mark.postgres_only


@asynccontextmanager
async def baseline_client(database_url: str, services):
    app = create_baseline(database_url, idle_minutes=services.settings.session_idle_minutes, clock=services.clock)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://floor") as http:
        yield http


async def bearer(services, username: str, scope: SessionScope = SessionScope.FULL) -> str:
    user = await User.get(username=username)
    issued = await start_session(user, kind=SessionKind.BEARER, clock=services.clock, settings=services.settings,
                                 ip="127.0.0.1", user_agent="bench-test")
    if scope != SessionScope.FULL:
        await Session.filter(id=issued.session.id).update(scope=scope)
    return issued.token


async def autofin_data(client, token: str) -> dict:
    response = await client.http.post("/graphql", json={"query": DASHBOARD_QUERY},
                                      headers={"authorization": f"Bearer {token}"})
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, body
    return body["data"]


async def floor_data(http: httpx.AsyncClient, token: str) -> dict:
    response = await http.post("/dashboard", json={"query": DASHBOARD_QUERY},
                               headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def test_floor_answers_what_autofin_answers(services, client, database_url):
    from service.demo_data import seed_demo

    await seed_demo(services, progress=lambda _: None, documents=False, origination=False)
    # A due-date change on one contract: the floor applies plan changes like autofin.
    changed = await Contract.filter(kind="LOAN").order_by("id").first()
    await Contract.filter(id=changed.id).update(
        applied_changes=[{"kind": "DUE_DATE_CHANGE", "from_installment": changed.term_months - 2,
                          "new_due_day": 25}])
    tokens = {name: await bearer(services, name) for name in ("alice", "bob", "carol", "david", "support")}
    tokens["enrolling"] = await bearer(services, "analyst", SessionScope.MFA_ENROLMENT)
    tokens["unknown"] = "not-a-session-token"

    async with baseline_client(database_url, services) as floor:
        for name, token in tokens.items():
            expected = await autofin_data(client, token)
            assert await floor_data(floor, token) == expected, name
        customers = {name: (await floor_data(floor, tokens[name]))["viewer"]["customer"]
                     for name in ("alice", "bob", "carol", "david")}
        assert [len(c["contracts"]["edges"]) for c in customers.values()] == [2, 1, 2, 1]
        assert customers["david"]["contracts"]["edges"][0]["node"]["recentTransactions"], "history shown"
        assert (await floor_data(floor, tokens["support"]))["viewer"] == {"customer": None}
        assert (await floor_data(floor, tokens["enrolling"]))["viewer"] is None
        assert (await floor_data(floor, "x" * 129))["viewer"] is None


async def test_floor_keeps_the_session_rules(services, client, database_url):
    from service.demo_data import seed_demo

    await seed_demo(services, progress=lambda _: None, documents=False, origination=False)
    token = await bearer(services, "alice")
    session = await Session.get(user__username="alice")
    async with baseline_client(database_url, services) as floor:
        # Within a minute nothing is written; after it, last_seen_at moves (autofin's touch policy).
        services.clock.advance(timedelta(seconds=30))
        assert (await floor_data(floor, token))["viewer"] is not None
        assert (await Session.get(id=session.id)).last_seen_at == session.last_seen_at
        services.clock.advance(timedelta(seconds=40))
        assert (await floor_data(floor, token))["viewer"] is not None
        assert (await Session.get(id=session.id)).last_seen_at == services.clock.now()
        # Idle past the timeout: signed out, on both.
        services.clock.advance(timedelta(minutes=services.settings.session_idle_minutes))
        assert (await floor_data(floor, token))["viewer"] is None
        assert (await autofin_data(client, token))["viewer"] is None
        # Revoked, and an inactive user: signed out.
        fresh = await bearer(services, "carol")
        assert (await floor_data(floor, fresh))["viewer"] is not None
        await User.filter(username="carol").update(is_active=False)
        assert (await floor_data(floor, fresh))["viewer"] is None
        other = await bearer(services, "bob")
        await Session.filter(user__username="bob").update(revoked_at=services.clock.now())
        assert (await floor_data(floor, other))["viewer"] is None
        # Past the absolute expiry, even when active all along.
        late = await bearer(services, "david")
        for _ in range(services.settings.session_absolute_hours * 6):
            services.clock.advance(timedelta(minutes=10))
            await floor_data(floor, late)
        assert (await floor_data(floor, late))["viewer"] is None
        assert (await autofin_data(client, late))["viewer"] is None
