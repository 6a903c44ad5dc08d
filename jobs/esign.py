"""E-signature housekeeping for the worker: open envelopes whose current signing link ran out become
EXPIRED (resolvers/esign/envelopes.py: expire_due). One indexed query when nothing is due, so it
runs every cycle; each envelope is re-checked under its lock, so any number of workers may run it."""

from __future__ import annotations

import logging

from resolvers.esign.envelopes import expire_due
from service.container import Services

log = logging.getLogger("autofin.jobs.esign")


async def expire_envelopes(services: Services) -> int:
    """Expire what is due; a failure is logged (the next cycle tries again) and never stops the worker."""
    try:
        expired = await expire_due(services)
    except Exception:  # noqa: BLE001 - retried on the next cycle
        log.exception("envelope expiry failed")
        return 0
    if expired:
        log.info("envelopes expired", extra={"count": expired})
    return expired
