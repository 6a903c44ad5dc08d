"""Deliver outbox mail over SMTP (aiosmtplib).

Claiming is a conditional UPDATE (PENDING and due, or SENDING with an expired claim -> SENDING,
owned by this worker), so when several workers run only one of them can claim a row: on
PostgreSQL the loser's UPDATE waits on the row lock, re-reads the row and matches nothing.
A row is marked SENT by its claimant only. A worker that dies between sending and marking
leaves a claim that expires, and the message is sent again with the same Message-ID header,
so delivery is at-least-once with a receiver-side dedupe key; it is never silently lost.
Failures back off exponentially; after MAX_ATTEMPTS the row is DEAD and kept for inspection.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Protocol

import aiosmtplib
from tortoise.expressions import F, Q

from models import OutboxMessage
from models.enums import OutboxStatus
from service.clock import Clock
from service.config import Settings

log = logging.getLogger("autofin.jobs.outbox")

CLAIM_TTL = timedelta(minutes=2)
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(hours=1)
MAX_ATTEMPTS = 12
SMTP_TIMEOUT_SECONDS = 20


class MailTransport(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


class SmtpTransport:
    """Sends over SMTP with the TLS mode and credentials from settings."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    async def send(self, message: EmailMessage) -> None:
        s = self._settings
        await aiosmtplib.send(
            message,
            hostname=s.smtp_host,
            port=s.smtp_port,
            use_tls=s.smtp_tls == "tls",
            start_tls=True if s.smtp_tls == "starttls" else False,
            username=s.smtp_username or None,
            password=s.smtp_password or None,
            timeout=SMTP_TIMEOUT_SECONDS,
        )


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    dead: int = 0


def retry_delay(attempts: int) -> timedelta:
    """30 s after the first failure, doubling, at most an hour."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), MAX_RETRY)


def build_email(row: OutboxMessage, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row.recipient
    message["Subject"] = row.subject
    message["Message-ID"] = row.message_id
    message["Date"] = format_datetime(row.created_at)
    message.set_content(row.text_body)
    message.add_alternative(row.html_body, subtype="html")
    return message


def _claimable(now) -> Q:
    return Q(status=OutboxStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=OutboxStatus.SENDING, claim_expires_at__lt=now
    )


async def _claim(message_pk: int, worker_id: str, clock: Clock) -> bool:
    now = clock.now()
    claimed = await OutboxMessage.filter(_claimable(now), id=message_pk).update(
        status=OutboxStatus.SENDING,
        claimed_by=worker_id,
        claim_expires_at=now + CLAIM_TTL,
        attempts=F("attempts") + 1,
    )
    return claimed == 1


async def deliver_due(
    *, clock: Clock, transport: MailTransport, sender: str, worker_id: str, batch: int = 50
) -> DeliveryReport:
    """Send the messages that are due now; return what happened."""
    report = DeliveryReport()
    due = await (
        OutboxMessage.filter(_claimable(clock.now())).order_by("id").limit(batch).values_list("id", flat=True)
    )
    for message_pk in due:
        if not await _claim(message_pk, worker_id, clock):
            continue  # another worker has it
        row = await OutboxMessage.get(id=message_pk)
        mine = OutboxMessage.filter(id=message_pk, claimed_by=worker_id, status=OutboxStatus.SENDING)
        try:
            await transport.send(build_email(row, sender))
        except (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError) as exc:
            dead = row.attempts >= MAX_ATTEMPTS
            await mine.update(
                status=OutboxStatus.DEAD if dead else OutboxStatus.PENDING,
                next_attempt_at=clock.now() + retry_delay(row.attempts),
                claimed_by=None,
                claim_expires_at=None,
                last_error=f"{type(exc).__name__}: {exc}"[:500],
            )
            log.warning(
                "mail delivery failed",
                extra={"outbox_id": row.id, "attempts": row.attempts, "dead": dead, "error": type(exc).__name__},
            )
            if dead:
                report.dead += 1
            else:
                report.retried += 1
            continue
        await mine.update(
            status=OutboxStatus.SENT, sent_at=clock.now(), claimed_by=None, claim_expires_at=None, last_error=""
        )
        log.info("mail sent", extra={"outbox_id": row.id, "template": row.template})
        report.sent += 1
    return report
