"""Automated decisioning of a submitted application (to be built: see the decisioning helper's brief)."""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient

from models import ApplicationDecision, CreditApplication
from service.container import Services


async def decide_submitted(services: Services, application: CreditApplication, *,
                           using_db: BaseDBAsyncClient) -> ApplicationDecision:
    """Pull the applicants' credit reports, apply the active rule set, record the decision and move
    the application to its outcome status, in the caller's transaction."""
    raise NotImplementedError("decisioning is being built")
