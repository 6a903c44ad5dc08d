"""Turning MFA (TOTP) on and off, and replacing recovery codes.

- Enrolment is two steps: `begin_enrolment` makes a pending secret (encrypted) and returns it
  with its provisioning URI and QR code, once; `confirm_enrolment` checks a first code against
  it, turns MFA on (replacing an earlier authenticator if there was one), makes ten recovery
  codes (returned once) and emails an alert.
- Every change needs a re-authentication within 5 minutes (auth/stepup.py; signing in counts),
  except in a staff session of scope MFA_ENROLMENT, which can do nothing but enrol. Confirming
  upgrades such a session to FULL.
- Customers may turn MFA off (with an alert email); staff may not (MFA is required for staff).
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.transactions import in_transaction

from auth import audit, stepup, totp
from auth.audit import Origin
from mail import notify
from models import Session, User
from models.enums import STAFF_ROLES, SessionScope
from resolvers.errors import ErrorCode, Problem
from service.container import Services

REAUTH_NEEDED = Problem(
    ErrorCode.REAUTHENTICATION_REQUIRED,
    "Confirm it is you first (sign in again or re-authenticate), then try again within 5 minutes.",
)
MFA_OFF = Problem(ErrorCode.INVALID, "Two-step verification is not on for this account.")


@dataclass(frozen=True)
class Enrolment:
    secret: str
    provisioning_uri: str
    qr_code_svg: str


@dataclass(frozen=True)
class EnrolmentOutcome:
    enrolment: Enrolment | None = None
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class CodesOutcome:
    """Recovery codes in clear (shown once) and the user as changed, or the problems."""

    user: User | None = None
    recovery_codes: tuple[str, ...] = ()
    upgraded_session: bool = False
    problems: tuple[Problem, ...] = ()


def _may_change(session: Session | None, services: Services, user: User) -> bool:
    if session is not None and session.scope == SessionScope.MFA_ENROLMENT:
        # The session exists only to enrol, opened by a password; once MFA is on (e.g. from
        # another browser) it may change nothing more.
        return user.mfa_enabled_at is None
    return stepup.recently_reauthenticated(session, services.clock)


def _when(services: Services) -> str:
    return f"{services.clock.now():%Y-%m-%d %H:%M} UTC"


async def begin_enrolment(services: Services, *, user: User, session: Session | None,
                          origin: Origin) -> EnrolmentOutcome:
    user = await User.get(id=user.id)
    if not _may_change(session, services, user):
        return EnrolmentOutcome(problems=(REAUTH_NEEDED,))
    secret = totp.new_secret()
    async with in_transaction() as connection:
        await User.filter(id=user.id).using_db(connection).update(
            mfa_pending_secret_encrypted=totp.encrypt_secret(services.cipher, secret)
        )
        await audit.record("mfa.enrolment_started", clock=services.clock, origin=origin, actor=user, subject=user,
                           details={"replacing": user.mfa_enabled_at is not None}, using_db=connection)
    uri = totp.provisioning_uri(secret, user.username)
    return EnrolmentOutcome(enrolment=Enrolment(secret=secret, provisioning_uri=uri, qr_code_svg=totp.qr_code_svg(uri)))


async def confirm_enrolment(services: Services, *, user: User, session: Session | None, code: str,
                            origin: Origin) -> CodesOutcome:
    user = await User.get(id=user.id)
    pending = user.mfa_pending_secret_encrypted
    stale_enrolment = session is not None and session.scope == SessionScope.MFA_ENROLMENT and (
        user.mfa_enabled_at is not None)
    if pending is None or stale_enrolment:
        return CodesOutcome(problems=(Problem(
            ErrorCode.INVALID, "Start with beginMfaEnrolment, then confirm with a code from the app.",
        ),))
    now = services.clock.now()
    step = totp.matching_step(totp.decrypt_secret(services.cipher, pending), code or "", now)
    if step is None:
        return CodesOutcome(problems=(Problem(
            ErrorCode.INVALID_CODE, "That code does not match. Enter the current 6-digit code from the app.", ("code",)
        ),))
    replacing = user.mfa_enabled_at is not None
    upgraded = False
    async with in_transaction() as connection:
        # Conditional on the pending secret still being the one checked: a racing confirm loses.
        changed = await User.filter(id=user.id, mfa_pending_secret_encrypted=pending).using_db(connection).update(
            mfa_secret_encrypted=pending, mfa_pending_secret_encrypted=None, mfa_enabled_at=now, mfa_last_step=step,
        )
        if changed != 1:
            return CodesOutcome(problems=(Problem(ErrorCode.CONFLICT, "Enrolment changed meanwhile; start again."),))
        codes = await totp.replace_recovery_codes(user, using_db=connection)
        if session is not None:
            # A TOTP code is a re-authentication; an enrolment session becomes a full one.
            await Session.filter(id=session.id).using_db(connection).update(scope=SessionScope.FULL,
                                                                            reauthenticated_at=now)
            upgraded = session.scope == SessionScope.MFA_ENROLMENT
            session.scope, session.reauthenticated_at = SessionScope.FULL, now
        await audit.record("mfa.enabled", clock=services.clock, origin=origin, actor=user, subject=user,
                           details={"replaced": replacing}, using_db=connection)
        await notify.send(services, "mfa_enabled", user.email, {
            "username": user.username, "when": _when(services), "replaced": replacing,
            "security_link": notify.portal_link(services, "security"),
        }, using_db=connection)
    return CodesOutcome(user=await User.get(id=user.id), recovery_codes=tuple(codes), upgraded_session=upgraded)


async def disable(services: Services, *, user: User, session: Session | None, origin: Origin) -> CodesOutcome:
    user = await User.get(id=user.id)
    if user.role in STAFF_ROLES:
        return CodesOutcome(problems=(
            Problem(ErrorCode.FORBIDDEN, "Staff accounts must keep two-step verification on."),))
    if user.mfa_enabled_at is None:
        return CodesOutcome(problems=(MFA_OFF,))
    if not _may_change(session, services, user):
        return CodesOutcome(problems=(REAUTH_NEEDED,))
    async with in_transaction() as connection:
        await User.filter(id=user.id).using_db(connection).update(
            mfa_secret_encrypted=None, mfa_pending_secret_encrypted=None, mfa_enabled_at=None, mfa_last_step=None
        )
        await totp.delete_recovery_codes(user, using_db=connection)
        await audit.record("mfa.disabled", clock=services.clock, origin=origin, actor=user, subject=user,
                           using_db=connection)
        await notify.send(services, "mfa_disabled", user.email, {
            "username": user.username, "when": _when(services),
            "security_link": notify.portal_link(services, "security"),
        }, using_db=connection)
    return CodesOutcome(user=await User.get(id=user.id))


async def regenerate_recovery_codes(services: Services, *, user: User, session: Session | None,
                                    origin: Origin) -> CodesOutcome:
    user = await User.get(id=user.id)
    if user.mfa_enabled_at is None:
        return CodesOutcome(problems=(MFA_OFF,))
    if not _may_change(session, services, user):
        return CodesOutcome(problems=(REAUTH_NEEDED,))
    async with in_transaction() as connection:
        codes = await totp.replace_recovery_codes(user, using_db=connection)
        await audit.record("mfa.recovery_codes_regenerated", clock=services.clock, origin=origin, actor=user,
                           subject=user, using_db=connection)
        await notify.send(services, "recovery_codes_regenerated", user.email, {
            "username": user.username, "when": _when(services),
            "security_link": notify.portal_link(services, "security"),
        }, using_db=connection)
    return CodesOutcome(user=user, recovery_codes=tuple(codes))
