"""Signing in with user ID and password, and signing out.

Unknown user IDs cost the same argon2 verification as real ones (against a dummy hash), and
every failure gets the same answer, so the response never tells whether an account exists.
MFA, the challenge after repeated failures and the lockout come with the identity issue.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.transactions import in_transaction

from auth.sessions import IssuedSession, revoke_session, start_session
from auth.usernames import normalize_username
from models import Session, User
from models.enums import SessionKind
from resolvers.errors import ErrorCode, Problem
from service.container import Services

MAX_USERNAME = 64
MAX_PASSWORD = 128
BAD_CREDENTIALS = Problem(ErrorCode.INVALID_CREDENTIALS, "The user ID or password is not correct.")


@dataclass(frozen=True)
class LoginOutcome:
    issued: IssuedSession | None = None
    problems: tuple[Problem, ...] = ()


async def login(
    services: Services, *, username: str, password: str, kind: SessionKind, ip: str, user_agent: str
) -> LoginOutcome:
    problems = []
    if not username.strip() or len(username) > MAX_USERNAME:
        problems.append(Problem(ErrorCode.INVALID, "Enter your user ID.", ("username",)))
    if not password or len(password) > MAX_PASSWORD:
        problems.append(Problem(ErrorCode.INVALID, "Enter your password (at most 128 characters).", ("password",)))
    if problems:
        return LoginOutcome(problems=tuple(problems))

    user = await User.get_or_none(username=normalize_username(username))
    matches, needs_rehash = await services.passwords.verify(user.password_hash if user else None, password)
    if user is None or not matches or not user.is_active:
        return LoginOutcome(problems=(BAD_CREDENTIALS,))

    async with in_transaction() as connection:
        if needs_rehash:
            user.password_hash = await services.passwords.hash(password)
            await user.save(update_fields=["password_hash"], using_db=connection)
        issued = await start_session(
            user,
            kind=kind,
            clock=services.clock,
            settings=services.settings,
            ip=ip,
            user_agent=user_agent,
            using_db=connection,
        )
    return LoginOutcome(issued=issued)


async def logout(services: Services, session: Session) -> None:
    await revoke_session(session, services.clock)
