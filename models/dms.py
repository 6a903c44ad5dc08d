"""The dealer data feed: API credentials per dealership for dealer management systems (DMS), and
the DMS's own ids of what it pushed, so a resend answers with the existing object."""

from tortoise import fields
from tortoise.models import Model

from models.enums import DmsObjectKind


class ApiCredential(Model):
    """Shown once when created, and only its hash is stored. `key_id` is the public part a request names."""

    id = fields.BigIntField(primary_key=True)
    dealership = fields.ForeignKeyField("autofin.Dealership", related_name="api_credentials",
                                        on_delete=fields.RESTRICT)
    name = fields.CharField(max_length=100)
    key_id = fields.CharField(max_length=32, unique=True)
    secret_hash = fields.CharField(max_length=128)
    scopes = fields.JSONField(default=list)  # ApiScope values
    created_by = fields.ForeignKeyField("autofin.User", related_name="api_credentials_created",
                                        on_delete=fields.RESTRICT)
    created_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)
    revoked_by = fields.ForeignKeyField("autofin.User", related_name="api_credentials_revoked", null=True,
                                        on_delete=fields.RESTRICT)
    last_used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_credentials"
        indexes = (("dealership_id", "created_at"),)


class DmsReference(Model):
    """(dealership, kind, the DMS's id) -> the object it made. Unique, so a resend cannot make a second."""

    id = fields.BigIntField(primary_key=True)
    dealership = fields.ForeignKeyField("autofin.Dealership", related_name="dms_references",
                                        on_delete=fields.RESTRICT)
    kind = fields.CharEnumField(DmsObjectKind, max_length=16)
    external_id = fields.CharField(max_length=64)
    object_id = fields.BigIntField()
    # A fingerprint of what was sent first: a resend with other content is a conflict, not an update.
    payload_hash = fields.CharField(max_length=64)
    created_at = fields.DatetimeField()

    class Meta:
        table = "dms_references"
        unique_together = (("dealership", "kind", "external_id"),)
