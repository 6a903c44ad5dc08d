"""Emitting webhook events: one event becomes one WebhookDelivery per active endpoint of the
dealership, in the caller's transaction, so an event exists if and only if the change that caused it
was committed (the durable outbox; jobs/webhooks.py sends them).

The delivery's `payload` is the exact JSON body that is signed and sent:
`{"id": "evt_...", "type": "...", "created_at": "2026-11-02T15:00:00Z", "data": {...}}`. Every
endpoint gets the same `id`, so a dealer system with several endpoints can tell duplicates apart,
and a retried delivery sends the same body again (receivers dedupe on `id`).

Event types and their `data` (snake_case keys, built by the functions below so every caller sends
the same shape):
- "application.status_changed": application_number, status, decision_outcome (null when none)
- "envelope.status_changed": application_number, envelope_id (global id), status
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timezone
from typing import Any

from strawberry.relay import to_base64

from models import CreditApplication, Envelope, WebhookDelivery, WebhookEndpoint
from models.enums import WebhookDeliveryStatus
from service.container import Services

APPLICATION_STATUS_CHANGED = "application.status_changed"
ENVELOPE_STATUS_CHANGED = "envelope.status_changed"
EVENT_TYPES = (APPLICATION_STATUS_CHANGED, ENVELOPE_STATUS_CHANGED)
ENVELOPE_TYPE_NAME = "Envelope"  # the global id type name of envelopes in the schema


def application_status_data(application: CreditApplication, decision_outcome: Any = None) -> dict[str, Any]:
    """`data` of "application.status_changed": the application as it is now."""
    return {"application_number": application.number, "status": _value(application.status),
            "decision_outcome": _value(decision_outcome) if decision_outcome is not None else None}


def envelope_status_data(application_number: str, envelope: Envelope) -> dict[str, Any]:
    """`data` of "envelope.status_changed"; the envelope by its global id, as the API shows it."""
    return {"application_number": application_number, "envelope_id": to_base64(ENVELOPE_TYPE_NAME, envelope.id),
            "status": _value(envelope.status)}


def _value(item: Any) -> Any:
    return getattr(item, "value", item)


def instant(moment: datetime) -> str:
    """UTC, to the second, with a Z: what receivers parse most easily."""
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def event_body(event_id: str, event_type: str, created_at: datetime, data: dict[str, Any]) -> str:
    return json.dumps({"id": event_id, "type": event_type, "created_at": instant(created_at), "data": data},
                      separators=(",", ":"), default=str)


async def emit(services: Services, *, dealership_id: int, event_type: str, data: dict[str, Any],
               using_db=None) -> None:
    """Queue `event_type` (e.g. "application.status_changed", "envelope.status_changed") with `data`
    for every active endpoint of the dealership, in the caller's transaction."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {event_type!r}")
    endpoints = await (WebhookEndpoint.filter(dealership_id=dealership_id, revoked_at=None).using_db(using_db)
                       .values_list("id", flat=True))
    if not endpoints:
        return
    now = services.clock.now()
    event_id = f"evt_{secrets.token_hex(16)}"
    body = event_body(event_id, event_type, now, data)
    await WebhookDelivery.bulk_create([
        WebhookDelivery(endpoint_id=endpoint_id, event_id=event_id, event_type=event_type, payload=body,
                        status=WebhookDeliveryStatus.PENDING, attempts=0, next_attempt_at=now, created_at=now)
        for endpoint_id in endpoints
    ], using_db=using_db)
