"""The jobs scenarios (bench/scenarios/jobs.py) in quick mode, so they do not rot: a tiny portfolio
on SQLite (one worker process: SQLite has one writer), the daily close with its re-run and autopay
checks, and the statements on the cycle day. The full run is `make bench` on PostgreSQL."""

from __future__ import annotations

import asyncio
import os

import pytest

from bench.portfolio import build
from bench.scenarios import jobs


def test_quick_jobs_scenarios(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCH_WORK_DIR", str(tmp_path / "work"))
    portfolio = build(f"sqlite://{tmp_path / 'jobs-bench.sqlite3'}", scale=0.0015, progress=lambda _: None,
                      with_scaling=False)
    said: list[str] = []
    results = jobs.run(portfolio, workers=[1, 3], progress=said.append, statement_seconds=3)
    by_name = {result.name: result for result in results}
    assert set(by_name) == {"daily close (1 worker)", "statements (1 worker)"}, said  # SQLite: one writer
    close = by_name["daily close (1 worker)"]
    assert close.passed is not False, close.notes
    assert close.metrics["contracts"] == portfolio.contracts and close.metrics["rerun_changes"] == 0
    assert close.metrics["autopay_due"] == close.metrics["autopay_drafted"] + close.metrics["autopay_skipped"]
    statements = by_name["statements (1 worker)"]
    assert statements.metrics["statements"] > 0 and statements.metrics["statements_per_s"] > 0, statements.notes
    assert not list(tmp_path.glob("*_jobs_*")), "the snapshot and work copies are removed"


@pytest.mark.postgres_only
async def test_quick_jobs_scenarios_with_three_workers(database_url, tmp_path, monkeypatch):
    """On PostgreSQL: 1 and 3 worker processes share the close of a tiny portfolio (its own database
    next to the test database, dropped at the end)."""
    import asyncpg

    monkeypatch.setenv("BENCH_WORK_DIR", str(tmp_path / "work"))
    base, _, _ = database_url.rstrip("/").rpartition("/")
    name = f"autofin_jobs_quick_{os.getpid()}"
    url = f"{base}/{name}"
    try:
        portfolio = await asyncio.to_thread(build, url, scale=0.002, progress=lambda _: None, with_scaling=False)
        results = await asyncio.to_thread(jobs.run, portfolio, workers=[1, 3], progress=lambda _: None,
                                          statement_seconds=3)
    finally:
        admin = await asyncpg.connect(f"{base}/postgres".replace("postgres://", "postgresql://", 1))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()
    by_name = {result.name: result for result in results}
    assert set(by_name) == {"daily close (1 worker)", "daily close (3 workers)", "statements (1 worker)",
                            "statements (3 workers)"}
    for result in results:
        assert result.passed is not False or result.name.startswith("statements"), (result.name, result.notes)
    one, three = by_name["daily close (1 worker)"].metrics, by_name["daily close (3 workers)"].metrics
    assert one["late_fees"] == three["late_fees"] and one["autopay_drafted"] == three["autopay_drafted"]
    assert three["rerun_changes"] == 0
