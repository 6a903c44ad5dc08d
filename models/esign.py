"""E-signature: an envelope carries one contract document to its signers in routing order; every
step is an event with who, when, from where and the document's hash (ESIGN Act records)."""

from tortoise import fields
from tortoise.models import Model

from models.enums import EnvelopeDocumentKind, EnvelopeStatus, SignerRole, SignerStatus


class Envelope(Model):
    id = fields.BigIntField(primary_key=True)
    application = fields.ForeignKeyField("autofin.CreditApplication", related_name="envelopes",
                                         on_delete=fields.RESTRICT)
    status = fields.CharEnumField(EnvelopeStatus, max_length=16, default=EnvelopeStatus.SENT)
    created_by = fields.ForeignKeyField("autofin.User", related_name="envelopes_sent", on_delete=fields.RESTRICT)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    completed_at = fields.DatetimeField(null=True)
    voided_at = fields.DatetimeField(null=True)
    void_reason = fields.CharField(max_length=255, default="")

    class Meta:
        table = "envelopes"
        indexes = (("application_id", "id"), ("status", "expires_at"))


class EnvelopeDocument(Model):
    """A PDF of an envelope (as sent, and as signed with its certificate), kept with its SHA-256."""

    id = fields.BigIntField(primary_key=True)
    envelope = fields.ForeignKeyField("autofin.Envelope", related_name="documents", on_delete=fields.RESTRICT)
    kind = fields.CharEnumField(EnvelopeDocumentKind, max_length=16)
    title = fields.CharField(max_length=128)
    content = fields.BinaryField()
    sha256 = fields.CharField(max_length=64)
    size_bytes = fields.IntField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "envelope_documents"
        unique_together = (("envelope", "kind"),)


class Signer(Model):
    id = fields.BigIntField(primary_key=True)
    envelope = fields.ForeignKeyField("autofin.Envelope", related_name="signers", on_delete=fields.RESTRICT)
    routing_order = fields.SmallIntField()
    role = fields.CharEnumField(SignerRole, max_length=16)
    name = fields.CharField(max_length=128)
    email = fields.CharField(max_length=254)
    customer = fields.ForeignKeyField("autofin.Customer", related_name="signatures", null=True,
                                      on_delete=fields.RESTRICT)
    user = fields.ForeignKeyField("autofin.User", related_name="signatures", null=True, on_delete=fields.RESTRICT)
    status = fields.CharEnumField(SignerStatus, max_length=12, default=SignerStatus.WAITING)
    # The emailed single-use signing link: only its SHA-256 is kept.
    token_hash = fields.CharField(max_length=64, null=True, unique=True)
    token_expires_at = fields.DatetimeField(null=True)
    consented_at = fields.DatetimeField(null=True)
    signed_at = fields.DatetimeField(null=True)
    typed_name = fields.CharField(max_length=128, default="")
    declined_at = fields.DatetimeField(null=True)
    decline_reason = fields.CharField(max_length=255, default="")

    class Meta:
        table = "envelope_signers"
        unique_together = (("envelope", "routing_order"),)


class EnvelopeEvent(Model):
    """One step of an envelope (sent, delivered, consented, signed, declined, voided, completed)."""

    id = fields.BigIntField(primary_key=True)
    envelope = fields.ForeignKeyField("autofin.Envelope", related_name="events", on_delete=fields.RESTRICT)
    signer = fields.ForeignKeyField("autofin.Signer", related_name="events", null=True, on_delete=fields.RESTRICT)
    action = fields.CharField(max_length=32)
    actor = fields.CharField(max_length=160)  # name and email, or the dealer user's username
    ip = fields.CharField(max_length=45, default="")
    user_agent = fields.CharField(max_length=255, default="")
    document_sha256 = fields.CharField(max_length=64)
    detail = fields.CharField(max_length=255, default="")
    occurred_at = fields.DatetimeField()

    class Meta:
        table = "envelope_events"
        indexes = (("envelope_id", "id"),)
