"""Builders for the dealer-desk tests: signed-in dealer staff, onboarded customers and application
inputs (valid by default, overridable per section)."""

from __future__ import annotations

from datetime import date

from auth.sessions import start_session
from models import Customer, CustomerOnboarding, Dealership, User
from models.enums import IdDocumentType, Role, SessionKind
from tests import factories
from tests.api.servicing.builders import gid

VIN = "1HGCM82633A004352"  # a valid check digit ("3")
OTHER_VIN = "1M8GDM9AXKP042788"  # check digit X
ERRORS = "errors { code message field }"


async def sign_in(client, services, user: User) -> None:
    """A full bearer session made directly (staff MFA is login's business, tested there)."""
    issued = await start_session(user, kind=SessionKind.BEARER, clock=services.clock, settings=services.settings,
                                 ip="127.0.0.1", user_agent="test")
    client.token = issued.token


async def dealer(client, services, username: str = "dana", role: Role = Role.DEALER_USER,
                 dealership: Dealership | None = None) -> User:
    """A dealer user of `dealership` (a new one by default), signed in on `client`."""
    dealership = dealership or await factories.dealership(name="Sunrise Motors")
    user = await factories.user(services, username, role, dealership=dealership)
    await sign_in(client, services, user)
    return user


async def onboarded(services, user: User, *, verified: bool = True, ssn: str = "123456789",
                    **overrides) -> Customer:
    """A customer onboarded at `user`'s dealership (identity verified by default), made directly."""
    customer = await factories.customer(services, ssn=ssn, **overrides)
    now = services.clock.now()
    await CustomerOnboarding.create(
        customer=customer, dealership_id=user.dealership_id, created_by=user, created_at=now,
        id_document_type=IdDocumentType.DRIVERS_LICENSE if verified else None,
        id_document_last4="1234" if verified else "", identity_verified_by=user if verified else None,
        identity_verified_at=now if verified else None)
    return customer


def customer_gid(customer: Customer) -> str:
    return gid("Customer", customer.id)


def applicant(customer: Customer, **overrides) -> dict:
    return {"customerId": customer_gid(customer), "monthlyIncome": "6500.00", "employer": "Acme Corp",
            "occupation": "Engineer", "monthsEmployed": 48, "housingStatus": "RENT", "housingPayment": "1400.00",
            **overrides}


def vehicle(**overrides) -> dict:
    return {"vin": VIN, "year": 2026, "make": "Honda", "model": "Accord", "trim": "EX", "condition": "NEW",
            "mileage": 12, "value": "31000.00", **overrides}


def loan_deal(**overrides) -> dict:
    """finance-notes.md worked example 1: 5,000.00 financed at 12 % for 36 months."""
    return {"product": "LOAN", "cashPrice": "5000.00", "termMonths": 36, "requestedApr": "12", **overrides}


def lease_deal(**overrides) -> dict:
    """finance-notes.md worked example 2: 38,000.00 gross, 2,000.00 down, residual 23,200.00, MF 0.00125."""
    return {"product": "LEASE", "cashPrice": "38000.00", "cashDown": "2000.00", "termMonths": 36,
            "moneyFactor": "0.00125", "residualValue": "23200.00", "salesTaxRate": "0.07", "annualMileage": 12000,
            **overrides}


def codes(payload: dict) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


def today() -> date:
    return date(2026, 11, 2)


# The sandbox bureau's documented test SSNs (gateways/bureau_sandbox.py) and the "standard deal"
# its outcomes assume: 29,500.00 financed over 60 months, 6,000.00 a month of income.
APPROVED_SSN = "500100780"
DECLINED_SSN = "500100540"


def standard_deal(**overrides) -> dict:
    return {"product": "LOAN", "cashPrice": "30000.00", "fees": "500.00", "taxes": "2000.00", "cashDown": "3000.00",
            "termMonths": 60, "requestedApr": "6.9", **overrides}


def standard_applicant(customer: Customer, **overrides) -> dict:
    return applicant(customer, monthlyIncome="6000.00", housingPayment="1200.00", monthsEmployed=36, **overrides)
