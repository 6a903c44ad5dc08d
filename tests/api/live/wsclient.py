"""A real WebSocket client speaking graphql-transport-ws (the `websockets` package), and a real
uvicorn server for the app running in the test's own event loop (so it shares the test database
connection on SQLite and PostgreSQL alike)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import uvicorn
from websockets.asyncio.client import ClientConnection, connect

PROTOCOL = "graphql-transport-ws"
TIMEOUT = 10.0
_ids = itertools.count(1)


@contextlib.asynccontextmanager
async def serve(app) -> AsyncIterator[str]:
    """Serve `app` (lifespan included: the live fan-out starts) on a free port; yield host:port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, lifespan="on", log_config=None, access_log=False,
                                           log_level="warning", ws_ping_interval=None))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(TIMEOUT):
            while not server.started:  # waiting for the server to come up, not for application time
                if task.done():
                    task.result()
                await asyncio.sleep(0.01)
        await app.state.fanout.ready.wait()
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, TIMEOUT)
        sock.close()


class LiveClient:
    """One graphql-transport-ws connection."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    async def receive(self, timeout: float = TIMEOUT) -> dict[str, Any]:
        while True:
            message = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
            if message.get("type") == "ping":
                await self.ws.send(json.dumps({"type": "pong"}))
                continue
            return message

    async def subscribe(self, query: str, variables: dict | None = None) -> str:
        operation_id = str(next(_ids))
        await self.ws.send(json.dumps({"id": operation_id, "type": "subscribe",
                                       "payload": {"query": query, "variables": variables or {}}}))
        return operation_id

    async def next_data(self, operation_id: str, timeout: float = TIMEOUT) -> dict[str, Any]:
        """The data of the next `next` message of `operation_id` (fails on errors or completion)."""
        message = await self.receive(timeout)
        assert message.get("id") == operation_id and message["type"] == "next", message
        assert "errors" not in message["payload"], message
        return message["payload"]["data"]

    async def error_codes(self, operation_id: str) -> list[str]:
        """The error codes an operation ended with (an `error` message, or `next` with errors then `complete`)."""
        message = await self.receive()
        assert message.get("id") == operation_id and message["type"] in ("next", "error"), message
        if message["type"] == "error":
            return [e.get("extensions", {}).get("code") for e in message["payload"]]
        assert message["payload"].get("data") is None, message
        completed = await self.receive()
        assert completed == {"id": operation_id, "type": "complete"}, completed
        return [e.get("extensions", {}).get("code") for e in message["payload"]["errors"]]

    async def closed_with(self, timeout: float = TIMEOUT) -> int | None:
        """Wait for the server to close the connection; its close code."""
        with contextlib.suppress(Exception):
            async with asyncio.timeout(timeout):
                while True:
                    await self.ws.recv()
        return self.ws.close_code


@contextlib.asynccontextmanager
async def open_socket(address: str, *, subprotocols: tuple[str, ...] | None = (PROTOCOL,), origin: str | None = None,
                      headers: dict[str, str] | None = None) -> AsyncIterator[ClientConnection]:
    async with connect(f"ws://{address}/graphql", subprotocols=list(subprotocols) if subprotocols else None,
                       origin=origin,
                       additional_headers=headers, open_timeout=TIMEOUT) as ws:
        yield ws


@contextlib.asynccontextmanager
async def live_client(address: str, *, token: str | None = None, payload: dict | None = None,
                      **options) -> AsyncIterator[LiveClient]:
    """A connection that completed connection_init (acknowledged), signed in with `token`."""
    init = dict(payload or {})
    if token is not None:
        init["authorization"] = f"Bearer {token}"
    async with open_socket(address, **options) as ws:
        client = LiveClient(ws)
        await ws.send(json.dumps({"type": "connection_init", "payload": init}))
        ack = await client.receive()
        assert ack["type"] == "connection_ack", ack
        yield client


async def init_refused(address: str, payload: dict, **options) -> int | None:
    """Open a socket, send connection_init with `payload`, and return the close code it gets."""
    async with open_socket(address, **options) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        return await LiveClient(ws).closed_with()
