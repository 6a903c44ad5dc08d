"""The worker runs the row-scanning jobs on an interval, measured on the injected clock."""

from __future__ import annotations

from datetime import timedelta

from jobs import worker as worker_module
from jobs.worker import AUTOPAY_INTERVAL, RETURNS_INTERVAL, Worker


async def test_interval_jobs_run_first_then_every_interval_and_on_a_new_day(services, clock, monkeypatch):
    calls: list[str] = []

    async def record(name, *args, **kwargs):
        calls.append(name)

    monkeypatch.setattr(worker_module, "run_autopay", lambda *a, **k: record("autopay"))
    monkeypatch.setattr(worker_module, "check_returns", lambda *a, **k: record("returns"))
    monkeypatch.setattr(worker_module, "process_due_payments", lambda *a, **k: record("charge"))
    monkeypatch.setattr(worker_module, "close_through_today", lambda *a, **k: record("close") or _done())
    worker = Worker(services)

    async def cycle():
        await worker.payments()
        await worker.autopay()

    await cycle()
    await cycle()
    assert calls.count("charge") == 2  # charging due payments: every cycle
    assert calls.count("autopay") == 1 and calls.count("returns") == 1

    clock.advance(AUTOPAY_INTERVAL)
    await cycle()
    assert calls.count("autopay") == 2 and calls.count("returns") == 1
    clock.advance(RETURNS_INTERVAL)
    await cycle()
    assert calls.count("returns") == 2 and calls.count("autopay") == 3

    clock.set(clock.now().replace(hour=23, minute=58))
    await cycle()
    assert calls.count("autopay") == 4
    clock.advance(timedelta(minutes=2))  # a new business date, within the interval: run at once
    await cycle()
    assert calls.count("autopay") == 5 and calls.count("returns") == 4


async def _done():
    return []
