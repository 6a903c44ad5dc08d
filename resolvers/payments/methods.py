"""A customer's payment methods: bank accounts (ACH) and debit cards.

- Adding one needs a step-up re-authentication within the last 5 minutes (auth/stepup.py), mails
  a security alert (`payment_method_added`), posts a SECURITY_ALERTS notification and audits
  `payment_method.added`, all in one transaction with the new row.
- A bank account number is stored only encrypted (AES-256-GCM, bound to
  payment_methods.account_number) with its last four and a blind index over routing + account
  number (HMAC, purpose "payment_methods.account_number"): the same account added twice to the
  same customer's active methods is a CONFLICT, found by the index, never by decrypting.
- A card number goes to the gateway and no further: only its token, brand, last four and expiry
  are stored. It is never put in a message, an audit detail, a log line or an error.
- Each customer with any active method has exactly one default. Changes to the set lock the
  customer row (SELECT ... FOR UPDATE on PostgreSQL), so concurrent changes serialize.
- Removing is a soft delete (`removed_at`), refused while a SCHEDULED or PROCESSING payment or an
  ACTIVE autopay plan uses the method; removing the default makes the newest remaining method the
  default. The row stays for the payments that used it.
- A method of another customer answers exactly like a missing one: NOT_FOUND.
Nothing changes when a Problem is returned.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from auth import audit
from auth.stepup import recently_reauthenticated
from gateways.payments import CardRejected, CardToken
from mail.notify import portal_link
from models import AutopayPlan, Customer, Payment, PaymentMethod, Session, User
from models.enums import (
    AutopayStatus,
    BankAccountType,
    NotificationCategory,
    PaymentMethodKind,
    PaymentStatus,
    Role,
)
from resolvers.errors import ErrorCode, Problem
from resolvers.identity.account import REAUTH_REQUIRED
from resolvers.notifications import notify
from resolvers.payments.bank_validation import (
    account_number_valid,
    digits_only,
    routing_number_valid,
)
from service.container import Services

TABLE = "payment_methods"
ACCOUNT_COLUMN = "account_number"
BLIND_INDEX_PURPOSE = "payment_methods.account_number"
MAX_HOLDER_NAME = 128
MAX_RAW_NUMBER = 40  # longer than any account or card number with separators
CARD_MIN_DIGITS, CARD_MAX_DIGITS = 12, 19
EXPIRY_YEARS_AHEAD = 20
# Payments in these states still need their method.
PENDING_PAYMENT_STATES = (PaymentStatus.SCHEDULED, PaymentStatus.PROCESSING)

NOT_FOUND = Problem(ErrorCode.NOT_FOUND, "No payment method with that id.", ("paymentMethodId",))


@dataclass(frozen=True)
class Outcome:
    problems: tuple[Problem, ...] = ()
    method: PaymentMethod | None = None


def _fail(*problems: Problem) -> Outcome:
    return Outcome(problems=problems)


# -- reading --------------------------------------------------------------------------------------

def methods_of(user: User | None, *, include_removed: bool = False) -> QuerySet[PaymentMethod]:
    """The payment methods of the customer behind `user` (none for staff or nobody). Removed
    methods are included only on request (a payment's history still shows the method it used)."""
    if user is None or not user.is_active or user.role != Role.CUSTOMER or user.customer_id is None:
        return PaymentMethod.filter(id__in=[])
    query = PaymentMethod.filter(customer_id=user.customer_id)
    return query if include_removed else query.filter(removed_at__isnull=True)


async def active_methods(user: User | None) -> list[PaymentMethod]:
    """Active methods, the default first, then the newest."""
    return list(await methods_of(user).order_by("-is_default", "-created_at", "-id"))


def describe(method: PaymentMethod) -> str:
    """How a method is named to its owner: "Checking account ending in 6789", "VISA card ending in 1111"."""
    if method.kind == PaymentMethodKind.BANK_ACCOUNT:
        kind = (method.account_type or BankAccountType.CHECKING).value.capitalize()
        return f"{kind} account ending in {method.last4}"
    return f"{method.brand or 'Debit'} card ending in {method.last4}"


# -- input checks ---------------------------------------------------------------------------------

def clean_holder_name(raw: str | None) -> str | None:
    name = " ".join((raw or "").split())
    if not name or len(name) > MAX_HOLDER_NAME or any(unicodedata.category(c).startswith("C") for c in name):
        return None
    return name


def _holder_problem(name: str | None) -> Problem | None:
    if name is None:
        return Problem(ErrorCode.INVALID, f"Enter the account holder's name (at most {MAX_HOLDER_NAME} characters).",
                       ("holderName",))
    return None


def _expiry_problems(month: int, year: int, today: date) -> list[Problem]:
    if not 1 <= month <= 12:
        return [Problem(ErrorCode.INVALID, "Enter the expiry month as a number from 1 to 12.", ("expiryMonth",))]
    if not today.year - 50 <= year <= today.year + EXPIRY_YEARS_AHEAD:
        return [Problem(ErrorCode.INVALID, "Enter the expiry year with four digits, e.g. 2029.", ("expiryYear",))]
    if (year, month) < (today.year, today.month):
        field = "expiryYear" if year < today.year else "expiryMonth"
        return [Problem(ErrorCode.INVALID, "This card has expired.", (field,))]
    return []


# -- adding ---------------------------------------------------------------------------------------

async def _lock_customer(customer_id: int, connection) -> None:
    """Serialize changes to one customer's methods (a no-op lock on SQLite, which has one writer)."""
    await Customer.filter(id=customer_id).select_for_update().using_db(connection).first()


async def _store_new(
    services: Services, *, user: User, origin: audit.Origin, make_default: bool, values: dict,
    blind_index: str | None = None,
) -> Outcome:
    now = services.clock.now()
    async with in_transaction() as connection:
        await _lock_customer(user.customer_id, connection)
        active = PaymentMethod.filter(customer_id=user.customer_id, removed_at__isnull=True).using_db(connection)
        if blind_index is not None and await active.filter(account_blind_index=blind_index).exists():
            return _fail(Problem(ErrorCode.CONFLICT, "This bank account is already one of your payment methods.",
                                 ("accountNumber",)))
        default = make_default or not await active.exists()
        if default:
            await active.filter(is_default=True).update(is_default=False)
        method = await PaymentMethod.create(customer_id=user.customer_id, is_default=default, created_at=now,
                                            using_db=connection, **values)
        description = describe(method)
        await notify(
            services, user=user, category=NotificationCategory.SECURITY_ALERTS,
            title="A payment method was added",
            body=f"{description} was added to your account on {now:%Y-%m-%d %H:%M} UTC. "
                 "If it was not you, contact us right away.",
            email_template="payment_method_added",
            email_context={"username": user.username, "method": description, "when": f"{now:%Y-%m-%d %H:%M} UTC",
                           "ip": origin.ip or "unknown", "security_link": portal_link(services, "security")},
            using_db=connection,
        )
        await audit.record("payment_method.added", clock=services.clock, origin=origin, actor=user, subject=user,
                           details={"payment_method_id": method.id, "kind": method.kind.value, "default": default},
                           using_db=connection)
    return Outcome(method=method)


def _may_add(services: Services, user: User, session: Session | None) -> Problem | None:
    """Why `user` may not add a method now: no customer record, or no recent step-up."""
    if user.customer_id is None:
        return Problem(ErrorCode.NOT_FOUND, "This sign-in has no customer record to add payment methods to.")
    if not recently_reauthenticated(session, services.clock):
        return REAUTH_REQUIRED
    return None


async def add_bank_account(
    services: Services, *, user: User, session: Session | None, holder_name: str, routing_number: str,
    account_number: str, account_type: BankAccountType, make_default: bool, origin: audit.Origin,
) -> Outcome:
    name = clean_holder_name(holder_name)
    routing = digits_only(routing_number) if len(routing_number or "") <= MAX_RAW_NUMBER else ""
    account = digits_only(account_number) if len(account_number or "") <= MAX_RAW_NUMBER else ""
    problems = [p for p in (_holder_problem(name),) if p]
    if not routing_number_valid(routing):
        problems.append(Problem(ErrorCode.INVALID, "Enter the 9-digit routing number printed on your checks; this "
                                "one is not a valid routing number.", ("routingNumber",)))
    if not account_number_valid(account):
        problems.append(Problem(ErrorCode.INVALID, "Enter the account number: 4 to 17 digits.", ("accountNumber",)))
    if account_type not in (BankAccountType.CHECKING, BankAccountType.SAVINGS):
        problems.append(Problem(ErrorCode.INVALID, "Choose CHECKING or SAVINGS.", ("accountType",)))
    if problems:
        return _fail(*problems)
    refused = _may_add(services, user, session)
    if refused is not None:
        return _fail(refused)

    cipher = services.cipher
    # Same account number at another bank is another account: the index covers both numbers.
    index = cipher.blind_index(f"{routing}:{account}", purpose=BLIND_INDEX_PURPOSE)
    values = {
        "kind": PaymentMethodKind.BANK_ACCOUNT, "holder_name": name, "routing_number": routing,
        "account_number_encrypted": cipher.encrypt(account, table=TABLE, column=ACCOUNT_COLUMN),
        "account_blind_index": index, "account_type": account_type, "last4": account[-4:],
    }
    return await _store_new(services, user=user, origin=origin, make_default=make_default, values=values,
                            blind_index=index)


async def add_debit_card(
    services: Services, *, user: User, session: Session | None, holder_name: str, card_number: str,
    expiry_month: int, expiry_year: int, make_default: bool, origin: audit.Origin,
) -> Outcome:
    name = clean_holder_name(holder_name)
    digits = digits_only(card_number) if len(card_number or "") <= MAX_RAW_NUMBER else ""
    today = services.clock.today()
    problems = [p for p in (_holder_problem(name),) if p]
    if not (digits.isascii() and digits.isdigit() and CARD_MIN_DIGITS <= len(digits) <= CARD_MAX_DIGITS):
        problems.append(Problem(ErrorCode.INVALID, "Enter the card number: 12 to 19 digits.", ("cardNumber",)))
    problems += _expiry_problems(expiry_month, expiry_year, today)
    if problems:
        return _fail(*problems)
    refused = _may_add(services, user, session)
    if refused is not None:
        return _fail(refused)

    gateway = services.gateway
    try:
        card: CardToken = gateway.tokenize_card(digits, expiry_month, expiry_year, today=today)
    except CardRejected:
        # The expiry was checked above, so the number is at fault. The gateway's message is not
        # passed on (a real gateway's text could echo the number).
        return _fail(Problem(ErrorCode.INVALID, "This card number is not valid: check it and try again.",
                             ("cardNumber",)))
    values = {
        "kind": PaymentMethodKind.DEBIT_CARD, "holder_name": name, "gateway": gateway.name,
        "gateway_token": card.token, "brand": card.brand[:16], "last4": card.last4,
        "expiry_month": card.expiry_month, "expiry_year": card.expiry_year,
    }
    return await _store_new(services, user=user, origin=origin, make_default=make_default, values=values)


# -- default and removal --------------------------------------------------------------------------

async def set_default(services: Services, *, user: User, method_id: int | None, origin: audit.Origin) -> Outcome:
    if method_id is None or user.customer_id is None:
        return _fail(NOT_FOUND)
    async with in_transaction() as connection:
        await _lock_customer(user.customer_id, connection)
        method = await methods_of(user).filter(id=method_id).using_db(connection).first()
        if method is None:
            return _fail(NOT_FOUND)
        if not method.is_default:
            await methods_of(user).filter(is_default=True).using_db(connection).update(is_default=False)
            await PaymentMethod.filter(id=method.id).using_db(connection).update(is_default=True)
            method.is_default = True
            await audit.record("payment_method.default_changed", clock=services.clock, origin=origin, actor=user,
                               subject=user, details={"payment_method_id": method.id}, using_db=connection)
    return Outcome(method=method)


async def remove(
    services: Services, *, user: User, session: Session | None, method_id: int | None, origin: audit.Origin
) -> Outcome:
    if method_id is None or user.customer_id is None:
        return _fail(NOT_FOUND)
    if not await methods_of(user).filter(id=method_id).exists():
        return _fail(NOT_FOUND)
    if not recently_reauthenticated(session, services.clock):
        return _fail(REAUTH_REQUIRED)
    now = services.clock.now()
    async with in_transaction() as connection:
        await _lock_customer(user.customer_id, connection)
        # Locked too, so a payment being scheduled on it at this moment waits for the removal.
        method = await methods_of(user).filter(id=method_id).select_for_update().using_db(connection).first()
        if method is None:
            return _fail(NOT_FOUND)
        if await Payment.filter(method_id=method.id, status__in=PENDING_PAYMENT_STATES).using_db(connection).exists():
            return _fail(Problem(ErrorCode.CONFLICT, "A scheduled or processing payment uses this method: cancel it "
                                 "or wait until it completes, then remove the method.", ("paymentMethodId",)))
        if await AutopayPlan.filter(method_id=method.id, status=AutopayStatus.ACTIVE).using_db(connection).exists():
            return _fail(Problem(ErrorCode.CONFLICT, "Autopay uses this method: move autopay to another method or "
                                 "cancel it first.", ("paymentMethodId",)))
        await PaymentMethod.filter(id=method.id).using_db(connection).update(removed_at=now, is_default=False)
        promoted = None
        if method.is_default:
            promoted = await (methods_of(user).exclude(id=method.id).using_db(connection)
                              .order_by("-created_at", "-id").first())
            if promoted is not None:
                await PaymentMethod.filter(id=promoted.id).using_db(connection).update(is_default=True)
        await audit.record("payment_method.removed", clock=services.clock, origin=origin, actor=user, subject=user,
                           details={"payment_method_id": method.id, "kind": method.kind.value,
                                    "new_default_id": promoted.id if promoted else None},
                           using_db=connection)
    method.removed_at, method.is_default = now, False
    return Outcome(method=method)
