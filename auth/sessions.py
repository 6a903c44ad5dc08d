"""Server-side sessions: opaque random tokens, stored only as SHA-256, revocable, with an idle
and an absolute timeout enforced from the session row (never from the cookie).

Browsers carry the token in an httpOnly cookie and must echo a CSRF token, derived from the
session, in the `X-CSRF-Token` header; tools send `Authorization: Bearer <token>` instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from auth.tokens import hashes_match, keyed_digest, new_token, token_hash
from models import Session, User
from models.enums import SessionKind
from service.clock import Clock
from service.config import Settings

# Write last_seen_at at most this often, so reads do not each cost a write.
TOUCH_INTERVAL = timedelta(seconds=60)


@dataclass(frozen=True)
class IssuedSession:
    token: str
    session: Session


def csrf_token(settings: Settings, session_token_hash: str) -> str:
    return keyed_digest(settings.secret_key, "csrf", session_token_hash)


def csrf_matches(settings: Settings, session: Session, presented: str | None) -> bool:
    return bool(presented) and hashes_match(csrf_token(settings, session.token_hash), presented or "")


def idle_timeout(settings: Settings) -> timedelta:
    return timedelta(minutes=settings.session_idle_minutes)


async def start_session(
    user: User, *, kind: SessionKind, clock: Clock, settings: Settings, ip: str, user_agent: str, using_db=None
) -> IssuedSession:
    token = new_token()
    now = clock.now()
    session = await Session.create(
        user=user,
        token_hash=token_hash(token),
        kind=kind,
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=settings.session_absolute_hours),
        ip=ip[:45],
        user_agent=user_agent[:255],
        using_db=using_db,
    )
    return IssuedSession(token=token, session=session)


async def find_session(token: str, *, kind: SessionKind, clock: Clock, settings: Settings) -> Session | None:
    """The live session for `token` (user loaded), or None if unknown, revoked or expired."""
    if not token or len(token) > 128:
        return None
    session = await Session.filter(token_hash=token_hash(token), kind=kind).select_related("user").first()
    if session is None or session.revoked_at is not None:
        return None
    now = clock.now()
    if now >= session.expires_at or now - session.last_seen_at >= idle_timeout(settings):
        return None
    if not session.user.is_active:
        return None
    if now - session.last_seen_at >= TOUCH_INTERVAL:
        await Session.filter(id=session.id, revoked_at=None).update(last_seen_at=now)
        session.last_seen_at = now
    return session


async def revoke_session(session: Session, clock: Clock) -> None:
    await Session.filter(id=session.id, revoked_at=None).update(revoked_at=clock.now())
