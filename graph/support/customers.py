"""Finding and viewing a customer at the support desk: `support { findCustomers(input:) customer(id:) }`.
Thin: the rules live in resolvers/support/search.py and resolvers/support/customer_view.py.

Everything shown is masked (resolvers/support/masking.py); opening a customer is an audit event the
customer sees in their security events."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import strawberry
from strawberry import relay
from strawberry.types import Info

from graph import enums as graph_enums
from graph.ids import row_id
from graph.scalars import Money, money
from models import Contract, Customer, User
from models.enums import ContractKind
from resolvers.masking import mask_email, mask_phone
from resolvers.support import customer_view, search
from resolvers.support.masking import birth_year, masked_ssn

CustomerSearchByEnum = strawberry.enum(
    search.SearchBy, name="CustomerSearchBy",
    description="How to find a customer. CONTRACT_NUMBER: `contractNumber` (its customer and co-buyer). "
    "NAME_AND_DATE_OF_BIRTH: `lastName` and `dateOfBirth` (`firstName` optional). EMAIL: `email` (the contact or "
    "the login email). PHONE: `phone`. SSN: `ssn` as the last 4 digits with one more fact (`dateOfBirth`, "
    "`postalCode` or `lastName`), or all 9 digits (matched through the blind index; never decrypted).",
)


@strawberry.input(description="What the caller told you, for one way of searching (`by`). Values are never logged "
                              "or audited.")
class CustomerSearchInput:
    by: CustomerSearchByEnum = strawberry.field(description="How to search.")  # type: ignore[valid-type]
    contract_number: str | None = strawberry.field(default=None, description="CONTRACT_NUMBER: the account number.")
    last_name: str | None = strawberry.field(default=None, description="Last name (any case).")
    first_name: str | None = strawberry.field(default=None, description="NAME_AND_DATE_OF_BIRTH: first name "
                                                                        "(optional, narrows the search).")
    date_of_birth: date | None = strawberry.field(default=None, description="Date of birth.")
    email: str | None = strawberry.field(default=None, description="EMAIL: the email address (any case).")
    phone: str | None = strawberry.field(default=None, description="PHONE: a 10-digit US number, any format.")
    ssn: str | None = strawberry.field(default=None, description="SSN: the last 4 digits, or all 9.")
    postal_code: str | None = strawberry.field(default=None, description="SSN: the ZIP code, as the second fact.")


def _customer_gid(pk: int) -> strawberry.ID:
    return strawberry.ID(relay.to_base64("Customer", pk))


@strawberry.type(name="SupportCustomerMatch", description="A customer found by a support search, masked.")
class SupportCustomerMatch:
    id: strawberry.ID = strawberry.field(description="The customer's global id (`Customer:<n>`): open the account "
                                                     "with `support { customer(id:) }` (audited).")
    first_name: str = strawberry.field(description="Given name.")
    last_name: str = strawberry.field(description="Family name.")
    masked_email: str = strawberry.field(description="Email on file, mostly hidden (e.g. j***@example.com).")
    masked_phone: str = strawberry.field(description="Phone on file, all but the last four digits hidden.")
    masked_ssn: str = strawberry.field(description="SSN as ***-**-1234. The full SSN is never shown.")
    birth_year: int = strawberry.field(description="Year of birth only: the date of birth is a verification answer "
                                                   "and is never shown.")
    city: str = strawberry.field(description="City of the mailing address (the ZIP code is never shown).")
    state: str = strawberry.field(description="Two-letter state code of the mailing address.")
    has_login: bool = strawberry.field(description="True when the customer has a portal login.")

    @classmethod
    def fields_of(cls, row: Customer, has_login: bool) -> dict:
        return {"id": _customer_gid(row.id), "first_name": row.first_name, "last_name": row.last_name,
                "masked_email": mask_email(row.email), "masked_phone": mask_phone(row.phone),
                "masked_ssn": masked_ssn(row.ssn_last4), "birth_year": birth_year(row), "city": row.city,
                "state": row.state, "has_login": has_login}


@strawberry.type(name="SupportCustomerSearchResult", description="The customers matching a support search.")
class SupportCustomerSearchResult:
    customers: list[SupportCustomerMatch] = strawberry.field(
        description=f"Matches by last name, then first name; at most {search.SEARCH_LIMIT}."
    )
    limit: int = strawberry.field(description="The most matches returned by one search.")
    has_more: bool = strawberry.field(description="True when more customers matched than `limit`: narrow the search.")


@strawberry.type(name="SupportLogin", description="A customer's portal login as support sees it.")
class SupportLoginType:
    username: str = strawberry.field(description="The user ID.")
    masked_email: str = strawberry.field(description="The login email, mostly hidden (where security mail goes).")
    active: bool = strawberry.field(description="False when the login was deactivated.")
    locked: bool = strawberry.field(description="True while sign-in is locked after too many failed attempts "
                                                "(unlock with `supportUnlockAccount`).")
    locked_until: datetime | None = strawberry.field(description="When the lock ends by itself (UTC); null when "
                                                                 "not locked.")
    mfa_enabled: bool = strawberry.field(description="True when two-step verification is on (reset with "
                                                     "`supportResetMfa`).")
    email_verified: bool = strawberry.field(description="True when the login email was verified.")

    @classmethod
    def from_model(cls, user: User, locked_until: datetime | None) -> SupportLoginType:
        return cls(username=user.username, masked_email=mask_email(user.email), active=user.is_active,
                   locked=locked_until is not None, locked_until=locked_until,
                   mfa_enabled=user.mfa_enabled_at is not None, email_verified=user.email_verified_at is not None)


@strawberry.type(name="SupportContractSummary", description="One of the customer's contracts, summarized for support.")
class SupportContractSummary:
    id: strawberry.ID = strawberry.field(description="The contract's global id (`Contract:<n>`).")
    number: str = strawberry.field(description="The account number.")
    kind: graph_enums.ContractKind = strawberry.field(description="LOAN or LEASE.")  # type: ignore[valid-type]
    status: graph_enums.ContractStatus = strawberry.field(  # type: ignore[valid-type]
        description="Where the contract is in its life."
    )
    co_buyer: bool = strawberry.field(description="True when the customer is the co-buyer, not the primary customer.")
    vehicle: str = strawberry.field(description="Year, make and model.")
    row: strawberry.Private[Contract]

    async def _state(self, info: Info):
        return await info.context.loaders.contract_states.load((self.row, info.context.services.clock.today()))

    @strawberry.field(description="What is owed today (loan: the payoff; lease: the scheduled payments not yet paid "
                                  "and unpaid fees).")
    async def balance(self, info: Info) -> Money:
        return money((await self._state(info)).balance)

    @strawberry.field(description="Sum owed on installments due before today.")
    async def past_due(self, info: Info) -> Money:
        return money((await self._state(info)).due.past_due_amount)

    @strawberry.field(description="Days since the oldest unpaid installment was due (0 when current).")
    async def days_past_due(self, info: Info) -> int:
        return (await self._state(info)).due.days_past_due

    @strawberry.field(description="Due date of the next unpaid installment; null when all are paid.")
    async def next_due_date(self, info: Info) -> date | None:
        return (await self._state(info)).due.next_due_date

    @strawberry.field(description="What is still owed on the next installment.")
    async def next_due_amount(self, info: Info) -> Money:
        state = await self._state(info)
        return money(state.next_due_amount if state.due.next_due_date is not None else Decimal("0.00"))


@strawberry.type(
    name="SupportCustomer",
    description="A customer's account as support sees it: masked identity, login state and contracts. Opening it "
    "is recorded and shown to the customer ('Support viewed your account').",
)
class SupportCustomerType(SupportCustomerMatch):
    login: SupportLoginType | None = strawberry.field(description="The portal login; null when the customer has none "
                                                                  "(send a registration link with `supportResendEmail`).")
    contracts: list[SupportContractSummary] = strawberry.field(
        description=f"Contracts held or co-signed, newest first (at most {customer_view.MAX_CONTRACTS})."
    )
    viewed_at: datetime = strawberry.field(description="When this view was recorded (UTC).")


async def _vehicles(contracts: list[Contract], info: Info) -> list[str]:
    names = []
    for contract in contracts:
        vehicle = await info.context.loaders.vehicles.load(contract.vehicle_id)
        names.append(f"{vehicle.year} {vehicle.make} {vehicle.model}" if vehicle else "")
    return names


async def customer_type(info: Info, view: customer_view.CustomerView) -> SupportCustomerType:
    vehicles = await _vehicles(view.contracts, info)
    contracts = [
        SupportContractSummary(
            id=strawberry.ID(relay.to_base64("Contract", c.id)), number=c.number, kind=ContractKind(c.kind),
            status=c.status, co_buyer=c.customer_id != view.customer.id, vehicle=name, row=c)
        for c, name in zip(view.contracts, vehicles, strict=True)
    ]
    login = SupportLoginType.from_model(view.login, view.locked_until) if view.login is not None else None
    return SupportCustomerType(**SupportCustomerMatch.fields_of(view.customer, view.login is not None), login=login,
                               contracts=contracts, viewed_at=info.context.services.clock.now())


@strawberry.type
class CustomerDesk:
    @strawberry.field(description=f"Find customers (at most {search.SEARCH_LIMIT}; masked). Audited, without the "
                                  "values searched. A search that is not one of the ways in `by` is an INVALID error.")
    async def find_customers(self, info: Info, input: CustomerSearchInput) -> SupportCustomerSearchResult:
        ctx = info.context
        criteria = search.Criteria(
            by=search.SearchBy(input.by), contract_number=input.contract_number, last_name=input.last_name,
            first_name=input.first_name, date_of_birth=input.date_of_birth, email=input.email, phone=input.phone,
            ssn=input.ssn, postal_code=input.postal_code)
        result = await search.find_customers(ctx.services, staff=ctx.user, origin=ctx.origin, criteria=criteria)
        logins = set(await User.filter(customer_id__in=[c.id for c in result.customers]).values_list(
            "customer_id", flat=True)) if result.customers else set()
        return SupportCustomerSearchResult(
            customers=[SupportCustomerMatch(**SupportCustomerMatch.fields_of(c, c.id in logins))
                       for c in result.customers],
            limit=search.SEARCH_LIMIT, has_more=result.has_more)

    @strawberry.field(description="A customer's account by the customer's global id (`Customer:<n>`), or null. Every "
                                  "call is recorded and shown to the customer in their security events.")
    async def customer(self, info: Info, id: strawberry.ID) -> SupportCustomerType | None:
        ctx = info.context
        view = await customer_view.view_customer(ctx.services, staff=ctx.user, origin=ctx.origin,
                                                 customer_id=row_id(id, "Customer"))
        return await customer_type(info, view) if view is not None else None
