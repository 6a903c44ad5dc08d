"""Origination: a dealer's customer onboarding, financing applications, credit reports, decisions
(by rules held as data, or by an underwriter) and funding. Decisions and reports are appended,
never edited, so an application's history stays."""

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from models.enums import (
    ApplicantRole,
    ApplicationStatus,
    ContractKind,
    DecisionOutcome,
    FundingStatus,
    HousingStatus,
    IdDocumentType,
    VehicleCondition,
)
from models.fields import MoneyField


class CustomerOnboarding(Model):
    """A dealership's in-person identity check of a customer and its confirmation of contact details."""

    id = fields.BigIntField(primary_key=True)
    customer = fields.ForeignKeyField("autofin.Customer", related_name="onboardings", on_delete=fields.RESTRICT)
    dealership = fields.ForeignKeyField("autofin.Dealership", related_name="onboardings", on_delete=fields.RESTRICT)
    id_document_type = fields.CharEnumField(IdDocumentType, max_length=16, null=True)
    id_document_last4 = fields.CharField(max_length=4, default="")
    identity_verified_by = fields.ForeignKeyField("autofin.User", related_name="identity_verifications", null=True,
                                                  on_delete=fields.RESTRICT)
    identity_verified_at = fields.DatetimeField(null=True)
    contact_confirmed_by = fields.ForeignKeyField("autofin.User", related_name="contact_confirmations", null=True,
                                                  on_delete=fields.RESTRICT)
    contact_confirmed_at = fields.DatetimeField(null=True)
    created_by = fields.ForeignKeyField("autofin.User", related_name="onboarded_customers", on_delete=fields.RESTRICT)
    created_at = fields.DatetimeField()

    class Meta:
        table = "customer_onboardings"
        unique_together = (("customer", "dealership"),)


class DecisionRuleSet(Model):
    """Decisioning rules as data (score tiers to rate tiers, ratio limits, term limits). One is active."""

    id = fields.BigIntField(primary_key=True)
    version = fields.IntField(unique=True)
    active = fields.BooleanField(default=False)
    rules = fields.JSONField()
    description = fields.CharField(max_length=255, default="")
    created_at = fields.DatetimeField()

    class Meta:
        table = "decision_rule_sets"


class CreditApplication(Model):
    """A financing application: applicants, vehicle and deal structure. Editable only as a DRAFT."""

    id = fields.BigIntField(primary_key=True)
    number = fields.CharField(max_length=16, unique=True)
    dealership = fields.ForeignKeyField("autofin.Dealership", related_name="applications", on_delete=fields.RESTRICT)
    created_by = fields.ForeignKeyField("autofin.User", related_name="applications_created", on_delete=fields.RESTRICT)
    status = fields.CharEnumField(ApplicationStatus, max_length=24, default=ApplicationStatus.DRAFT)
    product = fields.CharEnumField(ContractKind, max_length=8)

    # Vehicle.
    vin = fields.CharField(max_length=17)
    vehicle_year = fields.SmallIntField()
    vehicle_make = fields.CharField(max_length=32)
    vehicle_model = fields.CharField(max_length=48)
    vehicle_trim = fields.CharField(max_length=48, default="")
    vehicle_condition = fields.CharEnumField(VehicleCondition, max_length=8)
    vehicle_mileage = fields.IntField(default=0)
    vehicle_value = MoneyField()  # MSRP (new) or book value (used)

    # Deal structure.
    cash_price = MoneyField()
    cash_down = MoneyField(default=0)
    trade_in_value = MoneyField(default=0)
    trade_in_payoff = MoneyField(default=0)
    fees = MoneyField(default=0)  # documentation, registration and title fees financed
    taxes = MoneyField(default=0)  # upfront sales tax financed (loans)
    # The sum of its coverage add-ons' prices (application_add_ons), kept with them by resolvers/coverage/:
    # financed with the deal (finance/deal.py).
    add_ons_price = MoneyField(default=0)
    term_months = fields.SmallIntField()
    requested_apr = fields.DecimalField(max_digits=7, decimal_places=4, null=True)  # loans, percent
    money_factor = fields.DecimalField(max_digits=8, decimal_places=6, null=True)  # leases
    residual_value = MoneyField(null=True)  # leases
    security_deposit = MoneyField(default=0)  # leases
    annual_mileage = fields.IntField(null=True)  # leases
    sales_tax_rate = fields.DecimalField(max_digits=6, decimal_places=4, null=True)  # leases, a fraction
    first_payment_date = fields.DateField(null=True)

    submitted_at = fields.DatetimeField(null=True)
    withdrawn_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "credit_applications"
        indexes = (("dealership_id", "status", "created_at"), ("status", "submitted_at"))
        constraints = (
            CheckConstraint(check="term_months BETWEEN 1 AND 96", name="applications_term_range"),
            CheckConstraint(check="cash_price >= 0 AND cash_down >= 0 AND trade_in_value >= 0 AND trade_in_payoff >= 0"
                                  " AND fees >= 0 AND taxes >= 0 AND vehicle_value >= 0 AND security_deposit >= 0",
                            name="applications_amounts_non_negative"),
            CheckConstraint(check="length(vin) = 17", name="applications_vin_length"),
        )


class Applicant(Model):
    """A person on an application (applicant or co-applicant), with what underwriting weighs."""

    id = fields.BigIntField(primary_key=True)
    application = fields.ForeignKeyField("autofin.CreditApplication", related_name="applicants",
                                         on_delete=fields.CASCADE)
    customer = fields.ForeignKeyField("autofin.Customer", related_name="applications", on_delete=fields.RESTRICT)
    role = fields.CharEnumField(ApplicantRole, max_length=16)
    employer = fields.CharField(max_length=128, default="")
    occupation = fields.CharField(max_length=64, default="")
    months_employed = fields.IntField(default=0)
    monthly_income = MoneyField()
    housing_status = fields.CharEnumField(HousingStatus, max_length=8, default=HousingStatus.RENT)
    housing_payment = MoneyField(default=0)
    # Consent to a credit inquiry (FCRA permissible purpose): when and from where.
    credit_consent_at = fields.DatetimeField(null=True)
    credit_consent_ip = fields.CharField(max_length=45, default="")

    class Meta:
        table = "applicants"
        unique_together = (("application", "role"),)
        constraints = (CheckConstraint(check="monthly_income >= 0 AND housing_payment >= 0",
                                       name="applicants_amounts_non_negative"),)


class CreditReport(Model):
    """What the credit bureau returned for one applicant (a sandbox bureau in development)."""

    id = fields.BigIntField(primary_key=True)
    applicant = fields.ForeignKeyField("autofin.Applicant", related_name="credit_reports", on_delete=fields.CASCADE)
    bureau = fields.CharField(max_length=32)
    reference = fields.CharField(max_length=64)
    score = fields.SmallIntField(null=True)  # null: no file (thin file)
    monthly_debt = MoneyField(default=0)
    tradelines = fields.JSONField(default=list)
    pulled_at = fields.DatetimeField()

    class Meta:
        table = "credit_reports"


class ApplicationDecision(Model):
    """One decision on an application, by the rules (decided_by null) or by an underwriter."""

    id = fields.BigIntField(primary_key=True)
    application = fields.ForeignKeyField("autofin.CreditApplication", related_name="decisions",
                                         on_delete=fields.CASCADE)
    outcome = fields.CharEnumField(DecisionOutcome, max_length=24)
    decided_by = fields.ForeignKeyField("autofin.User", related_name="application_decisions", null=True,
                                        on_delete=fields.RESTRICT)
    rule_set = fields.ForeignKeyField("autofin.DecisionRuleSet", related_name="decisions", null=True,
                                      on_delete=fields.RESTRICT)
    rate_tier = fields.CharField(max_length=16, default="")
    approved_apr = fields.DecimalField(max_digits=7, decimal_places=4, null=True)
    approved_money_factor = fields.DecimalField(max_digits=8, decimal_places=6, null=True)
    approved_term_months = fields.SmallIntField(null=True)
    approved_amount = MoneyField(null=True)  # the most that may be financed (loan) or capitalized (lease)
    # Ratios weighed (payment-to-income, debt-to-income, loan-to-value) as decimal strings.
    ratios = fields.JSONField(default=dict)
    conditions = fields.JSONField(default=list)  # e.g. ["PROOF_OF_INCOME"], with texts
    counter_offer = fields.JSONField(null=True)  # a structure that would pass
    # Adverse-action reasons (ECOA / Regulation B), principal reasons first.
    reasons = fields.JSONField(default=list)
    note = fields.TextField(default="")
    created_at = fields.DatetimeField()

    class Meta:
        table = "application_decisions"
        indexes = (("application_id", "id"),)


class Funding(Model):
    """The booking of a signed, approved application as a servicing contract: exactly one per application."""

    id = fields.BigIntField(primary_key=True)
    application = fields.OneToOneField("autofin.CreditApplication", related_name="funding", on_delete=fields.RESTRICT)
    envelope = fields.OneToOneField("autofin.Envelope", related_name="funding", on_delete=fields.RESTRICT)
    contract = fields.OneToOneField("autofin.Contract", related_name="funding", on_delete=fields.RESTRICT)
    dealership = fields.ForeignKeyField("autofin.Dealership", related_name="fundings", on_delete=fields.RESTRICT)
    amount = MoneyField()  # paid to the dealer
    status = fields.CharEnumField(FundingStatus, max_length=8, default=FundingStatus.PENDING)
    created_at = fields.DatetimeField()
    funded_at = fields.DatetimeField(null=True)

    class Meta:
        table = "fundings"
        constraints = (CheckConstraint(check="amount >= 0", name="fundings_amount_non_negative"),)
