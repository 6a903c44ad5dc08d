"""Verifying that the person talking to support is the customer, for one case.

Two ways (issue 9 item 2):
- Knowledge: the date of birth, ZIP code and SSN last four the caller gives are compared with the
  record (all three must match; the SSN is never decrypted, only its stored last four compared).
- A one-time code: six digits sent to the email or the phone ON FILE (never to an address given
  in the call), confirmed by staff as the caller reads it out. Only its HMAC-SHA256 (keyed with the
  service's secret key, so a database copy cannot brute-force the million possible codes) is
  stored; it is valid for 10 minutes, for 5 attempts (then FAILED), once. Only the case's newest
  code works: sending another voids the earlier one. Sends are limited to 5 per case per hour.

A success is an IdentityVerification row VERIFIED with `expires_at` = `verified_at` + 30 minutes.
It lets support act on *that case's customer* through *that case* until then (`require_verified`),
whoever of the desk works the case (the case's `verification` summary shows the same thing); an
action through another case, or on another customer, needs its own verification. A resolved case
allows nothing.

Failures are counted per customer (not per case, so opening another case does not reset them):
after 3 failed verifications within 24 hours (a wrong knowledge check, or a code that used up its
attempts) every further verification of that customer is refused as LOCKED until the 24-hour
window has passed. A knowledge check takes a slot in the count first (a conditional UPDATE), so
concurrent guesses cannot exceed the limit. A success clears the count.

Everything is audited (never a value typed, a code or which fact mismatched); events are about the
customer's login (subject) so the customer sees them in their security events.
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from auth import attempts, audit
from auth.audit import Origin
from auth.tokens import keyed_digest
from gateways.sms import SmsError, sms_gateway, to_e164
from mail import notify
from models import AttemptCounter, Customer, IdentityVerification, SupportCase, User
from models.enums import CaseStatus, VerificationMethod, VerificationStatus
from resolvers.errors import ClientFacingError, ErrorCode, Problem
from resolvers.masking import mask_email, mask_phone
from resolvers.support.subjects import login_of
from service.clock import Clock
from service.container import Services

CODE_TTL = timedelta(minutes=10)
VERIFIED_FOR = timedelta(minutes=30)
MAX_CODE_ATTEMPTS = 5
FAILURE_LIMIT = 3
FAILURE_WINDOW = timedelta(hours=24)
SEND_LIMIT = 5
SEND_WINDOW = timedelta(hours=1)
CODE_METHODS = (VerificationMethod.EMAIL_CODE, VerificationMethod.SMS_CODE)
ZIP_PATTERN = re.compile(r"[0-9]{5}(-?[0-9]{4})?")

CASE_NOT_FOUND = Problem(ErrorCode.NOT_FOUND, "No case with that id.", ("caseId",))
CASE_RESOLVED = Problem(ErrorCode.INVALID, "This case is resolved: open a new case to act for the customer.",
                        ("caseId",))
LOCKED = Problem(
    ErrorCode.LOCKED,
    f"Identity verification for this customer is locked after {FAILURE_LIMIT} failed attempts within 24 hours. "
    "Do not act on the account; the customer may try again later.",
)
NO_CODE = Problem(
    ErrorCode.INVALID_CODE,
    "That code is not correct, has expired or was already used. Send a new code if needed.",
    ("code",),
)
VERIFICATION_NEEDED = Problem(
    ErrorCode.VERIFICATION_REQUIRED,
    "Verify the customer's identity for this case first (knowledge check or a one-time code); a verification "
    f"lasts {int(VERIFIED_FOR.total_seconds() // 60)} minutes.",
    ("caseId",),
)


@dataclass(frozen=True)
class VerificationOutcome:
    verification: IdentityVerification | None = None
    sent_to: str | None = None  # masked destination of a code
    problems: tuple[Problem, ...] = ()


def _fail(*problems: Problem) -> VerificationOutcome:
    return VerificationOutcome(problems=tuple(problems))


def failure_key(customer_id: int) -> str:
    return f"support:verify:customer:{customer_id}"


def code_digest(services: Services, verification_case_id: int, code: str) -> str:
    return keyed_digest(services.settings.secret_key, f"support-verification-code:{verification_case_id}", code)


async def open_case(case_id: int | None, using_db=None) -> SupportCase | Problem:
    """The case (any support user may work any case), or why it cannot be used."""
    if case_id is None:
        return CASE_NOT_FOUND
    query = SupportCase.filter(id=case_id)
    case = await (query.using_db(using_db) if using_db is not None else query).first()
    if case is None:
        return CASE_NOT_FOUND
    if case.status == CaseStatus.RESOLVED:
        return CASE_RESOLVED
    return case


async def _locked(services: Services, customer_id: int) -> bool:
    count = await attempts.failures(failure_key(customer_id), clock=services.clock, window=FAILURE_WINDOW)
    return count >= FAILURE_LIMIT


async def _audit(services: Services, action: str, *, staff: User, origin: Origin, case: SupportCase,
                 subject: User | None, using_db=None, **details) -> None:
    await audit.record(action, clock=services.clock, origin=origin, actor=staff, subject=subject,
                       details={"case_id": case.id, "customer_id": case.customer_id, **details}, using_db=using_db)


async def _reserve_attempt(key: str, clock: Clock) -> bool:
    """Count one attempt on `key` if fewer than FAILURE_LIMIT are counted in the window: one
    conditional UPDATE, so of racing attempts exactly the ones that fit get a slot."""
    now = clock.now()
    if not await AttemptCounter.filter(key=key).exists():
        try:
            async with in_transaction() as savepoint:
                await AttemptCounter.create(key=key, failures=0, window_started_at=now, updated_at=now,
                                            using_db=savepoint)
        except IntegrityError:
            pass  # created concurrently
    await AttemptCounter.filter(key=key, window_started_at__lte=now - FAILURE_WINDOW).update(
        failures=0, window_started_at=now)
    return await AttemptCounter.filter(key=key, failures__lt=FAILURE_LIMIT).update(
        failures=F("failures") + 1, updated_at=now) == 1


# -- knowledge -----------------------------------------------------------------------------------

def _knowledge_problems(services: Services, date_of_birth: date, postal_code: str, ssn_last4: str) -> list[Problem]:
    problems = []
    if date_of_birth >= services.clock.today() or date_of_birth.year < 1900:
        problems.append(Problem(ErrorCode.INVALID, "Enter the date of birth the caller gives.", ("dateOfBirth",)))
    if not ZIP_PATTERN.fullmatch(postal_code.strip()):
        problems.append(Problem(ErrorCode.INVALID, "Enter a 5-digit ZIP code (or ZIP+4).", ("postalCode",)))
    if not (len(ssn_last4) == 4 and ssn_last4.isascii() and ssn_last4.isdigit()):
        problems.append(Problem(ErrorCode.INVALID, "Enter the last 4 digits of the SSN.", ("ssnLast4",)))
    return problems


def _facts_match(customer: Customer, *, date_of_birth: date, postal_code: str, ssn_last4: str) -> bool:
    checks = (
        customer.date_of_birth == date_of_birth,
        hmac.compare_digest(customer.postal_code.strip()[:5].encode(), postal_code.strip()[:5].encode()),
        hmac.compare_digest(customer.ssn_last4.encode(), ssn_last4.encode()),
    )
    return all(checks)  # every fact is compared, whichever fails


async def verify_knowledge(services: Services, *, staff: User, origin: Origin, case_id: int | None,
                           date_of_birth: date, postal_code: str, ssn_last4: str) -> VerificationOutcome:
    problems = _knowledge_problems(services, date_of_birth, postal_code, ssn_last4)
    case = await open_case(case_id)
    if isinstance(case, Problem):
        problems.insert(0, case)
    if problems:
        return _fail(*problems)
    clock = services.clock
    subject = await login_of(case.customer_id)
    key = failure_key(case.customer_id)
    # Reserve the attempt first (a conditional increment): racing guesses cannot exceed the limit.
    if not await _reserve_attempt(key, clock):
        await _audit(services, "support.identity_verification_refused", staff=staff, origin=origin, case=case,
                     subject=subject, method=VerificationMethod.KNOWLEDGE.value, reason="locked")
        return _fail(LOCKED)
    customer = await Customer.get(id=case.customer_id)
    matched = _facts_match(customer, date_of_birth=date_of_birth, postal_code=postal_code, ssn_last4=ssn_last4)
    now = clock.now()
    async with in_transaction() as connection:
        row = await IdentityVerification.create(
            case_id=case.id, customer_id=case.customer_id, staff_id=staff.id, method=VerificationMethod.KNOWLEDGE,
            status=VerificationStatus.VERIFIED if matched else VerificationStatus.FAILED, attempts=1,
            verified_at=now if matched else None, expires_at=now + VERIFIED_FOR if matched else None,
            created_at=now, using_db=connection,
        )
        action = "support.identity_verified" if matched else "support.identity_verification_failed"
        await _audit(services, action, staff=staff, origin=origin, case=case, subject=subject, using_db=connection,
                     method=VerificationMethod.KNOWLEDGE.value, verification_id=row.id)
    if matched:
        await attempts.reset(key, clock=clock)
    return VerificationOutcome(verification=row)


# -- one-time codes ------------------------------------------------------------------------------

def new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


async def send_code(services: Services, *, staff: User, origin: Origin, case_id: int | None,
                    method: VerificationMethod) -> VerificationOutcome:
    """Send a fresh code to the customer's email or phone on file. Outcome.sent_to is masked."""
    case = await open_case(case_id)
    if isinstance(case, Problem):
        return _fail(case)
    clock = services.clock
    if await _locked(services, case.customer_id):
        return _fail(LOCKED)
    customer = await Customer.get(id=case.customer_id)
    phone = to_e164(customer.phone) if method == VerificationMethod.SMS_CODE else None
    if method == VerificationMethod.SMS_CODE and phone is None:
        return _fail(Problem(ErrorCode.INVALID, "There is no mobile number on file to text a code to: use EMAIL.",
                             ("channel",)))
    if not await attempts.within_limit(f"support:verify:send:case:{case.id}", clock=clock, limit=SEND_LIMIT,
                                       window=SEND_WINDOW):
        return _fail(Problem(ErrorCode.RATE_LIMITED,
                             f"At most {SEND_LIMIT} codes an hour for one case. Use the knowledge check, or wait."))
    code = new_code()
    now = clock.now()
    subject = await login_of(case.customer_id)
    minutes = int(CODE_TTL.total_seconds() // 60)
    sent_to = mask_email(customer.email) if method == VerificationMethod.EMAIL_CODE else mask_phone(phone)
    async with in_transaction() as connection:
        # Only the newest code of a case works.
        await IdentityVerification.filter(case_id=case.id, status=VerificationStatus.PENDING).using_db(
            connection).update(status=VerificationStatus.FAILED, code_hash=None)
        row = await IdentityVerification.create(
            case_id=case.id, customer_id=case.customer_id, staff_id=staff.id, method=method,
            status=VerificationStatus.PENDING, code_hash=code_digest(services, case.id, code),
            code_expires_at=now + CODE_TTL, attempts=0, created_at=now, using_db=connection,
        )
        if method == VerificationMethod.EMAIL_CODE:
            await notify.send(services, "support_verification_code", customer.email, {
                "first_name": customer.first_name, "code": code, "minutes": minutes,
            }, using_db=connection)
        await _audit(services, "support.verification_code_sent", staff=staff, origin=origin, case=case,
                     subject=subject, using_db=connection, method=method.value, verification_id=row.id)
    if method == VerificationMethod.SMS_CODE:
        body = (f"autofin: your verification code for support is {code}. It expires in {minutes} minutes. "
                "Never share it with anyone who called you.")
        try:
            await sms_gateway(services.settings).send(to=phone, body=body)
        except SmsError:
            await IdentityVerification.filter(id=row.id).update(status=VerificationStatus.FAILED, code_hash=None)
            return _fail(Problem(ErrorCode.INVALID, "The text message could not be sent: use EMAIL instead.",
                                 ("channel",)))
    return VerificationOutcome(verification=row, sent_to=sent_to)


async def confirm_code(services: Services, *, staff: User, origin: Origin, case_id: int | None,
                       code: str) -> VerificationOutcome:
    code = (code or "").strip()
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        return _fail(Problem(ErrorCode.INVALID, "Enter the 6-digit code the customer reads out.", ("code",)))
    case = await open_case(case_id)
    if isinstance(case, Problem):
        return _fail(case)
    clock = services.clock
    if await _locked(services, case.customer_id):
        return _fail(LOCKED)
    now = clock.now()
    row = await IdentityVerification.filter(case_id=case.id, status=VerificationStatus.PENDING,
                                            method__in=CODE_METHODS).order_by("-id").first()
    if row is None or row.code_expires_at is None or row.code_expires_at <= now:
        return _fail(NO_CODE)
    # Count the attempt atomically; a code past its attempts (or used meanwhile) is not checked.
    counted = await IdentityVerification.filter(id=row.id, status=VerificationStatus.PENDING,
                                                attempts__lt=MAX_CODE_ATTEMPTS).update(attempts=F("attempts") + 1)
    if counted != 1:
        return _fail(NO_CODE)
    subject = await login_of(case.customer_id)
    matched = row.code_hash is not None and hmac.compare_digest(row.code_hash, code_digest(services, case.id, code))
    exhausted = False
    async with in_transaction() as connection:
        if matched:
            # Single use: only one confirmation turns PENDING into VERIFIED, even when two race.
            changed = await IdentityVerification.filter(id=row.id, status=VerificationStatus.PENDING).using_db(
                connection).update(status=VerificationStatus.VERIFIED, verified_at=now, expires_at=now + VERIFIED_FOR,
                                   code_hash=None)
            if changed != 1:
                return _fail(NO_CODE)
            await _audit(services, "support.identity_verified", staff=staff, origin=origin, case=case,
                         subject=subject, using_db=connection, method=row.method.value, verification_id=row.id)
        else:
            exhausted = await IdentityVerification.filter(
                id=row.id, status=VerificationStatus.PENDING, attempts__gte=MAX_CODE_ATTEMPTS,
            ).using_db(connection).update(status=VerificationStatus.FAILED, code_hash=None) == 1
            await _audit(services, "support.identity_verification_failed", staff=staff, origin=origin, case=case,
                         subject=subject, using_db=connection, method=row.method.value, verification_id=row.id,
                         attempts_exhausted=exhausted)
    if not matched:
        if exhausted:
            await attempts.add_failure(failure_key(case.customer_id), clock=clock, window=FAILURE_WINDOW)
        return _fail(NO_CODE)
    await attempts.reset(failure_key(case.customer_id), clock=clock)
    return VerificationOutcome(verification=await IdentityVerification.get(id=row.id))


# -- the guard other support actions use ---------------------------------------------------------

async def live_verification(case: SupportCase, staff: User, *, now: datetime,
                            using_db=None) -> IdentityVerification | None:
    """The newest VERIFIED, unexpired verification of `case`'s customer for `case` (by any support user;
    `staff` is who asks)."""
    query = IdentityVerification.filter(
        case_id=case.id, customer_id=case.customer_id, status=VerificationStatus.VERIFIED,
        expires_at__gt=now,
    ).order_by("-expires_at", "-id")
    return await (query.using_db(using_db) if using_db is not None else query).first()


async def verified_case(staff: User, case_id: int | None, *, clock: Clock, using_db=None) -> SupportCase | Problem:
    """The open case, when it has a live verification; otherwise the Problem."""
    case = await open_case(case_id, using_db=using_db)
    if isinstance(case, Problem):
        return case
    if await live_verification(case, staff, now=clock.now(), using_db=using_db) is None:
        return VERIFICATION_NEEDED
    return case


async def require_verified(staff: User, case_id: int | None, *, clock: Clock, using_db=None) -> SupportCase:
    """For other support actions: the case, or a ClientFacingError (NOT_FOUND, INVALID for a
    resolved case, VERIFICATION_REQUIRED) when it has no live verification."""
    case = await verified_case(staff, case_id, clock=clock, using_db=using_db)
    if isinstance(case, Problem):
        raise ClientFacingError(case.code, case.message)
    return case
