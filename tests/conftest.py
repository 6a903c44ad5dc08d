"""Shared test fixtures: a real database, a real SMTP server, a frozen clock and a GraphQL client.

Database: SQLite by default; `pytest --db postgres` uses AUTOFIN_TEST_POSTGRES_URL (a server URL,
e.g. postgres://postgres@127.0.0.1:5432/postgres). One database per run, created and migrated
once with the committed migrations (`autofin migrate`'s own code), dropped at the end; tables
are emptied between tests. On the PostgreSQL run only tests that use the database are collected
(the pure unit tests have nothing to learn from a second run).
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import asyncpg
import httpx
import pytest
from aiosmtpd.controller import Controller
from tortoise import Tortoise, connections

from service import db as database
from service.clock import FrozenClock
from service.config import load_settings
from service.container import Services

DB_FIXTURES = {"db", "services", "client", "app", "database_url"}
TEST_START = datetime(2026, 11, 2, 15, 0, tzinfo=timezone.utc)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--db", choices=["sqlite", "postgres"], default="sqlite", help="database backend for the run")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgres_only: concurrency tests that need a real multi-writer database")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    backend = config.getoption("--db")
    if backend == "postgres":
        keep = [item for item in items if DB_FIXTURES & set(getattr(item, "fixturenames", ()))]
        deselected = [item for item in items if item not in keep]
        if deselected:
            config.hook.pytest_deselected(items=deselected)
        items[:] = keep
    else:
        skip = pytest.mark.skip(reason="needs PostgreSQL (pytest --db postgres): SQLite has one writer")
        for item in items:
            if "postgres_only" in item.keywords:
                item.add_marker(skip)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _postgres_server_url() -> str:
    url = os.environ.get("AUTOFIN_TEST_POSTGRES_URL")
    if not url:
        pytest.exit("--db postgres needs AUTOFIN_TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres)")
    return url


def _with_database(server_url: str, name: str) -> str:
    base, _, _ = server_url.rstrip("/").rpartition("/")
    return f"{base}/{name}"


@pytest.fixture(scope="session")
async def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    backend = request.config.getoption("--db")
    if backend == "sqlite":
        url = f"sqlite://{tmp_path_factory.mktemp('db') / 'autofin-test.sqlite3'}"
        await database.migrate(url, progress=lambda _: None)
        yield url
        return
    server_url = _postgres_server_url()
    name = f"autofin_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = await asyncpg.connect(server_url.replace("postgres://", "postgresql://", 1))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = _with_database(server_url, name)
    try:
        await database.migrate(url, progress=lambda _: None)
        yield url
    finally:
        await Tortoise.close_connections() if Tortoise._inited else None
        admin = await asyncpg.connect(server_url.replace("postgres://", "postgresql://", 1))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture(scope="session")
async def _connected(database_url: str) -> AsyncIterator[str]:
    await database.init_db(database_url)
    yield database_url
    await database.close_db()


def _table_names() -> list[str]:
    return [model._meta.db_table for model in Tortoise.apps[database.APP_LABEL].values()]


async def truncate_all() -> None:
    conn = connections.get("default")
    tables = _table_names()
    if conn.capabilities.dialect == "postgres":
        await conn.execute_script(
            "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
        )
    else:
        # Children before parents would need an order; switching foreign keys off needs none.
        await conn.execute_script(
            "PRAGMA foreign_keys=OFF;" + "".join(f'DELETE FROM "{t}";' for t in tables) + "PRAGMA foreign_keys=ON;"
        )


@pytest.fixture
async def db(_connected: str) -> AsyncIterator[str]:
    """A connected, migrated, empty database; emptied again after the test."""
    yield _connected
    await truncate_all()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(TEST_START)


@pytest.fixture
def settings_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "AUTOFIN_ENV": "test",
        "DATABASE_URL": database_url,
        "AUTOFIN_VAR_DIR": str(tmp_path / "var"),
        "AUTOFIN_ARGON2_PROFILE": "cheapest",
        "AUTOFIN_EMBEDDED_WORKER": "false",
        "AUTOFIN_MAIL_SINK": "false",
    }


@pytest.fixture
def services(db: str, clock: FrozenClock, settings_env: dict[str, str]) -> Services:
    return Services(load_settings(settings_env), clock=clock)


@pytest.fixture
def app(services: Services):
    from graph.app import create_app

    return create_app(services, manage_database=False)


@dataclass
class GraphQLClient:
    """Posts GraphQL to the app in-process. `token` signs requests in as a bearer session."""

    http: httpx.AsyncClient
    token: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    async def post(self, query: str, variables: dict | None = None, **kwargs) -> httpx.Response:
        headers = dict(self.headers)
        if self.token:
            headers["authorization"] = f"Bearer {self.token}"
        headers.update(kwargs.pop("headers", {}))
        return await self.http.post("/graphql", json={"query": query, "variables": variables or {}},
                                    headers=headers, **kwargs)

    async def execute(self, query: str, variables: dict | None = None) -> dict:
        """The `data` of a response that must have no top-level errors."""
        response = await self.post(query, variables)
        body = response.json()
        assert response.status_code == 200, body
        assert "errors" not in body, body["errors"]
        return body["data"]

    async def login(self, username: str, password: str) -> dict:
        data = await self.execute(
            """mutation($u: String!, $p: String!) {
                 login(input: {username: $u, password: $p, mode: BEARER}) {
                   token viewer { id username role } errors { code message field }
                 }
               }""",
            {"u": username, "p": password},
        )
        payload = data["login"]
        assert payload["errors"] == [], payload["errors"]
        self.token = payload["token"]
        return payload["viewer"]


@pytest.fixture
async def client(app) -> AsyncIterator[GraphQLClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield GraphQLClient(http)


@dataclass
class SmtpRecorder:
    """A real SMTP server (aiosmtpd) on a free port that keeps what it receives."""

    host: str
    port: int
    messages: list = field(default_factory=list)
    controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd hook name
        self.messages.append(envelope)
        return "250 OK"

    def start(self) -> None:
        self.controller = Controller(self, hostname=self.host, port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server() -> Iterator[SmtpRecorder]:
    recorder = SmtpRecorder("127.0.0.1", free_port())
    recorder.start()
    yield recorder
    recorder.stop()


class QueryCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.lstrip().split(" ", 1)[0].upper() in {"SELECT", "INSERT", "UPDATE", "DELETE", "WITH"}:
            self.statements.append(message)


@contextmanager
def count_queries() -> Iterator[QueryCounter]:
    """Counts the SQL statements Tortoise sends while the block runs."""
    logger = logging.getLogger("tortoise.db_client")
    counter = QueryCounter()
    previous = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(counter)
    try:
        yield counter
    finally:
        logger.removeHandler(counter)
        logger.setLevel(previous)


@dataclass
class Mailbox:
    """Delivers the outbox over real SMTP (aiosmtpd) and hands back the parsed messages."""

    services: Services
    server: SmtpRecorder
    seen: int = 0

    async def deliver(self) -> list:
        """Send every due outbox message and return the messages that arrived since last call."""
        import email
        from email import policy

        from jobs.outbox import SmtpTransport, deliver_due

        settings = load_settings({"AUTOFIN_SMTP_PORT": str(self.server.port)})
        await deliver_due(clock=self.services.clock, transport=SmtpTransport(settings),
                          sender=self.services.settings.mail_from, worker_id="test-mailbox")
        new = self.server.messages[self.seen:]
        self.seen = len(self.server.messages)
        return [email.message_from_bytes(m.original_content, policy=policy.default) for m in new]

    @staticmethod
    def text(message) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()

    @classmethod
    def link_param(cls, message, name: str = "token") -> str:
        """The value of `name` in the first portal link of the message's text part."""
        import re
        from urllib.parse import parse_qs, urlsplit

        match = re.search(r"https?://\S+", cls.text(message))
        assert match, f"no link in message {message['Subject']!r}"
        return parse_qs(urlsplit(match.group(0)).query)[name][0]


@pytest.fixture
def mailbox(services: Services, smtp_server: SmtpRecorder) -> Mailbox:
    return Mailbox(services, smtp_server)
