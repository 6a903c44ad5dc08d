"""Customer onboarding at a dealership: find or create the customer, record the in-person identity
check, confirm contact details.

- A customer is one person across dealerships. Duplicates are caught by the SSN's blind index
  (never by decrypting) and by email (case-insensitive); creating one anyway is a CONFLICT naming
  the existing customer's id, which the dealer then attaches with `onboard_existing`.
- Attaching an existing customer to another dealership needs the SSN and date of birth on file:
  knowing an id or an email is not enough to reach a person's details. Until a dealership has
  onboarded a customer, its searches return only the customer's id.
- The SSN is stored AES-GCM encrypted with its blind index and last four digits; only the last
  four are ever shown. Emails are trimmed with the domain lower-cased; phones are stored as
  +1 and ten digits (North American numbering plan).
- Two dealers onboarding the same person at once: the duplicate checks and the insert run under
  PostgreSQL advisory locks on the SSN's blind index and the email (SQLite has one writer), so
  exactly one customer is created.

Every change is audited in its transaction (never with the SSN or document numbers).
"""

from __future__ import annotations

import hmac
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from strawberry.relay import to_base64
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from auth import audit
from auth.audit import Origin
from finance.loan import add_months
from models import Customer, CustomerOnboarding, User
from models.enums import IdDocumentType
from resolvers.errors import ErrorCode, Problem
from resolvers.identity.account_inputs import EMAIL_PATTERN, MAX_EMAIL
from service.container import Services

SSN_TABLE, SSN_COLUMN, SSN_PURPOSE = "customers", "ssn", "customers.ssn"
MIN_AGE, MAX_AGE = 18, 120
MAX_NAME, MAX_ADDRESS_LINE, MAX_CITY = 64, 128, 64
US_STATES = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK "
    "OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR GU VI AS MP".split()
)
ZIP_PATTERN = re.compile(r"([0-9]{5})(?:-?([0-9]{4}))?")
PHONE_SEPARATORS = re.compile(r"[\s().\-]")
DOCUMENT_LAST4_PATTERN = re.compile(r"[A-Z0-9]{4}")

CUSTOMER_NOT_FOUND = Problem(ErrorCode.NOT_FOUND, "No customer onboarded at your dealership has that id.",
                             ("customerId",))


@dataclass(frozen=True)
class NewCustomer:
    """The person as the dealer types them in."""

    first_name: str
    last_name: str
    date_of_birth: date
    ssn: str
    email: str
    phone: str
    address_line1: str
    address_line2: str
    city: str
    state: str
    postal_code: str


@dataclass(frozen=True)
class OnboardingOutcome:
    problems: tuple[Problem, ...] = ()
    onboarding: CustomerOnboarding | None = None
    existing_customer_id: int | None = None  # a duplicate's id, with a CONFLICT


@dataclass(frozen=True)
class CustomerMatch:
    customer_id: int
    matched_by: tuple[str, ...]  # "SSN", "EMAIL"
    onboarding: CustomerOnboarding | None  # at the caller's dealership; None: not onboarded there


def _fail(*problems: Problem, existing: int | None = None) -> OnboardingOutcome:
    return OnboardingOutcome(problems=tuple(problems), existing_customer_id=existing)


# -- normalizing and checking what people type (pure) --------------------------------------------

def normalize_ssn(raw: str) -> str:
    """Digits only: 123-45-6789 and 123 45 6789 are 123456789."""
    return re.sub(r"[\s-]", "", raw or "")


def ssn_problem(ssn: str, field: tuple[str, ...] = ("ssn",)) -> Problem | None:
    """A valid SSN has 9 digits, an area that is not 000, 666 or 9xx, a group that is not 00 and a
    serial that is not 0000 (the SSA never issues those)."""
    valid = (len(ssn) == 9 and ssn.isascii() and ssn.isdigit() and ssn[:3] not in {"000", "666"}
             and ssn[0] != "9" and ssn[3:5] != "00" and ssn[5:] != "0000")
    return None if valid else Problem(ErrorCode.INVALID, "Enter a valid 9-digit Social Security number.", field)


def normalize_email(raw: str) -> str:
    """Trimmed, with the domain lower-cased (the local part's case belongs to the mailbox owner)."""
    local, at, domain = (raw or "").strip().rpartition("@")
    return f"{local}@{domain.lower()}" if at else (raw or "").strip()


def email_problem(email: str, field: tuple[str, ...] = ("email",)) -> Problem | None:
    if len(email) > MAX_EMAIL or not EMAIL_PATTERN.fullmatch(email):
        return Problem(ErrorCode.INVALID, "Enter an email address such as name@example.com.", field)
    return None


def normalize_phone(raw: str) -> str | None:
    """+1 and ten digits for a North American number typed with or without +1, spaces, dots,
    dashes or parentheses; None when it is not one (area code and exchange cannot start with 0 or 1)."""
    digits = PHONE_SEPARATORS.sub("", (raw or "").strip())
    if digits.startswith("+1"):
        digits = digits[2:]
    elif len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10 or not (digits.isascii() and digits.isdigit()) or digits[0] in "01" or digits[3] in "01":
        return None
    return f"+1{digits}"


def phone_problem(raw: str, field: tuple[str, ...] = ("phone",)) -> Problem | None:
    if normalize_phone(raw) is None:
        return Problem(ErrorCode.INVALID, "Enter a 10-digit US phone number, e.g. (512) 555-0199.", field)
    return None


def _clean_text(raw: str) -> str:
    """NFC, inner whitespace collapsed, trimmed."""
    return " ".join(unicodedata.normalize("NFC", raw or "").split())


def _text_problem(value: str, name: str, field: str, maximum: int, *, required: bool = True) -> Problem | None:
    if (required and not value) or len(value) > maximum or any(unicodedata.category(c) == "Cc" for c in value):
        return Problem(ErrorCode.INVALID, f"Enter the {name} (at most {maximum} characters).", (field,))
    return None


def _age_problem(born: date, today: date) -> Problem | None:
    if not add_months(today, -12 * MAX_AGE) <= born <= add_months(today, -12 * MIN_AGE):
        return Problem(ErrorCode.INVALID, f"The customer must be {MIN_AGE} or older: check the date of birth.",
                       ("dateOfBirth",))
    return None


def normalize_zip(raw: str) -> str | None:
    match = ZIP_PATTERN.fullmatch((raw or "").strip())
    if match is None:
        return None
    return f"{match.group(1)}-{match.group(2)}" if match.group(2) else match.group(1)


def cleaned(details: NewCustomer) -> NewCustomer:
    return NewCustomer(
        first_name=_clean_text(details.first_name), last_name=_clean_text(details.last_name),
        date_of_birth=details.date_of_birth, ssn=normalize_ssn(details.ssn), email=normalize_email(details.email),
        phone=normalize_phone(details.phone) or details.phone, address_line1=_clean_text(details.address_line1),
        address_line2=_clean_text(details.address_line2), city=_clean_text(details.city),
        state=(details.state or "").strip().upper(), postal_code=normalize_zip(details.postal_code) or "",
    )


def details_problems(raw: NewCustomer, today: date) -> list[Problem]:
    """Every problem of the typed details, each with its field."""
    d = cleaned(raw)
    found = [
        _text_problem(d.first_name, "first name", "firstName", MAX_NAME),
        _text_problem(d.last_name, "last name", "lastName", MAX_NAME),
        _age_problem(d.date_of_birth, today),
        ssn_problem(d.ssn),
        email_problem(d.email),
        phone_problem(raw.phone),
        _text_problem(d.address_line1, "street address", "addressLine1", MAX_ADDRESS_LINE),
        _text_problem(d.address_line2, "second address line", "addressLine2", MAX_ADDRESS_LINE, required=False),
        _text_problem(d.city, "city", "city", MAX_CITY),
    ]
    if d.state not in US_STATES:
        found.append(Problem(ErrorCode.INVALID, "Enter a two-letter US state code, e.g. TX.", ("state",)))
    if not d.postal_code:
        found.append(Problem(ErrorCode.INVALID, "Enter a 5-digit ZIP code (or ZIP+4).", ("postalCode",)))
    return [problem for problem in found if problem is not None]


# -- finding --------------------------------------------------------------------------------------

def ssn_index(services: Services, ssn: str) -> str:
    return services.cipher.blind_index(ssn, purpose=SSN_PURPOSE)


async def _duplicates(index: str | None, email: str | None, using_db=None) -> dict[int, list[str]]:
    """Customer ids with that SSN (by blind index) or email (case-insensitive), and what matched."""
    found: dict[int, list[str]] = {}
    if index:
        for pk in await Customer.filter(ssn_blind_index=index).using_db(using_db).order_by("id") \
                .values_list("id", flat=True):
            found.setdefault(pk, []).append("SSN")
    if email:
        for pk in await Customer.filter(email__iexact=email).using_db(using_db).order_by("id") \
                .values_list("id", flat=True):
            found.setdefault(pk, []).append("EMAIL")
    return found


def onboardings_at(dealership_id: int | None):
    """The dealership's onboarding rows with what their types show (customer, who did what)."""
    return CustomerOnboarding.filter(dealership_id=dealership_id).select_related(
        "customer", "created_by", "identity_verified_by", "contact_confirmed_by")


async def find_customers(services: Services, *, dealer: User, origin: Origin, ssn: str | None,
                         email: str | None) -> tuple[list[Problem], list[CustomerMatch]]:
    """Customers matching the SSN or the email. Audited: a lookup by SSN is a look at a person."""
    problems, index, address = [], None, None
    if ssn:
        number = normalize_ssn(ssn)
        problems.append(ssn_problem(number))
        index = ssn_index(services, number)
    if email:
        address = normalize_email(email)
        problems.append(email_problem(address))
    problems = [p for p in problems if p is not None]
    if not ssn and not email:
        problems.append(Problem(ErrorCode.INVALID, "Give an SSN, an email address, or both.", ("ssn",)))
    if problems:
        return problems, []
    found = await _duplicates(index, address)
    here = {row.customer_id: row for row in await onboardings_at(dealer.dealership_id).filter(
        customer_id__in=list(found))} if found else {}
    searched_by = [name for name, given in (("SSN", ssn), ("EMAIL", email)) if given]
    await audit.record("customer.searched", clock=services.clock, origin=origin, actor=dealer,
                       details={"dealership_id": dealer.dealership_id, "searched_by": searched_by,
                                "customer_ids": sorted(found)})
    return [], [CustomerMatch(customer_id=pk, matched_by=tuple(by), onboarding=here.get(pk))
                for pk, by in found.items()]


# -- onboarding -----------------------------------------------------------------------------------

async def _hold_identity_locks(connection: BaseDBAsyncClient, *keys: str) -> None:
    """Serialize work on the same SSN or email until this transaction ends (PostgreSQL advisory
    locks, taken in a fixed order so two requests cannot deadlock). SQLite has one writer already."""
    if connection.capabilities.dialect != "postgres":
        return
    for key in sorted(set(keys)):
        await connection.execute_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [key])


async def _reload(onboarding_id: int, connection: BaseDBAsyncClient | None = None) -> CustomerOnboarding:
    return await CustomerOnboarding.filter(id=onboarding_id).using_db(connection).select_related(
        "customer", "created_by", "identity_verified_by", "contact_confirmed_by").get()


async def onboard_new(services: Services, *, dealer: User, origin: Origin, details: NewCustomer) -> OnboardingOutcome:
    """Create the customer and its onboarding at the dealer's dealership; CONFLICT on a duplicate."""
    problems = details_problems(details, services.clock.today())
    if problems:
        return _fail(*problems)
    d = cleaned(details)
    index = ssn_index(services, d.ssn)
    cipher, now = services.cipher, services.clock.now()
    async with in_transaction() as connection:
        await _hold_identity_locks(connection, f"customer-ssn:{index}", f"customer-email:{d.email.lower()}")
        found = await _duplicates(index, d.email, connection)
        if found:
            pk, by = next(iter(found.items()))
            field = "ssn" if "SSN" in by else "email"
            what = "SSN" if field == "ssn" else "email address"
            return _fail(Problem(ErrorCode.CONFLICT, f"A customer with this {what} exists: Customer id "
                                 f"{_customer_gid(pk)}. Use onboardExistingCustomer with it.", (field,)), existing=pk)
        customer = await Customer.create(
            first_name=d.first_name, last_name=d.last_name, date_of_birth=d.date_of_birth, email=d.email,
            phone=d.phone, address_line1=d.address_line1, address_line2=d.address_line2, city=d.city, state=d.state,
            postal_code=d.postal_code, ssn_encrypted=cipher.encrypt(d.ssn, table=SSN_TABLE, column=SSN_COLUMN),
            ssn_blind_index=index, ssn_last4=d.ssn[-4:], created_at=now, using_db=connection,
        )
        onboarding = await CustomerOnboarding.create(customer=customer, dealership_id=dealer.dealership_id,
                                                     created_by=dealer, created_at=now, using_db=connection)
        await audit.record("customer.onboarded", clock=services.clock, origin=origin, actor=dealer,
                           details={"customer_id": customer.id, "dealership_id": dealer.dealership_id,
                                    "new_customer": True}, using_db=connection)
        return OnboardingOutcome(onboarding=await _reload(onboarding.id, connection))


def _customer_gid(pk: int) -> str:
    """The id as the API shows it, so the dealer can paste it."""
    return to_base64("Customer", pk)


async def onboard_existing(services: Services, *, dealer: User, origin: Origin, customer_id: int | None, ssn: str,
                           date_of_birth: date) -> OnboardingOutcome:
    """Attach an existing customer to the dealer's dealership: the SSN and date of birth given must
    be the ones on file (otherwise NOT_FOUND, as for a missing customer). Already onboarded there:
    the existing onboarding, unchanged."""
    number = normalize_ssn(ssn)
    problem = ssn_problem(number)
    if problem:
        return _fail(problem)
    customer = await Customer.get_or_none(id=customer_id) if customer_id is not None else None
    # Both facts are compared whichever fails first, in constant time for the index.
    same_ssn = customer is not None and hmac.compare_digest(customer.ssn_blind_index, ssn_index(services, number))
    if customer is None or not (same_ssn & (customer.date_of_birth == date_of_birth)):
        return _fail(Problem(ErrorCode.NOT_FOUND, "No customer has that id, SSN and date of birth.", ("customerId",)))
    existing = await CustomerOnboarding.get_or_none(customer_id=customer.id, dealership_id=dealer.dealership_id)
    if existing is not None:
        return OnboardingOutcome(onboarding=await _reload(existing.id))
    try:
        async with in_transaction() as connection:
            onboarding = await CustomerOnboarding.create(customer=customer, dealership_id=dealer.dealership_id,
                                                         created_by=dealer, created_at=services.clock.now(),
                                                         using_db=connection)
            await audit.record("customer.onboarded", clock=services.clock, origin=origin, actor=dealer,
                               details={"customer_id": customer.id, "dealership_id": dealer.dealership_id,
                                        "new_customer": False}, using_db=connection)
    except IntegrityError:  # a colleague attached the same customer meanwhile: theirs stands
        onboarding = await CustomerOnboarding.get(customer_id=customer.id, dealership_id=dealer.dealership_id)
    return OnboardingOutcome(onboarding=await _reload(onboarding.id))


async def _locked_onboarding(dealer: User, customer_id: int | None,
                             connection: BaseDBAsyncClient) -> CustomerOnboarding | None:
    if customer_id is None:
        return None
    return await CustomerOnboarding.filter(customer_id=customer_id, dealership_id=dealer.dealership_id) \
        .using_db(connection).select_for_update().first()


async def verify_identity(services: Services, *, dealer: User, origin: Origin, customer_id: int | None,
                          document_type: IdDocumentType, document_last4: str) -> OnboardingOutcome:
    """Record that the dealer checked the customer's identity document in person (type, last four
    of its number, who, when). Doing it again records the newer check."""
    last4 = (document_last4 or "").strip().upper()
    if not DOCUMENT_LAST4_PATTERN.fullmatch(last4):
        return _fail(Problem(ErrorCode.INVALID, "Enter the last 4 letters or digits of the document's number.",
                             ("documentLast4",)))
    async with in_transaction() as connection:
        onboarding = await _locked_onboarding(dealer, customer_id, connection)
        if onboarding is None:
            return _fail(CUSTOMER_NOT_FOUND)
        onboarding.id_document_type = document_type
        onboarding.id_document_last4 = last4
        onboarding.identity_verified_by_id = dealer.id
        onboarding.identity_verified_at = services.clock.now()
        await onboarding.save(update_fields=["id_document_type", "id_document_last4", "identity_verified_by_id",
                                             "identity_verified_at"], using_db=connection)
        await audit.record("customer.identity_verified", clock=services.clock, origin=origin, actor=dealer,
                           details={"customer_id": customer_id, "dealership_id": dealer.dealership_id,
                                    "document_type": document_type.value}, using_db=connection)
        return OnboardingOutcome(onboarding=await _reload(onboarding.id, connection))


async def _contact_changes(customer: Customer, email: str | None, phone: str | None,
                           connection: BaseDBAsyncClient) -> dict[str, str] | Problem:
    """The corrected email and phone (normalized), or why they cannot be taken."""
    changes = {}
    if email is not None and normalize_email(email) != customer.email:
        address = normalize_email(email)
        problem = email_problem(address)
        if problem:
            return problem
        taken = Customer.filter(email__iexact=address).exclude(id=customer.id).using_db(connection)
        if await taken.exists():
            return Problem(ErrorCode.CONFLICT, "Another customer has this email address.", ("email",))
        changes["email"] = address
    if phone is not None and normalize_phone(phone) != customer.phone:
        problem = phone_problem(phone)
        if problem:
            return problem
        changes["phone"] = normalize_phone(phone)
    if changes and await User.filter(customer_id=customer.id).using_db(connection).exists():
        # Their login's own flows (with step-up and alerts) change what they use to sign in and get mail.
        return Problem(ErrorCode.CONFLICT, "This customer has an online account and updates their contact details "
                       "there.", ("email",) if "email" in changes else ("phone",))
    return changes


async def confirm_contact(services: Services, *, dealer: User, origin: Origin, customer_id: int | None,
                          email: str | None, phone: str | None) -> OnboardingOutcome:
    """Record that the customer confirmed their email and phone, correcting them first if given
    (only for a customer without an online account)."""
    async with in_transaction() as connection:
        onboarding = await _locked_onboarding(dealer, customer_id, connection)
        if onboarding is None:
            return _fail(CUSTOMER_NOT_FOUND)
        customer = await Customer.filter(id=customer_id).using_db(connection).select_for_update().get()
        if email is not None:
            await _hold_identity_locks(connection, f"customer-email:{normalize_email(email).lower()}")
        changes = await _contact_changes(customer, email, phone, connection)
        if isinstance(changes, Problem):
            return _fail(changes)
        if changes:
            await Customer.filter(id=customer.id).using_db(connection).update(**changes)
        onboarding.contact_confirmed_by_id = dealer.id
        onboarding.contact_confirmed_at = services.clock.now()
        await onboarding.save(update_fields=["contact_confirmed_by_id", "contact_confirmed_at"], using_db=connection)
        await audit.record("customer.contact_confirmed", clock=services.clock, origin=origin, actor=dealer,
                           details={"customer_id": customer.id, "dealership_id": dealer.dealership_id,
                                    "changed": sorted(changes)}, using_db=connection)
        return OnboardingOutcome(onboarding=await _reload(onboarding.id, connection))


# -- what applications need -----------------------------------------------------------------------

async def onboardings_of(dealership_id: int, customer_ids: list[int],
                         using_db: BaseDBAsyncClient | None = None) -> dict[int, CustomerOnboarding]:
    """The dealership's onboardings of these customers (verified or not), by customer id."""
    rows = await CustomerOnboarding.filter(Q(customer_id__in=customer_ids), dealership_id=dealership_id) \
        .using_db(using_db)
    return {row.customer_id: row for row in rows}
