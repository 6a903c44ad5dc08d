"""Builders for the decisioning and underwriting tests: submitted applications as model rows on the
"standard deal" the sandbox bureau documents (gateways/bureau_sandbox.py), decided in a transaction."""

from __future__ import annotations

import itertools
from decimal import Decimal

from strawberry import relay
from tortoise.transactions import in_transaction

from auth.sessions import start_session
from models import Applicant, ApplicationDecision, CreditApplication, Dealership, User
from models.enums import (
    ApplicantRole,
    ApplicationStatus,
    ContractKind,
    HousingStatus,
    Role,
    SessionKind,
    VehicleCondition,
)
from resolvers.origination.decisioning import decide_submitted
from tests import factories

D = Decimal
_numbers = itertools.count(1)

# The sandbox's test SSNs (gateways/bureau_sandbox.py).
EXCELLENT, GOOD, NEAR_PRIME, BORDERLINE, SUBPRIME = "500100780", "500100720", "500100650", "500100610", "500100540"
HIGH_DEBT, THIN_FILE, FROZEN, FRAUD_ALERT, UNAVAILABLE = ("500100004", "500100001", "500100002", "500100003",
                                                          "500100005")

# The standard deal: 29,500.00 financed over 60 months on a new vehicle worth 31,000.00.
STANDARD_DEAL = dict(
    product=ContractKind.LOAN, vin="1HGCM82633A004352", vehicle_year=2026, vehicle_make="Honda",
    vehicle_model="Accord", vehicle_condition=VehicleCondition.NEW, vehicle_mileage=12,
    vehicle_value=D("31000.00"), cash_price=D("30000.00"), fees=D("500.00"), taxes=D("2000.00"),
    cash_down=D("3000.00"), term_months=60, requested_apr=D("6.9000"),
)
STANDARD_APPLICANT = dict(employer="Contoso", occupation="Engineer", months_employed=36,
                          monthly_income=D("6000.00"), housing_status=HousingStatus.RENT,
                          housing_payment=D("1200.00"))


def gid(type_name: str, row_id: int) -> str:
    return str(relay.GlobalID(type_name, str(row_id)))


async def sign_in(client, services, user: User) -> None:
    """A bearer session made directly (staff sign-in with MFA is tested elsewhere)."""
    issued = await start_session(user, kind=SessionKind.BEARER, clock=services.clock, settings=services.settings,
                                 ip="127.0.0.1", user_agent="test")
    client.token = issued.token


async def dealer_with_user(services, username: str, role: Role = Role.DEALER_USER) -> tuple[Dealership, User]:
    dealership = await factories.dealership()
    user = await factories.user(services, username, role, dealership=dealership)
    return dealership, user


async def submitted_application(services, dealership: Dealership, creator: User, ssn: str, *,
                                co_ssn: str | None = None, applicant: dict | None = None, **deal) -> CreditApplication:
    """A SUBMITTED application (not yet decided; `status=` says otherwise) with one applicant (and a
    co-applicant with co_ssn) on the standard deal (`deal` overrides its fields)."""
    now = services.clock.now()
    values = {**STANDARD_DEAL, "status": ApplicationStatus.SUBMITTED, "submitted_at": now, **deal}
    application = await CreditApplication.create(number=f"A{next(_numbers):07d}", dealership=dealership,
                                                 created_by=creator, created_at=now, updated_at=now, **values)
    for role, number in ((ApplicantRole.APPLICANT, ssn), (ApplicantRole.CO_APPLICANT, co_ssn)):
        if number is None:
            continue
        customer = await factories.customer(services, ssn=number)
        await Applicant.create(application=application, customer=customer, role=role, credit_consent_at=now,
                               credit_consent_ip="127.0.0.1", **{**STANDARD_APPLICANT, **(applicant or {})})
    return application


async def decide(services, application: CreditApplication) -> ApplicationDecision:
    async with in_transaction() as connection:
        decision = await decide_submitted(services, application, using_db=connection)
    await application.refresh_from_db()
    return decision


async def decided(services, dealership: Dealership, creator: User, ssn: str, **kwargs) -> tuple[CreditApplication,
                                                                                               ApplicationDecision]:
    application = await submitted_application(services, dealership, creator, ssn, **kwargs)
    return application, await decide(services, application)
