"""Analytics records: the delinquency of every contract at each closed month end, kept as reported."""

from tortoise import fields
from tortoise.models import Model


class DelinquencyMonthEnd(Model):
    """A contract's delinquency bucket at a closed month end, recorded once (as first reported or closed)
    and never rewritten: a later back-dated entry does not change it (resolvers/analytics/delinquency.py)."""

    id = fields.BigIntField(primary_key=True)
    contract = fields.ForeignKeyField("autofin.Contract", related_name="delinquency_month_ends",
                                      on_delete=fields.CASCADE)
    month_end = fields.DateField()
    bucket = fields.CharField(max_length=16)
    days_past_due = fields.IntField()

    class Meta:
        table = "delinquency_month_ends"
        unique_together = (("contract", "month_end"),)
        indexes = (("month_end", "contract_id"),)


class DelinquencyMonthEndRun(Model):
    """The marker that a month end has been recorded for every contract counted at it."""

    id = fields.BigIntField(primary_key=True)
    month_end = fields.DateField(unique=True)
    recorded_at = fields.DatetimeField()

    class Meta:
        table = "delinquency_month_end_runs"
