"""Payment-plan changes: a customer's request (due-date change, deferral) and, once approved, the
schedule change it made. Changes are appended, never edited, so the schedule's history stays."""

from tortoise import fields
from tortoise.models import Model

from models.enums import PlanChangeKind, PlanChangeStatus


class PlanChangeRequest(Model):
    id = fields.BigIntField(primary_key=True)
    contract = fields.ForeignKeyField("autofin.Contract", related_name="plan_change_requests", on_delete=fields.RESTRICT)
    requested_by = fields.ForeignKeyField("autofin.User", related_name="plan_change_requests",
                                          on_delete=fields.RESTRICT)
    kind = fields.CharEnumField(PlanChangeKind, max_length=16)
    status = fields.CharEnumField(PlanChangeStatus, max_length=16, default=PlanChangeStatus.PENDING_REVIEW)
    new_due_day = fields.SmallIntField(null=True)
    installments_to_defer = fields.SmallIntField(null=True)
    # The client's key for this submission: a retry with the same key answers with this request.
    # Null only on rows from before keys were required.
    idempotency_key = fields.CharField(max_length=128, null=True)
    decision_reason = fields.CharField(max_length=255, default="")
    decided_by = fields.ForeignKeyField("autofin.User", related_name="plan_change_decisions", null=True,
                                        on_delete=fields.RESTRICT)
    decided_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "plan_change_requests"
        unique_together = (("requested_by", "idempotency_key"),)
        indexes = (("status", "created_at"), ("contract_id", "created_at"))


class ScheduleChange(Model):
    """An approved change to a contract's installment schedule, from one installment on."""

    id = fields.BigIntField(primary_key=True)
    contract = fields.ForeignKeyField("autofin.Contract", related_name="schedule_change_rows", on_delete=fields.RESTRICT)
    request = fields.OneToOneField("autofin.PlanChangeRequest", related_name="schedule_change",
                                   on_delete=fields.RESTRICT)
    kind = fields.CharEnumField(PlanChangeKind, max_length=16)
    from_installment = fields.SmallIntField()
    new_due_day = fields.SmallIntField(null=True)
    deferred_count = fields.SmallIntField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "schedule_changes"
        indexes = (("contract_id", "id"),)
