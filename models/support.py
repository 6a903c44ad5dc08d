"""The support desk: cases, their notes, and the identity verifications that staff need before
changing anything on a customer's account."""

from tortoise import fields
from tortoise.models import Model

from models.enums import (
    CaseCategory,
    CaseStatus,
    VerificationMethod,
    VerificationStatus,
)


class SupportCase(Model):
    """One matter for one customer (optionally one contract), worked by a SUPPORT user.

    A payment-plan change request waiting for review arrives as a case too (`plan_change_request`),
    so there is one queue."""

    id = fields.BigIntField(primary_key=True)
    customer = fields.ForeignKeyField("autofin.Customer", related_name="support_cases", on_delete=fields.RESTRICT)
    contract = fields.ForeignKeyField("autofin.Contract", related_name="support_cases", null=True,
                                      on_delete=fields.RESTRICT)
    category = fields.CharEnumField(CaseCategory, max_length=24)
    subject = fields.CharField(max_length=200)
    status = fields.CharEnumField(CaseStatus, max_length=24, default=CaseStatus.OPEN)
    assigned_to = fields.ForeignKeyField("autofin.User", related_name="assigned_cases", null=True,
                                         on_delete=fields.RESTRICT)
    # Null when the system opened it (a plan-change request waiting for review).
    opened_by = fields.ForeignKeyField("autofin.User", related_name="opened_cases", null=True,
                                       on_delete=fields.RESTRICT)
    plan_change_request = fields.OneToOneField("autofin.PlanChangeRequest", related_name="support_case", null=True,
                                               on_delete=fields.RESTRICT)
    # The opener's key for an `openCase` submission: a retry with the same key answers with this case.
    # Null for cases the system opened.
    idempotency_key = fields.CharField(max_length=128, null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()
    resolved_at = fields.DatetimeField(null=True)

    class Meta:
        table = "support_cases"
        unique_together = (("opened_by", "idempotency_key"),)
        # The queue walks open work oldest-updated first (graph/support/cases.py).
        indexes = (("status", "created_at"), ("assigned_to_id", "status"), ("customer_id", "created_at"),
                   ("status", "updated_at", "id"))


class CaseNote(Model):
    """A staff note on a case. Notes are appended, never edited."""

    id = fields.BigIntField(primary_key=True)
    case = fields.ForeignKeyField("autofin.SupportCase", related_name="notes", on_delete=fields.RESTRICT)
    author = fields.ForeignKeyField("autofin.User", related_name="case_notes", on_delete=fields.RESTRICT)
    body = fields.TextField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "support_case_notes"
        indexes = (("case_id", "id"),)


class IdentityVerification(Model):
    """A check that the person talking to support is the customer, for one case.

    VERIFIED lets staff act on the customer's account for that case until `expires_at`
    (30 minutes after `verified_at`). A code sent by email or SMS is stored as its SHA-256 only."""

    id = fields.BigIntField(primary_key=True)
    case = fields.ForeignKeyField("autofin.SupportCase", related_name="verifications", on_delete=fields.RESTRICT)
    customer = fields.ForeignKeyField("autofin.Customer", related_name="verifications", on_delete=fields.RESTRICT)
    staff = fields.ForeignKeyField("autofin.User", related_name="verifications_done", on_delete=fields.RESTRICT)
    method = fields.CharEnumField(VerificationMethod, max_length=16)
    status = fields.CharEnumField(VerificationStatus, max_length=16)
    code_hash = fields.CharField(max_length=64, null=True)
    code_expires_at = fields.DatetimeField(null=True)
    attempts = fields.SmallIntField(default=0)
    verified_at = fields.DatetimeField(null=True)
    expires_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "identity_verifications"
        indexes = (("case_id", "status", "expires_at"),)
