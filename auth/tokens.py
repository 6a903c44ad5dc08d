"""Opaque random tokens (sessions, email links, API keys): 256 bits from `secrets`,
stored only as SHA-256 and compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def hashes_match(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("ascii"), b.encode("ascii"))


def keyed_digest(key: str, purpose: str, value: str) -> str:
    """HMAC-SHA256 of `value` under `key`, separated by `purpose` so one digest can't stand for another."""
    message = f"{purpose}\x00{value}".encode("utf-8")
    return hmac.new(key.encode("utf-8"), message, hashlib.sha256).hexdigest()
