"""Security state: single-use tokens, attempt counters, recovery codes, known devices and the
append-only, hash-chained audit log."""

from tortoise import fields
from tortoise.models import Model

from models.enums import TokenPurpose


class OneTimeToken(Model):
    """A single-use token (email links, MFA challenge). Only its SHA-256 is stored."""

    id = fields.BigIntField(primary_key=True)
    purpose = fields.CharEnumField(TokenPurpose, max_length=24)
    token_hash = fields.CharField(max_length=64, unique=True)
    user = fields.ForeignKeyField("autofin.User", related_name="tokens", null=True, on_delete=fields.CASCADE)
    customer = fields.ForeignKeyField("autofin.Customer", related_name="tokens", null=True, on_delete=fields.CASCADE)
    # What the flow needs when the token is used (never a secret in clear).
    payload = fields.JSONField(default=dict)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "one_time_tokens"


class AttemptCounter(Model):
    """Failures counted by what the caller typed (login name, contract number) or by IP,
    whether or not such an account exists (security-notes.md). Lives in the database so every
    process sees the same counts."""

    id = fields.BigIntField(primary_key=True)
    key = fields.CharField(max_length=200, unique=True)
    failures = fields.IntField(default=0)
    window_started_at = fields.DatetimeField()
    locked_until = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "attempt_counters"


class RecoveryCode(Model):
    id = fields.BigIntField(primary_key=True)
    user = fields.ForeignKeyField("autofin.User", related_name="recovery_codes", on_delete=fields.CASCADE)
    code_hash = fields.CharField(max_length=64)
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "recovery_codes"
        unique_together = (("user", "code_hash"),)


class KnownDevice(Model):
    """Browsers and networks a user has signed in from. A new one triggers a "new sign-in" email."""

    id = fields.BigIntField(primary_key=True)
    user = fields.ForeignKeyField("autofin.User", related_name="known_devices", on_delete=fields.CASCADE)
    fingerprint = fields.CharField(max_length=64)
    first_seen_at = fields.DatetimeField()
    last_seen_at = fields.DatetimeField()

    class Meta:
        table = "known_devices"
        unique_together = (("user", "fingerprint"),)


class AuditEvent(Model):
    """Append-only: the application never updates or deletes a row. Each row's hash covers the
    previous row's hash and its own content, so an edit or a gap is detectable (auth/audit.py)."""

    id = fields.BigIntField(primary_key=True)
    occurred_at = fields.DatetimeField()
    action = fields.CharField(max_length=48)
    actor = fields.ForeignKeyField("autofin.User", related_name="audit_actions", null=True, on_delete=fields.RESTRICT)
    subject = fields.ForeignKeyField("autofin.User", related_name="audit_events", null=True, on_delete=fields.RESTRICT)
    ip = fields.CharField(max_length=45, default="")
    user_agent = fields.CharField(max_length=255, default="")
    request_id = fields.CharField(max_length=64, default="")
    details = fields.JSONField(default=dict)
    prev_hash = fields.CharField(max_length=64)
    hash = fields.CharField(max_length=64, unique=True)

    class Meta:
        table = "audit_events"
        indexes = (("subject_id", "occurred_at"),)


class AuditChainHead(Model):
    """One row, locked while an event is appended, so concurrent writers cannot fork the chain."""

    id = fields.IntField(primary_key=True)
    last_hash = fields.CharField(max_length=64)
    last_event_id = fields.BigIntField(default=0)

    class Meta:
        table = "audit_chain_head"
