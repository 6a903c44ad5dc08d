"""Deliver webhook events to dealer systems (httpx), from the durable outbox `webhook_deliveries`.

Claiming is the mail outbox's (jobs/outbox.py): a conditional UPDATE (PENDING and due, or SENDING
with an expired claim -> SENDING, owned by this worker), so any number of workers can run and only
one sends a given delivery. A worker that dies mid-send leaves a claim that expires and the event is
sent again: delivery is at least once, and receivers dedupe on `Autofin-Event-Id` (the body's `id`).

Each POST carries the stored body unchanged and
  Autofin-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
  Autofin-Event-Id: <event id>    Autofin-Event-Type: <type>
The receiver recomputes the HMAC with the secret it was given at registration, compares in constant
time, and refuses a `t` too far from its own clock (replays). A 2xx answer is delivered; anything
else (another status, a redirect, a timeout, a refused connection) is retried after 1 min, 5 min,
30 min, 2 h and 12 h, and given up (FAILED) after the last. Every attempt is kept (WebhookAttempt)
with its status code, error and duration, for the dealer to see.

Before each POST the host is resolved and every address checked (`address_problem`), so a name
pointing into our own network is refused; redirects are not followed for the same reason. (A name
whose answer changes between that check and httpx's own lookup is not caught here; in production an
egress proxy enforcing the same rule closes that gap.)
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import socket
import time
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
from tortoise.expressions import F, Q

from auth.crypto import CryptoError
from models import WebhookAttempt, WebhookDelivery
from models.enums import WebhookDeliveryStatus
from resolvers.webhooks.endpoints import REVOKED_ERROR, address_problem, secret_of
from resolvers.webhooks.retries import retry_delay
from service.container import Services

log = logging.getLogger("autofin.jobs.webhooks")

TIMEOUT_SECONDS = 10.0
CLAIM_TTL = timedelta(minutes=2)  # well above one POST's timeout
USER_AGENT = "autofin-webhooks/1"
MAX_ERROR = 500


@dataclass
class WebhookReport:
    delivered: int = 0
    retried: int = 0
    failed: int = 0


class DeliveryRefused(Exception):
    """Not sent at all (the URL resolves to an address we do not call)."""


def signature(secret: str, timestamp: int, body: str) -> str:
    """The Autofin-Signature header value for `body` sent at `timestamp` (unix seconds)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _claimable(now) -> Q:
    return Q(status=WebhookDeliveryStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=WebhookDeliveryStatus.SENDING, claim_expires_at__lt=now)


async def _claim(delivery_pk: int, worker_id: str, now) -> bool:
    claimed = await WebhookDelivery.filter(_claimable(now), id=delivery_pk).update(
        status=WebhookDeliveryStatus.SENDING, claimed_by=worker_id, claim_expires_at=now + CLAIM_TTL,
        attempts=F("attempts") + 1)
    return claimed == 1


async def _check_addresses(url: str, services: Services) -> None:
    """Refuse a host any of whose addresses is private, loopback (in production) or link-local."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    infos = await asyncio.get_running_loop().getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    for *_, sockaddr in infos:
        reason = address_problem(sockaddr[0], services.settings)
        if reason:
            raise DeliveryRefused(f"refused: {parts.hostname} resolves to {reason}")


async def _post(http: httpx.AsyncClient, services: Services, delivery: WebhookDelivery) -> int:
    """POST the delivery once; the HTTP status code (raises for no answer)."""
    endpoint = delivery.endpoint
    await _check_addresses(endpoint.url, services)
    timestamp = int(services.clock.now().timestamp())
    response = await http.post(endpoint.url, content=delivery.payload.encode(), headers={
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Autofin-Signature": signature(secret_of(services, endpoint), timestamp, delivery.payload),
        "Autofin-Event-Id": delivery.event_id,
        "Autofin-Event-Type": delivery.event_type,
    })
    return response.status_code


def _error_of(exc: Exception) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"timeout after {TIMEOUT_SECONDS:.0f} s"
    return f"{type(exc).__name__}: {exc}"[:MAX_ERROR]


async def _attempt(http: httpx.AsyncClient, services: Services, delivery: WebhookDelivery) -> tuple[int | None, str]:
    """One attempt, recorded: (status code or None, error text or "")."""
    started, attempted_at = time.monotonic(), services.clock.now()
    status_code, error = None, ""
    try:
        status_code = await _post(http, services, delivery)
        if not 200 <= status_code < 300:
            error = f"HTTP {status_code}"
    except (httpx.HTTPError, OSError, DeliveryRefused, CryptoError) as exc:
        error = _error_of(exc)
    await WebhookAttempt.create(delivery_id=delivery.id, attempted_at=attempted_at, status_code=status_code,
                                error=error, duration_ms=int((time.monotonic() - started) * 1000))
    return status_code, error


async def _deliver_one(http: httpx.AsyncClient, services: Services, delivery_pk: int, worker_id: str,
                       report: WebhookReport) -> None:
    now = services.clock.now()
    if not await _claim(delivery_pk, worker_id, now):
        return  # another worker has it
    delivery = await WebhookDelivery.get(id=delivery_pk).select_related("endpoint")
    mine = WebhookDelivery.filter(id=delivery_pk, claimed_by=worker_id, status=WebhookDeliveryStatus.SENDING)
    released = dict(claimed_by=None, claim_expires_at=None)
    if delivery.endpoint.revoked_at is not None:  # revoked after this was claimable
        await mine.update(status=WebhookDeliveryStatus.FAILED, last_error=REVOKED_ERROR, **released)
        report.failed += 1
        return
    _, error = await _attempt(http, services, delivery)
    if not error:
        await mine.update(status=WebhookDeliveryStatus.DELIVERED, delivered_at=services.clock.now(), last_error="",
                          **released)
        report.delivered += 1
        return
    delay = retry_delay(delivery.attempts)
    gave_up = delay is None
    await mine.update(
        status=WebhookDeliveryStatus.FAILED if gave_up else WebhookDeliveryStatus.PENDING,
        next_attempt_at=now if gave_up else services.clock.now() + delay,
        last_error=error, **released)
    log.warning("webhook delivery failed", extra={"delivery_id": delivery.id, "attempts": delivery.attempts,
                                                  "gave_up": gave_up, "error": error[:120]})
    if gave_up:
        report.failed += 1
    else:
        report.retried += 1


async def deliver_due_webhooks(services: Services, *, worker_id: str, batch: int = 50,
                               http: httpx.AsyncClient | None = None) -> WebhookReport:
    """Send the deliveries that are due now, oldest first; return what happened. One indexed query
    when nothing is due (the worker calls this every cycle)."""
    report = WebhookReport()
    due = await (WebhookDelivery.filter(_claimable(services.clock.now())).order_by("next_attempt_at", "id")
                 .limit(batch).values_list("id", flat=True))
    if not due:
        return report
    if http is not None:
        for delivery_pk in due:
            await _deliver_one(http, services, delivery_pk, worker_id, report)
        return report
    async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS, follow_redirects=False, trust_env=False) as client:
        for delivery_pk in due:
            await _deliver_one(client, services, delivery_pk, worker_id, report)
    return report
