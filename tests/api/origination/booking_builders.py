"""Builders for funding and webhook tests: an approved application with its decision and a
COMPLETED envelope, made as rows directly (the flows that make them are tested elsewhere)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from tortoise.transactions import in_transaction

from models import (
    Applicant,
    ApplicationDecision,
    CreditApplication,
    Customer,
    Dealership,
    Envelope,
    User,
)
from models.enums import (
    ApplicantRole,
    ApplicationStatus,
    ContractKind,
    DecisionOutcome,
    EnvelopeStatus,
    Role,
    VehicleCondition,
)
from resolvers.origination.funding import book_from_envelope
from tests import factories

D = Decimal
_seq = itertools.count(1)


@dataclass
class Deal:
    application: CreditApplication
    decision: ApplicationDecision
    envelope: Envelope
    customer: Customer
    co_customer: Customer | None
    dealer_user: User


LOAN_DEAL = dict(product=ContractKind.LOAN, cash_price=D("30000.00"), fees=D("500.00"), taxes=D("2000.00"),
                 cash_down=D("3000.00"), trade_in_value=D("5000.00"), trade_in_payoff=D("500.00"),
                 term_months=60, requested_apr=D("6.9000"))
# finance-notes.md worked example 2: gross 38,000.00 (price 37,500 + fees 500), reduction 2,000.00,
# residual 23,200.00, money factor 0.00125, 36 months, 7 % tax -> 459.63 a month.
LEASE_DEAL = dict(product=ContractKind.LEASE, cash_price=D("37500.00"), fees=D("500.00"), taxes=D("0.00"),
                  cash_down=D("2000.00"), trade_in_value=D("0.00"), trade_in_payoff=D("0.00"), term_months=36,
                  money_factor=D("0.001250"), residual_value=D("23200.00"),
                  annual_mileage=12000, sales_tax_rate=D("0.0700"))


async def dealer_user(services, dealership: Dealership, role: Role = Role.DEALER_USER) -> User:
    return await factories.user(services, f"dealer{next(_seq)}", role, dealership=dealership)


async def approved_deal(services, dealership: Dealership | None = None, *, customer: Customer | None = None,
                        co_customer: Customer | None = None, approved_apr: Decimal | None = D("6.9000"),
                        approved_amount: Decimal | None = D("40000.00"), vin: str | None = None,
                        envelope_status: EnvelopeStatus = EnvelopeStatus.COMPLETED, **deal) -> Deal:
    """A CONTRACTED application (loan by default), its approving decision and its envelope."""
    dealership = dealership or await factories.dealership()
    user = await dealer_user(services, dealership)
    customer = customer or await factories.customer(services)
    now = services.clock.now()
    n = next(_seq)
    values = dict(LOAN_DEAL)
    values.update(deal)
    application = await CreditApplication.create(
        number=f"A{n:07d}", dealership=dealership, created_by=user, status=ApplicationStatus.CONTRACTED,
        vin=vin or f"5YJ3E1EB5RF{n:06d}", vehicle_year=2025, vehicle_make="Toyota", vehicle_model="Camry",
        vehicle_trim="SE", vehicle_condition=VehicleCondition.NEW, vehicle_mileage=12, vehicle_value=D("32000.00"),
        submitted_at=now - timedelta(days=2), created_at=now - timedelta(days=3), updated_at=now, **values,
    )
    await Applicant.create(application=application, customer=customer, role=ApplicantRole.APPLICANT,
                           monthly_income=D("7000.00"), credit_consent_at=now)
    if co_customer is not None:
        await Applicant.create(application=application, customer=co_customer, role=ApplicantRole.CO_APPLICANT,
                               monthly_income=D("4000.00"), credit_consent_at=now)
    lease = values["product"] == ContractKind.LEASE
    decision = await ApplicationDecision.create(
        application=application, outcome=DecisionOutcome.APPROVED, rate_tier="A",
        approved_apr=None if lease else approved_apr,
        approved_money_factor=values.get("money_factor") if lease else None,
        approved_term_months=values["term_months"], approved_amount=approved_amount,
        created_at=now - timedelta(days=2),
    )
    envelope = await Envelope.create(
        application=application, status=envelope_status, created_by=user, created_at=now - timedelta(days=1),
        expires_at=now + timedelta(days=29),
        completed_at=now if envelope_status == EnvelopeStatus.COMPLETED else None,
    )
    return Deal(application, decision, envelope, customer, co_customer, user)


async def book(services, envelope):
    """Book the envelope in its own transaction, as the e-signature completion does."""
    async with in_transaction() as connection:
        return await book_from_envelope(services, envelope, using_db=connection)
