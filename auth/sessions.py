"""Server-side sessions: opaque random tokens, stored only as SHA-256, revocable, with an idle
and an absolute timeout enforced from the session row (never from the cookie).

Browsers carry the token in an httpOnly cookie and must echo a CSRF token, derived from the
session, in the `X-CSRF-Token` header; tools send `Authorization: Bearer <token>` instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from auth.tokens import hashes_match, keyed_digest, new_token, token_hash
from models import Customer, Session, User
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


_PARTS = (("s", Session), ("u", User), ("c", Customer))
_LOOKUP_SQL: dict[str, str] = {}


def _lookup_sql(dialect: str) -> str:
    """The session, its user and the user's customer (if any) in one statement, written once per
    dialect: this runs on every signed-in request, and building it through the ORM each time cost
    more than running it."""
    if dialect not in _LOOKUP_SQL:
        columns = ", ".join(f'{alias}."{column}" AS "{alias}.{column}"'
                            for alias, model in _PARTS for column in model._meta.fields_db_projection.values())
        first, second = ("$1", "$2") if dialect == "postgres" else ("?", "?")
        _LOOKUP_SQL[dialect] = (
            f'SELECT {columns} FROM "sessions" s JOIN "users" u ON u."id" = s."user_id" '
            f'LEFT JOIN "customers" c ON c."id" = u."customer_id" '
            f'WHERE s."token_hash" = {first} AND s."kind" = {second} LIMIT 1')
    return _LOOKUP_SQL[dialect]


async def _lookup(digest: str, kind: SessionKind) -> Session | None:
    """Like Session.filter(...).select_related("user", "user__customer").first(), models included."""
    connection = Session._meta.db
    rows = await connection.execute_query_dict(_lookup_sql(connection.capabilities.dialect), [digest, kind.value])
    if not rows:
        return None
    parts: dict[str, dict] = {alias: {} for alias, _ in _PARTS}
    for key, value in rows[0].items():
        alias, _, column = key.partition(".")
        parts[alias][column] = value
    session = Session._init_from_db(**parts["s"])
    user = User._init_from_db(**parts["u"])
    object.__setattr__(session, "_user", user)
    customer = Customer._init_from_db(**parts["c"]) if parts["c"].get("id") is not None else None
    object.__setattr__(user, "_customer", customer)
    return session


async def find_session(token: str, *, kind: SessionKind, clock: Clock, settings: Settings) -> Session | None:
    """The live session for `token` (user loaded, and the user's customer record, so the request
    need not load it again), or None if unknown, revoked or expired."""
    if not token or len(token) > 128:
        return None
    session = await _lookup(token_hash(token), kind)
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
