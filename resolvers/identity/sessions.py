"""A user's signed-in devices: listing the live ones and revoking one or all.

Every query starts from the signed-in user's own rows, so another user's session id is simply
not found (a forbidden session answers exactly like a missing one). Revoking is one conditional
UPDATE per session plus an audit event, in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from auth import audit
from auth.sessions import idle_timeout
from models import Session, User
from resolvers.errors import ErrorCode, Problem
from service.container import Services

SESSION_NOT_FOUND = Problem(ErrorCode.NOT_FOUND, "No such session among your signed-in devices.", ("sessionId",))


def live_sessions_of(user: User | None, services: Services) -> QuerySet[Session]:
    """The user's sessions that still sign requests in: not revoked, not past the absolute
    expiry, not idle for longer than the idle timeout. Nobody's when `user` is None."""
    if user is None:
        return Session.filter(id__in=[])
    now = services.clock.now()
    return Session.filter(
        user_id=user.id,
        revoked_at=None,
        expires_at__gt=now,
        last_seen_at__gt=now - idle_timeout(services.settings),
    )


@dataclass(frozen=True)
class RevokeOutcome:
    revoked_id: int | None = None
    was_current: bool = False
    problems: tuple[Problem, ...] = ()


async def revoke_one(
    services: Services, *, user: User, session_id: int | None, current: Session | None, origin: audit.Origin
) -> RevokeOutcome:
    """Revoke one of `user`'s live sessions (the current one too: that signs this device out)."""
    if session_id is None:
        return RevokeOutcome(problems=(SESSION_NOT_FOUND,))
    async with in_transaction() as connection:
        target = await live_sessions_of(user, services).filter(id=session_id).using_db(connection).first()
        if target is None:
            return RevokeOutcome(problems=(SESSION_NOT_FOUND,))
        changed = await Session.filter(id=target.id, revoked_at=None).using_db(connection).update(
            revoked_at=services.clock.now()
        )
        if changed != 1:  # revoked concurrently
            return RevokeOutcome(problems=(SESSION_NOT_FOUND,))
        was_current = current is not None and current.id == target.id
        await audit.record(
            "session.revoked", clock=services.clock, origin=origin, actor=user, subject=user,
            details={"session_id": target.id, "kind": target.kind.value, "current": was_current},
            using_db=connection,
        )
    return RevokeOutcome(revoked_id=target.id, was_current=was_current)


async def revoke_all(
    services: Services, *, user: User, current: Session | None, include_current: bool, origin: audit.Origin
) -> int:
    """Revoke every live session of `user` but the current one (or including it); the count."""
    async with in_transaction() as connection:
        query = live_sessions_of(user, services)
        if not include_current and current is not None:
            query = query.exclude(id=current.id)
        count = await query.using_db(connection).update(revoked_at=services.clock.now())
        await audit.record(
            "session.revoked_all", clock=services.clock, origin=origin, actor=user, subject=user,
            details={"sessions_revoked": count, "include_current": include_current}, using_db=connection,
        )
    return count


async def revoke_others(services: Services, *, user: User, keep: Session | None, using_db) -> int:
    """Revoke every session of `user` except `keep` (after a password change), in the caller's
    transaction; the count."""
    query = Session.filter(user_id=user.id, revoked_at=None)
    if keep is not None:
        query = query.exclude(id=keep.id)
    return await query.using_db(using_db).update(revoked_at=services.clock.now())
