"""Password hashing with argon2id (argon2-cffi).

Hashing runs in its own worker thread, one hash at a time per process and at a slightly lower
priority than the event loop (HASH_THREAD_NICENESS), so it never blocks the loop and a login storm
cannot take the core from other requests (security-notes.md).

Parameters (AUTOFIN_ARGON2_PROFILE):
- `default`: one of OWASP's recommended argon2id configurations, m=7 MiB, t=5, p=1 (OWASP lists it
  with m=19 MiB, t=2 and m=46 MiB, t=1 as equivalent): about 13 ms a hash on one core of the 2-core
  machines this runs on, and its small memory disturbs the requests sharing the core least. At 20
  logins/s (the benchmark's first-of-the-month storm) the dashboard keeps p99 within 1.6-1.7x of its
  calm value; with m=19 MiB, t=2 (17 ms) it was 2.3x, with RFC 9106's profile (146 ms) the server
  could not keep up at all.
- `rfc9106-low-memory`: argon2-cffi's RFC 9106 low-memory profile, t=3, m=64 MiB, p=4: about 146 ms
  a hash on one core (20 logins/s would need three cores); for deployments with cores to spare.
- `cheapest`: tests only.
A successful verification reports whether the stored hash should be rehashed (its parameters are
not the profile's), and the login rehashes it: changing the profile converges as people sign in.
"""

from __future__ import annotations

import asyncio
import os
import threading
import unicodedata
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

OWASP = profiles.Parameters(type=profiles.RFC_9106_LOW_MEMORY.type, version=profiles.RFC_9106_LOW_MEMORY.version,
                            salt_len=16, hash_len=32, time_cost=5, memory_cost=7 * 1024, parallelism=1)
PROFILES = {
    "default": OWASP,
    "rfc9106-low-memory": profiles.RFC_9106_LOW_MEMORY,
    "cheapest": profiles.CHEAPEST,
}
MAX_CONCURRENT_HASHES = 1
# The hashing thread runs this much nicer than the event loop (Linux: per thread). With the loop busy,
# a hash then gets about 39 % of a shared core instead of half (20 logins/s at the default profile
# need about 27 %), and requests waiting on the loop are slowed less by a login storm.
HASH_THREAD_NICENESS = 2


def _nicer_thread() -> None:
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASH_THREAD_NICENESS)
    except (AttributeError, OSError):  # not Linux, or not allowed: the thread keeps the process's priority
        pass


class Passwords:
    def __init__(self, profile: str = "default") -> None:
        if profile not in PROFILES:
            raise ValueError(f"unknown argon2 profile {profile!r}; choose from {sorted(PROFILES)}")
        self._hasher = PasswordHasher.from_parameters(PROFILES[profile])
        self._slots = asyncio.Semaphore(MAX_CONCURRENT_HASHES)
        self._executor = ThreadPoolExecutor(max_workers=MAX_CONCURRENT_HASHES, thread_name_prefix="argon2",
                                            initializer=_nicer_thread)
        # Unknown logins are verified against this, so they cost the same time as real ones.
        self._dummy_hash = self._hasher.hash("not-a-password-of-anyone")

    @staticmethod
    def _normalize(password: str) -> str:
        return unicodedata.normalize("NFKC", password)

    def hash_sync(self, password: str) -> str:
        return self._hasher.hash(self._normalize(password))

    async def hash(self, password: str) -> str:
        async with self._slots:
            return await asyncio.get_running_loop().run_in_executor(self._executor, self.hash_sync, password)

    async def verify(self, stored_hash: str | None, password: str) -> tuple[bool, bool]:
        """(matches, needs_rehash). A missing hash still spends one verification."""
        target = stored_hash or self._dummy_hash
        async with self._slots:
            ok = await asyncio.get_running_loop().run_in_executor(self._executor, self._verify_sync, target,
                                                                  password)
        if not ok or stored_hash is None:
            return False, False
        return True, self._hasher.check_needs_rehash(stored_hash)

    def _verify_sync(self, stored_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored_hash, self._normalize(password))
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
