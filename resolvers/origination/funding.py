"""Funding: a completed envelope on an approved application books the servicing contract.

`book_from_envelope` runs in the caller's transaction (the e-signature completion) and happens
exactly once per application: the application row is locked (`select_for_update`) and the
Funding is looked for again under the lock, so a completion processed twice, or two at the same
moment, get the same Funding and one Contract. The one-to-one columns of `fundings` back this up.

What it books: the Vehicle (reused when its VIN is already known and no ACTIVE contract uses it),
the Contract with the approved terms (loan: amount financed from the deal structure capped by the
approved amount, the approved APR and term, the level payment; lease: the Regulation M figures),
and the Funding, the amount paid to the dealer. The application becomes FUNDED and dealer systems
hear of it ("application.status_changed"). The customers are then told: one with a login gets an
in-portal notification and an email; one without is mailed a registration link.

Real funding would go through the bank (an ACH or wire to the dealership, confirmed later); there
is no bank here, so the Funding is FUNDED at once with `funded_at` now. PENDING is kept in the
model for that later step.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tortoise.backends.base.client import BaseDBAsyncClient

from auth import audit
from finance.deal import DealStructure, lease_cap_cost, loan_amount_financed
from finance.lease import lease_payment
from finance.loan import add_months, amortization_schedule
from finance.money import ZERO
from mail import notify as mail
from models import (
    Applicant,
    ApplicationDecision,
    Contract,
    CreditApplication,
    Customer,
    Envelope,
    Funding,
    OdometerReading,
    User,
    Vehicle,
)
from models.enums import (
    ApplicantRole,
    ApplicationStatus,
    ContractKind,
    ContractStatus,
    DecisionOutcome,
    EnvelopeStatus,
    FundingStatus,
    NotificationCategory,
    OdometerSource,
)
from resolvers.errors import ErrorCode, Problem
from resolvers.identity.account_inputs import email_problem
from resolvers.identity.registration import send_registration_link
from resolvers.notifications import notify
from resolvers.origination.contract_numbers import new_contract_number
from resolvers.webhooks.events import APPLICATION_STATUS_CHANGED, application_status_data, emit
from service.container import Services

log = logging.getLogger("autofin.origination.funding")

APPROVING = frozenset({DecisionOutcome.APPROVED, DecisionOutcome.APPROVED_WITH_CONDITIONS})
# Statuses an application may be booked from: CONTRACTED (sent for signature) normally; the approved
# ones too, in case the signature completes on an application whose status was not moved on.
BOOKABLE = frozenset({ApplicationStatus.CONTRACTED, ApplicationStatus.APPROVED,
                      ApplicationStatus.APPROVED_WITH_CONDITIONS})

# Servicing terms of every new contract, as on the contracts serviced today (service/demo_data.py).
LATE_FEE = Decimal("25.00")
RETURNED_PAYMENT_FEE = Decimal("25.00")
EXCESS_MILEAGE_RATE = Decimal("0.25")  # per mile over the allowance (leases)
PURCHASE_OPTION_FEE = Decimal("350.00")  # leases
DISPOSITION_FEE = Decimal("395.00")  # leases
LAST_DUE_DAY = 28  # due dates stay on a day every month has


class BookingError(Exception):
    """The envelope cannot be booked (a data problem, not a race): the caller's transaction should
    roll back and someone must look. `problem` says what, for the caller to report."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _conflict(message: str) -> BookingError:
    return BookingError(Problem(ErrorCode.CONFLICT, message))


@dataclass(frozen=True)
class Terms:
    """The figures of the contract being booked, and the amount paid to the dealer."""

    kind: ContractKind
    contract_date: date
    first_payment_date: date
    maturity_date: date
    term_months: int
    amount_financed: Decimal
    scheduled_payment: Decimal
    fields: dict  # the kind's own Contract columns


async def book_from_envelope(services: Services, envelope: Envelope, *, using_db: BaseDBAsyncClient) -> Funding:
    """Book the contract of a COMPLETED envelope exactly once (a second call returns the same Funding).
    Raises BookingError when the envelope or application cannot be booked."""
    if envelope.status != EnvelopeStatus.COMPLETED:
        raise _conflict("Only a completed envelope books a contract.")
    existing = await _funding_of(envelope.application_id, using_db)
    if existing is not None:
        return existing
    application = await (CreditApplication.filter(id=envelope.application_id).select_for_update()
                         .using_db(using_db).get())
    # Again under the lock: a booking that committed while we waited for it is the answer.
    existing = await _funding_of(application.id, using_db)
    if existing is not None:
        return existing
    if application.status not in BOOKABLE:
        raise _conflict(f"An application that is {application.status.value} cannot be booked.")
    decision = await _approving_decision(application, using_db)
    customer, co_customer = await _parties(application, using_db)
    terms = _terms(application, decision, services.clock.today())
    vehicle = await _vehicle(application, using_db)
    now = services.clock.now()
    contract = await Contract.create(
        using_db=using_db, number=await new_contract_number(using_db=using_db), kind=terms.kind,
        status=ContractStatus.ACTIVE, customer=customer, co_customer=co_customer, vehicle=vehicle,
        dealership_id=application.dealership_id, contract_date=terms.contract_date,
        first_payment_date=terms.first_payment_date, maturity_date=terms.maturity_date,
        term_months=terms.term_months, amount_financed=terms.amount_financed,
        scheduled_payment=terms.scheduled_payment, late_fee=LATE_FEE, returned_payment_fee=RETURNED_PAYMENT_FEE,
        created_at=now, **terms.fields,
    )
    if contract.kind == ContractKind.LEASE:
        # Mileage counts from here, not from the vehicle row's odometer (a reused VIN has an old one).
        await OdometerReading.create(using_db=using_db, contract=contract, read_on=terms.contract_date,
                                     miles=application.vehicle_mileage, source=OdometerSource.ORIGINATION,
                                     created_at=now)
    funding = await Funding.create(
        using_db=using_db, application=application, envelope=envelope, contract=contract,
        dealership_id=application.dealership_id, amount=terms.amount_financed, status=FundingStatus.FUNDED,
        created_at=now, funded_at=now,
    )
    application.status = ApplicationStatus.FUNDED
    application.updated_at = now
    await application.save(using_db=using_db, update_fields=["status", "updated_at"])
    await emit(services, dealership_id=application.dealership_id, event_type=APPLICATION_STATUS_CHANGED,
               data=application_status_data(application, decision.outcome), using_db=using_db)
    await audit.record("application.funded", clock=services.clock, using_db=using_db, details={
        "application_id": application.id, "envelope_id": envelope.id, "contract_id": contract.id,
        "funding_id": funding.id, "amount": str(funding.amount), "dealership_id": application.dealership_id,
    })
    for party in (customer, co_customer):
        if party is not None:
            await _tell(services, party, contract, vehicle, using_db)
    return funding


async def _funding_of(application_id: int, using_db) -> Funding | None:
    return await Funding.filter(application_id=application_id).using_db(using_db).first()


async def _approving_decision(application: CreditApplication, using_db) -> ApplicationDecision:
    """The latest decision, which must approve: a later referral or decline stops the booking."""
    decision = await (ApplicationDecision.filter(application_id=application.id).order_by("-id")
                      .using_db(using_db).first())
    if decision is None or decision.outcome not in APPROVING:
        raise _conflict("The application's latest decision does not approve it.")
    return decision


async def _parties(application: CreditApplication, using_db) -> tuple[Customer, Customer | None]:
    applicants = {a.role: a for a in await Applicant.filter(application_id=application.id).using_db(using_db)}
    if ApplicantRole.APPLICANT not in applicants:
        raise _conflict("The application has no applicant.")
    ids = [a.customer_id for a in applicants.values()]
    customers = {c.id: c for c in await Customer.filter(id__in=ids).using_db(using_db)}
    co = applicants.get(ApplicantRole.CO_APPLICANT)
    return customers[applicants[ApplicantRole.APPLICANT].customer_id], customers[co.customer_id] if co else None


def _first_payment_date(application: CreditApplication, contract_date: date) -> date:
    """The application's date when it is still ahead; otherwise one month after signing, on a day
    every month has (lenders avoid due dates that move)."""
    if application.first_payment_date is not None and application.first_payment_date > contract_date:
        return application.first_payment_date
    first = add_months(contract_date, 1)
    return first.replace(day=min(first.day, LAST_DUE_DAY))


def _deal(application: CreditApplication) -> DealStructure:
    return DealStructure(cash_price=application.cash_price, fees=application.fees, taxes=application.taxes,
                         cash_down=application.cash_down, trade_in_value=application.trade_in_value,
                         trade_in_payoff=application.trade_in_payoff)


def _terms(application: CreditApplication, decision: ApplicationDecision, contract_date: date) -> Terms:
    try:
        if application.product == ContractKind.LEASE:
            return _lease_terms(application, decision, contract_date)
        return _loan_terms(application, decision, contract_date)
    except ValueError as exc:  # finance/ refuses inconsistent figures (MoneyError is a ValueError)
        raise _conflict(f"The approved terms cannot be booked: {exc}.") from exc


def _loan_terms(application: CreditApplication, decision: ApplicationDecision, contract_date: date) -> Terms:
    apr = decision.approved_apr if decision.approved_apr is not None else application.requested_apr
    if apr is None:
        raise ValueError("no APR was approved")
    term = decision.approved_term_months or application.term_months
    financed = loan_amount_financed(_deal(application), decision.approved_amount)
    first = _first_payment_date(application, contract_date)
    schedule = amortization_schedule(financed, apr, term, first)
    return Terms(kind=ContractKind.LOAN, contract_date=contract_date, first_payment_date=first,
                 maturity_date=schedule[-1].due_date, term_months=term, amount_financed=financed,
                 scheduled_payment=schedule[0].payment, fields={"apr": apr})


def _lease_terms(application: CreditApplication, decision: ApplicationDecision, contract_date: date) -> Terms:
    factor = (decision.approved_money_factor if decision.approved_money_factor is not None
              else application.money_factor)
    if factor is None or application.residual_value is None or not application.annual_mileage:
        raise ValueError("a lease needs a money factor, a residual value and an annual mileage")
    term = decision.approved_term_months or application.term_months
    cap = lease_cap_cost(_deal(application))
    if decision.approved_amount is not None and cap.adjusted_cap_cost > decision.approved_amount:
        # Unlike a loan, a lease's cap cost cannot be cut without changing the signed payment.
        raise ValueError(f"the adjusted cap cost {cap.adjusted_cap_cost} exceeds the approved "
                         f"{decision.approved_amount}")
    tax_rate = application.sales_tax_rate if application.sales_tax_rate is not None else ZERO
    figures = lease_payment(cap.gross_cap_cost, cap.cap_cost_reduction, application.residual_value, factor, term,
                            tax_rate)
    first = _first_payment_date(application, contract_date)
    return Terms(
        kind=ContractKind.LEASE, contract_date=contract_date, first_payment_date=first,
        maturity_date=add_months(first, term - 1), term_months=term, amount_financed=figures.adjusted_cap_cost,
        scheduled_payment=figures.monthly_payment,
        fields=dict(gross_cap_cost=cap.gross_cap_cost, cap_cost_reduction=cap.cap_cost_reduction,
                    residual_value=application.residual_value, money_factor=factor, sales_tax_rate=tax_rate,
                    annual_mileage_allowance=application.annual_mileage, excess_mileage_rate=EXCESS_MILEAGE_RATE,
                    purchase_option_fee=PURCHASE_OPTION_FEE, disposition_fee=DISPOSITION_FEE),
    )


async def _vehicle(application: CreditApplication, using_db) -> Vehicle:
    """The vehicle row for the VIN: a known VIN is reused (a car coming back, e.g. a lease return
    sold used) unless an ACTIVE contract still finances it, which is a data problem to look at."""
    vin = application.vin.upper()
    known = await Vehicle.filter(vin=vin).using_db(using_db).first()
    if known is None:
        return await Vehicle.create(
            using_db=using_db, vin=vin, year=application.vehicle_year, make=application.vehicle_make,
            model=application.vehicle_model, trim=application.vehicle_trim, condition=application.vehicle_condition,
            msrp=application.vehicle_value, odometer_at_sale=application.vehicle_mileage,
        )
    if await Contract.filter(vehicle_id=known.id, status=ContractStatus.ACTIVE).using_db(using_db).exists():
        raise _conflict(f"Vehicle {vin} is still financed by an active contract.")
    return known


async def _tell(services: Services, customer: Customer, contract: Contract, vehicle: Vehicle, using_db) -> None:
    """A customer with a login sees the contract in their account (notification and email); one
    without is mailed a link to set up their login. A customer with no usable address is logged."""
    user = await User.filter(customer_id=customer.id).using_db(using_db).first()
    label = f"{vehicle.year} {vehicle.make} {vehicle.model}"
    kind = "lease" if contract.kind == ContractKind.LEASE else "loan"
    if user is not None and not user.is_active:
        return  # a disabled login: support knows the person; a registration link could not be used anyway
    if user is not None:
        await notify(
            services, user=user, category=NotificationCategory.PLAN_CHANGES, required=True,
            title=f"Your new {label} {kind} is in your account",
            body=f"Contract {contract.number} is booked. Your first payment of {contract.scheduled_payment} is due on "
                 f"{contract.first_payment_date.isoformat()}; see the full schedule in your account.",
            email_template="contract_booked",
            email_context={"first_name": customer.first_name, "link": mail.portal_link(services, "contracts")},
            using_db=using_db,
        )
        return
    if email_problem(customer.email):
        log.warning("booked contract: customer has no usable email", extra={"customer_id": customer.id})
        return
    await send_registration_link(services, customer, template="contract_booked_register", using_db=using_db, context={
        "vehicle": label, "kind": kind, "contract_number": contract.number,
        "payment": str(contract.scheduled_payment), "first_due": contract.first_payment_date.isoformat(),
    })
