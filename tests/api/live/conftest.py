"""Live subscriptions: the app served by a real uvicorn in the test's event loop, with a fast
SQLite poll and session check (the defaults are 0.5 s and 30 s)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from service.clock import FrozenClock
from service.config import load_settings
from service.container import Services
from tests.api.live.wsclient import serve

FAST = {"AUTOFIN_LIVE_POLL_SECONDS": "0.02", "AUTOFIN_LIVE_SESSION_CHECK_SECONDS": "0.05"}


@pytest.fixture
def services(db: str, clock: FrozenClock, settings_env: dict[str, str]) -> Services:
    return Services(load_settings({**settings_env, **FAST}), clock=clock)


@pytest.fixture
async def address(app) -> AsyncIterator[str]:
    async with serve(app) as host_port:
        yield host_port
