"""Sending a templated message from a rule: adds what every template may use (portal links)
and hands it to the outbox in the caller's transaction."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from mail.compose import enqueue_mail
from models import OutboxMessage
from service.container import Services


def portal_link(services: Services, path: str, **params: str) -> str:
    """A link into the customer portal app, e.g. portal_link(s, "verify-email", token=t)."""
    query = f"?{urlencode(params)}" if params else ""
    return f"{services.settings.portal_url}/{path.lstrip('/')}{query}"


async def send(
    services: Services, template: str, recipient: str, context: dict[str, Any] | None = None, *, using_db=None
) -> OutboxMessage:
    return await enqueue_mail(
        clock=services.clock,
        template=template,
        recipient=recipient,
        context={"portal_url": services.settings.portal_url, **(context or {})},
        using_db=using_db,
    )
