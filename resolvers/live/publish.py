"""Publish a live event to one user's subscriptions, inside the caller's transaction.

The row is the record: it commits with the change it announces, or not at all. On PostgreSQL a
NOTIFY on the same connection is delivered to listening server processes only at commit, so no
process hears of a row it cannot read yet; SQLite processes poll for new rows instead."""

from __future__ import annotations

from typing import Any

from models import LiveEvent
from service.clock import Clock

CHANNEL = "autofin_live"

MESSAGE = "message"  # payload: {"thread": id, "message": id}
NOTIFICATION = "notification"  # payload: {"notification": id}


async def publish(user_id: int, topic: str, payload: dict[str, Any], *, clock: Clock, using_db) -> LiveEvent:
    """Append a live event for `user_id` on the caller's connection (pass its transaction)."""
    event = await LiveEvent.create(user_id=user_id, topic=topic, payload=payload, created_at=clock.now(),
                                   using_db=using_db)
    if using_db.capabilities.dialect == "postgres":
        await using_db.execute_query("SELECT pg_notify($1, $2)", [CHANNEL, str(event.id)])
    return event
