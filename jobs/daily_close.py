"""The daily close as a job: the worker closes each business date once, catching up missed days.

The rules are in resolvers/servicing/close.py; this module decides WHICH dates to close. The worker
closes today's business date on its first cycle of the day (and, after downtime, every date since
the last finished close, at most MAX_CATCH_UP_DAYS of them, oldest first, so statements and
delinquency move day by day). `autofin close-day [--date]` closes one date by hand. Closing a date
twice changes nothing, so several workers may run this at once.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from models import DailyCloseRun
from resolvers.servicing.close import CloseReport, close_day
from service.container import Services

log = logging.getLogger("autofin.jobs.daily_close")

MAX_CATCH_UP_DAYS = 31


async def dates_to_close(today: date) -> list[date]:
    """The business dates not closed yet, up to and including `today`, oldest first."""
    last = await (DailyCloseRun.filter(finished_at__not_isnull=True, business_date__lte=today)
                  .order_by("-business_date").first())
    if last is None:
        return [today]
    first = max(last.business_date + timedelta(days=1), today - timedelta(days=MAX_CATCH_UP_DAYS - 1))
    return [first + timedelta(days=n) for n in range((today - first).days + 1)]


async def close_through_today(services: Services) -> list[CloseReport]:
    """Close every date that is due, stopping at one another process is closing right now."""
    reports = []
    for day in await dates_to_close(services.clock.today()):
        report = await close_day(services, day)
        reports.append(report)
        if report.outcome == "in_progress":
            log.info("daily close in progress elsewhere", extra={"business_date": day.isoformat()})
            break
    return reports


async def run_daily_close(services: Services, business_date: date | None = None) -> CloseReport:
    """Close one date (default: today's business date): the CLI's entry point."""
    return await close_day(services, business_date)
