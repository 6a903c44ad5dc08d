"""What an application is made of, in the schema: its applicants (masked SSN only) and its vehicle.
Thin: rows are shown as stored. Applicants of every application in a response load in one query."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from finance.vin import vin_is_valid
from graph import enums
from graph.scalars import Money, money
from graph.servicing.types import CustomerType
from models import Applicant, CreditApplication
from models import enums as model_enums

ApplicantRoleEnum = strawberry.enum(model_enums.ApplicantRole, name="ApplicantRole",
                                    description="APPLICANT: the main borrower or lessee. CO_APPLICANT: a second "
                                    "person who signs and is liable too.")
HousingStatusEnum = strawberry.enum(model_enums.HousingStatus, name="HousingStatus",
                                    description="OWN (a mortgage or owned outright), RENT, FAMILY (living with "
                                    "family) or OTHER.")


@strawberry.type(name="Applicant", description="A person on an application and what underwriting weighs. The SSN "
                 "is never shown: only its last four digits.")
class ApplicantType:
    role: ApplicantRoleEnum = strawberry.field(description="Applicant or co-applicant.")  # type: ignore[valid-type]
    customer: CustomerType = strawberry.field(description="The customer (names, masked contact details, SSN last 4).")
    ssn_last4: str = strawberry.field(description="Last four digits of the SSN.")
    employer: str = strawberry.field(description="Employer (empty when not given).")
    occupation: str = strawberry.field(description="Job title (empty when not given).")
    months_employed: int = strawberry.field(description="Months with the current employer.")
    monthly_income: Money = strawberry.field(description="Gross monthly income.")
    housing_status: HousingStatusEnum = strawberry.field(  # type: ignore[valid-type]
        description="Whether the applicant owns or rents their home.")
    housing_payment: Money = strawberry.field(description="Monthly rent or mortgage payment.")
    credit_consent_at: datetime | None = strawberry.field(description="When the applicant consented to a credit "
                                                          "inquiry; null until recorded.")
    credit_consent_ip: str | None = strawberry.field(description="The network address the consent was recorded "
                                                     "from; null until recorded.")

    @classmethod
    def from_model(cls, row: Applicant) -> ApplicantType:
        return cls(
            role=row.role, customer=CustomerType.from_model(row.customer), ssn_last4=row.customer.ssn_last4,
            employer=row.employer, occupation=row.occupation, months_employed=row.months_employed,
            monthly_income=money(row.monthly_income), housing_status=row.housing_status,
            housing_payment=money(row.housing_payment), credit_consent_at=row.credit_consent_at,
            credit_consent_ip=row.credit_consent_ip or None,
        )


@strawberry.type(name="ApplicationVehicle", description="The vehicle an application would finance or lease.")
class ApplicationVehicleType:
    vin: str = strawberry.field(description="Vehicle identification number (17 characters).")
    vin_check_digit_valid: bool = strawberry.field(description="Whether the VIN's check digit (9th character) "
                                                   "matches; submission needs it.")
    year: int = strawberry.field(description="Model year.")
    make: str = strawberry.field(description="Manufacturer.")
    model: str = strawberry.field(description="Model.")
    trim: str = strawberry.field(description="Trim level (empty when not given).")
    condition: enums.VehicleCondition = strawberry.field(description="NEW or USED.")  # type: ignore[valid-type]
    mileage: int = strawberry.field(description="Odometer reading.")
    value: Money = strawberry.field(description="MSRP (new) or book value (used).")

    @classmethod
    def from_model(cls, row: CreditApplication) -> ApplicationVehicleType:
        return cls(vin=row.vin, vin_check_digit_valid=vin_is_valid(row.vin), year=row.vehicle_year,
                   make=row.vehicle_make, model=row.vehicle_model, trim=row.vehicle_trim,
                   condition=row.vehicle_condition, mileage=row.vehicle_mileage, value=money(row.vehicle_value))


def _applicants_loader() -> DataLoader[int, list[Applicant]]:
    async def load(application_ids: Sequence[int]):
        grouped: dict[int, list[Applicant]] = defaultdict(list)
        rows = Applicant.filter(application_id__in=list(application_ids)).select_related("customer")
        for row in await rows.order_by("application_id", "role"):
            grouped[row.application_id].append(row)
        return [grouped.get(i, []) for i in application_ids]

    return DataLoader(load_fn=load)


async def applicants_of(info: Info, application_id: int) -> list[Applicant]:
    """The application's applicants (applicant first), one query for every application of the
    request. The caller has already established that the application is visible."""
    return await info.context.loaders.named("applicants_by_application", _applicants_loader).load(application_id)
