"""Attempt counters in the database (shared by every process): failures per key within a
window, and a lock until a time. Keys name what the caller typed or their IP, never a row id,
so unknown and known accounts behave the same."""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from models import AttemptCounter
from service.clock import Clock


async def _ensure(key: str, now: datetime) -> None:
    if await AttemptCounter.filter(key=key).exists():
        return
    try:
        async with in_transaction() as savepoint:
            await AttemptCounter.create(key=key, failures=0, window_started_at=now, updated_at=now, using_db=savepoint)
    except IntegrityError:
        pass  # created concurrently: fine


async def failures(key: str, *, clock: Clock, window: timedelta | None = None) -> int:
    """Failures counted for `key` (within `window` when given)."""
    row = await AttemptCounter.filter(key=key).first()
    if row is None:
        return 0
    if window is not None and clock.now() - row.window_started_at >= window:
        return 0
    return row.failures


async def add_failure(key: str, *, clock: Clock, window: timedelta | None = None) -> int:
    """Count one failure (atomically) and return the count in the current window."""
    now = clock.now()
    await _ensure(key, now)
    if window is not None:
        await AttemptCounter.filter(key=key, window_started_at__lte=now - window).update(
            failures=0, window_started_at=now
        )
    await AttemptCounter.filter(key=key).update(failures=F("failures") + 1, updated_at=now)
    return (await AttemptCounter.get(key=key)).failures


async def reset(key: str, *, clock: Clock) -> None:
    await AttemptCounter.filter(key=key).update(failures=0, locked_until=None, updated_at=clock.now())


async def lock(key: str, *, clock: Clock, until: datetime) -> None:
    now = clock.now()
    await _ensure(key, now)
    await AttemptCounter.filter(key=key).update(locked_until=until, updated_at=now)


async def locked_until(key: str, *, clock: Clock) -> datetime | None:
    row = await AttemptCounter.filter(key=key).first()
    if row is None or row.locked_until is None or row.locked_until <= clock.now():
        return None
    return row.locked_until


async def within_limit(key: str, *, clock: Clock, limit: int, window: timedelta) -> bool:
    """Rate limit: count this attempt and say whether it is within `limit` per `window`."""
    return await add_failure(key, clock=clock, window=window) <= limit
