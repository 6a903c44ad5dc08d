"""Service visits recorded by a dealer's service department for a VIN: the customer's service
history, an odometer source for lease projections, and what maintenance is due next."""

from tortoise import fields
from tortoise.models import Model

from models.fields import MoneyField


class ServiceVisit(Model):
    id = fields.BigIntField(primary_key=True)
    vehicle = fields.ForeignKeyField("autofin.Vehicle", related_name="service_visits", on_delete=fields.RESTRICT)
    dealership = fields.ForeignKeyField("autofin.Dealership", related_name="service_visits",
                                        on_delete=fields.RESTRICT)
    visit_date = fields.DateField()
    odometer = fields.IntField()
    parts_total = MoneyField(default=0)
    labour_total = MoneyField(default=0)
    # The coverage that paid for the visit, if one did.
    paid_by_coverage = fields.ForeignKeyField("autofin.Coverage", related_name="visits_paid", null=True,
                                              on_delete=fields.RESTRICT)
    recorded_by = fields.ForeignKeyField("autofin.User", related_name="service_visits_recorded", null=True,
                                         on_delete=fields.RESTRICT)
    recorded_by_credential = fields.ForeignKeyField("autofin.ApiCredential", related_name="service_visits",
                                                    null=True, on_delete=fields.RESTRICT)
    created_at = fields.DatetimeField()

    class Meta:
        table = "service_visits"
        indexes = (("vehicle_id", "visit_date", "id"),)


class ServiceOperation(Model):
    id = fields.BigIntField(primary_key=True)
    visit = fields.ForeignKeyField("autofin.ServiceVisit", related_name="operations", on_delete=fields.CASCADE)
    code = fields.CharField(max_length=32)
    description = fields.CharField(max_length=200)
    # The maintenance schedule item this operation performed (e.g. "OIL_CHANGE"), if any.
    maintenance_item = fields.CharField(max_length=32, null=True)

    class Meta:
        table = "service_operations"
        indexes = (("visit_id", "id"),)
