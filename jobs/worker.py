"""The background worker: runs each job on its interval until told to stop.

In the embedded default it runs inside the web process; in production it is its own process
(`autofin worker`), as many as needed, since every job claims its rows safely. Each cycle: the
daily close (once per business date, see jobs/daily_close.py), the payments due, then the mail
outbox. Jobs that scan many rows run on an interval instead of every cycle: returns (a gateway
question per recently settled payment) and autopay (a few queries per active plan). Every job is
idempotent, so the intervals only bound the load; they are not needed for correctness.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from datetime import date, datetime, timedelta

from jobs.autopay import run_autopay
from jobs.daily_close import close_through_today
from jobs.esign import expire_envelopes
from jobs.outbox import MailTransport, SmtpTransport, deliver_due
from jobs.webhooks import deliver_due_webhooks
from resolvers.live.fanout import prune_live_events
from resolvers.payments.processing import check_returns, process_due_payments
from service.container import Services

log = logging.getLogger("autofin.jobs.worker")

RETURNS_INTERVAL = timedelta(minutes=15)
AUTOPAY_INTERVAL = timedelta(minutes=5)
LIVE_EVENTS_INTERVAL = timedelta(hours=1)


class Worker:
    def __init__(self, services: Services, transport: MailTransport | None = None, poll_seconds: float = 1.0):
        self.services = services
        self.transport = transport or SmtpTransport(services.settings)
        self.poll_seconds = poll_seconds
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"[:64]
        # The last business date this worker saw closed: the daily close runs once per date change.
        self.closed_through: date | None = None
        # When each interval job last ran here (per worker; another worker may run it in between).
        self.last_run: dict[str, datetime] = {}

    def _due(self, job: str, interval: timedelta) -> bool:
        """Whether `job` should run now: at the first cycle, then every `interval`, and at once when
        the business date changes."""
        now = self.services.clock.now()
        last = self.last_run.get(job)
        if last is not None and now - last < interval and last.date() == now.date():
            return False
        self.last_run[job] = now
        return True

    async def run_once(self) -> None:
        await self.daily_close()
        await self.payments()
        await self.autopay()
        await expire_envelopes(self.services)  # before the mail: the dealer hears of it this cycle
        await deliver_due(
            clock=self.services.clock,
            transport=self.transport,
            sender=self.services.settings.mail_from,
            worker_id=self.worker_id,
        )
        await self.webhooks()
        await self.live_events()

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
        """Autopay reminders and drafts for today's business date (jobs/autopay.py), every
        AUTOPAY_INTERVAL. Idempotent, so every worker may run it. A failure is logged and retried."""
        if not self._due("autopay", AUTOPAY_INTERVAL):
            return
        today = self.services.clock.today()
        try:
            await run_autopay(self.services, today)
        except Exception:  # noqa: BLE001 - retried on the next cycle
            log.exception("autopay failed", extra={"business_date": today.isoformat()})

    async def payments(self) -> None:
        """Charge the payments due every cycle (one indexed query when none is due) and apply returns
        every RETURNS_INTERVAL. A failure is logged and retried; it never holds up the mail."""
        today = self.services.clock.today()
        try:
            await process_due_payments(self.services, today)
            if self._due("returns", RETURNS_INTERVAL):
                await check_returns(self.services, today)
        except Exception:  # noqa: BLE001 - retried on the next cycle
            log.exception("payments run failed")

    async def webhooks(self) -> None:
        """Send the webhook deliveries due (jobs/webhooks.py) every cycle, after the mail, so a slow
        dealer endpoint never holds up mail. A failure is logged and retried next cycle."""
        try:
            await deliver_due_webhooks(self.services, worker_id=self.worker_id)
        except Exception:  # noqa: BLE001 - retried on the next cycle
            log.exception("webhook delivery run failed")

    async def live_events(self) -> None:
        """Delete live events older than a day (resolvers/live/fanout.py), every LIVE_EVENTS_INTERVAL.
        They only announce rows that are the record (messages, notifications)."""
        if not self._due("live_events", LIVE_EVENTS_INTERVAL):
            return
        try:
            await prune_live_events(self.services.clock)
        except Exception:  # noqa: BLE001 - retried on the next interval
            log.exception("live events cleanup failed")

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
