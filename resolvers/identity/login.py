"""Signing in (password, then a TOTP or recovery code when MFA is on) and signing out.

Rules (security-notes.md, "Accounts and attempts"):
- Attempts are counted by what the caller typed, never by the row found: `login:user:<normalized
  user ID>` (consecutive failures) and `login:ip:<address>` (failures in a 15-minute window), the
  same for real and made-up user IDs. Unknown user IDs cost one argon2 verification too.
- After 3 failures for the user ID or from the IP, a solved proof-of-work challenge
  (auth/challenge.py) must come with the attempt; without one the answer is CHALLENGE_REQUIRED
  and the password is not even checked (nor a failure counted).
- The 10th consecutive failure locks the user ID for 24 hours. While locked the answer is
  LOCKED, whatever the password (a dummy argon2 verification keeps the timing). The owner of a
  real account is emailed once, at lock time. Only a complete sign-in (after MFA when it is on)
  resets the user ID's counter, so a known password cannot be used to reset the count of wrong
  TOTP codes; the IP window is never reset by a success.
- MFA on: a correct password creates no session; it returns the next step MFA_REQUIRED and a
  single-use challenge token (5 minutes) for `complete_mfa_login`. Wrong codes count on the same
  user ID counter. Staff without MFA get a session of scope MFA_ENROLMENT (enrolment only).
- A complete sign-in records the device (user agent + network prefix) and emails "new sign-in"
  for a device not seen before (not for the very first one), and counts as a re-authentication
  for step-up (auth/stepup.py).
- Every attempt writes an audit event; never a password or code.
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from auth import attempts, audit, challenge, one_time_tokens, totp
from auth.audit import Origin
from auth.sessions import IssuedSession, revoke_session, start_session
from auth.tokens import keyed_digest
from auth.usernames import normalize_username
from mail import notify
from models import AttemptCounter, KnownDevice, Session, User
from models.enums import STAFF_ROLES, SessionKind, SessionScope, TokenPurpose
from resolvers.errors import ErrorCode, Problem
from service.container import Services

MAX_USERNAME = 64
MAX_PASSWORD = 128
MAX_CODE = 64
CHALLENGE_AFTER = 3
LOCK_AFTER = 10
LOCK_DURATION = timedelta(hours=24)
IP_WINDOW = timedelta(minutes=15)
MFA_CHALLENGE_TTL = timedelta(minutes=5)

BAD_CREDENTIALS = Problem(ErrorCode.INVALID_CREDENTIALS, "The user ID or password is not correct.")
CHALLENGE_NEEDED = Problem(
    ErrorCode.CHALLENGE_REQUIRED,
    "Too many failed attempts: solve the security challenge (query loginChallenge) and send its solution "
    "with your sign-in.",
    ("challenge",),
)
WRONG_CODE = Problem(ErrorCode.INVALID_CODE, "That code is not correct, or it was already used.", ("code",))
WRONG_RECOVERY_CODE = Problem(
    ErrorCode.INVALID_CODE, "That recovery code is not correct, or it was already used.", ("recoveryCode",)
)
EXPIRED_MFA_STEP = Problem(
    ErrorCode.INVALID_TOKEN, "This sign-in step has expired or was already used. Sign in again.", ("challengeToken",)
)


class NextStep(str, Enum):
    """What a client does after a sign-in call that returned no errors."""

    DONE = "DONE"
    MFA_REQUIRED = "MFA_REQUIRED"
    MFA_ENROLMENT_REQUIRED = "MFA_ENROLMENT_REQUIRED"


@dataclass(frozen=True)
class LoginOutcome:
    issued: IssuedSession | None = None
    next_step: NextStep | None = None
    mfa_challenge_token: str | None = None
    problems: tuple[Problem, ...] = ()


def user_key(identifier: str) -> str:
    if len(identifier) > 150:  # NFKC can lengthen what was typed; keys stay within the column
        identifier = "sha256:" + hashlib.sha256(identifier.encode()).hexdigest()
    return f"login:user:{identifier}"


def ip_key(ip: str) -> str:
    return f"login:ip:{ip}"


def locked_problem(until: datetime | None) -> Problem:
    when = f" Try again after {until:%Y-%m-%d %H:%M} UTC," if until else " Try again later,"
    return Problem(
        ErrorCode.LOCKED,
        f"This user ID is locked for 24 hours after too many failed sign-in attempts.{when} "
        "or contact support to unlock it.",
    )


def device_fingerprint(user_agent: str, ip: str) -> str:
    """SHA-256 of the user agent and the network (/24 for IPv4, /48 for IPv6), so a new address
    in the same network and browser is not a new device, but a new browser or network is."""
    try:
        address = ipaddress.ip_address(ip)
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        prefix = 24 if address.version == 4 else 48
        network = str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))
    except ValueError:
        network = ip
    return hashlib.sha256(f"{user_agent}\n{network}".encode()).hexdigest()


async def challenge_required(services: Services, identifier: str, ip: str) -> bool:
    clock = services.clock
    if await attempts.failures(user_key(identifier), clock=clock) >= CHALLENGE_AFTER:
        return True
    return await attempts.failures(ip_key(ip), clock=clock, window=IP_WINDOW) >= CHALLENGE_AFTER


def _identifier_digest(services: Services, identifier: str) -> str:
    """Lets the audit log correlate attempts on one typed user ID without storing what was typed
    (people type passwords into the user ID field)."""
    return keyed_digest(services.settings.secret_key, "audit-login-identifier", identifier)[:16]


async def _audit(services: Services, action: str, origin: Origin, user: User | None, using_db=None,
                 **details: Any) -> None:
    await audit.record(action, clock=services.clock, origin=origin, actor=user, subject=user,
                       details=details, using_db=using_db)


# -- sign in -----------------------------------------------------------------------------------

async def login(
    services: Services,
    *,
    username: str,
    password: str,
    kind: SessionKind,
    origin: Origin,
    solution: challenge.Solution | None = None,
) -> LoginOutcome:
    problems = []
    if not username.strip() or len(username) > MAX_USERNAME:
        problems.append(Problem(ErrorCode.INVALID, "Enter your user ID.", ("username",)))
    if not password or len(password) > MAX_PASSWORD:
        problems.append(Problem(ErrorCode.INVALID, "Enter your password (at most 128 characters).", ("password",)))
    if problems:
        return LoginOutcome(problems=tuple(problems))

    clock = services.clock
    identifier = normalize_username(username)
    user = await User.get_or_none(username=identifier)
    digest = _identifier_digest(services, identifier)

    until = await attempts.locked_until(user_key(identifier), clock=clock)
    if until is not None:
        await services.passwords.verify(None, password)  # same cost as any other answer
        await _audit(services, "login.rejected_locked", origin, user, identifier=digest)
        return LoginOutcome(problems=(locked_problem(until),))

    needs_challenge = await challenge_required(services, identifier, origin.ip)
    if needs_challenge and (solution is None
                            or not await challenge.redeem(services.settings.secret_key, clock, solution)):
        await _audit(services, "login.challenge_required", origin, user, identifier=digest,
                     solution_sent=solution is not None)
        return LoginOutcome(problems=(CHALLENGE_NEEDED,))

    matches, needs_rehash = await services.passwords.verify(user.password_hash if user else None, password)
    if user is None or not matches or not user.is_active:
        problem = await count_failure(services, identifier=identifier, user=user, origin=origin,
                                      action="login.failed", problem=BAD_CREDENTIALS, identifier_digest=digest)
        return LoginOutcome(problems=(problem,))

    if needs_rehash:
        user.password_hash = await services.passwords.hash(password)
        await User.filter(id=user.id).update(password_hash=user.password_hash)

    if user.mfa_enabled_at is not None:
        async with in_transaction() as connection:
            token = await _issue_mfa_challenge(services, user, identifier, kind, using_db=connection)
            await _audit(services, "login.mfa_required", origin, user, using_db=connection)
        return LoginOutcome(next_step=NextStep.MFA_REQUIRED, mfa_challenge_token=token)

    scope = SessionScope.MFA_ENROLMENT if user.role in STAFF_ROLES else SessionScope.FULL
    async with in_transaction() as connection:
        outcome = await _open_session(services, user, kind=kind, origin=origin, scope=scope, method="password",
                                      using_db=connection)
    await attempts.reset(user_key(identifier), clock=clock)
    return outcome


async def complete_mfa_login(
    services: Services,
    *,
    challenge_token: str,
    code: str | None,
    recovery_code: str | None,
    kind: SessionKind | None,
    origin: Origin,
) -> LoginOutcome:
    """Second step of a sign-in with MFA: the challenge token from `login` and a TOTP code or an
    unused recovery code. A wrong code counts as a failed sign-in and answers with a fresh
    challenge token (so the person can retry without the password) until the lock."""
    code, recovery_code = (code or "").strip(), (recovery_code or "").strip()
    if bool(code) == bool(recovery_code) or len(code) > MAX_CODE or len(recovery_code) > MAX_CODE:
        return LoginOutcome(problems=(Problem(
            ErrorCode.INVALID, "Enter either the code from your authenticator app or one recovery code.", ("code",)
        ),))
    clock = services.clock
    token_row = await one_time_tokens.consume(TokenPurpose.MFA_CHALLENGE, challenge_token, clock=clock)
    user = await User.get_or_none(id=token_row.user_id) if token_row and token_row.user_id else None
    if token_row is None or user is None or not user.is_active or user.mfa_enabled_at is None:
        await _audit(services, "mfa.challenge_failed", origin, user, reason="challenge_token_invalid")
        return LoginOutcome(problems=(EXPIRED_MFA_STEP,))
    identifier = str(token_row.payload.get("identifier") or user.username)
    kind = kind or SessionKind(token_row.payload.get("mode", SessionKind.COOKIE.value))
    method = "totp" if code else "recovery"

    until = await attempts.locked_until(user_key(identifier), clock=clock)
    if until is not None:
        await _audit(services, "login.rejected_locked", origin, user, method=method)
        return LoginOutcome(problems=(locked_problem(until),))

    outcome = None
    async with in_transaction() as connection:
        if code:
            accepted = await totp.accept_code(user, code, cipher=services.cipher, clock=clock, using_db=connection)
        else:
            accepted = await totp.use_recovery_code(user, recovery_code, clock=clock, using_db=connection)
        if accepted:
            outcome = await _open_session(services, user, kind=kind, origin=origin, scope=SessionScope.FULL,
                                          method=method, using_db=connection)
            if not code:
                await _recovery_code_used(services, user, origin, using_db=connection)
    if outcome is not None:
        await attempts.reset(user_key(identifier), clock=clock)
        return outcome

    problem = await count_failure(services, identifier=identifier, user=user, origin=origin,
                                  action="mfa.challenge_failed", problem=WRONG_CODE if code else WRONG_RECOVERY_CODE,
                                  method=method)
    if problem.code == ErrorCode.LOCKED:
        return LoginOutcome(problems=(problem,))
    retry = await _issue_mfa_challenge(services, user, identifier, kind)
    return LoginOutcome(problems=(problem,), mfa_challenge_token=retry)


async def _issue_mfa_challenge(services: Services, user: User, identifier: str, kind: SessionKind,
                               using_db=None) -> str:
    return await one_time_tokens.issue(
        TokenPurpose.MFA_CHALLENGE, clock=services.clock, ttl=MFA_CHALLENGE_TTL, user=user,
        payload={"identifier": identifier, "mode": kind.value}, using_db=using_db,
    )


async def count_failure(services: Services, *, identifier: str, user: User | None, origin: Origin, action: str,
                        problem: Problem, **details: Any) -> Problem:
    """Count a failure for the user ID and the IP, audited as `action`; the 10th consecutive one
    locks the user ID (emailing a real owner). Returns `problem`, or LOCKED once locked. Shared by
    every password or code check (re-authentication too), so there is one lockout rule."""
    clock = services.clock
    count = await attempts.add_failure(user_key(identifier), clock=clock)
    await attempts.add_failure(ip_key(origin.ip), clock=clock, window=IP_WINDOW)
    async with in_transaction() as connection:
        await _audit(services, action, origin, user, using_db=connection, failures=count, **details)
        if count < LOCK_AFTER:
            return problem
        if await _lock(user_key(identifier), services, using_db=connection):
            await _audit(services, "login.locked", origin, user, using_db=connection,
                         hours=int(LOCK_DURATION.total_seconds() // 3600))
            if user is not None:
                await notify.send(services, "account_locked", user.email, {
                    "username": user.username, "hours": int(LOCK_DURATION.total_seconds() // 3600),
                    "locked_until": f"{clock.now() + LOCK_DURATION:%Y-%m-%d %H:%M} UTC",
                    "reset_link": notify.portal_link(services, "forgot-password"),
                }, using_db=connection)
    return locked_problem(await attempts.locked_until(user_key(identifier), clock=clock))




async def _lock(key: str, services: Services, using_db) -> bool:
    """Lock `key` for 24 hours unless it is locked already; True for the one caller that locked it
    (so a race of failures sends one email). The count restarts: after the lock, ten more."""
    now = services.clock.now()
    unlocked = Q(locked_until__isnull=True) | Q(locked_until__lte=now)
    rows = await AttemptCounter.filter(Q(key=key) & unlocked).using_db(using_db).update(
        locked_until=now + LOCK_DURATION, failures=0, updated_at=now
    )
    return rows == 1


async def _open_session(services: Services, user: User, *, kind: SessionKind, origin: Origin, scope: SessionScope,
                        method: str, using_db) -> LoginOutcome:
    clock = services.clock
    now = clock.now()
    issued = await start_session(user, kind=kind, clock=clock, settings=services.settings, ip=origin.ip,
                                 user_agent=origin.user_agent, using_db=using_db)
    # The person just proved their password (and code): that is a re-authentication for step-up.
    await Session.filter(id=issued.session.id).using_db(using_db).update(scope=scope, reauthenticated_at=now)
    issued.session.scope, issued.session.reauthenticated_at = scope, now
    new_device = False
    if scope == SessionScope.FULL:
        new_device = await _note_device(services, user, origin, using_db=using_db)
    await _audit(services, "login.succeeded", origin, user, using_db=using_db, method=method, scope=scope.value,
                 mode=kind.value, new_device=new_device)
    next_step = NextStep.DONE if scope == SessionScope.FULL else NextStep.MFA_ENROLMENT_REQUIRED
    return LoginOutcome(issued=issued, next_step=next_step)


async def _note_device(services: Services, user: User, origin: Origin, using_db) -> bool:
    """Remember the device; True when it is new and the owner was emailed."""
    now = services.clock.now()
    fingerprint = device_fingerprint(origin.user_agent, origin.ip)
    if await KnownDevice.filter(user_id=user.id, fingerprint=fingerprint).using_db(using_db).update(last_seen_at=now):
        return False
    first_device = not await KnownDevice.filter(user_id=user.id).using_db(using_db).exists()
    try:
        async with in_transaction(using_db.connection_name) as savepoint:
            await KnownDevice.create(user_id=user.id, fingerprint=fingerprint, first_seen_at=now, last_seen_at=now,
                                     using_db=savepoint)
    except IntegrityError:
        return False  # recorded by a concurrent sign-in from the same device
    if first_device:
        return False
    await notify.send(services, "new_sign_in", user.email, {
        "username": user.username, "when": f"{now:%Y-%m-%d %H:%M} UTC", "ip": origin.ip or "unknown",
        "browser": origin.user_agent or "unknown browser",
        "security_link": notify.portal_link(services, "security"),
    }, using_db=using_db)
    return True


async def _recovery_code_used(services: Services, user: User, origin: Origin, using_db) -> None:
    remaining = await totp.unused_recovery_codes(user, using_db=using_db)
    await _audit(services, "mfa.recovery_code_used", origin, user, using_db=using_db, remaining=remaining)
    await notify.send(services, "recovery_code_used", user.email, {
        "username": user.username, "remaining": remaining, "when": f"{services.clock.now():%Y-%m-%d %H:%M} UTC",
        "ip": origin.ip or "unknown", "security_link": notify.portal_link(services, "security"),
    }, using_db=using_db)


# -- sign out ------------------------------------------------------------------------------------

async def logout(services: Services, session: Session, origin: Origin) -> None:
    async with in_transaction() as connection:
        await revoke_session(session, services.clock)
        await _audit(services, "logout", origin, session.user, using_db=connection)
