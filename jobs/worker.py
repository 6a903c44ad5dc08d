"""The background worker: runs each job on its interval until told to stop.

In the embedded default it runs inside the web process; in production it is its own process
(`autofin worker`), as many as needed, since every job claims its rows safely.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket

from jobs.outbox import MailTransport, SmtpTransport, deliver_due
from service.container import Services

log = logging.getLogger("autofin.jobs.worker")


class Worker:
    def __init__(self, services: Services, transport: MailTransport | None = None, poll_seconds: float = 1.0):
        self.services = services
        self.transport = transport or SmtpTransport(services.settings)
        self.poll_seconds = poll_seconds
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"[:64]

    async def run_once(self) -> None:
        await deliver_due(
            clock=self.services.clock,
            transport=self.transport,
            sender=self.services.settings.mail_from,
            worker_id=self.worker_id,
        )

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
