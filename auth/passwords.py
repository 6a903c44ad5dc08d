"""Password hashing with argon2id (argon2-cffi).

Hashing runs in a worker thread so it never blocks the event loop, and a semaphore bounds the
hashes in flight so a login storm cannot take every core from other requests (security-notes.md).
Parameters (AUTOFIN_ARGON2_PROFILE):
- `default`: OWASP's recommended argon2id configuration, m=19 MiB, t=2, p=1: about 17 ms a hash on
  one core of the 2-core machines this runs on, so a first-of-the-month storm of 20 logins/s takes a
  third of a core and leaves the rest to the dashboard (the benchmark's login storm).
- `rfc9106-low-memory`: argon2-cffi's RFC 9106 low-memory profile, t=3, m=64 MiB, p=4: about 146 ms
  a hash on one core (20 logins/s would need three cores); for deployments with cores to spare.
- `cheapest`: tests only.
A successful verification reports whether the stored hash should be rehashed (its parameters are
not the profile's), and the login rehashes it: changing the profile converges as people sign in.
"""

from __future__ import annotations

import asyncio
import unicodedata

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

OWASP = profiles.Parameters(type=profiles.RFC_9106_LOW_MEMORY.type, version=profiles.RFC_9106_LOW_MEMORY.version,
                            salt_len=16, hash_len=32, time_cost=2, memory_cost=19 * 1024, parallelism=1)
PROFILES = {
    "default": OWASP,
    "rfc9106-low-memory": profiles.RFC_9106_LOW_MEMORY,
    "cheapest": profiles.CHEAPEST,
}
MAX_CONCURRENT_HASHES = 2


class Passwords:
    def __init__(self, profile: str = "default") -> None:
        if profile not in PROFILES:
            raise ValueError(f"unknown argon2 profile {profile!r}; choose from {sorted(PROFILES)}")
        self._hasher = PasswordHasher.from_parameters(PROFILES[profile])
        self._slots = asyncio.Semaphore(MAX_CONCURRENT_HASHES)
        # Unknown logins are verified against this, so they cost the same time as real ones.
        self._dummy_hash = self._hasher.hash("not-a-password-of-anyone")

    @staticmethod
    def _normalize(password: str) -> str:
        return unicodedata.normalize("NFKC", password)

    def hash_sync(self, password: str) -> str:
        return self._hasher.hash(self._normalize(password))

    async def hash(self, password: str) -> str:
        async with self._slots:
            return await asyncio.to_thread(self.hash_sync, password)

    async def verify(self, stored_hash: str | None, password: str) -> tuple[bool, bool]:
        """(matches, needs_rehash). A missing hash still spends one verification."""
        target = stored_hash or self._dummy_hash
        async with self._slots:
            ok = await asyncio.to_thread(self._verify_sync, target, password)
        if not ok or stored_hash is None:
            return False, False
        return True, self._hasher.check_needs_rehash(stored_hash)

    def _verify_sync(self, stored_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored_hash, self._normalize(password))
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
