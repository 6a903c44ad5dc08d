"""What the account flows (registration, dealer links, recovery, staff set-up) share: the shape of a
user ID and an email address, the password rule as a Problem, rate limits, and looking at an
emailed token before spending it.

Looking before spending lets a flow check the rest of its input (e.g. the password against the
account's own name and email) and answer with errors while changing nothing; the token is then
spent by `one_time_tokens.consume` inside the flow's transaction, a conditional UPDATE, so two
requests racing with one token still succeed only once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from auth import attempts
from auth.password_policy import password_problem
from auth.tokens import token_hash
from auth.usernames import normalize_username
from models import OneTimeToken, User
from models.enums import TokenPurpose
from resolvers.errors import ErrorCode, Problem
from service.clock import Clock

USERNAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{2,63}")
# Deliberately loose (one @, a dot in the domain, no spaces): the emailed link is the real check.
EMAIL_PATTERN = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")
MAX_EMAIL = 254
MAX_TOKEN = 128
RATE_WINDOW = timedelta(hours=1)
RATE_LIMITED = Problem(ErrorCode.RATE_LIMITED, "Too many attempts. Wait an hour and try again.")
INVALID_LINK = Problem(
    ErrorCode.INVALID_TOKEN, "This link is not valid: it has expired or was already used. Ask for a new one.",
    ("token",),
)


@dataclass(frozen=True)
class Outcome:
    """The result of a rule: a value, or the problems (and then nothing was changed)."""

    value: Any = None
    problems: tuple[Problem, ...] = ()

    @classmethod
    def fail(cls, *problems: Problem) -> Outcome:
        return cls(problems=tuple(problems))


def username_problem(raw: str, field: str = "username") -> Problem | None:
    if not USERNAME_PATTERN.fullmatch(normalize_username(raw)):
        return Problem(
            ErrorCode.INVALID,
            "Choose a user ID of 3 to 64 characters: letters, digits, dot, dash or underscore, "
            "starting with a letter or digit.",
            (field,),
        )
    return None


def clean_email(raw: str) -> str:
    return raw.strip()


def email_problem(raw: str, field: str = "email") -> Problem | None:
    email = clean_email(raw)
    if len(email) > MAX_EMAIL or not EMAIL_PATTERN.fullmatch(email):
        return Problem(ErrorCode.INVALID, "Enter an email address such as name@example.com.", (field,))
    return None


def weak_password(password: str, user_inputs: list[str], field: str = "password") -> Problem | None:
    reason = password_problem(password, user_inputs=[i for i in user_inputs if i])
    return Problem(ErrorCode.WEAK_PASSWORD, reason, (field,)) if reason else None


async def username_taken(username: str) -> Problem | None:
    # Saying that a user ID is taken reveals that the user ID exists, not whose account it is or
    # whether any contract or customer is behind it; people need to know to pick another one.
    if await User.filter(username=normalize_username(username)).exists():
        return Problem(ErrorCode.CONFLICT, "This user ID is taken. Choose another one.", ("username",))
    return None


async def over_limit(limits: list[tuple[str, int]], *, clock: Clock) -> bool:
    """Count this attempt against every (key, limit per hour); True when any is exceeded.
    Every key is counted, so attempts spread over aliases or requests add up the same way."""
    within = [await attempts.within_limit(key, clock=clock, limit=limit, window=RATE_WINDOW) for key, limit in limits]
    return not all(within)


def limit_key(value: str) -> str:
    """A rate-limit key part from what the caller typed (bounded: the key column has 200 chars)."""
    return normalize_username(value)[:120]


async def open_token(purpose: TokenPurpose, token: str, *, clock: Clock) -> OneTimeToken | None:
    """The unused, unexpired token of `purpose`, without spending it (see the module docstring)."""
    if not token or len(token) > MAX_TOKEN:
        return None
    return await OneTimeToken.filter(
        token_hash=token_hash(token), purpose=purpose, used_at=None, expires_at__gt=clock.now()
    ).first()


async def link_user(purpose: TokenPurpose, token: str, *, clock: Clock) -> User | None:
    """The active user a still-valid link of `purpose` belongs to, without spending the link."""
    row = await open_token(purpose, token, clock=clock)
    if row is None or row.user_id is None:
        return None
    user = await User.get_or_none(id=row.user_id)
    return user if user is not None and user.is_active else None
