"""Live events for GraphQL subscriptions: a row per event for one user, written in the same
transaction as what it announces. Server processes learn of new rows (PostgreSQL NOTIFY, or by
polling on SQLite) and push them to that user's subscriptions; a client that reconnects loses
nothing because the thread or notification itself is the record."""

from tortoise import fields
from tortoise.models import Model


class LiveEvent(Model):
    id = fields.BigIntField(primary_key=True)
    user = fields.ForeignKeyField("autofin.User", related_name="live_events", on_delete=fields.CASCADE)
    # What happened: "message" (a new secure message) or "notification".
    topic = fields.CharField(max_length=32)
    # Ids only (thread, message, notification): subscribers load the object with the user's rights.
    payload = fields.JSONField(default=dict)
    created_at = fields.DatetimeField()

    class Meta:
        table = "live_events"
        indexes = (("user_id", "id"),)
