"""The `autofin` command: serve, worker, migrate, makemigrations, seed-demo, export-schema."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

from service.config import ConfigError, Settings, load_settings


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        print(f"autofin: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def _step(message: str) -> None:
    print(f"  {message}", flush=True)


async def _migrate(settings: Settings) -> None:
    from service import db

    applied = await db.migrate(settings.database_url, progress=_step)
    _step(f"migrations: {len(applied)} applied, database is up to date")


async def _seed_if_empty(settings: Settings, *, required: bool) -> bool:
    from service import db
    from service.container import Services
    from service.demo_data import database_is_empty, seed_demo

    await db.init_db(settings.database_url)
    try:
        if not await database_is_empty():
            if required:
                print("autofin: the database already has data; demo data is only loaded into an empty one.")
            return False
        await seed_demo(Services(settings), progress=_step)
        return True
    finally:
        await db.close_db()


def _date_option(value: str | None):
    """--date YYYY-MM-DD, or None for today; a malformed date exits with a clear message."""
    from datetime import date

    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        print(f"autofin: --date must be YYYY-MM-DD, not {value!r}", file=sys.stderr)
        raise SystemExit(2) from None


def _with_database(settings: Settings, job):
    """Run the coroutine function `job()` with the database connected, and return its result."""
    from service import db

    async def run():
        await db.init_db(settings.database_url)
        try:
            return await job()
        finally:
            await db.close_db()

    return asyncio.run(run())


def cmd_migrate(args: argparse.Namespace) -> int:
    settings = _settings()
    print(f"autofin: migrating {_describe_db(settings)}")
    asyncio.run(_migrate(settings))
    return 0


def cmd_makemigrations(args: argparse.Namespace) -> int:
    """Developer command: write a migration for model changes (Tortoise's own autodetector)."""
    from tortoise.cli import cli as tortoise_cli

    argv = ["-c", "service.tortoise_settings.TORTOISE_ORM", "makemigrations", "autofin"]
    if args.name:
        argv += ["--name", args.name]
    tortoise_cli.main(argv)
    return 0


def cmd_seed_demo(args: argparse.Namespace) -> int:
    settings = _settings()
    if settings.is_production:
        print("autofin: refusing to load demo data in production", file=sys.stderr)
        return 2
    print(f"autofin: loading demo data into {_describe_db(settings)}")
    seeded = asyncio.run(_seed_if_empty(settings, required=True))
    if seeded:
        from service.demo_data import format_logins

        print(format_logins())
    return 0


def cmd_export_schema(args: argparse.Namespace) -> int:
    from graph.schema import build_schema

    sdl = build_schema().as_str() + "\n"
    if args.output:
        Path(args.output).write_text(sdl, encoding="utf-8")
        print(f"autofin: wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(sdl)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from jobs.worker import Worker
    from service import db
    from service.container import Services
    from service.logs import configure_logging

    settings = _settings()
    configure_logging(settings.log_level)

    async def run() -> None:
        pending = await db.pending_migrations(settings.database_url)
        if pending:
            raise SystemExit(f"autofin: unapplied migrations {pending}: run `autofin migrate` first")
        await db.init_db(settings.database_url)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await Worker(Services(settings), poll_seconds=args.poll_seconds).run_forever(stop)
        finally:
            await db.close_db()

    asyncio.run(run())
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = _settings()
    host = args.host or settings.host
    port = args.port or settings.port
    if args.workers > 1 and settings.is_sqlite:
        print("autofin: several web workers need PostgreSQL (SQLite has one writer); set DATABASE_URL", file=sys.stderr)
        return 2
    print(f"autofin: {settings.environment} mode, database {_describe_db(settings)}")
    asyncio.run(_migrate(settings))
    if not settings.is_production and not args.no_demo:
        asyncio.run(_seed_if_empty(settings, required=False))
    sink = None
    if settings.mail_sink:
        from service.mail_sink import start_mail_sink

        sink = start_mail_sink(settings.mail_dir, settings.smtp_host, settings.smtp_port)
        _step(f"mail sink: smtp://{settings.smtp_host}:{settings.smtp_port} -> {settings.mail_dir}/*.eml")
    _step("worker: " + ("in this process" if settings.embedded_worker else "not started here (run `autofin worker`)"))
    print()
    print(f"  GraphiQL:  http://{host}:{port}/graphql" if settings.graphiql else f"  API: http://{host}:{port}/graphql")
    if not settings.is_production:
        from service.demo_data import format_logins

        print(format_logins())
    print(flush=True)
    try:
        uvicorn.run(
            "service.asgi:create_app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=args.workers,
            log_config=None,
            proxy_headers=args.proxy_headers,
            server_header=False,
        )
    finally:
        if sink is not None:
            sink.stop()
    return 0


def cmd_verify_audit(args: argparse.Namespace) -> int:
    """Recompute the audit log's hash chain; exit 1 when a row was edited or removed."""
    from auth.audit import verify_chain

    report = _with_database(_settings(), verify_chain)
    if report.ok:
        print(f"autofin: audit log intact ({report.events} events verified)")
        return 0
    where = f" at event {report.first_bad_id}" if report.first_bad_id is not None else ""
    print(f"autofin: audit log BROKEN{where} after {report.events} good events: {report.reason}", file=sys.stderr)
    return 1


def cmd_create_staff(args: argparse.Namespace) -> int:
    """Create a staff account (the same rule as the createStaffUser mutation) and email its set-up link."""
    from auth.audit import Origin
    from models import Dealership
    from models.enums import Role
    from resolvers.identity.staff import create_staff_user
    from resolvers.masking import mask_email
    from service.container import Services

    settings = _settings()

    async def create():
        dealership = await Dealership.get_or_none(code=args.dealership) if args.dealership else None
        return await create_staff_user(
            Services(settings), actor=None, username=args.username, email=args.email, role=Role(args.role),
            dealership_id=dealership.id if dealership else None, dealership_given=args.dealership is not None,
            origin=Origin(ip="", user_agent="autofin create-staff"),
        )

    outcome = _with_database(settings, create)
    if outcome.problems:
        for problem in outcome.problems:
            where = f" ({'.'.join(problem.field)})" if problem.field else ""
            print(f"autofin: {problem.code.value}{where}: {problem.message}", file=sys.stderr)
        return 1
    user = outcome.value
    print(f"autofin: created {user.role.value} {user.username}; a set-up link (single use, 72 hours) was emailed "
          f"to {mask_email(user.email)}.")
    if settings.mail_sink:
        print(f"  development: the worker delivers it to the mail sink, which stores it under {settings.mail_dir}")
    return 0


def cmd_demo_totp(args: argparse.Namespace) -> int:
    """Development only: the current code of a demo staff login, whose TOTP secret is derived
    from its name (service/demo_data.py), so staff can be explored in GraphiQL."""
    from auth.totp import INTERVAL, current_code
    from service.clock import SystemClock
    from service.demo_data import STAFF, demo_totp_secret

    settings = _settings()
    if settings.is_production:
        print("autofin: demo TOTP codes exist only outside production", file=sys.stderr)
        return 2
    names = [name for name, _, _ in STAFF]
    if args.username not in names:
        print(f"autofin: {args.username!r} is not a demo staff login; choose one of {', '.join(names)}",
              file=sys.stderr)
        return 2
    clock = SystemClock()
    left = INTERVAL - int(clock.now().timestamp()) % INTERVAL
    print(current_code(demo_totp_secret(args.username), clock))
    print(f"  valid about {left} more seconds (and the 30 s after); each code signs in once", file=sys.stderr)
    return 0


def cmd_close_day(args: argparse.Namespace) -> int:
    """Close one business date (default today): late fees, delinquency, autopay, statements. Several
    processes closing the same date share the work. Running it again for the same date changes nothing."""
    from jobs.daily_close import run_daily_close
    from service.container import Services

    settings = _settings()
    business_date = _date_option(args.date)
    report = _with_database(settings, lambda: run_daily_close(Services(settings), business_date))
    day = report.business_date.isoformat()
    done = (f"{report.contracts_processed} contracts, {report.late_fees_assessed} late fees, "
            f"{report.statements_generated} statements, {report.autopay_reminders} autopay reminders, "
            f"{report.autopay_drafts} autopay drafts")
    if report.outcome == "in_progress":
        if not report.shares_done:
            print(f"autofin: {day} is being closed by other processes right now; nothing left to do here")
            return 1
        print(f"autofin: helped close {day} ({done}); other processes are finishing it")
        return 0
    state = "was already closed" if report.outcome == "already_closed" else "closed"
    print(f"autofin: business date {day} {state}: {done}" + ("" if report.outcome == "already_closed" else
                                                               " (by this process)"))
    return 0


def cmd_generate_tax_documents(args: argparse.Namespace) -> int:
    """The tax documents of --year for every contract with activity in it (the daily close does this
    on January 31 for the year before). Existing documents are kept as they are."""
    from jobs.statements import generate_tax_documents
    from service.container import Services

    settings = _settings()
    services = Services(settings)
    if args.year >= services.clock.today().year:
        print(f"autofin: {args.year} has not ended yet; tax documents are for past years", file=sys.stderr)
        return 2

    generated = _with_database(settings, lambda: generate_tax_documents(services, args.year))
    print(f"autofin: {generated} tax documents generated for {args.year} (existing ones kept)")
    return 0


def cmd_run_autopay(args: argparse.Namespace) -> int:
    """Send the autopay reminders and make the drafts of a business date (default today). Running it
    again for the same date changes nothing."""
    from jobs.autopay import run_autopay
    from service.container import Services

    settings = _settings()
    business_date = _date_option(args.date)
    report = _with_database(settings, lambda: run_autopay(Services(settings), business_date))
    skipped = ", ".join(f"{count} {reason}" for reason, count in sorted(report.skipped.items())) or "none"
    print(f"autofin: autopay for {report.business_date.isoformat()}: {report.plans} active plans, "
          f"{report.reminders} reminders, {report.drafts} drafts, skipped: {skipped}")
    return 1 if report.failed_plans else 0


def cmd_process_payments(args: argparse.Namespace) -> int:
    """Charge the payments due on a business date (default today) and apply returns. Safe to repeat."""
    from jobs.payments import run_payments
    from service.container import Services

    settings = _settings()
    business_date = _date_option(args.date)
    result = _with_database(settings, lambda: run_payments(Services(settings), business_date))
    done = result.processing
    print(f"autofin: payments of {done.business_date.isoformat()}: {len(done.settled)} settled, "
          f"{len(done.failed)} failed, {len(done.retry)} to retry (gateway timeout); "
          f"{len(result.returns.returned)} returned")
    return 0


def cmd_deliver_webhooks(args: argparse.Namespace) -> int:
    """Send the webhook deliveries that are due now (retries included). Safe to run beside workers."""
    import os
    import socket

    from jobs.webhooks import deliver_due_webhooks
    from service.container import Services

    settings = _settings()
    worker_id = f"cli:{socket.gethostname()}:{os.getpid()}"[:64]
    report = _with_database(settings, lambda: deliver_due_webhooks(Services(settings), worker_id=worker_id))
    print(f"autofin: webhooks: {report.delivered} delivered, {report.retried} to retry, {report.failed} given up")
    return 0


def cmd_rule_set(args: argparse.Namespace) -> int:
    """`rule-set show` prints the active decision rules (JSON); `rule-set load FILE` checks a rules
    file, stores it as the next version and makes it the active one (audited)."""
    import json

    settings = _settings()
    if args.action == "show":
        from resolvers.origination.rule_sets import describe_active

        print(json.dumps(_with_database(settings, describe_active), indent=2, sort_keys=True))
        return 0
    from finance.underwriting import RulesError
    from resolvers.origination.rule_sets import load_rule_set_file

    if not args.file:
        print("autofin: rule-set load needs the rules file", file=sys.stderr)
        return 2
    try:
        data = json.loads(Path(args.file).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"autofin: cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    try:
        row = _with_database(settings, lambda: load_rule_set_file(data, description=args.description or args.file))
    except RulesError as exc:
        print(f"autofin: {args.file} is not a usable rule set: {exc}", file=sys.stderr)
        return 1
    print(f"autofin: rule set version {row.version} is now active ({row.description})")
    return 0


def _describe_db(settings: Settings) -> str:
    if settings.is_sqlite:
        return f"SQLite file {settings.database_url.removeprefix('sqlite://')}"
    return "PostgreSQL (" + settings.database_url.split("@")[-1] + ")"  # no credentials in output


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="autofin", description="autofin auto-finance portal API")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="migrate, load demo data if empty, and serve the API")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--workers", type=int, default=1, help="web worker processes (PostgreSQL only when > 1)")
    serve.add_argument("--no-demo", action="store_true", help="do not load demo data into an empty database")
    serve.add_argument("--proxy-headers", action="store_true", help="trust X-Forwarded-* from a reverse proxy")
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="run the background worker (mail outbox, ...) until stopped")
    worker.add_argument("--poll-seconds", type=float, default=1.0)
    worker.set_defaults(func=cmd_worker)

    sub.add_parser("verify-audit", help="check the audit log's hash chain (exit 1 when broken)").set_defaults(
        func=cmd_verify_audit
    )
    from models.enums import STAFF_ROLES  # a plain enum module: cheap to import here

    staff = sub.add_parser("create-staff", help="create a staff account and email its set-up link")
    staff.add_argument("--username", required=True)
    staff.add_argument("--email", required=True)
    staff.add_argument("--role", required=True, choices=sorted(r.value for r in STAFF_ROLES))
    staff.add_argument("--dealership", default=None, help="dealership code (dealer roles only)")
    staff.set_defaults(func=cmd_create_staff)
    totp = sub.add_parser("demo-totp", help="(development) print the current TOTP code of a demo staff login")
    totp.add_argument("username", help="a seeded staff user, e.g. admin or dealer")
    totp.set_defaults(func=cmd_demo_totp)
    close = sub.add_parser("close-day", help="run the daily close for a business date (default today)")
    close.add_argument("--date", default=None, help="business date YYYY-MM-DD (default: today)")
    close.set_defaults(func=cmd_close_day)
    tax = sub.add_parser("generate-tax-documents",
                         help="generate the annual tax documents of a year (interest paid, lease payments and tax)")
    tax.add_argument("--year", type=int, required=True, help="the tax year, e.g. 2026 (must have ended)")
    tax.set_defaults(func=cmd_generate_tax_documents)
    autopay = sub.add_parser("run-autopay", help="send autopay reminders and make the drafts of a business date")
    autopay.add_argument("--date", default=None, help="business date YYYY-MM-DD (default: today)")
    autopay.set_defaults(func=cmd_run_autopay)
    pay = sub.add_parser("process-payments", help="charge the payments due and apply returns (default today)")
    pay.add_argument("--date", default=None, help="business date YYYY-MM-DD (default: today)")
    pay.set_defaults(func=cmd_process_payments)
    sub.add_parser("deliver-webhooks", help="send the webhook deliveries due now (the worker does this every cycle)"
                   ).set_defaults(func=cmd_deliver_webhooks)
    rules = sub.add_parser("rule-set", help="show the active decision rules, or load a rules file (JSON)")
    rules.add_argument("action", choices=["show", "load"], help="show: print the active rules; load: activate FILE")
    rules.add_argument("file", nargs="?", help="load: the rules file (see resolvers/origination/rule_sets.py)")
    rules.add_argument("--description", help="load: what changed (default: the file name)")
    rules.set_defaults(func=cmd_rule_set)
    sub.add_parser("migrate", help="apply committed database migrations").set_defaults(func=cmd_migrate)

    make = sub.add_parser("makemigrations", help="(developers) write a migration for model changes")
    make.add_argument("--name", default=None)
    make.set_defaults(func=cmd_makemigrations)

    sub.add_parser("seed-demo", help="load the demo data into an empty database").set_defaults(func=cmd_seed_demo)

    export = sub.add_parser("export-schema", help="print the GraphQL schema (SDL)")
    export.add_argument("--output", "-o", default=None, help="write to this file instead of stdout")
    export.set_defaults(func=cmd_export_schema)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
