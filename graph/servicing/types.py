"""Servicing types: customers, contracts, vehicles and ledger transactions. Thin: fields map
model attributes; lists go through loaders or paginated, visibility-scoped querysets.

A contract's figures (balance, due, past due, last payment, recent transactions, payoff) come from
the request's DataLoaders (graph/loaders.py): one query loads the ledger of every contract in the
response and each contract's position is computed once per business date, so a dashboard of any
number of contracts costs the same number of SQL statements."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from graph import enums
from graph.documents.types import (
    DOCUMENTS_DESCRIPTION,
    DocumentConnection,
    DocumentKindEnum,
    contract_documents,
)
from graph.nodes import visible_nodes
from graph.pagination import (
    PAGE_ARGS_DESCRIPTION,
    CountedConnection,
    Ordering,
    paginate,
    paginate_rows,
)
from graph.payments.types import (
    PAYMENT_ORDER,
    PaymentConnection,
    PaymentFilter,
    PaymentOptionsType,
    PaymentType,
    contract_payments,
)
from graph.scalars import Money, money, optional_money
from graph.service import types as service_types
from graph.servicing.figures import (
    AmortizationInstallmentType,
    LoanDisclosure,
    NextDue,
    PastDue,
    PayoffQuoteType,
    ScheduledPaymentType,
)
from graph.servicing.inputs import OrderDirection, TransactionFilter, TransactionOrder
from graph.servicing.lease import LeaseDetails
from models import Contract, Customer, LedgerEntry, Vehicle
from models.enums import ContractKind, DelinquencyBucket, Role
from resolvers.masking import mask_email, mask_phone
from resolvers.payments.scheduling import options_from_state
from resolvers.servicing import history, loans
from resolvers.servicing.positions import ContractState, installments_of, maturity_of
from resolvers.servicing.visibility import (
    contract_visible,
    contracts_visible_to,
    customers_visible_to,
    ledger_visible_to,
    vehicles_visible_to,
)

if TYPE_CHECKING:  # the autopay and plan-change fields
    from graph.autopay import AutopayType
    from graph.coverage.types import CoverageStatusType
    from graph.servicing.plan_changes import PlanChangeRequestConnection

CONTRACT_ORDER = Ordering((("contract_date", True), ("id", True)))
LEDGER_ORDER = history.NEWEST_FIRST


@strawberry.type(name="Vehicle", description="The vehicle financed or leased under a contract.")
class VehicleType(relay.Node):
    id: relay.NodeID[int]
    vin: str = strawberry.field(description="Vehicle identification number (17 characters).")
    year: int = strawberry.field(description="Model year.")
    make: str = strawberry.field(description="Manufacturer, e.g. Toyota.")
    model: str = strawberry.field(description="Model name, e.g. RAV4.")
    trim: str = strawberry.field(description="Trim level, e.g. XLE (may be empty).")
    condition: enums.VehicleCondition = strawberry.field(description="New or used at sale.")  # type: ignore[valid-type]

    @classmethod
    def from_model(cls, row: Vehicle) -> VehicleType:
        return cls(id=row.id, vin=row.vin, year=row.year, make=row.make, model=row.model, trim=row.trim,
                   condition=row.condition)

    @strawberry.field(description="Service visits on this vehicle, newest first: a customer sees every visit up to "
                      "the end of their contract; a dealer sees the visits its dealership recorded. "
                      f"{PAGE_ARGS_DESCRIPTION}")
    async def service_history(self, info: Info, first: int | None = None, after: str | None = None,
                              last: int | None = None, before: str | None = None) -> service_types.ServiceVisitConnection:
        return await service_types.visits_page(info, vehicle_id=self.id, first=first, after=after, last=last,
                                               before=before)

    @strawberry.field(description="The maintenance due next from the make's schedule and the service history "
                      "(the vehicle's customer only; null for anyone else).")
    async def maintenance_due(self, info: Info) -> service_types.MaintenanceDueType | None:
        return await service_types.maintenance_due(info, self.id)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        return await visible_nodes(vehicles_visible_to(info.context.user), node_ids, cls.from_model, required)


@strawberry.type(
    name="LedgerTransaction",
    description="One entry of a contract's ledger, with how its amount was applied.",
)
class LedgerTransactionType(relay.Node):
    id: relay.NodeID[int]
    kind: enums.LedgerEntryKind = strawberry.field(description="What this entry records.")  # type: ignore[valid-type]
    effective_date: date = strawberry.field(description="The day the money counts from (day received).")
    posted_at: datetime = strawberry.field(description="When the entry was written to the ledger (UTC).")
    amount: Money = strawberry.field(description="The whole amount of the entry.")
    principal: Money = strawberry.field(description="Part applied to (or reversed from) principal.")
    interest: Money = strawberry.field(description="Part applied to interest (lease: rent charge).")
    fees: Money = strawberry.field(description="Part applied to fees (late, returned payment).")
    tax: Money = strawberry.field(description="Part that is sales tax (leases).")
    memo: str = strawberry.field(description="Short note shown to the customer.")

    @classmethod
    def from_model(cls, row: LedgerEntry) -> LedgerTransactionType:
        return cls(id=row.id, kind=row.kind, effective_date=row.effective_date, posted_at=row.posted_at,
                   amount=money(row.amount), principal=money(row.principal), interest=money(row.interest),
                   fees=money(row.fees), tax=money(row.tax), memo=row.memo)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        return await visible_nodes(ledger_visible_to(info.context.user), node_ids, cls.from_model, required)


@strawberry.type(name="LedgerTransactionConnection", description="A page of ledger transactions.")
class LedgerTransactionConnection(CountedConnection[LedgerTransactionType]):
    pass


@strawberry.type(description="Lease terms as disclosed under Regulation M.")
class LeaseTerms:
    gross_cap_cost: Money = strawberry.field(description="Gross capitalized cost.")
    cap_cost_reduction: Money = strawberry.field(description="Capitalized cost reduction (down payment, rebates).")
    residual_value: Money = strawberry.field(description="Value of the vehicle at the end of the lease.")
    money_factor: Decimal = strawberry.field(description="Lease rate; times 2400 approximates an APR.")
    annual_mileage_allowance: int = strawberry.field(description="Miles per year included in the lease.")
    excess_mileage_rate: Money | None = strawberry.field(description="Charge per mile over the allowance.")
    purchase_option_fee: Money | None = strawberry.field(description="Fee added to the residual to buy the vehicle at lease end.")
    disposition_fee: Money | None = strawberry.field(description="Fee charged when the vehicle is returned at lease end.")


@strawberry.type(name="Contract", description="A retail installment contract (loan) or a lease.")
class ContractType(relay.Node):
    id: relay.NodeID[int]
    number: str = strawberry.field(description="The account number printed on statements.")
    kind: enums.ContractKind = strawberry.field(description="Loan or lease (the product).")  # type: ignore[valid-type]
    status: enums.ContractStatus = strawberry.field(description="Where the contract is in its life.")  # type: ignore[valid-type]
    contract_date: date = strawberry.field(description="The day the contract was signed.")
    first_payment_date: date = strawberry.field(description="Due date of the first monthly payment.")
    # Computed when asked for (from the installments in force), not for every contract listed.
    maturity_date: date = strawberry.field(resolver=lambda root: maturity_of(root.row),
                                           description="Due date of the last scheduled payment (a deferral "
                                           "moves it later).")
    term_months: int = strawberry.field(description="Number of monthly payments.")
    amount_financed: Money = strawberry.field(description="Loan: amount financed. Lease: adjusted capitalized cost.")
    scheduled_payment: Money = strawberry.field(description="Monthly payment (leases: including sales tax).")
    apr: Decimal | None = strawberry.field(description="Annual percentage rate in percent (loans only).")
    lease: LeaseTerms | None = strawberry.field(description="Lease terms (leases only).")
    grace_days: int = strawberry.field(description="Days after a due date before a late fee is assessed.")
    late_fee: Money = strawberry.field(description="Fee assessed when an installment is unpaid after the grace period.")
    vehicle_id: strawberry.Private[int]
    row: strawberry.Private[Contract]

    @classmethod
    def from_model(cls, row: Contract) -> ContractType:
        lease = None
        if row.money_factor is not None:
            lease = LeaseTerms(
                gross_cap_cost=money(row.gross_cap_cost), cap_cost_reduction=money(row.cap_cost_reduction or 0),
                residual_value=money(row.residual_value), money_factor=row.money_factor,
                annual_mileage_allowance=row.annual_mileage_allowance,
                excess_mileage_rate=optional_money(row.excess_mileage_rate),
                purchase_option_fee=optional_money(row.purchase_option_fee),
                disposition_fee=optional_money(row.disposition_fee),
            )
        return cls(id=row.id, number=row.number, kind=row.kind, status=row.status, contract_date=row.contract_date,
                   first_payment_date=row.first_payment_date,
                   term_months=row.term_months, amount_financed=money(row.amount_financed),
                   scheduled_payment=money(row.scheduled_payment), apr=row.apr, lease=lease,
                   grace_days=row.grace_days, late_fee=money(row.late_fee), vehicle_id=row.vehicle_id, row=row)

    @property
    def is_loan(self) -> bool:
        return self.row.kind == ContractKind.LOAN

    async def state(self, info: Info) -> ContractState:
        """This contract's figures on today's business date from its whole ledger, once per request."""
        return await info.context.loaders.contract_states.load((self.row, info.context.services.clock.today()))

    async def figures(self, info: Info) -> ContractState:
        """The same figures and the newest transactions, from the contract's ledger checkpoint and the
        rows after it (not `complete`: no last payment), once per request."""
        clock = info.context.services.clock
        return await info.context.loaders.figures.load((self.row, clock.today(), clock.now()))

    @strawberry.field(description="The vehicle under this contract.")
    async def vehicle(self, info: Info) -> VehicleType:
        return VehicleType.from_model(await info.context.loaders.vehicles.load(self.vehicle_id))

    # -- dashboard ---------------------------------------------------------------------------

    @strawberry.field(
        description="What you owe today. Loan: the payoff amount today (principal + interest accrued to today + "
        "unpaid fees). Lease: every scheduled payment not yet paid (past due and still to come, tax included) "
        "+ unpaid fees; the residual value is not included (buying the vehicle is an option)."
    )
    async def balance(self, info: Info) -> Money:
        return money((await self.figures(info)).balance)

    @strawberry.field(
        description="Loan: the principal balance today. Lease: the adjusted capitalized cost less the depreciation "
        "paid so far (it reaches the residual value at the end of the term)."
    )
    async def principal_balance(self, info: Info) -> Money:
        return money((await self.figures(info)).principal_balance)

    @strawberry.field(description="Unpaid fees today (late fees, returned-payment fees), not part of any installment.")
    async def unpaid_fees(self, info: Info) -> Money:
        return money((await self.figures(info)).unpaid_fees)

    @strawberry.field(description="The next installment not fully paid; null when every installment is paid.")
    async def next_due(self, info: Info) -> NextDue | None:
        state = await self.figures(info)
        if state.due.next_due_date is None:
            return None
        return NextDue(due_date=state.due.next_due_date, amount=money(state.next_due_amount))

    @strawberry.field(description="What is past due today, for how long, and the delinquency bucket.")
    async def past_due(self, info: Info) -> PastDue:
        due = (await self.figures(info)).due
        return PastDue(amount=money(due.past_due_amount), days_past_due=due.days_past_due,
                       bucket=DelinquencyBucket(due.bucket))

    @strawberry.field(description="Autopay on this contract: method, draft day, amount rule, the next draft once its "
                      "reminder fixed it, and a paused due date. `enabled` is false without an ACTIVE plan.")
    async def autopay(self, info: Info) -> Annotated[AutopayType, strawberry.lazy("graph.autopay")]:
        from graph.autopay import autopay_of

        return await autopay_of(info, self.row)

    @strawberry.field(description="The newest payment that was not returned; null before the first payment.")
    async def last_payment(self, info: Info) -> LedgerTransactionType | None:
        row = (await self.state(info)).last_payment()
        return LedgerTransactionType.from_model(row) if row else None

    @strawberry.field(
        description=f"The newest transactions, newest first (default 5, at most {history.MAX_RECENT}). For the "
        "whole history use `transactions`."
    )
    async def recent_transactions(self, info: Info, first: int = 5) -> list[LedgerTransactionType]:
        rows = history.recent((await self.figures(info)).entries, first)
        return [LedgerTransactionType.from_model(row) for row in rows]

    # -- history -----------------------------------------------------------------------------

    @strawberry.field(
        description="Ledger transactions (payment history), newest first unless `orderBy` says otherwise, "
        f"optionally filtered by date range and kind. {PAGE_ARGS_DESCRIPTION}"
    )
    async def transactions(
        self, first: int | None = None, after: str | None = None, last: int | None = None, before: str | None = None,
        filter: TransactionFilter | None = None, order_by: TransactionOrder | None = None,
    ) -> LedgerTransactionConnection:
        # This contract is already visible to the caller, so its ledger is too.
        wanted = None
        if filter is not None:
            kinds = tuple(filter.kinds) if filter.kinds is not None else None
            wanted = history.HistoryFilter(from_date=filter.from_date, to_date=filter.to_date, kinds=kinds)
        descending = order_by is None or order_by.direction == OrderDirection.DESC
        return await paginate(
            LedgerTransactionConnection, history.transactions_of(self.id, wanted), history.ordering(descending),
            LedgerTransactionType.from_model, first=first, after=after, last=last, before=before,
        )

    @strawberry.field(
        description="Every monthly payment in due-date order, with approved due-date changes and deferrals applied "
        "(`amortizationSchedule` shows a loan as signed)."
    )
    def payment_schedule(self) -> list[ScheduledPaymentType]:
        return [ScheduledPaymentType(number=item.number, due_date=item.due_date, amount=money(item.amount))
                for item in installments_of(self.row)]

    @strawberry.field(
        description=f"Your requests to change the due date or defer payments, newest first. {PAGE_ARGS_DESCRIPTION}"
    )
    async def plan_change_requests(
        self, info: Info, first: int | None = None, after: str | None = None, last: int | None = None,
        before: str | None = None,
    ) -> Annotated[PlanChangeRequestConnection, strawberry.lazy("graph.servicing.plan_changes")]:
        from graph.servicing.plan_changes import (
            NEWEST_FIRST,
            PlanChangeRequestConnection,
            PlanChangeRequestType,
            requests_query,
        )

        # This contract is already visible to the caller; its requests only to its customers.
        query = requests_query(self.id) if info.context.user.role == Role.CUSTOMER else requests_query(0)
        return await paginate(PlanChangeRequestConnection, query, NEWEST_FIRST, PlanChangeRequestType.from_model,
                              first=first, after=after, last=last, before=before)

    # -- loans -------------------------------------------------------------------------------

    @strawberry.field(description="The loan's amortization schedule from its terms (null on leases).")
    def amortization_schedule(self) -> list[AmortizationInstallmentType] | None:
        if not self.is_loan:
            return None
        return [AmortizationInstallmentType.from_finance(item) for item in loans.schedule(self.row)]

    @strawberry.field(description="Truth in Lending disclosures of the loan (null on leases).")
    def disclosure(self) -> LoanDisclosure | None:
        if not self.is_loan:
            return None
        figures = loans.disclosure(self.row)
        return LoanDisclosure(amount_financed=money(figures.amount_financed),
                              finance_charge=money(figures.finance_charge),
                              total_of_payments=money(figures.total_of_payments), apr=figures.apr)

    @strawberry.field(
        description=f"What pays the loan off if received on `goodThrough` (default today; from today up to "
        f"{loans.MAX_PAYOFF_DAYS} days ahead), and the per diem for each later day. Null on leases."
    )
    async def payoff_quote(self, info: Info, good_through: date | None = None) -> PayoffQuoteType | None:
        if not self.is_loan:
            return None
        today = info.context.services.clock.today()
        rows = await info.context.loaders.ledger.load(self.id)
        return PayoffQuoteType.from_finance(loans.payoff(self.row, rows, today, good_through))

    @strawberry.field(description="The vehicle's coverage: its factory warranty (basic and powertrain, from the "
                      "make's terms) and every coverage product on this contract, each with its status, end date and "
                      "mileage, and what remains from the latest odometer reading.")
    async def coverages(self, info: Info) -> list[Annotated[CoverageStatusType, strawberry.lazy("graph.coverage.types")]]:
        from graph.coverage.types import contract_coverages

        return await contract_coverages(info, self.row)

    # -- leases ------------------------------------------------------------------------------

    @strawberry.field(
        description="The lease's Regulation M figures, mileage (odometer readings and projection) and end-of-term "
        "options (null on loans)."
    )
    def lease_details(self) -> LeaseDetails | None:
        return None if self.is_loan else LeaseDetails(row=self.row)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        return await visible_nodes(contracts_visible_to(info.context.user), node_ids, cls.from_model, required)

    @strawberry.field(description=DOCUMENTS_DESCRIPTION)
    async def documents(
        self, info: Info, kind: DocumentKindEnum | None = None, first: int | None = None,  # type: ignore[valid-type]
        after: str | None = None, last: int | None = None, before: str | None = None,
    ) -> DocumentConnection:
        return await contract_documents(info, self.id, kind, first=first, after=after, last=last, before=before)

    @strawberry.field(
        description="Payments made on this contract (one-time and autopay), newest first, optionally filtered by "
        f"status and scheduled date. {PAGE_ARGS_DESCRIPTION}"
    )
    async def payments(
        self, info: Info, filter: PaymentFilter | None = None, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> PaymentConnection:
        # This contract is already visible to the caller; its payments only to its customers.
        query = contract_payments(self.id, filter) if info.context.user.role == Role.CUSTOMER \
            else contract_payments(0, None).filter(id__in=[])
        return await paginate(PaymentConnection, query, PAYMENT_ORDER, PaymentType.from_model, first=first,
                              after=after, last=last, before=before)

    @strawberry.field(description="Amount choices for the pay screen today (see makePayment's `amount`).")
    async def payment_options(self, info: Info) -> PaymentOptionsType:
        state = await self.figures(info)
        return PaymentOptionsType.from_options(options_from_state(state))


@strawberry.type(name="ContractConnection", description="A page of contracts, newest first.")
class ContractConnection(CountedConnection[ContractType]):
    pass


@strawberry.type(name="Customer", description="A borrower or lessee. Sensitive values are shown masked.")
class CustomerType(relay.Node):
    id: relay.NodeID[int]
    first_name: str = strawberry.field(description="Given name.")
    last_name: str = strawberry.field(description="Family name.")
    masked_email: str = strawberry.field(description="Email address with most of the local part hidden.")
    masked_phone: str = strawberry.field(description="Phone on file with all but the last four digits hidden.")
    ssn_last4: str = strawberry.field(description="Last four digits of the SSN. The full SSN is never returned.")
    city: str = strawberry.field(description="City of the mailing address.")
    state: str = strawberry.field(description="Two-letter state code of the mailing address.")

    @classmethod
    def from_model(cls, row: Customer) -> CustomerType:
        return cls(id=row.id, first_name=row.first_name, last_name=row.last_name,
                   masked_email=mask_email(row.email), masked_phone=mask_phone(row.phone),
                   ssn_last4=row.ssn_last4, city=row.city, state=row.state)

    @strawberry.field(description=f"Contracts this customer holds or co-signed. {PAGE_ARGS_DESCRIPTION}")
    async def contracts(
        self, info: Info, first: int | None = None, after: str | None = None, last: int | None = None,
        before: str | None = None,
    ) -> ContractConnection:
        user = info.context.user
        held = await info.context.loaders.customer_contracts.load(self.id)
        mine = [contract for contract in held if contract_visible(user, contract)]
        return paginate_rows(ContractConnection, mine, CONTRACT_ORDER, ContractType.from_model,
                             first=first, after=after, last=last, before=before)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        return await visible_nodes(customers_visible_to(info.context.user), node_ids, cls.from_model, required)
