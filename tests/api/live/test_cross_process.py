"""Several server processes: an event written through one `autofin serve` process reaches a
subscriber connected to another (PostgreSQL: LISTEN/NOTIFY; SQLite: both processes poll one file)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from tortoise.transactions import in_transaction

from auth.sessions import start_session
from models import MessageThread, SecureMessage
from models.enums import Role, SessionKind, ThreadCategory
from resolvers.live.publish import MESSAGE, publish
from service.clock import SystemClock
from tests import factories
from tests.api.live.wsclient import live_client
from tests.conftest import free_port

REPO = Path(__file__).resolve().parents[3]
STARTUP_SECONDS = 60

NOTIFICATIONS = "subscription { notifications { eventId notification { title category } } }"
MESSAGES = "subscription { messages { threadId body fromSupport } }"
REAUTH = """mutation($p: String) { reauthenticate(input: {password: $p}) { errors { code } } }"""
ADD_BANK = """mutation($input: AddBankAccountInput!) { addBankAccount(input: $input) {
  paymentMethod { id } errors { code message } } }"""


async def _serve(env: dict[str, str], log_path: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    log = open(log_path, "wb")  # noqa: SIM115, ASYNC230 - a local file, closed with the process below
    process = subprocess.Popen(  # noqa: ASYNC220 - started once; it runs beside the test
        [sys.executable, "-m", "service.cli", "serve", "--no-demo", "--port", str(port)], cwd=REPO,
        env={**env, "AUTOFIN_PORT": str(port)}, stdout=log, stderr=subprocess.STDOUT)
    process.log = log  # type: ignore[attr-defined]
    base_url = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient() as http:
        for _ in range(STARTUP_SECONDS * 10):
            if process.poll() is not None:
                break
            try:
                if (await http.get(f"{base_url}/readyz", timeout=1)).status_code == 200:
                    return process, base_url
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)  # waiting for another process to come up, not for application time
    process.kill()
    pytest.fail(f"autofin serve did not come up:\n{log_path.read_text()}")


@pytest.fixture
async def two_servers(db, database_url, tmp_path) -> AsyncIterator[tuple[str, str]]:
    env = {**os.environ, "DATABASE_URL": database_url, "AUTOFIN_ENV": "test", "AUTOFIN_VAR_DIR": str(tmp_path),
           "AUTOFIN_ARGON2_PROFILE": "cheapest", "AUTOFIN_EMBEDDED_WORKER": "false", "AUTOFIN_MAIL_SINK": "false",
           "AUTOFIN_LIVE_POLL_SECONDS": "0.05"}
    servers = []
    try:
        for n in (1, 2):
            servers.append(await _serve(env, tmp_path / f"serve-{n}.log"))
        yield servers[0][1], servers[1][1]
    finally:
        for process, _ in servers:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
            process.log.close()


def _address(base_url: str) -> str:
    return base_url.removeprefix("http://")


async def test_a_notification_made_through_one_process_reaches_a_subscriber_on_another(two_servers, services):
    first, second = two_servers
    clock = SystemClock()  # the servers run on real time
    user = await factories.user(services, "xproc-alice", Role.CUSTOMER, customer=await factories.customer(services))
    session = await start_session(user, kind=SessionKind.BEARER, clock=clock, settings=services.settings,
                                  ip="127.0.0.1", user_agent="cross-process")
    async with live_client(_address(first), token=session.token) as live:
        op = await live.subscribe(NOTIFICATIONS)
        async with httpx.AsyncClient(base_url=second, headers={"authorization": f"Bearer {session.token}"}) as http:
            async def post(query: str, variables: dict) -> dict:
                body = (await http.post("/graphql", json={"query": query, "variables": variables})).json()
                assert "errors" not in body, body
                return body["data"]

            assert (await post(REAUTH, {"p": factories.TEST_PASSWORD}))["reauthenticate"]["errors"] == []
            added = await post(ADD_BANK, {"input": {"holderName": "Pat Doe", "routingNumber": "011000015",
                                                    "accountNumber": "000123456789", "accountType": "CHECKING"}})
            assert added["addBankAccount"]["errors"] == [], added
        data = await live.next_data(op)
    assert data["notifications"]["notification"] == {"title": "A payment method was added",
                                                     "category": "SECURITY_ALERTS"}


async def test_a_reply_written_elsewhere_reaches_the_customer_on_another_process(two_servers, services):
    first, second = two_servers
    clock = SystemClock()
    customer = await factories.customer(services)
    alice = await factories.user(services, "xproc-bob", Role.CUSTOMER, customer=customer)
    agent = await factories.user(services, "xproc-agent", Role.SUPPORT)
    now = clock.now()
    thread = await MessageThread.create(customer=customer, category=ThreadCategory.PAYMENTS, subject="Late fee",
                                        assigned_to=agent, created_at=now, last_message_at=now)
    sessions = [await start_session(alice, kind=SessionKind.BEARER, clock=clock, settings=services.settings,
                                    ip="127.0.0.1", user_agent="cross-process") for _ in (1, 2)]
    # The customer is connected to both processes (two devices): each hears the reply once.
    async with live_client(_address(first), token=sessions[0].token) as one, \
            live_client(_address(second), token=sessions[1].token) as two:
        ops = [await one.subscribe(MESSAGES), await two.subscribe(MESSAGES)]
        async with in_transaction() as connection:
            message = await SecureMessage.create(thread=thread, author=agent, from_support=True,
                                                 body="We waived the fee.", created_at=now, using_db=connection)
            await publish(alice.id, MESSAGE, {"thread": thread.id, "message": message.id}, clock=clock,
                          using_db=connection)
        received = [await one.next_data(ops[0]), await two.next_data(ops[1])]
    for data in received:
        assert data["messages"]["body"] == "We waived the fee." and data["messages"]["fromSupport"] is True
