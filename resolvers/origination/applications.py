"""Financing applications at the dealer desk: draft, edit, consent, submit, withdraw, and the
dealership's pipeline.

Rules:
- The applicant (and the optional co-applicant, a different person) must be a customer the
  dealership onboarded with identity verified in person; a customer it never onboarded answers
  NOT_FOUND, one not yet verified INVALID.
- A DRAFT can be edited (each section given replaces that section); anything else is a CONFLICT.
  Replacing an applicant with another person drops the consent recorded for the previous one.
- Consent to a credit inquiry is recorded per applicant with the time and the request's IP
  (FCRA permissible purpose); submission needs every applicant's.
- Submission checks completeness (`submission_problems`, INVALID per field), sets SUBMITTED, then
  runs decisioning (resolvers/origination/decisioning.py) in the same transaction, so an
  application is never left submitted without a decision.
- Withdrawal: from any status before CONTRACTED that is not already final (DECLINED, WITHDRAWN).
- Numbers: "A" and 9 random digits, drawn again on the rare collision.

Each change runs in one transaction holding the application row (so an edit cannot slip past a
submission, nor a withdrawal past an underwriter's decision), is audited there, and each status
change queues an "application.status_changed" webhook there.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from auth import audit
from auth.audit import Origin
from finance.money import ZERO
from finance.vin import normalize_vin, vin_characters_problem, vin_is_valid
from models import Applicant, ApplicationDecision, CreditApplication, User
from models.enums import ApplicantRole, ApplicationStatus, ContractKind, HousingStatus, VehicleCondition
from resolvers.errors import ErrorCode, Problem
from resolvers.origination import decisioning
from resolvers.origination.customers import onboardings_of
from resolvers.origination.quotes import DealTerms, amount_problem, pricing_problems, shape_problems
from resolvers.origination.visibility import applications_visible_to
from resolvers.webhooks.events import APPLICATION_STATUS_CHANGED, application_status_data, emit
from service.container import Services

NUMBER_PREFIX, NUMBER_DIGITS, NUMBER_ATTEMPTS = "A", 9, 5
FIRST_VIN_YEAR = 1981  # 17-character VINs with a check digit since model year 1981
MAX_MILEAGE, MAX_MONTHS_EMPLOYED, MAX_REASON = 2_000_000, 1200, 255
TEXT_LIMITS = {"employer": 128, "occupation": 64, "make": 32, "model": 48, "trim": 48}
WITHDRAWABLE = frozenset({
    ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED, ApplicationStatus.APPROVED,
    ApplicationStatus.APPROVED_WITH_CONDITIONS, ApplicationStatus.COUNTER_OFFERED, ApplicationStatus.REFERRED,
    ApplicationStatus.DOCUMENTS_REQUESTED,
})
ROLE_FIELD = {ApplicantRole.APPLICANT: "applicant", ApplicantRole.CO_APPLICANT: "coApplicant"}

APPLICATION_NOT_FOUND = Problem(ErrorCode.NOT_FOUND, "No application of your dealership has that id.",
                                ("applicationId",))


@dataclass(frozen=True)
class ApplicantDetails:
    customer_id: int | None
    monthly_income: Decimal
    employer: str = ""
    occupation: str = ""
    months_employed: int = 0
    housing_status: HousingStatus = HousingStatus.RENT
    housing_payment: Decimal = ZERO


@dataclass(frozen=True)
class VehicleDetails:
    vin: str
    year: int
    make: str
    model: str
    condition: VehicleCondition
    value: Decimal  # MSRP when new, book value when used
    trim: str = ""
    mileage: int = 0

    def stored(self) -> dict:
        return {"vin": normalize_vin(self.vin), "vehicle_year": self.year, "vehicle_make": self.make.strip(),
                "vehicle_model": self.model.strip(), "vehicle_trim": self.trim.strip(),
                "vehicle_condition": self.condition, "vehicle_mileage": self.mileage, "vehicle_value": self.value}


@dataclass(frozen=True)
class ApplicationOutcome:
    problems: tuple[Problem, ...] = ()
    application: CreditApplication | None = None


def _fail(*problems: Problem) -> ApplicationOutcome:
    return ApplicationOutcome(problems=tuple(problems))


def _invalid(message: str, *field: str) -> Problem:
    return Problem(ErrorCode.INVALID, message, field)


def _prefixed(problems: list[Problem], prefix: str) -> list[Problem]:
    return [Problem(p.code, p.message, (prefix, *(p.field or ()))) for p in problems]


# -- checking the sections (pure) -----------------------------------------------------------------

def _text_problem(value: str, name: str, section: str, *, required: bool) -> Problem | None:
    limit = TEXT_LIMITS[name]
    if (required and not value.strip()) or len(value.strip()) > limit:
        return _invalid(f"Enter the {name} (at most {limit} characters).", section, name)
    return None


def _money_problem(value: Decimal, section: str, field: str) -> Problem | None:
    problem = amount_problem(value, field)
    return _invalid(problem.message, section, field) if problem else None


def applicant_problems(details: ApplicantDetails, section: str) -> list[Problem]:
    found = [
        _text_problem(details.employer, "employer", section, required=False),
        _text_problem(details.occupation, "occupation", section, required=False),
        _money_problem(details.monthly_income, section, "monthlyIncome"),
        _money_problem(details.housing_payment, section, "housingPayment"),
    ]
    if not 0 <= details.months_employed <= MAX_MONTHS_EMPLOYED:
        found.append(_invalid(f"Enter 0 to {MAX_MONTHS_EMPLOYED} months.", section, "monthsEmployed"))
    if details.customer_id is None:
        found.append(Problem(ErrorCode.NOT_FOUND, "No customer onboarded at your dealership has that id.",
                             (section, "customerId")))
    return [p for p in found if p is not None]


def vehicle_problems(vehicle: VehicleDetails, today: date) -> list[Problem]:
    """What no draft may hold. The check digit is a submission check (a draft may be half typed)."""
    reason = vin_characters_problem(normalize_vin(vehicle.vin))
    found = [
        _invalid(f"Enter the 17-character VIN: {reason}.", "vehicle", "vin") if reason else None,
        _text_problem(vehicle.make, "make", "vehicle", required=True),
        _text_problem(vehicle.model, "model", "vehicle", required=True),
        _text_problem(vehicle.trim, "trim", "vehicle", required=False),
        _money_problem(vehicle.value, "vehicle", "value"),
    ]
    if not FIRST_VIN_YEAR <= vehicle.year <= today.year + 2:
        found.append(_invalid(f"Enter a model year from {FIRST_VIN_YEAR} to {today.year + 2}.", "vehicle", "year"))
    if not 0 <= vehicle.mileage <= MAX_MILEAGE:
        found.append(_invalid(f"Enter the odometer reading (0 to {MAX_MILEAGE:,}).", "vehicle", "mileage"))
    return [p for p in found if p is not None]


def submission_problems(application: CreditApplication, applicants: list[Applicant], today: date) -> list[Problem]:
    """Everything submission refuses, INVALID per field (empty: ready). Pure, so the desk can show it."""
    found: list[Problem] = []
    if not vin_is_valid(application.vin):
        found.append(_invalid("The VIN's check digit (9th character) does not match: check the VIN.",
                              "vehicle", "vin"))
    if application.vehicle_value <= ZERO:
        found.append(_invalid("Enter the MSRP (new) or book value (used).", "vehicle", "value"))
    terms = DealTerms.of(application)
    found += _prefixed(shape_problems(terms) or pricing_problems(terms, today), "deal")
    if application.product == ContractKind.LEASE and application.annual_mileage is None:
        found.append(_invalid("Enter the miles a year the lease allows.", "deal", "annualMileage"))
    for applicant in sorted(applicants, key=lambda row: row.role.value):
        section = ROLE_FIELD[applicant.role]
        if applicant.monthly_income <= ZERO:
            found.append(_invalid("Enter the applicant's gross monthly income.", section, "monthlyIncome"))
        if applicant.credit_consent_at is None:
            found.append(_invalid("Record the applicant's consent to a credit inquiry first.", section,
                                  "creditConsent"))
    return found


# -- applicants -----------------------------------------------------------------------------------

async def _people_problems(dealer: User, added: dict[str, int | None], final: dict[str, int | None],
                          connection: BaseDBAsyncClient | None = None) -> list[Problem]:
    """Each person `added` must be onboarded here with identity verified; the application's
    applicant and co-applicant (`final`) must be two people."""
    ids = [pk for pk in added.values() if pk is not None]
    onboarded = await onboardings_of(dealer.dealership_id, ids, connection) if ids else {}
    found = []
    for section, pk in added.items():
        row = onboarded.get(pk) if pk is not None else None
        if row is None:
            found.append(Problem(ErrorCode.NOT_FOUND, "No customer onboarded at your dealership has that id.",
                                 (section, "customerId")))
        elif row.identity_verified_at is None:
            found.append(_invalid("Record the in-person identity check of this customer first.", section,
                                  "customerId"))
    co = final.get("coApplicant")
    if co is not None and co == final.get("applicant"):
        found.append(_invalid("The co-applicant must be another person than the applicant.", "coApplicant",
                              "customerId"))
    return found


def _applicant_values(details: ApplicantDetails) -> dict:
    return {"customer_id": details.customer_id, "employer": details.employer.strip(),
            "occupation": details.occupation.strip(), "months_employed": details.months_employed,
            "monthly_income": details.monthly_income, "housing_status": details.housing_status,
            "housing_payment": details.housing_payment}


async def _put_applicant(application: CreditApplication, role: ApplicantRole, details: ApplicantDetails,
                         connection: BaseDBAsyncClient) -> None:
    """Create or replace the applicant in `role`; the same person keeps their recorded consent."""
    existing = await Applicant.filter(application_id=application.id, role=role).using_db(connection).first()
    values = _applicant_values(details)
    if existing is not None and existing.customer_id == details.customer_id:
        await Applicant.filter(id=existing.id).using_db(connection).update(**values)
        return
    if existing is not None:
        await Applicant.filter(id=existing.id).using_db(connection).delete()
    await Applicant.create(application_id=application.id, role=role, using_db=connection, **values)


async def applicants_of(application_id: int, connection: BaseDBAsyncClient | None = None) -> list[Applicant]:
    return list(await Applicant.filter(application_id=application_id).using_db(connection).order_by("role"))


# -- creating and editing -------------------------------------------------------------------------

def _section_problems(today: date, *, applicant: ApplicantDetails | None, co_applicant: ApplicantDetails | None,
                      vehicle: VehicleDetails | None, deal: DealTerms | None) -> list[Problem]:
    found = []
    if applicant is not None:
        found += applicant_problems(applicant, "applicant")
    if co_applicant is not None:
        found += applicant_problems(co_applicant, "coApplicant")
    if vehicle is not None:
        found += vehicle_problems(vehicle, today)
    if deal is not None:
        found += _prefixed(shape_problems(deal), "deal")
    return found


async def _new_number(services: Services, values: dict, connection: BaseDBAsyncClient) -> CreditApplication:
    """Insert with a fresh random number, drawing again on a collision (in a savepoint, so PostgreSQL
    keeps the transaction usable)."""
    for _ in range(NUMBER_ATTEMPTS):
        number = f"{NUMBER_PREFIX}{secrets.randbelow(10 ** NUMBER_DIGITS):0{NUMBER_DIGITS}d}"
        try:
            async with in_transaction(connection.connection_name) as savepoint:
                return await CreditApplication.create(number=number, using_db=savepoint, **values)
        except IntegrityError:
            continue
    raise RuntimeError("no free application number after several draws")


async def create_application(services: Services, *, dealer: User, origin: Origin, applicant: ApplicantDetails,
                             co_applicant: ApplicantDetails | None, vehicle: VehicleDetails,
                             deal: DealTerms) -> ApplicationOutcome:
    today, now = services.clock.today(), services.clock.now()
    problems = _section_problems(today, applicant=applicant, co_applicant=co_applicant, vehicle=vehicle, deal=deal)
    if problems:
        return _fail(*problems)
    people = {"applicant": applicant.customer_id}
    if co_applicant is not None:
        people["coApplicant"] = co_applicant.customer_id
    problems = await _people_problems(dealer, people, people)
    if problems:
        return _fail(*problems)
    async with in_transaction() as connection:
        application = await _new_number(services, {
            "dealership_id": dealer.dealership_id, "created_by_id": dealer.id, "status": ApplicationStatus.DRAFT,
            **vehicle.stored(), **deal.stored(), "created_at": now, "updated_at": now,
        }, connection)
        await _put_applicant(application, ApplicantRole.APPLICANT, applicant, connection)
        if co_applicant is not None:
            await _put_applicant(application, ApplicantRole.CO_APPLICANT, co_applicant, connection)
        await audit.record("application.created", clock=services.clock, origin=origin, actor=dealer,
                           details=_audit_details(application), using_db=connection)
    return ApplicationOutcome(application=await _stored(application))


async def _stored(application: CreditApplication) -> CreditApplication:
    """The row as the database holds it (amounts and rates as stored, not as typed)."""
    return await CreditApplication.get(id=application.id)


def _audit_details(application: CreditApplication, **more) -> dict:
    return {"application_id": application.id, "application_number": application.number,
            "dealership_id": application.dealership_id, **more}


async def _locked(dealer: User, application_id: int | None,
                  connection: BaseDBAsyncClient) -> CreditApplication | None:
    if application_id is None:
        return None
    return await applications_visible_to(dealer).filter(id=application_id).using_db(connection) \
        .select_for_update().first()


def _not_draft(application: CreditApplication) -> Problem:
    return Problem(ErrorCode.CONFLICT, f"Application {application.number} is {application.status.value}: only a "
                   "DRAFT can be changed.", ("applicationId",))


async def update_application(services: Services, *, dealer: User, origin: Origin, application_id: int | None,
                             applicant: ApplicantDetails | None = None, co_applicant: ApplicantDetails | None = None,
                             remove_co_applicant: bool = False, vehicle: VehicleDetails | None = None,
                             deal: DealTerms | None = None) -> ApplicationOutcome:
    """Replace the sections given of a DRAFT."""
    problems = _section_problems(services.clock.today(), applicant=applicant, co_applicant=co_applicant,
                                 vehicle=vehicle, deal=deal)
    if co_applicant is not None and remove_co_applicant:
        problems.append(_invalid("Give a co-applicant or remove it, not both.", "removeCoApplicant"))
    if problems:
        return _fail(*problems)
    async with in_transaction() as connection:
        application = await _locked(dealer, application_id, connection)
        if application is None:
            return _fail(APPLICATION_NOT_FOUND)
        if application.status != ApplicationStatus.DRAFT:
            return _fail(_not_draft(application))
        final = {ROLE_FIELD[row.role]: row.customer_id for row in await applicants_of(application.id, connection)}
        added = {section: details.customer_id for section, details in (("applicant", applicant),
                                                                       ("coApplicant", co_applicant)) if details}
        final.update(added)
        if remove_co_applicant:
            final.pop("coApplicant", None)
        problems = await _people_problems(dealer, added, final, connection)
        if problems:
            return _fail(*problems)
        await _apply_update(services, application, applicant, co_applicant, remove_co_applicant, vehicle, deal,
                            connection)
        sections = [name for name, given in (("applicant", applicant), ("coApplicant", co_applicant),
                                             ("vehicle", vehicle), ("deal", deal)) if given is not None]
        await audit.record("application.updated", clock=services.clock, origin=origin, actor=dealer,
                           details=_audit_details(application, sections=sections + (
                               ["removeCoApplicant"] if remove_co_applicant else [])), using_db=connection)
    return ApplicationOutcome(application=await _stored(application))


async def _apply_update(services: Services, application: CreditApplication, applicant: ApplicantDetails | None,
                        co_applicant: ApplicantDetails | None, remove_co_applicant: bool,
                        vehicle: VehicleDetails | None, deal: DealTerms | None,
                        connection: BaseDBAsyncClient) -> None:
    values = {**(vehicle.stored() if vehicle else {}), **(deal.stored() if deal else {}),
              "updated_at": services.clock.now()}
    for name, value in values.items():
        setattr(application, name, value)
    await application.save(update_fields=list(values), using_db=connection)
    if applicant is not None:
        await _put_applicant(application, ApplicantRole.APPLICANT, applicant, connection)
    if co_applicant is not None:
        await _put_applicant(application, ApplicantRole.CO_APPLICANT, co_applicant, connection)
    if remove_co_applicant:
        await Applicant.filter(application_id=application.id, role=ApplicantRole.CO_APPLICANT) \
            .using_db(connection).delete()


# -- consent, submission, withdrawal --------------------------------------------------------------

async def record_credit_consent(services: Services, *, dealer: User, origin: Origin, application_id: int | None,
                                role: ApplicantRole) -> ApplicationOutcome:
    """Record that the applicant in `role` consented to a credit inquiry, now, from the request's
    IP. Recording it again keeps the first record."""
    async with in_transaction() as connection:
        application = await _locked(dealer, application_id, connection)
        if application is None:
            return _fail(APPLICATION_NOT_FOUND)
        if application.status != ApplicationStatus.DRAFT:
            return _fail(_not_draft(application))
        applicant = await Applicant.filter(application_id=application.id, role=role).using_db(connection).first()
        if applicant is None:
            return _fail(_invalid("This application has no co-applicant.", "role"))
        if applicant.credit_consent_at is None:
            await Applicant.filter(id=applicant.id).using_db(connection).update(
                credit_consent_at=services.clock.now(), credit_consent_ip=origin.ip[:45])
            await audit.record("application.consent_recorded", clock=services.clock, origin=origin, actor=dealer,
                               details=_audit_details(application, role=role.value,
                                                      customer_id=applicant.customer_id), using_db=connection)
    return ApplicationOutcome(application=application)


async def _status_changed(services: Services, application: CreditApplication, connection: BaseDBAsyncClient) -> None:
    latest = await ApplicationDecision.filter(application_id=application.id).using_db(connection) \
        .order_by("-id").first()
    await emit(services, dealership_id=application.dealership_id, event_type=APPLICATION_STATUS_CHANGED,
               data=application_status_data(application, latest.outcome if latest else None), using_db=connection)


async def submit_application(services: Services, *, dealer: User, origin: Origin,
                             application_id: int | None) -> ApplicationOutcome:
    """DRAFT → SUBMITTED when complete, then decisioning decides, in one transaction."""
    today, now = services.clock.today(), services.clock.now()
    async with in_transaction() as connection:
        application = await _locked(dealer, application_id, connection)
        if application is None:
            return _fail(APPLICATION_NOT_FOUND)
        if application.status != ApplicationStatus.DRAFT:
            return _fail(Problem(ErrorCode.CONFLICT, f"Application {application.number} was already submitted "
                                 f"({application.status.value}).", ("applicationId",)))
        problems = submission_problems(application, await applicants_of(application.id, connection), today)
        if problems:
            return _fail(*problems)
        application.status, application.submitted_at, application.updated_at = ApplicationStatus.SUBMITTED, now, now
        await application.save(update_fields=["status", "submitted_at", "updated_at"], using_db=connection)
        await audit.record("application.submitted", clock=services.clock, origin=origin, actor=dealer,
                           details=_audit_details(application), using_db=connection)
        await _status_changed(services, application, connection)
        await decisioning.decide_submitted(services, application, using_db=connection)
        decided = await CreditApplication.filter(id=application.id).using_db(connection).get()
    return ApplicationOutcome(application=decided)


async def withdraw_application(services: Services, *, dealer: User, origin: Origin, application_id: int | None,
                               reason: str | None) -> ApplicationOutcome:
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON:
        return _fail(_invalid(f"The reason is at most {MAX_REASON} characters.", "reason"))
    now = services.clock.now()
    async with in_transaction() as connection:
        application = await _locked(dealer, application_id, connection)
        if application is None:
            return _fail(APPLICATION_NOT_FOUND)
        if application.status not in WITHDRAWABLE:
            return _fail(Problem(ErrorCode.CONFLICT, f"Application {application.number} is "
                                 f"{application.status.value} and can no longer be withdrawn.", ("applicationId",)))
        previous = application.status
        application.status, application.withdrawn_at, application.updated_at = ApplicationStatus.WITHDRAWN, now, now
        await application.save(update_fields=["status", "withdrawn_at", "updated_at"], using_db=connection)
        await audit.record("application.withdrawn", clock=services.clock, origin=origin, actor=dealer,
                           details=_audit_details(application, previous_status=previous.value, reason=reason),
                           using_db=connection)
        await _status_changed(services, application, connection)
    return ApplicationOutcome(application=application)


# -- the pipeline ---------------------------------------------------------------------------------

def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=timezone.utc)


def pipeline(user: User, *, statuses: list[ApplicationStatus] | None = None, from_date: date | None = None,
             to_date: date | None = None) -> QuerySet[CreditApplication]:
    """The applications the user sees, by status and by creation date (UTC days, both inclusive)."""
    query = applications_visible_to(user)
    if statuses:
        query = query.filter(status__in=list(statuses))
    if from_date is not None:
        query = query.filter(created_at__gte=_start_of(from_date))
    if to_date is not None:
        query = query.filter(created_at__lt=_start_of(to_date + timedelta(days=1)))
    return query

