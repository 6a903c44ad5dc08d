"""The background worker: runs each job on its interval until told to stop.

In the embedded default it runs inside the web process; in production it is its own process
(`autofin worker`), as many as needed, since every job claims its rows safely. Each cycle: the
daily close (once per business date, see jobs/daily_close.py), autopay reminders and drafts
(jobs/autopay.py), then the mail outbox.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from datetime import date

from jobs.autopay import run_autopay
from jobs.daily_close import close_through_today
from jobs.outbox import MailTransport, SmtpTransport, deliver_due
from jobs.payments import run_payments
from service.container import Services

log = logging.getLogger("autofin.jobs.worker")


class Worker:
    def __init__(self, services: Services, transport: MailTransport | None = None, poll_seconds: float = 1.0):
        self.services = services
        self.transport = transport or SmtpTransport(services.settings)
        self.poll_seconds = poll_seconds
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"[:64]
        # The last business date this worker saw closed: the daily close runs once per date change.
        self.closed_through: date | None = None

    async def run_once(self) -> None:
        await self.daily_close()
        await self.payments()
        await self.autopay()
        await deliver_due(
            clock=self.services.clock,
            transport=self.transport,
            sender=self.services.settings.mail_from,
            worker_id=self.worker_id,
        )

    async def daily_close(self) -> None:
        """Close the business date (and any missed since the last close) on the first cycle after the
        date changes. Idempotent: another worker having closed it already costs one query. A failing
        close is logged and retried next cycle; it never holds up the mail."""
        today = self.services.clock.today()
        if self.closed_through == today:
            return
        try:
            reports = await close_through_today(self.services)
        except Exception:  # noqa: BLE001 - retried on the next cycle
            log.exception("daily close failed", extra={"business_date": today.isoformat()})
            return
        if all(report.outcome != "in_progress" for report in reports):
            self.closed_through = today

    async def autopay(self) -> None:
        """Autopay reminders and drafts for today's business date (jobs/autopay.py): idempotent, so
        every cycle of every worker may run it. A failure is logged and retried next cycle."""
        today = self.services.clock.today()
        try:
            await run_autopay(self.services, today)
        except Exception:  # noqa: BLE001 - retried on the next cycle
            log.exception("autopay failed", extra={"business_date": today.isoformat()})

    async def payments(self) -> None:
        """Charge the payments due (process_due_payments) and apply returns (check_returns). A failure is
        logged and retried next cycle; it never holds up the mail."""
        try:
            await run_payments(self.services)
        except Exception:  # noqa: BLE001 - retried on the next cycle
            log.exception("payments run failed")

    async def run_forever(self, stop: asyncio.Event) -> None:
        log.info("worker started", extra={"worker_id": self.worker_id})
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception:  # noqa: BLE001 - a failing cycle must not end the worker
                log.exception("worker cycle failed")
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.poll_seconds)
            except asyncio.TimeoutError:
                pass
        log.info("worker stopped", extra={"worker_id": self.worker_id})
