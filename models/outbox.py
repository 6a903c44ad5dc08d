"""Durable outgoing mail: a row is written in the same transaction as the change that caused it,
and a worker delivers it (jobs/outbox.py). A crash never loses a message, and the conditional
claim plus the unique message id keep two workers from sending one row twice."""

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from models.enums import OutboxStatus


class OutboxMessage(Model):
    id = fields.BigIntField(primary_key=True)
    # RFC 5322 Message-ID, also sent as the header so a receiving server can drop a duplicate.
    message_id = fields.CharField(max_length=128, unique=True)
    template = fields.CharField(max_length=64)
    recipient = fields.CharField(max_length=254)
    subject = fields.CharField(max_length=255)
    text_body = fields.TextField()
    html_body = fields.TextField()
    status = fields.CharEnumField(OutboxStatus, max_length=8, default=OutboxStatus.PENDING)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    claimed_by = fields.CharField(max_length=64, null=True)
    claim_expires_at = fields.DatetimeField(null=True)
    last_error = fields.CharField(max_length=500, default="")
    created_at = fields.DatetimeField()
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "outbox_messages"
        indexes = (("status", "next_attempt_at"),)
        constraints = (CheckConstraint(check="attempts >= 0", name="outbox_attempts_non_negative"),)
