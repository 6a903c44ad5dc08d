"""Forgot password and forgot user ID, by email (OWASP Forgot Password cheat sheet).

Both requests answer the same whether or not an account matches, so they cannot be used to find
out who has one. A reset link is single use, lives 30 minutes, is stored only as a hash, and a
new request spends the older open ones. Resetting the password revokes every session of the
user and mails an alert. A reset neither signs in nor bypasses MFA: the next sign-in still asks
for the TOTP code of a user who has one.
"""

from __future__ import annotations

from datetime import timedelta

from tortoise.transactions import in_transaction

from auth import audit, one_time_tokens
from auth.audit import Origin
from auth.usernames import normalize_username
from mail import notify
from models import Session, User
from models.enums import TokenPurpose
from resolvers.errors import ErrorCode, Problem
from resolvers.identity.account_inputs import (
    INVALID_LINK,
    MAX_EMAIL,
    RATE_LIMITED,
    Outcome,
    clean_email,
    email_problem,
    limit_key,
    link_user,
    over_limit,
    weak_password,
)
from service.container import Services

RESET_TTL = timedelta(minutes=30)
RESET_MESSAGE = (
    "If an account matches, we have sent an email with a link to reset the password. "
    "The link works once, for 30 minutes."
)
REMINDER_MESSAGE = "If an account uses this email address, we have sent its user ID there."
RESET_DONE = (
    "Your password has been changed and every device was signed out. Sign in with the new password "
    "(and your two-step verification code, if you use one)."
)
IP_LIMIT = 20  # requests per client IP per hour
IDENTIFIER_LIMIT = 5  # requests per typed user ID or email per hour
MAX_MATCHES = 10  # accounts sharing one email address that a request mails


async def _matching_users(identifier: str) -> list[User]:
    """The active user with this user ID, or else the active users with this email address."""
    by_name = await User.filter(username=normalize_username(identifier), is_active=True).first()
    if by_name is not None:
        return [by_name]
    if "@" not in identifier:
        return []
    return await User.filter(email__iexact=clean_email(identifier), is_active=True).order_by("id").limit(MAX_MATCHES)


async def request_password_reset(services: Services, *, username_or_email: str, origin: Origin) -> Outcome:
    """Outcome.value is the message shown to everyone, whatever was found."""
    identifier = username_or_email.strip()
    if not identifier or len(identifier) > MAX_EMAIL:
        return Outcome.fail(Problem(ErrorCode.INVALID, "Enter your user ID or email address.", ("usernameOrEmail",)))
    clock = services.clock
    if await over_limit([(f"reset:ip:{origin.ip}", IP_LIMIT), (f"reset:id:{limit_key(identifier)}", IDENTIFIER_LIMIT)],
                        clock=clock):
        return Outcome.fail(RATE_LIMITED)
    users = await _matching_users(identifier)
    async with in_transaction() as connection:
        for user in users:
            await one_time_tokens.revoke_unused(TokenPurpose.PASSWORD_RESET, clock=clock, user=user,
                                                using_db=connection)
            token = await one_time_tokens.issue(TokenPurpose.PASSWORD_RESET, clock=clock, ttl=RESET_TTL, user=user,
                                                using_db=connection)
            await notify.send(services, "password_reset", user.email, {
                "username": user.username,
                "link": notify.portal_link(services, "reset-password", token=token),
                "minutes": int(RESET_TTL.total_seconds() // 60),
            }, using_db=connection)
            await audit.record("password.reset_requested", clock=clock, origin=origin, subject=user,
                               using_db=connection)
        if not users:
            await audit.record("password.reset_requested", clock=clock, origin=origin, using_db=connection,
                               details={"matched": False})
    return Outcome(value=RESET_MESSAGE)


async def reset_password(services: Services, *, token: str, new_password: str, origin: Origin) -> Outcome:
    """Set a new password from a reset link. Outcome.value is the message; the caller is not signed in."""
    clock = services.clock
    user = await link_user(TokenPurpose.PASSWORD_RESET, token, clock=clock)
    if user is None:
        return Outcome.fail(INVALID_LINK)
    weak = weak_password(new_password, [user.username, user.email], field="newPassword")
    if weak:
        return Outcome.fail(weak)
    password_hash = await services.passwords.hash(new_password)
    async with in_transaction() as connection:
        if await one_time_tokens.consume(TokenPurpose.PASSWORD_RESET, token, clock=clock, using_db=connection) is None:
            return Outcome.fail(INVALID_LINK)  # spent by a concurrent request meanwhile
        now = clock.now()
        await User.filter(id=user.id).using_db(connection).update(password_hash=password_hash, password_changed_at=now)
        revoked = await Session.filter(user_id=user.id, revoked_at=None).using_db(connection).update(revoked_at=now)
        # An MFA challenge won with the old password must not outlive it either.
        await one_time_tokens.revoke_unused(TokenPurpose.MFA_CHALLENGE, clock=clock, user=user, using_db=connection)
        await notify.send(services, "password_changed", user.email, {
            "username": user.username,
            "when": now.strftime("%Y-%m-%d %H:%M UTC"),
            "reset_link": notify.portal_link(services, "forgot-password"),
        }, using_db=connection)
        await audit.record("password.reset", clock=clock, origin=origin, subject=user, using_db=connection,
                           details={"sessions_revoked": revoked})
    return Outcome(value=RESET_DONE)


async def request_username_reminder(services: Services, *, email: str, origin: Origin) -> Outcome:
    """Mail the user ID(s) registered with this address. Outcome.value is the message shown to everyone."""
    problem = email_problem(email)
    if problem:
        return Outcome.fail(problem)
    address = clean_email(email)
    clock = services.clock
    if await over_limit([(f"reminder:ip:{origin.ip}", IP_LIMIT), (f"reminder:email:{limit_key(address)}",
                                                                  IDENTIFIER_LIMIT)], clock=clock):
        return Outcome.fail(RATE_LIMITED)
    users = await User.filter(email__iexact=address, is_active=True).order_by("id").limit(MAX_MATCHES)
    async with in_transaction() as connection:
        if users:
            await notify.send(services, "username_reminder", users[0].email, {
                "usernames": [user.username for user in users],
                "sign_in_link": notify.portal_link(services, "sign-in"),
            }, using_db=connection)
        for user in users:
            await audit.record("username.reminder_sent", clock=clock, origin=origin, subject=user, using_db=connection)
        if not users:
            await audit.record("username.reminder_requested", clock=clock, origin=origin, using_db=connection,
                               details={"matched": False})
    return Outcome(value=REMINDER_MESSAGE)
