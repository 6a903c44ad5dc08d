"""Webhooks for dealer systems: endpoints a dealership registers, and each event's delivery through
a durable outbox with its attempts."""

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from models.enums import WebhookDeliveryStatus


class WebhookEndpoint(Model):
    id = fields.BigIntField(primary_key=True)
    dealership = fields.ForeignKeyField("autofin.Dealership", related_name="webhook_endpoints",
                                        on_delete=fields.RESTRICT)
    url = fields.CharField(max_length=500)
    # The HMAC signing secret, encrypted at rest (auth/crypto.FieldCipher); shown once at creation.
    secret_encrypted = fields.TextField()
    secret_last4 = fields.CharField(max_length=4)
    created_by = fields.ForeignKeyField("autofin.User", related_name="webhook_endpoints", on_delete=fields.RESTRICT)
    created_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "webhook_endpoints"


class WebhookDelivery(Model):
    """One event for one endpoint, retried with backoff until delivered or given up."""

    id = fields.BigIntField(primary_key=True)
    endpoint = fields.ForeignKeyField("autofin.WebhookEndpoint", related_name="deliveries", on_delete=fields.RESTRICT)
    event_id = fields.CharField(max_length=64)  # the same for every endpoint of one event
    event_type = fields.CharField(max_length=64)
    payload = fields.TextField()  # the exact JSON body that is signed and sent
    status = fields.CharEnumField(WebhookDeliveryStatus, max_length=12, default=WebhookDeliveryStatus.PENDING)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    claimed_by = fields.CharField(max_length=64, null=True)
    claim_expires_at = fields.DatetimeField(null=True)
    last_error = fields.CharField(max_length=500, default="")
    created_at = fields.DatetimeField()
    delivered_at = fields.DatetimeField(null=True)

    class Meta:
        table = "webhook_deliveries"
        unique_together = (("endpoint", "event_id"),)
        indexes = (("status", "next_attempt_at"),)
        constraints = (CheckConstraint(check="attempts >= 0", name="webhook_attempts_non_negative"),)


class WebhookAttempt(Model):
    id = fields.BigIntField(primary_key=True)
    delivery = fields.ForeignKeyField("autofin.WebhookDelivery", related_name="attempt_rows", on_delete=fields.RESTRICT)
    attempted_at = fields.DatetimeField()
    status_code = fields.IntField(null=True)  # null: no HTTP answer (timeout, refused)
    error = fields.CharField(max_length=500, default="")
    duration_ms = fields.IntField(default=0)

    class Meta:
        table = "webhook_attempts"
        indexes = (("delivery_id", "id"),)
