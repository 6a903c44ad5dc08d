"""Funding: a completed envelope on an approved application books the servicing contract.

`book_from_envelope` runs in the caller's transaction (the e-signature completion) and happens
exactly once per application: the application row is locked (`select_for_update`) and the
Funding is looked for again under the lock, so a completion processed twice, or two at the same
moment, get the same Funding and one Contract. The one-to-one columns of `fundings` back this up.

What it books: the Vehicle (reused when its VIN is already known and no ACTIVE contract uses it),
the Contract with the terms that were signed (resolvers/esign/terms.py computes them for the
document and here alike: amount financed or Regulation M figures from the deal structure, the latest
approving decision's APR or money factor and term, the standard servicing fees; a structure over the
approved amount is refused, not capped), for a lease its odometer at signing, and the Funding, the
amount paid to the dealer. The application becomes FUNDED and dealer systems hear of it
("application.status_changed"). The customers are then told: one with a login gets an in-portal
notification and an email; one without is mailed a registration link.

Real funding would go through the bank (an ACH or wire to the dealership, confirmed later); there
is no bank here, so the Funding is FUNDED at once with `funded_at` now. PENDING is kept in the
model for that later step.
"""

from __future__ import annotations

import logging
from datetime import timezone

from tortoise.backends.base.client import BaseDBAsyncClient

from auth import audit
from mail import notify as mail
from models import (
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
    ApplicationStatus,
    ContractKind,
    ContractStatus,
    DecisionOutcome,
    EnvelopeStatus,
    FundingStatus,
    NotificationCategory,
    OdometerSource,
)
from resolvers.coverage.add_ons import coverages_from_add_ons
from resolvers.errors import ErrorCode, Problem
from resolvers.esign.terms import ContractTerms, DealParties, contract_terms, load_parties
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


class BookingError(Exception):
    """The envelope cannot be booked (a data problem, not a race): the caller's transaction should
    roll back and someone must look. `problem` says what, for the caller to report."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _conflict(message: str) -> BookingError:
    return BookingError(Problem(ErrorCode.CONFLICT, message))


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
    terms, parties = await _terms(application, decision, envelope, using_db)
    customer, co_customer = parties.applicant, parties.co_applicant
    vehicle = await _vehicle(application, using_db)
    now = services.clock.now()
    contract = await Contract.create(
        using_db=using_db, number=await new_contract_number(using_db=using_db), kind=terms.kind,
        status=ContractStatus.ACTIVE, customer=customer, co_customer=co_customer, vehicle=vehicle,
        dealership_id=application.dealership_id, contract_date=terms.contract_date,
        first_payment_date=terms.first_payment_date, maturity_date=terms.maturity_date,
        term_months=terms.term_months, amount_financed=terms.amount_financed,
        scheduled_payment=terms.scheduled_payment, late_fee=terms.late_fee,
        returned_payment_fee=terms.returned_payment_fee, grace_days=terms.grace_days, created_at=now,
        **_kind_columns(terms),
    )
    if contract.kind == ContractKind.LEASE:
        # Mileage counts from here, not from the vehicle row's odometer (a reused VIN has an old one).
        await OdometerReading.create(using_db=using_db, contract=contract, read_on=terms.contract_date,
                                     miles=application.vehicle_mileage, source=OdometerSource.ORIGINATION,
                                     created_at=now)
    # Coverage products sold with the deal (resolvers/coverage/add_ons.py), from the odometer at origination.
    await coverages_from_add_ons(services, application, contract, start_odometer=application.vehicle_mileage,
                                 using_db=using_db)
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


async def _terms(application: CreditApplication, decision: ApplicationDecision, envelope: Envelope,
                 using_db) -> tuple[ContractTerms, DealParties]:
    """The terms of the contract that was signed: the e-signature module's own computation
    (resolvers/esign/terms.py) on the same application, decision and contract date (the day the
    envelope was sent, printed on the document), so what is booked is exactly what was signed. A
    structure now over the approved amount is refused there, never silently capped."""
    parties = await load_parties(application, using_db)
    if parties is None:
        raise _conflict("The application has no applicant.")
    contract_date = envelope.created_at.astimezone(timezone.utc).date()
    terms = contract_terms(application, decision, parties, contract_date)
    if isinstance(terms, Problem):
        raise _conflict(f"The signed terms cannot be booked: {terms.message}")
    return terms, parties


def _kind_columns(terms: ContractTerms) -> dict:
    if terms.kind == ContractKind.LOAN:
        return {"apr": terms.apr}
    return dict(gross_cap_cost=terms.gross_cap_cost, cap_cost_reduction=terms.cap_cost_reduction,
                residual_value=terms.residual_value, money_factor=terms.money_factor,
                sales_tax_rate=terms.sales_tax_rate, annual_mileage_allowance=terms.annual_mileage_allowance,
                excess_mileage_rate=terms.excess_mileage_rate, purchase_option_fee=terms.purchase_option_fee,
                disposition_fee=terms.disposition_fee)


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
            services, user=user, category=NotificationCategory.NEW_CONTRACTS, required=True,
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
