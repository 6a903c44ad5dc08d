"""Finding a customer at the support desk (issue 9 item 1).

One way at a time, each on an indexed column:
- CONTRACT_NUMBER: the contract's customer and co-buyer.
- NAME_AND_DATE_OF_BIRTH: last name (any case; first name optional) and date of birth.
- EMAIL: the contact email on the customer record or the login's email (any case).
- PHONE: a 10-digit North American number however it is typed.
- SSN: the last four digits with one more fact (date of birth, ZIP code or last name), matched on
  the stored `ssn_last4`; or the full nine digits, matched through the blind index (an HMAC of the
  SSN). The SSN is never decrypted.

Results are capped at SEARCH_LIMIT (`hasMore` says when there were more: narrow the search) and
show masked values only (resolvers/support/masking.py). Every search is audited as
"support.searched" with the way searched and the number of results, never the values typed; it is
not a view of any one customer's account (opening one, `support { customer(id) }`, is).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import Enum

from tortoise.expressions import Q, Subquery

from auth import audit
from auth.audit import Origin
from gateways.sms import to_e164
from models import Contract, Customer, User
from resolvers.errors import ClientFacingError, ErrorCode
from service.container import Services

SEARCH_LIMIT = 20
MAX_TEXT = 254
ZIP_PATTERN = re.compile(r"[0-9]{5}(-?[0-9]{4})?")


class SearchBy(str, Enum):
    CONTRACT_NUMBER = "CONTRACT_NUMBER"
    NAME_AND_DATE_OF_BIRTH = "NAME_AND_DATE_OF_BIRTH"
    EMAIL = "EMAIL"
    PHONE = "PHONE"
    SSN = "SSN"


@dataclass(frozen=True)
class Criteria:
    by: SearchBy
    contract_number: str | None = None
    last_name: str | None = None
    first_name: str | None = None
    date_of_birth: date | None = None
    email: str | None = None
    phone: str | None = None
    ssn: str | None = None
    postal_code: str | None = None


@dataclass(frozen=True)
class SearchResult:
    customers: list[Customer]
    has_more: bool


def _invalid(message: str) -> ClientFacingError:
    return ClientFacingError(ErrorCode.INVALID, message)


def _text(value: str | None, name: str) -> str:
    cleaned = (value or "").strip()
    if not cleaned or len(cleaned) > MAX_TEXT:
        raise _invalid(f"Searching by this needs `{name}`.")
    return cleaned


def _query(services: Services, c: Criteria) -> Q:
    if c.by == SearchBy.CONTRACT_NUMBER:
        number = _text(c.contract_number, "contractNumber").upper()
        parties = Contract.filter(number=number)
        return Q(id__in=Subquery(parties.values("customer_id"))) | Q(
            id__in=Subquery(parties.filter(co_customer_id__isnull=False).values("co_customer_id")))
    if c.by == SearchBy.NAME_AND_DATE_OF_BIRTH:
        if c.date_of_birth is None:
            raise _invalid("Searching by name needs `lastName` and `dateOfBirth`.")
        query = Q(last_name__iexact=_text(c.last_name, "lastName"), date_of_birth=c.date_of_birth)
        if (c.first_name or "").strip():
            query &= Q(first_name__iexact=_text(c.first_name, "firstName"))
        return query
    if c.by == SearchBy.EMAIL:
        email = _text(c.email, "email")
        logins = User.filter(email__iexact=email, customer_id__isnull=False).values("customer_id")
        return Q(email__iexact=email) | Q(id__in=Subquery(logins))
    if c.by == SearchBy.PHONE:
        phone = to_e164(_text(c.phone, "phone"))
        if phone is None:
            raise _invalid("Enter a 10-digit US phone number, e.g. (512) 555-0199.")
        return Q(phone__in=[phone, phone[2:]])  # stored as +1 and ten digits, or as ten digits
    return _ssn_query(services, c)


def _ssn_query(services: Services, c: Criteria) -> Q:
    digits = re.sub(r"[\s-]", "", c.ssn or "")
    if not (digits.isascii() and digits.isdigit() and len(digits) in (4, 9)):
        raise _invalid("Enter the last 4 digits of the SSN, or all 9.")
    if len(digits) == 9:
        return Q(ssn_blind_index=services.cipher.blind_index(digits, purpose="customers.ssn"))
    query = Q(ssn_last4=digits)
    if c.date_of_birth is not None:
        return query & Q(date_of_birth=c.date_of_birth)
    if (c.postal_code or "").strip():
        if not ZIP_PATTERN.fullmatch(c.postal_code.strip()):
            raise _invalid("Enter a 5-digit ZIP code (or ZIP+4).")
        return query & Q(postal_code__startswith=c.postal_code.strip()[:5])
    if (c.last_name or "").strip():
        return query & Q(last_name__iexact=_text(c.last_name, "lastName"))
    raise _invalid("The last 4 digits of the SSN need one more fact: `dateOfBirth`, `postalCode` or `lastName`.")


async def find_customers(services: Services, *, staff: User, origin: Origin, criteria: Criteria) -> SearchResult:
    """Raises ClientFacingError(INVALID) for criteria that do not make a search."""
    query = _query(services, criteria)
    rows = await Customer.filter(query).order_by("last_name", "first_name", "id").limit(SEARCH_LIMIT + 1)
    found, has_more = rows[:SEARCH_LIMIT], len(rows) > SEARCH_LIMIT
    await audit.record("support.searched", clock=services.clock, origin=origin, actor=staff, details={
        "by": criteria.by.value, "results": len(found), "has_more": has_more,
        "customer_ids": [row.id for row in found],
    })
    return SearchResult(customers=found, has_more=has_more)
