"""Short-lived links signed for one user (`?expires=<unix time>&user=<id>&signature=<hex>`).

A document, an attachment or an export is fetched by a plain GET (a browser download, no GraphQL),
so the link itself carries who may use it and until when, under an HMAC of the server secret. The
link proves only that: the caller still checks that this user may see the object when it is used.
Every failure answers None, so a tampered link and an expired one look the same.
"""

from __future__ import annotations

from datetime import timedelta

from auth.tokens import hashes_match, keyed_digest
from service.clock import Clock


def signature(secret: str, purpose: str, subject: str, expires: int, user_id: int) -> str:
    return keyed_digest(secret, purpose, f"{subject}:{expires}:{user_id}")


def signed_query(secret: str, purpose: str, subject: str, user_id: int, *, clock: Clock, ttl: timedelta) -> str:
    """`expires=…&user=…&signature=…` for `subject` (what the link opens), valid `ttl` from now."""
    expires = int((clock.now() + ttl).timestamp())
    return f"expires={expires}&user={user_id}&signature={signature(secret, purpose, subject, expires, user_id)}"


def verified_user_id(secret: str, purpose: str, subject: str, expires: str, user_id: str, signed: str, *,
                     clock: Clock, ttl: timedelta) -> int | None:
    """The user id the link was signed for, when it is genuine and unexpired; None otherwise."""
    if not (expires.isdigit() and user_id.isdigit()) or len(expires) > 12 or len(user_id) > 18:
        return None
    if len(signed) != 64 or not signed.isascii() or not subject.isascii():
        return None
    now = int(clock.now().timestamp())
    expires_at = int(expires)
    if expires_at < now or expires_at > now + int(ttl.total_seconds()):
        return None
    if not hashes_match(signature(secret, purpose, subject, expires_at, int(user_id)), signed.lower()):
        return None
    return int(user_id)
