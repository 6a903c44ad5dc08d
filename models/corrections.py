"""Ledger corrections proposed by support and posted only after a second person approves
(maker-checker). Posting appends ledger entries; nothing already posted is edited."""

from tortoise import fields
from tortoise.models import Model

from models.enums import CorrectionKind, CorrectionReason, CorrectionStatus
from models.fields import MoneyField


class LedgerCorrection(Model):
    id = fields.BigIntField(primary_key=True)
    case = fields.ForeignKeyField("autofin.SupportCase", related_name="corrections", on_delete=fields.RESTRICT)
    # The contract whose ledger holds the entry being corrected.
    contract = fields.ForeignKeyField("autofin.Contract", related_name="corrections", on_delete=fields.RESTRICT)
    kind = fields.CharEnumField(CorrectionKind, max_length=24)
    reason = fields.CharEnumField(CorrectionReason, max_length=24)
    explanation = fields.CharField(max_length=500)
    # The entry corrected: a PAYMENT (move, re-apply, amount) or a fee (waive).
    entry = fields.ForeignKeyField("autofin.LedgerEntry", related_name="corrections", on_delete=fields.RESTRICT)
    # MOVE_PAYMENT: where the payment belongs.
    target_contract = fields.ForeignKeyField("autofin.Contract", related_name="corrections_received", null=True,
                                             on_delete=fields.RESTRICT)
    # CORRECT_AMOUNT: what the payment should have been.
    corrected_amount = MoneyField(null=True)
    # REAPPLY_PAYMENT / MOVE_PAYMENT: the date the money counts from (default: the original date).
    effective_date = fields.DateField(null=True)
    # The money the correction moves, for the approval threshold and the queue.
    amount = MoneyField()
    status = fields.CharEnumField(CorrectionStatus, max_length=16, default=CorrectionStatus.PROPOSED)
    proposed_by = fields.ForeignKeyField("autofin.User", related_name="corrections_proposed",
                                         on_delete=fields.RESTRICT)
    decided_by = fields.ForeignKeyField("autofin.User", related_name="corrections_decided", null=True,
                                        on_delete=fields.RESTRICT)
    decided_at = fields.DatetimeField(null=True)
    decision_note = fields.CharField(max_length=500, default="")
    idempotency_key = fields.CharField(max_length=128)
    created_at = fields.DatetimeField()

    class Meta:
        table = "ledger_corrections"
        unique_together = (("proposed_by", "idempotency_key"),)
        indexes = (("status", "created_at"), ("contract_id", "created_at"))
