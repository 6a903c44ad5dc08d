"""Single-use tokens for emailed links and MFA challenges: 256 random bits, stored as SHA-256,
with an expiry in the row. Consuming is one conditional UPDATE, so a token works exactly once
even when two requests race with it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from auth.tokens import new_token, token_hash
from models import Customer, OneTimeToken, User
from models.enums import TokenPurpose
from service.clock import Clock


async def issue(
    purpose: TokenPurpose,
    *,
    clock: Clock,
    ttl: timedelta,
    user: User | None = None,
    customer: Customer | None = None,
    payload: dict[str, Any] | None = None,
    using_db=None,
) -> str:
    """Create a token and return it in clear (to mail or hand out once; it is not stored)."""
    token = new_token()
    now = clock.now()
    await OneTimeToken.create(
        purpose=purpose, token_hash=token_hash(token), user=user, customer=customer, payload=payload or {},
        created_at=now, expires_at=now + ttl, using_db=using_db,
    )
    return token


async def consume(purpose: TokenPurpose, token: str, *, clock: Clock, using_db=None) -> OneTimeToken | None:
    """Mark the token used and return it, or None when unknown, expired, used or for another purpose."""
    if not token or len(token) > 128:
        return None
    now = clock.now()
    hashed = token_hash(token)
    query = OneTimeToken.filter(token_hash=hashed, purpose=purpose, used_at=None, expires_at__gt=now)
    if using_db is not None:
        query = query.using_db(using_db)
    if await query.update(used_at=now) != 1:
        return None
    found = OneTimeToken.filter(token_hash=hashed)
    return await (found.using_db(using_db) if using_db is not None else found).get()


async def revoke_unused(purpose: TokenPurpose, *, clock: Clock, user: User, using_db=None) -> None:
    """Spend every open token of `purpose` for `user` (e.g. older reset links after a reset)."""
    query = OneTimeToken.filter(purpose=purpose, user_id=user.id, used_at=None)
    if using_db is not None:
        query = query.using_db(using_db)
    await query.update(used_at=clock.now())
