"""The append-only security audit log, hash-chained.

Each event's hash is SHA-256 over the previous event's hash and this event's content, so editing
or deleting a row breaks the chain at that point (`verify_chain`, `autofin verify-audit`).
Appending locks the single chain-head row (SELECT ... FOR UPDATE on PostgreSQL; SQLite has one
writer), so concurrent writers cannot fork the chain. Details must never hold a secret.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models import AuditChainHead, AuditEvent, User
from service.clock import Clock
from service.logs import SECRET_WORDS, current_request_id

GENESIS_HASH = "0" * 64
HEAD_ID = 1


@dataclass(frozen=True)
class Origin:
    """Where a request came from, as recorded with every event."""

    ip: str = ""
    user_agent: str = ""


def _content_hash(prev_hash: str, event: dict[str, Any]) -> str:
    canonical = json.dumps(event, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{prev_hash}\n{canonical}".encode()).hexdigest()


def _hashed_fields(row: AuditEvent) -> dict[str, Any]:
    return {
        "occurred_at": row.occurred_at.isoformat(),
        "action": row.action,
        "actor_id": row.actor_id,
        "subject_id": row.subject_id,
        "ip": row.ip,
        "user_agent": row.user_agent,
        "request_id": row.request_id,
        "details": row.details,
    }


def _refuse_secrets(details: dict[str, Any]) -> None:
    for key in details:
        if any(word in key.lower() for word in SECRET_WORDS):
            raise ValueError(f"audit details must not carry secrets (key {key!r})")


async def _locked_head(connection) -> AuditChainHead:
    head = await AuditChainHead.filter(id=HEAD_ID).select_for_update().using_db(connection).first()
    if head is not None:
        return head
    try:
        async with in_transaction(connection.connection_name) as savepoint:
            await AuditChainHead.create(id=HEAD_ID, last_hash=GENESIS_HASH, last_event_id=0, using_db=savepoint)
    except IntegrityError:
        pass  # another writer created it first
    return await AuditChainHead.filter(id=HEAD_ID).select_for_update().using_db(connection).get()


async def record(
    action: str,
    *,
    clock: Clock,
    origin: Origin = Origin(),
    actor: User | int | None = None,
    subject: User | int | None = None,
    details: dict[str, Any] | None = None,
    using_db=None,
) -> AuditEvent:
    """Append one event. Pass the caller's transaction so the event commits with the change."""
    details = details or {}
    _refuse_secrets(details)
    async with in_transaction() if using_db is None else _nullcontext(using_db) as connection:
        head = await _locked_head(connection)
        row = AuditEvent(
            occurred_at=clock.now(),
            action=action,
            actor_id=actor.id if isinstance(actor, User) else actor,
            subject_id=subject.id if isinstance(subject, User) else subject,
            ip=origin.ip[:45],
            user_agent=origin.user_agent[:255],
            request_id=current_request_id()[:64],
            details=details,
            prev_hash=head.last_hash,
        )
        row.hash = _content_hash(head.last_hash, _hashed_fields(row))
        await row.save(using_db=connection)
        await AuditChainHead.filter(id=HEAD_ID).using_db(connection).update(last_hash=row.hash, last_event_id=row.id)
        return row


class _nullcontext:
    def __init__(self, value) -> None:
        self.value = value

    async def __aenter__(self):
        return self.value

    async def __aexit__(self, *exc) -> None:
        return None


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    events: int
    first_bad_id: int | None = None
    reason: str = ""


async def verify_chain(batch: int = 1000) -> ChainReport:
    """Walk the log in order and recompute every hash."""
    expected_prev, count, last_id = GENESIS_HASH, 0, 0
    while True:
        rows = await AuditEvent.filter(id__gt=last_id).order_by("id").limit(batch)
        for row in rows:
            if row.prev_hash != expected_prev:
                return ChainReport(False, count, row.id, "previous hash does not match (a row is missing)")
            if _content_hash(row.prev_hash, _hashed_fields(row)) != row.hash:
                return ChainReport(False, count, row.id, "content does not match its hash (a row was edited)")
            expected_prev, count, last_id = row.hash, count + 1, row.id
        if len(rows) < batch:
            break
    head = await AuditChainHead.filter(id=HEAD_ID).first()
    if head is not None and head.last_hash != expected_prev:
        return ChainReport(False, count, None, "the newest events are missing")
    return ChainReport(True, count)
