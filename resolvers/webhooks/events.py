"""Emitting webhook events (to be built: until then an event goes nowhere)."""

from __future__ import annotations

from typing import Any

from service.container import Services


async def emit(services: Services, *, dealership_id: int, event_type: str, data: dict[str, Any],
               using_db=None) -> None:
    """Queue `event_type` (e.g. "application.status_changed", "envelope.status_changed") with `data`
    for every active endpoint of the dealership, in the caller's transaction."""
    return None
