"""The autopay job: reminders and drafts for a business date (resolvers/autopay/cycles.py).

Run by the worker each cycle and by `autofin run-autopay [--date]`. Idempotent: each plan's cycle
for a due date is created once (unique plan + due date) with its one reminder, and drafted once
(one payment per `autopay:<plan>:<due date>` key, linked with a conditional update), however many
workers run it and however often.
"""

from __future__ import annotations

import logging
from datetime import date

from resolvers.autopay.cycles import AutopayReport, run_cycles
from service.container import Services

log = logging.getLogger("autofin.jobs.autopay")


async def run_autopay(services: Services, business_date: date | None = None) -> AutopayReport:
    day = business_date or services.clock.today()
    report = await run_cycles(services, day)
    if report.reminders or report.drafts or report.failed_plans:
        log.info("autopay run", extra={"business_date": day.isoformat(), "plans": report.plans,
                                       "reminders": report.reminders, "drafts": report.drafts,
                                       "failed_plans": len(report.failed_plans)})
    return report
