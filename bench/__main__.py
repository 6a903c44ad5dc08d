"""`python -m bench`: build the portfolio, run the scenarios, print the table, write JSON and PNG.

    python -m bench [--db postgres|sqlite] [--scale F] [--workers N] [--duration S] [--quick]
                    [--scenarios dashboard,scaling,history,login,pay,analytics,jobs] [--connections N]
                    [--login-rate R] [--reuse] [--profile] [--no-pin] [--strict] [--results-dir DIR]

Exit status: 0 when every scenario ran without an error answer (targets missed are reported in the
table; --strict makes them fail too), 2 when a scenario saw errors or could not run.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import config as bench_config
from bench.config import ALL_SCENARIOS, QUICK_SCALE, BenchConfig, Pinning

# The analytics scenario (bench/scenarios/analytics.py) runs with the web server, before the jobs.
ALL_SCENARIOS = (*ALL_SCENARIOS[:-1], "analytics", ALL_SCENARIOS[-1])


def parse_args(argv: list[str] | None) -> BenchConfig:
    parser = argparse.ArgumentParser(prog="python -m bench", description="autofin's benchmark harness")
    parser.add_argument("--db", choices=("postgres", "sqlite"), default=None,
                        help="database (default postgres; sqlite with --quick)")
    parser.add_argument("--scale", type=float, default=None,
                        help="portfolio size: 1.0 = 20,000 customers / 25,000 contracts (4 = 100,000 contracts)")
    parser.add_argument("--workers", type=int, default=None,
                        help="uvicorn worker processes (default: one per server core; SQLite: 1)")
    parser.add_argument("--duration", type=float, default=None, help="seconds per wrk run (default 10; quick 2)")
    parser.add_argument("--connections", type=int, default=None, help="wrk connections for throughput runs (16)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (1: the client has one core)")
    parser.add_argument("--quick", action="store_true",
                        help="tiny portfolio (30 customers), 2-second runs, SQLite unless --db says otherwise")
    parser.add_argument("--scenarios", default=None,
                        help=f"comma-separated, from {','.join(ALL_SCENARIOS)} (default: all)")
    parser.add_argument("--login-rate", type=float, default=20.0, help="logins per second in the storm (20)")
    parser.add_argument("--postgres", default=bench_config.DEFAULT_POSTGRES_SERVER,
                        help="PostgreSQL server URL; the bench uses its own database autofin_bench on it")
    parser.add_argument("--results-dir", type=Path, default=bench_config.DEFAULT_RESULTS_DIR)
    parser.add_argument("--reuse", action="store_true",
                        help="reuse the previous portfolio when its database and scale match (no rebuild)")
    parser.add_argument("--no-pin", action="store_true", help="do not pin server and client to separate cores")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--profile", action="store_true",
                        help="record a py-spy flame graph (SVG, var/bench/profiles/) of the server during each "
                             "measured autofin run (sampling costs a little throughput)")
    args = parser.parse_args(argv)

    scenarios = tuple(s.strip() for s in (args.scenarios or ",".join(ALL_SCENARIOS)).split(",") if s.strip())
    unknown = [s for s in scenarios if s not in ALL_SCENARIOS]
    if unknown:
        parser.error(f"unknown scenarios {unknown}; choose from {', '.join(ALL_SCENARIOS)}")
    scenarios = tuple(s for s in ALL_SCENARIOS if s in scenarios)  # the harness's order
    db = args.db or ("sqlite" if args.quick else "postgres")
    pinning = Pinning.for_machine(enabled=not args.no_pin)
    workers = args.workers or pinning.server_core_count
    if db == "sqlite":
        workers = 1
    return BenchConfig(
        db=db, scale=args.scale if args.scale is not None else (QUICK_SCALE if args.quick else 1.0),
        workers=workers, duration=args.duration or (2.0 if args.quick else 10.0),
        connections=args.connections or (4 if args.quick else 16), threads=args.threads, quick=args.quick,
        scenarios=scenarios, postgres_server=args.postgres, results_dir=args.results_dir, reuse=args.reuse,
        strict=args.strict, login_rate=args.login_rate, pin=not args.no_pin, profile=args.profile, pinning=pinning)


def say(message: str) -> None:
    print(message, flush=True)


def get_portfolio(config: BenchConfig):
    from bench.portfolio import Portfolio, build, portfolio_path

    path = portfolio_path(config.db)
    url = config.database_url()
    if config.reuse and path.exists():
        previous = Portfolio.load(path)
        today = datetime.now(UTC).date().isoformat()
        if (previous.db_url == url and previous.scale == config.scale and previous.business_date == today
                and (previous.scaling or "scaling" not in config.scenarios)):
            say(f"portfolio: reusing the one built earlier today ({previous.customers:,} customers, "
                f"{previous.contracts:,} contracts)")
            return previous
        say("portfolio: the saved one does not match (database, scale or day): building a new one")
    say(f"portfolio: building {config.customers:,} customers / {config.contracts:,} contracts "
        f"(+ scaling and history customers) on {config.db}")
    # The scaling customers (about 20,000 ledger rows) are left out of quick runs that do not measure them.
    with_scaling = not config.quick or "scaling" in config.scenarios
    portfolio = build(url, scale=config.scale, progress=lambda message: say(f"  {message}"), with_scaling=with_scaling)
    portfolio.save(path)
    return portfolio


def main(argv: list[str] | None = None) -> int:
    config = parse_args(argv)
    from bench.load import LoadError, LoadErrors, wrk_path
    from bench.report import ScenarioResult, run_name, scaling_chart, summary, table, write_json
    from bench.server import ServerError, autofin_server

    started = datetime.now(UTC)
    machine = bench_config.machine()
    git = bench_config.git_revision()
    say(f"autofin benchmarks: {machine['cores']} cores ({machine['cpu'] or 'unknown CPU'}), "
        f"{machine['memory_gib']} GiB, commit {git['commit']}{' (uncommitted changes)' if git['dirty'] else ''}")
    say(f"settings: db={config.db} scale={config.scale:g} ({config.customers:,} customers, {config.contracts:,} "
        f"contracts) workers={config.workers} duration={config.duration:g}s connections={config.connections} "
        f"wrk threads={config.threads} login rate={config.login_rate:g}/s")
    say(f"pinning: {config.pinning.describe()}; PostgreSQL is not pinned")
    say(f"scenarios: {', '.join(config.scenarios)}")
    say("server: `autofin serve --workers N --no-demo` (uvicorn), embedded worker off, argon2 default profile, "
        "log level WARNING; AUTOFIN_ENV=development because production refuses SQLite/SMTP without TLS/the sandbox")
    web_wanted = [name for name in config.scenarios if name != "jobs"]
    if web_wanted:
        try:
            wrk_path()
        except LoadError as exc:
            say(f"error: {exc}")
            return 2

    build_started = time.perf_counter()
    portfolio = get_portfolio(config)
    results: list[ScenarioResult] = []
    errors: list[str] = []
    scaling_points: list[dict] = []

    def failed(name: str, exc: Exception) -> None:
        message = f"{type(exc).__name__}: {exc}"
        say(f"  {name} FAILED: {message}")
        errors.append(f"{name}: {message}")
        results.append(ScenarioResult(name, {}, "", False, message[:500]))

    if web_wanted:
        from bench.scenarios.analytics import run as analytics_run
        from bench.scenarios.web import WEB, WebContext

        try:
            with autofin_server(portfolio, workers=config.workers, pinning=config.pinning) as server:
                say(f"autofin is up at {server.url} ({config.workers} worker process"
                    f"{'es' if config.workers != 1 else ''})")
                context = WebContext(config, portfolio, server, progress=say)
                for name in web_wanted:
                    try:
                        results.extend((WEB.get(name) or analytics_run)(context))
                    except (LoadError, LoadErrors, ServerError, RuntimeError, OSError) as exc:
                        failed(name, exc)
                        if server.process.poll() is not None:
                            say(server.log_tail())
                            break
                scaling_points = context.scaling_points
        except ServerError as exc:
            failed("server", exc)

    if "jobs" in config.scenarios:
        try:
            from bench.scenarios import jobs
        except ImportError as exc:
            failed("jobs", exc)
        else:
            try:
                counts = [1, 3] if config.db == "postgres" else [1]
                results.extend(jobs.run(portfolio, workers=counts, progress=say))
            except Exception as exc:  # noqa: BLE001 - the other scenarios' results still get written
                failed("jobs", exc)

    finished = datetime.now(UTC)
    name = run_name(git["commit"], started)
    config.results_dir.mkdir(parents=True, exist_ok=True)
    chart = None
    if scaling_points:
        chart = scaling_chart(config.results_dir / f"scaling-{name}.png", scaling_points,
                              f"autofin {git['commit']}, {config.db}, scale {config.scale:g}, "
                              f"{config.workers} worker(s), {config.pinning.describe()}")
    settings = bench_config.config_dict(config) | bench_config.BenchConfig.settings_summary(config)
    report_path = write_json(config.results_dir / f"{name}.json", settings=settings, machine=machine, git=git,
                             portfolio=portfolio.counts() | {"scaling": portfolio.scaling},
                             results=results, started=started, finished=finished, errors=errors)
    say("")
    say(table(results))
    say("")
    say("summary:")
    for scenario, figures, target, verdict in summary(results):
        say(f"  {verdict:4}  {scenario}: {figures}  [target: {target}]")
    say("")
    say(f"results: {report_path}" + (f"\nchart:   {chart}" if chart else ""))
    say(f"total time {time.perf_counter() - build_started:.0f} s (portfolio build {portfolio.build_seconds:.0f} s)")
    if errors:
        say(f"FAILED: {len(errors)} scenario(s) saw errors or could not run")
        return 2
    missed = [r.name for r in results if r.passed is False]
    if missed:
        say(f"targets missed: {', '.join(missed)}")
        return 1 if config.strict else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
