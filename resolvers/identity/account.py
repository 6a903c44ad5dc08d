"""Changing what protects an account: step-up re-authentication, the password and the login email.

- `reauthenticate` proves the password (or a TOTP code) again and stamps the session; password
  and email changes need that stamp to be at most five minutes old (auth/stepup.py).
- A wrong password or code here is a failed sign-in: it counts on login's counters
  (`login:user:<user ID>` and the IP) and the 10th locks the account for 24 hours, exactly as at
  login, so a stolen session cannot be used to guess the password. While locked, every proof is
  refused.
- Every change is one transaction: the row, the revoked sessions, the alert mail (outbox) and the
  audit event commit together or not at all. Nothing changes when a Problem is returned.
- The login email (`User.email`, where sign-in and security mail goes) is separate from the
  contact email on a customer's contracts (`Customer.email`): changing one never changes the other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from auth import attempts, audit, one_time_tokens, totp
from auth.password_policy import MAX_LENGTH, password_problem
from auth.stepup import REAUTH_WINDOW, mark_reauthenticated, recently_reauthenticated
from auth.usernames import normalize_username
from mail.notify import portal_link, send
from models import Customer, Session, User
from models.enums import TokenPurpose
from resolvers.errors import ErrorCode, Problem
from resolvers.identity import login as login_rules
from resolvers.identity.sessions import revoke_others
from resolvers.masking import mask_email
from service.container import Services

EMAIL_CHANGE_TTL = timedelta(hours=24)
MAX_EMAIL = 254
MAX_TOTP_CODE = 16
# At most this many email-change links per user per hour (each one mails two addresses).
EMAIL_CHANGE_LIMIT = 5
EMAIL_CHANGE_WINDOW = timedelta(hours=1)
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")

REAUTH_REQUIRED = Problem(
    ErrorCode.REAUTHENTICATION_REQUIRED,
    f"Confirm it's you: call `reauthenticate` (password or authenticator code) and retry within "
    f"{int(REAUTH_WINDOW.total_seconds() // 60)} minutes.",
)


def login_failure_key(user: User) -> str:
    """The login failure counter of this account (the key login counts on)."""
    return login_rules.user_key(normalize_username(user.username))


def _stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M UTC")


@dataclass(frozen=True)
class Outcome:
    problems: tuple[Problem, ...] = ()
    until: datetime | None = None  # reauthenticate: when the step-up stops counting
    masked_email: str | None = None  # changeEmail: the pending address; confirm: the new one


async def _locked(services: Services, user: User) -> Problem | None:
    until = await attempts.locked_until(login_failure_key(user), clock=services.clock)
    return login_rules.locked_problem(until) if until is not None else None


async def _count_failure(services: Services, user: User, origin: audit.Origin, action: str, problem: Problem,
                         method: str) -> Problem:
    """A failed proof counts like a failed sign-in (and may lock the account): the Problem to return."""
    # One lockout rule for every password or code check: login's own (private there, shared here).
    return await login_rules.count_failure(
        services, identifier=normalize_username(user.username), user=user, origin=origin, action=action,
        problem=problem, method=method,
    )


async def reauthenticate(
    services: Services, *, user: User, session: Session, password: str | None, totp_code: str | None,
    origin: audit.Origin,
) -> Outcome:
    """Prove the password or a TOTP code again; on success the session counts as recently
    re-authenticated for REAUTH_WINDOW. TOTP only for users with MFA on."""
    password = password or None
    totp_code = (totp_code or "").strip() or None
    if (password is None) == (totp_code is None):
        return Outcome(problems=(Problem(ErrorCode.INVALID, "Give either your password or an authenticator code.",
                                         ("password",)),))
    if password is not None and len(password) > MAX_LENGTH:
        return Outcome(problems=(Problem(ErrorCode.INVALID, "Enter your password (at most 128 characters).",
                                         ("password",)),))
    if totp_code is not None and len(totp_code) > MAX_TOTP_CODE:
        return Outcome(problems=(Problem(ErrorCode.INVALID, "Enter the 6-digit code from your app.",
                                         ("totpCode",)),))
    if totp_code is not None and user.mfa_enabled_at is None:
        return Outcome(problems=(Problem(
            ErrorCode.INVALID, "Two-step verification is not on for this account: use your password.",
            ("totpCode",)),))
    locked = await _locked(services, user)
    if locked is not None:
        return Outcome(problems=(locked,))

    method = "password" if password is not None else "totp"
    now = services.clock.now()
    if password is not None:  # hashed outside the transaction: no connection held while argon2 runs
        matches, _ = await services.passwords.verify(user.password_hash, password)
    async with in_transaction() as connection:
        if password is None:
            # Spends the code's time step: the same code cannot be used again (not even at login).
            matches = await totp.accept_code(user, totp_code, cipher=services.cipher, clock=services.clock,
                                             using_db=connection)
        if matches:
            await mark_reauthenticated(session, services.clock, using_db=connection)
            await audit.record("reauth.succeeded", clock=services.clock, origin=origin, actor=user, subject=user,
                               details={"method": method}, using_db=connection)
    if matches:
        return Outcome(until=now + REAUTH_WINDOW)
    if password is not None:
        failure = Problem(ErrorCode.INVALID_CREDENTIALS, "That password is not correct.", ("password",))
    else:
        failure = Problem(ErrorCode.INVALID_CODE, "That code is not correct, or it was already used.", ("totpCode",))
    return Outcome(problems=(await _count_failure(services, user, origin, "reauth.failed", failure, method),))


async def _user_words(user: User) -> list[str]:
    words = [user.username, user.email, user.email.partition("@")[0]]
    if user.customer_id is not None:
        customer = await Customer.get_or_none(id=user.customer_id)
        if customer is not None:
            words += [customer.first_name, customer.last_name]
    return words


async def change_password(
    services: Services, *, user: User, session: Session, current_password: str, new_password: str,
    origin: audit.Origin,
) -> Outcome:
    """Set a new password: needs a recent step-up and the current password; signs every other
    device out and mails an alert."""
    if not current_password or len(current_password) > MAX_LENGTH:
        return Outcome(problems=(Problem(ErrorCode.INVALID, "Enter your current password.", ("currentPassword",)),))
    if not recently_reauthenticated(session, services.clock):
        return Outcome(problems=(REAUTH_REQUIRED,))
    locked = await _locked(services, user)
    if locked is not None:
        return Outcome(problems=(locked,))
    matches, _ = await services.passwords.verify(user.password_hash, current_password)
    if not matches:
        wrong = Problem(ErrorCode.INVALID_CREDENTIALS, "Your current password is not correct.", ("currentPassword",))
        return Outcome(problems=(await _count_failure(services, user, origin, "password.change_failed", wrong,
                                                      "password"),))
    if new_password == current_password:
        return Outcome(problems=(Problem(ErrorCode.WEAK_PASSWORD, "Choose a password different from your current one.",
                                         ("newPassword",)),))
    weakness = password_problem(new_password, user_inputs=await _user_words(user))
    if weakness is not None:
        return Outcome(problems=(Problem(ErrorCode.WEAK_PASSWORD, weakness, ("newPassword",)),))

    new_hash = await services.passwords.hash(new_password)
    now = services.clock.now()
    async with in_transaction() as connection:
        await User.filter(id=user.id).using_db(connection).update(password_hash=new_hash, password_changed_at=now)
        revoked = await revoke_others(services, user=user, keep=session, using_db=connection)
        # Reset links mailed before the change must not undo it, and a sign-in half done with the
        # old password (waiting for its TOTP code) must not finish.
        for purpose in (TokenPurpose.PASSWORD_RESET, TokenPurpose.MFA_CHALLENGE):
            await one_time_tokens.revoke_unused(purpose, clock=services.clock, user=user, using_db=connection)
        await send(services, "password_changed_by_user", user.email, {
            "username": user.username, "when": _stamp(now), "ip": origin.ip or "unknown",
            "sessions_revoked": revoked, "reset_link": portal_link(services, "forgot-password"),
        }, using_db=connection)
        await audit.record("password.changed", clock=services.clock, origin=origin, actor=user, subject=user,
                           details={"sessions_revoked": revoked}, using_db=connection)
    user.password_hash, user.password_changed_at = new_hash, now
    return Outcome()


def normalize_email(raw: str) -> str | None:
    """A plausible address with its domain lowercased, or None. Characters that could split or
    quote an address header (commas, angle brackets, quotes, ...) are refused."""
    email = raw.strip()
    if len(email) > MAX_EMAIL or not _EMAIL.match(email) or any(c in email for c in "\r\n,;<>\"()[]\\"):
        return None
    local, _, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


async def change_email(
    services: Services, *, user: User, session: Session, new_email: str, origin: audit.Origin
) -> Outcome:
    """Start moving the login email: a single-use link (24 h) to the new address, an alert to the
    old one. Nothing changes until the link is opened (`confirm_email_change`)."""
    email = normalize_email(new_email)
    if email is None:
        return Outcome(problems=(Problem(ErrorCode.INVALID, "Enter a valid email address.", ("newEmail",)),))
    if not recently_reauthenticated(session, services.clock):
        return Outcome(problems=(REAUTH_REQUIRED,))
    if email.casefold() == user.email.casefold():
        return Outcome(problems=(Problem(ErrorCode.INVALID, "That is already your email address.", ("newEmail",)),))
    if not await attempts.within_limit(f"email_change:user:{user.id}", clock=services.clock,
                                       limit=EMAIL_CHANGE_LIMIT, window=EMAIL_CHANGE_WINDOW):
        return Outcome(problems=(Problem(ErrorCode.RATE_LIMITED,
                                         "Too many email changes in a short time. Try again in an hour."),))

    now = services.clock.now()
    async with in_transaction() as connection:
        # Only the newest link works: an older pending change is abandoned.
        await one_time_tokens.revoke_unused(TokenPurpose.EMAIL_CHANGE, clock=services.clock, user=user,
                                            using_db=connection)
        token = await one_time_tokens.issue(TokenPurpose.EMAIL_CHANGE, clock=services.clock, ttl=EMAIL_CHANGE_TTL,
                                            user=user, payload={"new_email": email}, using_db=connection)
        await send(services, "email_change_verify", email, {
            "username": user.username, "link": portal_link(services, "confirm-email-change", token=token),
            "hours": int(EMAIL_CHANGE_TTL.total_seconds() // 3600),
        }, using_db=connection)
        await send(services, "email_change_requested", user.email, {
            "username": user.username, "new_email": mask_email(email), "when": _stamp(now),
            "ip": origin.ip or "unknown",
        }, using_db=connection)
        await audit.record("email.change_requested", clock=services.clock, origin=origin, actor=user, subject=user,
                           details={"new_email": mask_email(email)}, using_db=connection)
    return Outcome(masked_email=mask_email(email))


INVALID_LINK = Problem(ErrorCode.INVALID_TOKEN, "This link is not valid: it has expired or was already used.",
                       ("token",))


async def confirm_email_change(services: Services, *, token: str, origin: audit.Origin) -> Outcome:
    """Open the emailed link: the login email becomes the new (now verified) address and the old
    address is told. Works once, within 24 hours, from any device."""
    token = (token or "").strip()
    now = services.clock.now()
    try:
        async with in_transaction() as connection:
            used = await one_time_tokens.consume(TokenPurpose.EMAIL_CHANGE, token, clock=services.clock,
                                                 using_db=connection)
            if used is None or used.user_id is None or not isinstance(used.payload.get("new_email"), str):
                raise _Rollback()
            user = await User.filter(id=used.user_id).using_db(connection).first()
            if user is None or not user.is_active:
                raise _Rollback()  # the link of a deactivated login: refused, and left unused
            old_email, new_email = user.email, used.payload["new_email"]
            await User.filter(id=user.id).using_db(connection).update(email=new_email, email_verified_at=now)
            await send(services, "email_changed", old_email, {
                "username": user.username, "new_email": mask_email(new_email), "when": _stamp(now),
            }, using_db=connection)
            await audit.record("email.changed", clock=services.clock, origin=origin, actor=user, subject=user,
                               details={"old_email": mask_email(old_email), "new_email": mask_email(new_email)},
                               using_db=connection)
    except _Rollback:
        return Outcome(problems=(INVALID_LINK,))
    return Outcome(masked_email=mask_email(new_email))


class _Rollback(Exception):
    """Leaves the transaction without committing anything."""
