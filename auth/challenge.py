"""A self-hosted proof-of-work challenge (ALTCHA-style) for sign-in after repeated failures.

The server hands out `salt`, `challenge = hex(SHA-256(salt + str(number)))` for a secret random
`number` in 0..max_number, and `signature = HMAC-SHA256(secret, challenge)`. The client finds
`number` by trying them in turn (about max_number/2 hashes on average: a fraction of a second in
a browser, real cost for a script that guesses passwords) and sends all four back.

Nothing is stored when a challenge is created. The salt carries its expiry
(`"<random>?expires=<unix time>"`, as ALTCHA does) and the salt is bound to the signed
`challenge` through the hash, so neither the expiry nor the salt can be changed without the
signature failing. A solution is single-use: `redeem` inserts an AttemptCounter row with the key
`challenge:used:<challenge>` (unique key, so two racing requests cannot both insert it) and
`locked_until` = the challenge's expiry, after which the row is no longer needed (a purge job can
delete expired `challenge:used:` rows). That reuses the counter table's unique key and expiry
column instead of adding a token purpose and a migration.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from auth.tokens import keyed_digest
from models import AttemptCounter
from service.clock import Clock

ALGORITHM = "SHA-256"
TTL = timedelta(minutes=10)
USED_KEY_PREFIX = "challenge:used:"
# A bound on what a client may send, whatever max_number the server uses today.
MAX_ACCEPTED_NUMBER = 10**9
_SIGNATURE_PURPOSE = "login-challenge"


@dataclass(frozen=True)
class Challenge:
    algorithm: str
    salt: str
    challenge: str
    max_number: int
    signature: str
    expires: datetime


@dataclass(frozen=True)
class Solution:
    salt: str
    challenge: str
    signature: str
    number: int


def _hash(salt: str, number: int) -> str:
    return hashlib.sha256(f"{salt}{number}".encode()).hexdigest()


def _sign(secret_key: str, challenge: str) -> str:
    return keyed_digest(secret_key, _SIGNATURE_PURPOSE, challenge)


def _expiry(salt: str) -> datetime | None:
    _, separator, query = salt.partition("?")
    if not separator:
        return None
    try:
        return datetime.fromtimestamp(int(parse_qs(query)["expires"][0]), tz=UTC)
    except (KeyError, ValueError, IndexError, OverflowError, OSError):
        return None


def create(secret_key: str, clock: Clock, max_number: int, *, ttl: timedelta = TTL) -> Challenge:
    """A new challenge whose answer is a random number in 0..max_number."""
    if max_number < 1:
        raise ValueError("max_number must be at least 1")
    expires = clock.now().replace(microsecond=0) + ttl
    salt = f"{secrets.token_hex(12)}?expires={int(expires.timestamp())}"
    challenge = _hash(salt, secrets.randbelow(max_number + 1))
    return Challenge(ALGORITHM, salt, challenge, max_number, _sign(secret_key, challenge), expires)


def solve(challenge: Challenge | Solution, max_number: int) -> int | None:
    """Brute-force the number (what a client does; used by tests and tools)."""
    for number in range(max_number + 1):
        if _hash(challenge.salt, number) == challenge.challenge:
            return number
    return None


def verify(secret_key: str, clock: Clock, solution: Solution) -> bool:
    """True when the solution is well-formed, signed by us, unexpired and correct (not spent)."""
    if not (0 <= solution.number <= MAX_ACCEPTED_NUMBER) or len(solution.salt) > 200:
        return False
    if len(solution.challenge) != 64 or len(solution.signature) != 64:
        return False
    try:
        expected_signature = _sign(secret_key, solution.challenge)
        if not hmac.compare_digest(expected_signature.encode("ascii"), solution.signature.encode("ascii")):
            return False
    except UnicodeEncodeError:
        return False
    expires = _expiry(solution.salt)
    if expires is None or expires <= clock.now():
        return False
    return hmac.compare_digest(_hash(solution.salt, solution.number).encode("ascii"),
                               solution.challenge.encode("ascii"))


async def redeem(secret_key: str, clock: Clock, solution: Solution) -> bool:
    """Verify the solution and spend it: True exactly once per valid solution."""
    if not verify(secret_key, clock, solution):
        return False
    now = clock.now()
    try:
        async with in_transaction() as savepoint:
            await AttemptCounter.create(
                key=f"{USED_KEY_PREFIX}{solution.challenge}", failures=0, window_started_at=now,
                locked_until=_expiry(solution.salt), updated_at=now, using_db=savepoint,
            )
    except IntegrityError:
        return False  # already spent
    return True
