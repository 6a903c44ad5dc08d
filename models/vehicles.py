"""Vehicles that secure loans or are leased."""

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from models.enums import VehicleCondition
from models.fields import MoneyField


class Vehicle(Model):
    id = fields.BigIntField(primary_key=True)
    vin = fields.CharField(max_length=17, unique=True)
    year = fields.SmallIntField()
    make = fields.CharField(max_length=32)
    model = fields.CharField(max_length=48)
    trim = fields.CharField(max_length=48, default="")
    condition = fields.CharEnumField(VehicleCondition, max_length=8)
    msrp = MoneyField()
    odometer_at_sale = fields.IntField(default=0)

    class Meta:
        table = "vehicles"
        constraints = (
            CheckConstraint(check="length(vin) = 17", name="vehicles_vin_length"),
            CheckConstraint(check="year BETWEEN 1981 AND 2100", name="vehicles_year_range"),
            CheckConstraint(check="msrp >= 0", name="vehicles_msrp_non_negative"),
            CheckConstraint(check="odometer_at_sale >= 0", name="vehicles_odometer_non_negative"),
        )
