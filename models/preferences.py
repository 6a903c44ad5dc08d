"""What a user wants to hear about. Security alerts are always sent and have no switch."""

from tortoise import fields
from tortoise.models import Model


class CommunicationPreferences(Model):
    id = fields.BigIntField(primary_key=True)
    user = fields.OneToOneField("autofin.User", related_name="preferences", on_delete=fields.CASCADE)
    payment_reminders = fields.BooleanField(default=True)
    payment_confirmations = fields.BooleanField(default=True)
    statements_ready = fields.BooleanField(default=True)
    coverage_reminders = fields.BooleanField(default=True)  # a warranty or service plan about to end
    marketing = fields.BooleanField(default=False)
    paperless_statements = fields.BooleanField(default=False)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "communication_preferences"
