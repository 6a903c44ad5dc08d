"""API credentials of a dealership's dealer management system (DMS): how a key is made, stored,
checked and scoped. Free of GraphQL: resolvers/dms/ creates and revokes them, graph/context.py
authenticates a request with one, graph/access.py admits it only where an `ApiAudience` allows.

- A credential is a public key id (`dk_` + 64 random bits, what a request names) and a secret
  (256 random bits from `secrets`), sent as `Authorization: ApiKey <keyId>.<secret>`. The secret is
  shown once, when created; only its SHA-256 is stored (it is random, not a password, so a fast hash
  is enough), and it is compared in constant time.
- A credential is no user and has no session: it may call only the fields declared for an
  `ApiAudience` of a scope it holds (the DMS mutations); every other field refuses it.
- A revoked credential is refused at once (the row is read on every request). `last_used_at` is
  written at most once a minute, by a conditional UPDATE, so a busy feed does not write on every call.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import timedelta

from tortoise.expressions import Q

from auth.permissions import Audience
from auth.tokens import hashes_match, token_hash
from models import ApiCredential
from models.enums import ApiScope
from service.clock import Clock

SCHEME = "apikey"
KEY_ID_PREFIX = "dk_"
LAST_USED_EVERY = timedelta(minutes=1)
# Compared against when the key id is unknown, so an unknown key costs the same hash and compare.
_DUMMY_HASH = token_hash("no such credential")


class ApiAudience(Audience):
    """Fields a DMS may call with an API credential holding `scope`. No user (nor anonymous caller)
    is in it: `admits(user)` is always False."""

    def __init__(self, scope: ApiScope) -> None:
        super().__init__(())
        self.scope = scope

    def admits_credential(self, credential: ApiCredential | None) -> bool:
        return credential is not None and credential.revoked_at is None and self.scope.value in (
            credential.scopes or ())

    def describe(self) -> str:
        return f"API credentials with the {self.scope.value} scope (Authorization: ApiKey <keyId>.<secret>)"


DEALS_WRITERS = ApiAudience(ApiScope.DEALS_WRITE)
SERVICE_WRITERS = ApiAudience(ApiScope.SERVICE_WRITE)


def new_key_id() -> str:
    return KEY_ID_PREFIX + secrets.token_hex(8)


def new_secret() -> str:
    """256 bits, URL-safe base64 (never contains "."), so `<keyId>.<secret>` splits unambiguously."""
    return secrets.token_urlsafe(32)


def secret_hash(secret: str) -> str:
    return token_hash(secret)


def presented(authorization: str) -> tuple[str, str] | None:
    """(key id, secret) from an `ApiKey <keyId>.<secret>` header value, or None when it is not one."""
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() != SCHEME:
        return None
    key_id, dot, secret = value.strip().partition(".")
    if not dot or not key_id or not secret or len(key_id) > 32 or len(secret) > 128:
        return None
    return key_id, secret


def is_api_key_header(authorization: str) -> bool:
    return authorization.strip().lower().startswith(SCHEME + " ")


async def authenticate(authorization: str, *, clock: Clock) -> ApiCredential | None:
    """The active credential an `ApiKey` header names, with its secret checked; None otherwise
    (unknown key, wrong secret, revoked). Records the use (at most once a minute)."""
    parts = presented(authorization)
    if parts is None:
        return None
    key_id, secret = parts
    row = await ApiCredential.filter(key_id=key_id).first()
    matches = hashes_match(secret_hash(secret), row.secret_hash if row is not None else _DUMMY_HASH)
    if row is None or not matches or row.revoked_at is not None:
        return None
    now = clock.now()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_EVERY:
        await ApiCredential.filter(Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_EVERY),
                                   id=row.id).update(last_used_at=now)
        row.last_used_at = now
    return row


def scope_values(scopes: Iterable[ApiScope]) -> list[str]:
    """Scopes as stored: distinct values in a stable order."""
    chosen = {ApiScope(scope) for scope in scopes}
    return [scope.value for scope in ApiScope if scope in chosen]
