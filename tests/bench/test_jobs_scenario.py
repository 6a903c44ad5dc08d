"""The jobs scenarios (bench/scenarios/jobs.py) in quick mode, so they do not rot: a tiny portfolio,
the daily close with its re-run and autopay checks, and the statements on the cycle day. On SQLite
with one worker process (SQLite has one writer), on PostgreSQL with 1 and 3. Each runs in its own
process, like `python -m bench` (the portfolio builder opens and closes its own database connections).
The full run is `make bench` on PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = """
import json, sys
from dataclasses import asdict
from bench.portfolio import build
from bench.scenarios import jobs
url, scale, workers = sys.argv[1], float(sys.argv[2]), [int(n) for n in sys.argv[3].split(",")]
portfolio = build(url, scale=scale, progress=lambda _: None, with_scaling=False)
results = jobs.run(portfolio, workers=workers, progress=lambda _: None, statement_seconds=3)
print(json.dumps({"contracts": portfolio.contracts, "results": [asdict(r) for r in results]}))
"""


def run_jobs(tmp_path: Path, url: str, scale: float, workers: str) -> tuple[int, dict]:
    done = subprocess.run([sys.executable, "-c", SCRIPT, url, str(scale), workers], cwd=REPO, capture_output=True,
                          text=True, timeout=600, check=False,
                          env=dict(os.environ, BENCH_WORK_DIR=str(tmp_path / "work"), PYTHONPATH=str(REPO)))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    output = json.loads(done.stdout.strip().splitlines()[-1])
    return output["contracts"], {result["name"]: result for result in output["results"]}


def test_quick_jobs_scenarios(tmp_path):
    contracts, by_name = run_jobs(tmp_path, f"sqlite://{tmp_path / 'jobs-bench.sqlite3'}", 0.0015, "1,3")
    assert set(by_name) == {"daily close (1 worker)", "statements (1 worker)"}  # SQLite: one writer
    close = by_name["daily close (1 worker)"]
    assert close["passed"] is not False, close["notes"]
    metrics = close["metrics"]
    assert metrics["contracts"] == contracts and metrics["rerun_changes"] == 0
    assert metrics["autopay_due"] == metrics["autopay_drafted"] + metrics["autopay_skipped"]
    statements = by_name["statements (1 worker)"]["metrics"]
    assert statements["statements"] > 0 and statements["statements_per_s"] > 0
    assert not list(tmp_path.glob("*_jobs_*")), "the snapshot and work copies are removed"


@pytest.mark.postgres_only
async def test_quick_jobs_scenarios_with_three_workers(database_url, tmp_path):
    """On PostgreSQL: 1 and 3 worker processes share the close of a tiny portfolio (its own database
    next to the test database, dropped at the end)."""
    import asyncpg

    base, _, _ = database_url.rstrip("/").rpartition("/")
    name = f"autofin_jobs_quick_{os.getpid()}"
    try:
        _, by_name = run_jobs(tmp_path, f"{base}/{name}", 0.002, "1,3")
    finally:
        admin = await asyncpg.connect(f"{base}/postgres".replace("postgres://", "postgresql://", 1))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()
    assert set(by_name) == {"daily close (1 worker)", "daily close (3 workers)", "statements (1 worker)",
                            "statements (3 workers)"}
    for name in ("daily close (1 worker)", "daily close (3 workers)"):
        assert by_name[name]["passed"] is not False, by_name[name]["notes"]
    one, three = by_name["daily close (1 worker)"]["metrics"], by_name["daily close (3 workers)"]["metrics"]
    assert one["late_fees"] == three["late_fees"] and one["autopay_drafted"] == three["autopay_drafted"]
    assert three["rerun_changes"] == 0
