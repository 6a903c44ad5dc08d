"""What support may change on a customer's login, each only through a case with a live identity
verification of its customer (resolvers/support/verification.py), each audited with
the customer's login as subject (so it shows in their security events as done by staff) and each
announced by email:

- unlock: clears the 24-hour sign-in lock (and the failure count) that login keeps on the user ID
  (resolvers/identity/login.py, counter `login:user:<user ID>` in auth/attempts.py). Refused when
  the login is not locked. The IP counters are left alone: they protect against one attacker
  guessing many user IDs.
- reset MFA: removes the TOTP secret (active and pending) and the recovery codes and signs out
  every device, so the customer signs in with the password alone and enrols again from their
  security settings (customers are offered MFA, not forced; see login.py). Refused when MFA is off.
- resend an email: REGISTRATION mails the customer without a login a new registration link at the
  email on file (resolvers/identity/registration.py:send_registration_link, the dealer's flow);
  VERIFICATION re-sends the email-verification link of a registration the person started but
  never confirmed (logins are only created when that link is opened, so "a user whose email is
  unverified" is such a pending registration): the newest one's details go in a new 24-hour link to
  the same address the person registered with, consumed by the existing `verifyEmail`, and every
  earlier link is spent.

Nothing changes when a Problem is returned; every change is one transaction with its audit event
and its email (outbox).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from tortoise.transactions import in_transaction

from auth import audit, one_time_tokens, totp
from auth.audit import Origin
from mail import notify
from models import AttemptCounter, Customer, OneTimeToken, SupportCase, User
from models.enums import TokenPurpose
from resolvers.errors import ErrorCode, Problem
from resolvers.identity.account import login_failure_key
from resolvers.identity.account_inputs import email_problem
from resolvers.identity.registration import VERIFICATION_TTL, send_registration_link
from resolvers.identity.sessions import revoke_others
from resolvers.masking import mask_email
from resolvers.support.subjects import login_of
from resolvers.support.verification import verified_case
from service.container import Services

NO_LOGIN = Problem(ErrorCode.INVALID, "This customer has no login: use supportResendEmail with REGISTRATION to send "
                                      "a registration link.", ("caseId",))


class EmailKind(str, Enum):
    VERIFICATION = "VERIFICATION"
    REGISTRATION = "REGISTRATION"


@dataclass(frozen=True)
class ActionOutcome:
    case: SupportCase | None = None
    user: User | None = None  # the customer's login after the change (null when there is none)
    sent_to: str | None = None  # where an email went, masked
    problems: tuple[Problem, ...] = ()


def _fail(*problems: Problem) -> ActionOutcome:
    return ActionOutcome(problems=tuple(problems))


def _when(services: Services) -> str:
    return f"{services.clock.now():%Y-%m-%d %H:%M} UTC"


async def _verified_login(services: Services, staff: User, case_id: int | None) -> tuple[SupportCase, User] | Problem:
    case = await verified_case(staff, case_id, clock=services.clock)
    if isinstance(case, Problem):
        return case
    user = await login_of(case.customer_id)
    return NO_LOGIN if user is None else (case, user)


async def unlock_account(services: Services, *, staff: User, origin: Origin, case_id: int | None) -> ActionOutcome:
    found = await _verified_login(services, staff, case_id)
    if isinstance(found, Problem):
        return _fail(found)
    case, user = found
    now = services.clock.now()
    async with in_transaction() as connection:
        # Conditional: of two racing unlocks one changes the row, the other finds it unlocked.
        changed = await AttemptCounter.filter(key=login_failure_key(user), locked_until__gt=now).using_db(
            connection).update(locked_until=None, failures=0, updated_at=now)
        if changed != 1:
            return _fail(Problem(ErrorCode.INVALID, "This login is not locked.", ("caseId",)))
        await audit.record("account.unlocked", clock=services.clock, origin=origin, actor=staff, subject=user,
                           details={"case_id": case.id, "customer_id": case.customer_id}, using_db=connection)
        await notify.send(services, "account_unlocked_by_support", user.email, {
            "username": user.username, "when": _when(services),
            "reset_link": notify.portal_link(services, "forgot-password"),
        }, using_db=connection)
    return ActionOutcome(case=case, user=user, sent_to=mask_email(user.email))


async def reset_mfa(services: Services, *, staff: User, origin: Origin, case_id: int | None) -> ActionOutcome:
    found = await _verified_login(services, staff, case_id)
    if isinstance(found, Problem):
        return _fail(found)
    case, user = found
    async with in_transaction() as connection:
        changed = await User.filter(id=user.id, mfa_enabled_at__isnull=False).using_db(connection).update(
            mfa_secret_encrypted=None, mfa_pending_secret_encrypted=None, mfa_enabled_at=None, mfa_last_step=None)
        if changed != 1:
            return _fail(Problem(ErrorCode.INVALID, "Two-step verification is not on for this login.", ("caseId",)))
        await totp.delete_recovery_codes(user, using_db=connection)
        revoked = await revoke_others(services, user=user, keep=None, using_db=connection)
        await audit.record("mfa.reset", clock=services.clock, origin=origin, actor=staff, subject=user,
                           details={"case_id": case.id, "customer_id": case.customer_id, "sessions_revoked": revoked},
                           using_db=connection)
        await notify.send(services, "mfa_reset_by_support", user.email, {
            "username": user.username, "when": _when(services),
            "security_link": notify.portal_link(services, "security"),
        }, using_db=connection)
    return ActionOutcome(case=case, user=await User.get(id=user.id), sent_to=mask_email(user.email))


async def resend_email(services: Services, *, staff: User, origin: Origin, case_id: int | None,
                       kind: EmailKind) -> ActionOutcome:
    case = await verified_case(staff, case_id, clock=services.clock)
    if isinstance(case, Problem):
        return _fail(case)
    if await login_of(case.customer_id) is not None:
        return _fail(Problem(ErrorCode.CONFLICT, "This customer already has a login (its email was verified when it "
                                                 "was created): nothing to resend.", ("caseId",)))
    customer = await Customer.get(id=case.customer_id)
    if kind == EmailKind.REGISTRATION:
        return await _resend_registration(services, staff=staff, origin=origin, case=case, customer=customer)
    return await _resend_verification(services, staff=staff, origin=origin, case=case, customer=customer)


async def _resend_registration(services: Services, *, staff: User, origin: Origin, case: SupportCase,
                               customer: Customer) -> ActionOutcome:
    if email_problem(customer.email):
        return _fail(Problem(ErrorCode.INVALID, "This customer has no usable email address on file.", ("caseId",)))
    async with in_transaction() as connection:
        await send_registration_link(services, customer, using_db=connection)
        await audit.record("support.registration_link_sent", clock=services.clock, origin=origin, actor=staff,
                           details={"case_id": case.id, "customer_id": customer.id}, using_db=connection)
    return ActionOutcome(case=case, sent_to=mask_email(customer.email))


async def _resend_verification(services: Services, *, staff: User, origin: Origin, case: SupportCase,
                               customer: Customer) -> ActionOutcome:
    pending = await OneTimeToken.filter(purpose=TokenPurpose.EMAIL_VERIFICATION, customer_id=customer.id).order_by(
        "-id").first()
    payload = pending.payload if pending is not None else {}
    if not all(isinstance(payload.get(name), str) for name in ("username", "email", "password_hash")):
        return _fail(Problem(ErrorCode.INVALID, "This customer has not started a registration: use REGISTRATION to "
                                                "send a registration link instead.", ("kind",)))
    clock = services.clock
    async with in_transaction() as connection:
        await OneTimeToken.filter(purpose=TokenPurpose.EMAIL_VERIFICATION, customer_id=customer.id,
                                  used_at=None).using_db(connection).update(used_at=clock.now())
        token = await one_time_tokens.issue(TokenPurpose.EMAIL_VERIFICATION, clock=clock, ttl=VERIFICATION_TTL,
                                            customer=customer, payload=payload, using_db=connection)
        # The registration flow's own message and link (resolvers/identity/registration.py: register).
        await notify.send(services, "verify_email", payload["email"], {
            "link": notify.portal_link(services, "verify-email", token=token),
            "username": payload["username"],
            "hours": int(VERIFICATION_TTL.total_seconds() // 3600),
        }, using_db=connection)
        await audit.record("support.verification_email_resent", clock=clock, origin=origin, actor=staff,
                           details={"case_id": case.id, "customer_id": customer.id}, using_db=connection)
    return ActionOutcome(case=case, sent_to=mask_email(payload["email"]))
