"""Audit events for what support staff do with a customer's secure messages.

Each event's subject is the customer's login (one event per login when a customer has several), so
the customer sees it in `viewer.securityEvents`; a customer record without a login gets one event
with no subject and the customer id in its details. Details hold ids only: never a message's
subject, body or file name."""

from __future__ import annotations

from collections.abc import Iterable

from tortoise.transactions import in_transaction

from auth import audit
from auth.audit import Origin
from models import MessageThread, User
from resolvers.messages.visibility import customer_logins
from service.clock import Clock

VIEWED = "support.viewed_messages"
REPLIED = "support.replied_to_message"
ASSIGNED = "support.assigned_message_thread"
LINKED = "support.linked_message_thread"
CLOSED = "support.closed_message_thread"


async def record(action: str, *, staff: User, threads: Iterable[MessageThread], clock: Clock, origin: Origin,
                 details: dict | None = None, connection=None) -> None:
    """One event per (thread, customer login), in `connection`'s transaction (or a new one)."""
    threads = list(threads)
    if not threads:
        return
    if connection is None:
        async with in_transaction() as own:
            await record(action, staff=staff, threads=threads, clock=clock, origin=origin, details=details,
                         connection=own)
        return
    logins = await customer_logins(sorted({thread.customer_id for thread in threads}), using_db=connection)
    for thread in threads:
        facts = {"thread_id": thread.id, **(details or {})}
        subjects = logins.get(thread.customer_id) or [None]
        for subject in subjects:
            await audit.record(action, clock=clock, origin=origin, actor=staff, subject=subject,
                               details=facts if subject is not None else {**facts, "customer_id": thread.customer_id},
                               using_db=connection)
