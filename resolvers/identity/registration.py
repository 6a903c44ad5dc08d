"""Customer registration: by identity proofing (`register`, then `verify_email`) or through a link
a dealer issues after verifying the person in person (`issue_registration_link`, then
`complete_registration_link`).

Identity proofing (security-notes.md): the facts the person gives (contract number, last name,
date of birth, ZIP, SSN last 4) only *locate* a contract. The answer is the same whether they
match or not, and whether or not the customer already has a login; a matching, login-less
customer gets a single-use link at the address given, which creates the login when clicked. A
customer who already has a login is told by mail at the address on file, and nothing goes to the
address given. Every request costs one argon2 hash, matched or not, so timing does not tell them
apart either. Attempts are rate-limited per contract number and per IP.

The SSN is never decrypted here: only its last four digits (stored for display) are compared.
"""

from __future__ import annotations

import hmac
import re
import unicodedata
from datetime import date, datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from auth import audit, one_time_tokens
from auth.audit import Origin
from auth.usernames import normalize_username
from mail import notify
from models import Contract, Customer, CustomerOnboarding, OneTimeToken, User
from models.enums import Role, TokenPurpose
from resolvers.errors import ErrorCode, Problem
from resolvers.identity.account_inputs import (
    INVALID_LINK,
    RATE_LIMITED,
    Outcome,
    clean_email,
    email_problem,
    limit_key,
    open_token,
    over_limit,
    username_problem,
    username_taken,
    weak_password,
)
from service.container import Services

REGISTER_MESSAGE = "If the details match our records, we have sent an email to the address you gave."
VERIFICATION_TTL = timedelta(hours=24)
LINK_TTL = timedelta(hours=72)
CONTRACT_LIMIT = 5  # registration attempts per contract number per hour
IP_LIMIT = 20  # registration attempts per client IP per hour
MAX_CONTRACT_NUMBER = 16
MAX_LAST_NAME = 64
ZIP_PATTERN = re.compile(r"[0-9]{5}(-?[0-9]{4})?")
DONE_MESSAGE = (
    "Your account is ready. Sign in with your user ID and password; you will be offered "
    "two-step verification (MFA) to protect it."
)
HAS_LOGIN = Problem(
    ErrorCode.CONFLICT,
    "An account already exists for this customer. Sign in, or use \"Forgot user ID\" or \"Forgot password\".",
)
NOT_FOUND = Problem(ErrorCode.NOT_FOUND, "No customer with that id.", ("customerId",))


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _contract_number(raw: str) -> str:
    return raw.strip().upper()


def _zip5(raw: str) -> str:
    return raw.strip()[:5]


def _facts_match(customer: Customer, *, last_name: str, date_of_birth: date, zip5: str, ssn_last4: str) -> bool:
    checks = (
        _fold(customer.last_name) == _fold(last_name),
        customer.date_of_birth == date_of_birth,
        _zip5(customer.postal_code) == zip5,
        hmac.compare_digest(customer.ssn_last4.encode(), ssn_last4.encode()),
    )
    return all(checks)  # every fact is compared, whichever fails


async def _locate(number: str, *, last_name: str, date_of_birth: date, zip5: str, ssn_last4: str) -> Customer | None:
    """The customer on contract `number` (primary or co-customer) matching every fact, or None."""
    contract = await Contract.filter(number=number).first()
    if contract is None:
        return None
    ids = [i for i in (contract.customer_id, contract.co_customer_id) if i is not None]
    for customer in await Customer.filter(id__in=ids).order_by("id"):
        if _facts_match(customer, last_name=last_name, date_of_birth=date_of_birth, zip5=zip5, ssn_last4=ssn_last4):
            return customer
    return None


def _register_format_problems(
    services: Services, *, contract_number: str, last_name: str, date_of_birth: date, zip_code: str,
    ssn_last4: str, username: str, email: str, password: str,
) -> list[Problem]:
    problems = []
    number = _contract_number(contract_number)
    if not number or len(number) > MAX_CONTRACT_NUMBER or not (number.isascii() and number.replace("-", "").isalnum()):
        problems.append(Problem(ErrorCode.INVALID, "Enter the account number from your contract or statement.",
                                ("contractNumber",)))
    if not last_name.strip() or len(last_name) > MAX_LAST_NAME:
        problems.append(Problem(ErrorCode.INVALID, "Enter your last name as on your contract.", ("lastName",)))
    if date_of_birth >= services.clock.today() or date_of_birth.year < 1900:
        problems.append(Problem(ErrorCode.INVALID, "Enter your date of birth.", ("dateOfBirth",)))
    if not ZIP_PATTERN.fullmatch(zip_code.strip()):
        problems.append(Problem(ErrorCode.INVALID, "Enter a 5-digit ZIP code (or ZIP+4).", ("zipCode",)))
    if not (len(ssn_last4) == 4 and ssn_last4.isascii() and ssn_last4.isdigit()):
        problems.append(Problem(ErrorCode.INVALID, "Enter the last 4 digits of your SSN.", ("ssnLast4",)))
    for problem in (username_problem(username), email_problem(email)):
        if problem:
            problems.append(problem)
    weak = weak_password(password, [username, clean_email(email), last_name])
    if weak:
        problems.append(weak)
    return problems


async def register(
    services: Services, *, contract_number: str, last_name: str, date_of_birth: date, zip_code: str,
    ssn_last4: str, username: str, email: str, password: str, origin: Origin,
) -> Outcome:
    """Outcome.value is the message shown to everyone, whatever was found."""
    problems = _register_format_problems(
        services, contract_number=contract_number, last_name=last_name, date_of_birth=date_of_birth,
        zip_code=zip_code, ssn_last4=ssn_last4, username=username, email=email, password=password,
    )
    if problems:
        return Outcome.fail(*problems)
    clock = services.clock
    number = _contract_number(contract_number)
    # Counted before the user ID check, so that check cannot be used to probe user IDs at scale.
    if await over_limit([(f"register:contract:{limit_key(number)}", CONTRACT_LIMIT),
                         (f"register:ip:{origin.ip}", IP_LIMIT)], clock=clock):
        await audit.record("registration.requested", clock=clock, origin=origin, details={"outcome": "rate_limited"})
        return Outcome.fail(RATE_LIMITED)
    taken = await username_taken(username)
    if taken:
        return Outcome.fail(taken)

    # Always hash (argon2, the request's main cost) before looking anything up: a match and a
    # miss take the same time. The clear password is never stored, only this hash.
    password_hash = await services.passwords.hash(password)
    customer = await _locate(number, last_name=last_name, date_of_birth=date_of_birth, zip5=_zip5(zip_code),
                             ssn_last4=ssn_last4)
    existing = await User.filter(customer_id=customer.id).first() if customer else None
    async with in_transaction() as connection:
        if customer is None:
            outcome = "not_matched"
        elif existing is not None:
            outcome = "already_registered"
            await notify.send(services, "registration_attempt_existing", existing.email, {
                "first_name": customer.first_name,
                "sign_in_link": notify.portal_link(services, "sign-in"),
            }, using_db=connection)
        else:
            outcome = "matched"
            address = clean_email(email)
            token = await one_time_tokens.issue(
                TokenPurpose.EMAIL_VERIFICATION, clock=clock, ttl=VERIFICATION_TTL, customer=customer,
                payload={"username": normalize_username(username), "email": address, "password_hash": password_hash},
                using_db=connection,
            )
            await notify.send(services, "verify_email", address, {
                "link": notify.portal_link(services, "verify-email", token=token),
                "username": normalize_username(username),
                "hours": int(VERIFICATION_TTL.total_seconds() // 3600),
            }, using_db=connection)
        await audit.record("registration.requested", clock=clock, origin=origin, using_db=connection,
                           details={"outcome": outcome, "customer_id": customer.id if customer else None})
    return Outcome(value=REGISTER_MESSAGE)


async def _create_customer_login(
    services: Services, connection, *, customer_id: int, username: str, email: str, password_hash: str
) -> User | Problem:
    """Create the CUSTOMER login inside `connection`'s transaction, or say why not. A lost race
    (same user ID or same customer, committed meanwhile) is a Problem, not an error."""
    if await User.filter(customer_id=customer_id).using_db(connection).exists():
        return HAS_LOGIN
    if await User.filter(username=username).using_db(connection).exists():
        return Problem(ErrorCode.CONFLICT, "This user ID was taken meanwhile. Register again with another one.",
                       ("username",))
    now = services.clock.now()
    try:
        async with in_transaction(connection.connection_name) as savepoint:
            return await User.create(
                username=username, email=email, password_hash=password_hash, role=Role.CUSTOMER,
                customer_id=customer_id, is_active=True, email_verified_at=now, password_changed_at=now,
                using_db=savepoint,
            )
    except IntegrityError:
        if await User.filter(customer_id=customer_id).using_db(connection).exists():
            return HAS_LOGIN
        return Problem(ErrorCode.CONFLICT, "This user ID was taken meanwhile. Register again with another one.",
                       ("username",))


async def _welcome(services: Services, user: User, connection) -> None:
    customer = await Customer.get(id=user.customer_id).using_db(connection)
    await notify.send(services, "welcome", user.email, {"first_name": customer.first_name}, using_db=connection)


async def verify_email(services: Services, *, token: str, origin: Origin) -> Outcome:
    """Create the login from a registration's emailed link. Outcome.value is the new User.

    The link is spent even when the login cannot be created (the user ID or the customer got a
    login meanwhile): it was delivered and used, and registering again issues a fresh one."""
    clock = services.clock
    async with in_transaction() as connection:
        row = await one_time_tokens.consume(TokenPurpose.EMAIL_VERIFICATION, token, clock=clock, using_db=connection)
        if row is None or row.customer_id is None:
            return Outcome.fail(INVALID_LINK)
        payload = row.payload
        created = await _create_customer_login(
            services, connection, customer_id=row.customer_id, username=payload["username"],
            email=payload["email"], password_hash=payload["password_hash"],
        )
        if isinstance(created, Problem):
            await audit.record("registration.failed", clock=clock, origin=origin, using_db=connection,
                               details={"customer_id": row.customer_id, "reason": created.message})
            return Outcome.fail(created)
        await _welcome(services, created, connection)
        await audit.record("registration.completed", clock=clock, origin=origin, actor=created, subject=created,
                           details={"method": "identity_proofing"}, using_db=connection)
    return Outcome(value=created)


async def _known_to_dealership(customer_id: int, dealership_id: int) -> bool:
    """On one of the dealership's contracts, or onboarded there with identity verified in person."""
    on_contract = Contract.filter(Q(customer_id=customer_id) | Q(co_customer_id=customer_id),
                                  dealership_id=dealership_id)
    verified = CustomerOnboarding.filter(customer_id=customer_id, dealership_id=dealership_id,
                                         identity_verified_at__isnull=False)
    return await on_contract.exists() or await verified.exists()


async def issue_registration_link(
    services: Services, *, dealer: User, customer_id: int | None, origin: Origin
) -> Outcome:
    """A dealer user who verified the customer in person sends them a 72-hour, single-use link to
    the email on file. Only for customers on a contract of the dealer's dealership or whose identity
    the dealership verified when onboarding them (otherwise NOT_FOUND, as for a missing customer;
    `customer_id` None is a malformed id, also NOT_FOUND). Outcome.value is (customer, expires_at)."""
    pk = customer_id
    if pk is None or dealer.dealership_id is None or not await _known_to_dealership(pk, dealer.dealership_id):
        return Outcome.fail(NOT_FOUND)
    customer = await Customer.get(id=pk)
    if await User.filter(customer_id=pk).exists():
        return Outcome.fail(Problem(ErrorCode.CONFLICT, "This customer already has a login.", ("customerId",)))
    if email_problem(customer.email):
        return Outcome.fail(Problem(ErrorCode.INVALID, "This customer has no usable email address on file.",
                                    ("customerId",)))
    clock = services.clock
    async with in_transaction() as connection:
        expires_at = await send_registration_link(services, customer, using_db=connection)
        await audit.record("registration.link_issued", clock=clock, origin=origin, actor=dealer, using_db=connection,
                           details={"customer_id": pk, "dealership_id": dealer.dealership_id})
    return Outcome(value=(customer, expires_at))


async def send_registration_link(
    services: Services, customer: Customer, *, template: str = "registration_link", context: dict | None = None,
    using_db,
) -> datetime:
    """Mail `customer` a 72-hour, single-use link (completed by `complete_registration_link`) in the
    caller's transaction; return when it expires. The caller has established who the customer is
    (a dealer in person, or a signed contract being booked) and that they have no login yet.
    `template` lets the booking of a new contract say why the link comes."""
    clock = services.clock
    # Only the newest link works: earlier unused ones for this customer are spent.
    await OneTimeToken.filter(purpose=TokenPurpose.REGISTRATION_LINK, customer_id=customer.id, used_at=None).using_db(
        using_db).update(used_at=clock.now())
    token = await one_time_tokens.issue(TokenPurpose.REGISTRATION_LINK, clock=clock, ttl=LINK_TTL,
                                        customer=customer, using_db=using_db)
    await notify.send(services, template, customer.email, {
        **(context or {}),
        "first_name": customer.first_name,
        "link": notify.portal_link(services, "complete-registration", token=token),
        "hours": int(LINK_TTL.total_seconds() // 3600),
    }, using_db=using_db)
    return clock.now() + LINK_TTL


async def complete_registration_link(
    services: Services, *, token: str, username: str, password: str, origin: Origin
) -> Outcome:
    """Create the login from a dealer-issued link: the person chooses user ID and password. The
    email is the one on file, which the link reached, so it counts as verified."""
    problem = username_problem(username)
    if problem:
        return Outcome.fail(problem)
    row = await open_token(TokenPurpose.REGISTRATION_LINK, token, clock=services.clock)
    if row is None or row.customer_id is None:
        return Outcome.fail(INVALID_LINK)
    customer = await Customer.get(id=row.customer_id)
    known_words = [username, customer.email, customer.last_name, customer.first_name]
    problems = [p for p in (weak_password(password, known_words), await username_taken(username)) if p]
    if problems:
        return Outcome.fail(*problems)
    password_hash = await services.passwords.hash(password)
    clock = services.clock
    async with in_transaction() as connection:
        if await one_time_tokens.consume(TokenPurpose.REGISTRATION_LINK, token, clock=clock,
                                         using_db=connection) is None:
            return Outcome.fail(INVALID_LINK)
        created = await _create_customer_login(
            services, connection, customer_id=customer.id, username=normalize_username(username),
            email=customer.email, password_hash=password_hash,
        )
        if isinstance(created, Problem):
            return Outcome.fail(created)  # the transaction commits: the link is spent (see verify_email)
        await _welcome(services, created, connection)
        await audit.record("registration.completed", clock=clock, origin=origin, actor=created, subject=created,
                           details={"method": "dealer_link"}, using_db=connection)
    return Outcome(value=created)
