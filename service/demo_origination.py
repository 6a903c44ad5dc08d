"""Demo applications at Sunrise Motors, made through the same rules a dealer's requests go through
(onboarding, application, consent, submission and decisioning with the sandbox credit bureau), so
each demo login has something to work on:

- `underwriter`: Maria Lopez's loan application, REFERRED (the bureau's borderline test SSN);
- `dealer`: James Chen's application, APPROVED and ready for `sendContractForSignature`, and
  Priya Patel's lease application, still a DRAFT to edit and submit.

The applicants use the sandbox bureau's documented test SSNs (gateways/bureau_sandbox.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from auth.audit import Origin
from models import User
from models.enums import ApplicantRole, ContractKind, IdDocumentType, VehicleCondition
from resolvers.origination import applications, customers
from resolvers.origination.applications import ApplicantDetails, VehicleDetails
from resolvers.origination.quotes import DealTerms
from service.container import Services

ORIGIN = Origin(ip="127.0.0.1", user_agent="autofin seed-demo")
D = Decimal


@dataclass(frozen=True)
class DemoApplicant:
    first: str
    last: str
    ssn: str
    born: date
    vehicle: VehicleDetails
    deal: DealTerms
    submit: bool


LOAN = DealTerms(product=ContractKind.LOAN, cash_price=D("30000.00"), fees=D("500.00"), taxes=D("2000.00"),
                 cash_down=D("3000.00"), term_months=60, requested_apr=D("6.90"))
LEASE = DealTerms(product=ContractKind.LEASE, cash_price=D("36000.00"), fees=D("695.00"), cash_down=D("2000.00"),
                  term_months=36, money_factor=D("0.00125"), residual_value=D("21600.00"), annual_mileage=12000,
                  sales_tax_rate=D("0.0825"))
APPLICANTS = (
    DemoApplicant("Maria", "Lopez", "500100610", date(1990, 5, 17),
                  VehicleDetails(vin="1HGCM82633A004352", year=2026, make="Honda", model="Accord", trim="EX",
                                 condition=VehicleCondition.NEW, value=D("31000.00"), mileage=12), LOAN, True),
    DemoApplicant("James", "Chen", "500100780", date(1984, 9, 3),
                  VehicleDetails(vin="1M8GDM9AXKP042788", year=2025, make="Toyota", model="Camry", trim="XSE",
                                 condition=VehicleCondition.USED, value=D("31500.00"), mileage=8200), LOAN, True),
    DemoApplicant("Priya", "Patel", "500100720", date(1993, 2, 24),
                  VehicleDetails(vin="5YJ3E1EA2KF317000", year=2026, make="Tesla", model="Model 3",
                                 condition=VehicleCondition.NEW, value=D("42000.00")), LEASE, False),
)


class DemoOriginationError(RuntimeError):
    """A demo application did not go through the rules (the demo plan and the rules disagree)."""


def _check(outcome, what: str):
    if outcome.problems:
        raise DemoOriginationError(f"{what}: {[p.message for p in outcome.problems]}")
    return outcome


async def seed_origination(services: Services, *, progress: Callable[[str], None] = print) -> int:
    """Make the demo applications; returns how many. Runs after the main demo seed (needs `dealer`)."""
    dealer = await User.get(username="dealer")
    for number, person in enumerate(APPLICANTS, 1):
        await _application(services, dealer, person)
        progress(f"applications {number}/{len(APPLICANTS)}")
    return len(APPLICANTS)


async def _application(services: Services, dealer: User, person: DemoApplicant) -> None:
    email = f"{person.first.lower()}.{person.last.lower()}@example.com"
    details = customers.NewCustomer(
        first_name=person.first, last_name=person.last, date_of_birth=person.born, ssn=person.ssn, email=email,
        phone="5125550142", address_line1="12 Oak Street", address_line2="", city="Austin", state="TX",
        postal_code="78701")
    onboarding = _check(await customers.onboard_new(services, dealer=dealer, origin=ORIGIN, details=details),
                        "onboard").onboarding
    customer_id = onboarding.customer_id
    _check(await customers.verify_identity(services, dealer=dealer, origin=ORIGIN, customer_id=customer_id,
                                           document_type=IdDocumentType.DRIVERS_LICENSE, document_last4="4821"),
           "verify identity")
    _check(await customers.confirm_contact(services, dealer=dealer, origin=ORIGIN, customer_id=customer_id,
                                           email=None, phone=None), "confirm contact")
    applicant = ApplicantDetails(customer_id=customer_id, monthly_income=D("6000.00"), employer="Austin Energy",
                                 occupation="Analyst", months_employed=36, housing_payment=D("1200.00"))
    created = _check(await applications.create_application(
        services, dealer=dealer, origin=ORIGIN, applicant=applicant, co_applicant=None, vehicle=person.vehicle,
        deal=person.deal), "create application").application
    _check(await applications.record_credit_consent(services, dealer=dealer, origin=ORIGIN,
                                                    application_id=created.id, role=ApplicantRole.APPLICANT),
           "consent")
    if person.submit:
        _check(await applications.submit_application(services, dealer=dealer, origin=ORIGIN,
                                                     application_id=created.id), "submit")
