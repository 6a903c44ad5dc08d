"""Coverage products on a contract's vehicle (extended warranty, prepaid maintenance, roadside, GAP,
tire and wheel), sold with the deal or added later by a dealer. The factory warranty is not a row:
it follows from the make's terms held as data (see the coverage resolvers)."""

from tortoise import fields
from tortoise.models import Model

from models.enums import CoverageKind, CoverageStatus
from models.fields import MoneyField


class ApplicationAddOn(Model):
    """A coverage product sold with a financing application: part of the deal structure, so its price
    is in the amount financed and the disclosures. Funding copies it to a Coverage of the contract."""

    id = fields.BigIntField(primary_key=True)
    application = fields.ForeignKeyField("autofin.CreditApplication", related_name="add_ons",
                                         on_delete=fields.CASCADE)
    kind = fields.CharEnumField(CoverageKind, max_length=24)
    provider = fields.CharField(max_length=100)
    plan_name = fields.CharField(max_length=100)
    term_months = fields.SmallIntField()
    mileage_limit = fields.IntField(null=True)  # total odometer miles of coverage, where it applies
    price = MoneyField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "application_add_ons"
        unique_together = (("application", "kind"),)


class Coverage(Model):
    id = fields.BigIntField(primary_key=True)
    contract = fields.ForeignKeyField("autofin.Contract", related_name="coverages", on_delete=fields.RESTRICT)
    vehicle = fields.ForeignKeyField("autofin.Vehicle", related_name="coverages", on_delete=fields.RESTRICT)
    dealership = fields.ForeignKeyField("autofin.Dealership", related_name="coverages_sold",
                                        on_delete=fields.RESTRICT)
    kind = fields.CharEnumField(CoverageKind, max_length=24)
    status = fields.CharEnumField(CoverageStatus, max_length=12, default=CoverageStatus.ACTIVE)
    provider = fields.CharField(max_length=100)
    plan_name = fields.CharField(max_length=100)
    # Roadside assistance: the number to call.
    provider_phone = fields.CharField(max_length=20, default="")
    start_date = fields.DateField()
    term_months = fields.SmallIntField()
    # Coverage ends at this odometer reading (start odometer + the plan's miles), where it applies.
    mileage_limit = fields.IntField(null=True)
    start_odometer = fields.IntField(default=0)
    price = MoneyField()
    sold_at_origination = fields.BooleanField(default=False)
    add_on = fields.OneToOneField("autofin.ApplicationAddOn", related_name="coverage", null=True,
                                  on_delete=fields.RESTRICT)
    added_by = fields.ForeignKeyField("autofin.User", related_name="coverages_added", null=True,
                                      on_delete=fields.RESTRICT)
    # The daily job's "about to expire" notice, sent once per coverage.
    expiry_notice_sent_on = fields.DateField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "coverages"
        indexes = (("contract_id", "kind"), ("vehicle_id",), ("status", "start_date"))
