"""Autopay: a standing instruction to draft each installment, and one row per cycle.

The cycle row, unique per (plan, due date), is what makes a draft happen exactly once however
many workers run; it also keeps the amount the reminder told the customer, because a draft may
never take more than that without a new notice (Regulation E, preauthorized transfers of
varying amounts)."""

from tortoise import fields
from tortoise.models import Model

from models.enums import AutopayAmountRule, AutopayStatus
from models.fields import MoneyField


class AutopayPlan(Model):
    id = fields.BigIntField(primary_key=True)
    contract = fields.ForeignKeyField("autofin.Contract", related_name="autopay_plans", on_delete=fields.RESTRICT)
    user = fields.ForeignKeyField("autofin.User", related_name="autopay_plans", on_delete=fields.RESTRICT)
    method = fields.ForeignKeyField("autofin.PaymentMethod", related_name="autopay_plans", on_delete=fields.RESTRICT)
    status = fields.CharEnumField(AutopayStatus, max_length=12, default=AutopayStatus.ACTIVE)
    # Draft on the due date or up to 5 days before it.
    days_before_due = fields.SmallIntField(default=0)
    amount_rule = fields.CharEnumField(AutopayAmountRule, max_length=24, default=AutopayAmountRule.AMOUNT_DUE)
    extra_principal = MoneyField(default=0)
    # Pause for one cycle: the due date whose draft is skipped.
    skip_due_date = fields.DateField(null=True)
    consecutive_failures = fields.SmallIntField(default=0)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "autopay_plans"
        indexes = (("contract_id", "status"),)


class AutopayCycle(Model):
    id = fields.BigIntField(primary_key=True)
    plan = fields.ForeignKeyField("autofin.AutopayPlan", related_name="cycles", on_delete=fields.RESTRICT)
    due_date = fields.DateField()
    draft_on = fields.DateField()
    # The amount the reminder announced; the draft never exceeds it.
    amount = MoneyField()
    reminded_at = fields.DatetimeField(null=True)
    payment = fields.OneToOneField("autofin.Payment", related_name="autopay_cycle", null=True,
                                   on_delete=fields.RESTRICT)
    # Why no draft was made (paid in full already, paused, suspended), when none was.
    skipped_reason = fields.CharField(max_length=64, default="")
    created_at = fields.DatetimeField()

    class Meta:
        table = "autopay_cycles"
        unique_together = (("plan", "due_date"),)
