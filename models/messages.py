"""Secure messages between a customer and support: threads, messages and attachments.

Attachment bytes live in a blob table keyed by their SHA-256 (stored once however often they are
sent); an attachment row names the blob and the message it came with."""

from tortoise import fields
from tortoise.models import Model

from models.enums import ThreadCategory, ThreadStatus


class MessageThread(Model):
    id = fields.BigIntField(primary_key=True)
    customer = fields.ForeignKeyField("autofin.Customer", related_name="message_threads", on_delete=fields.RESTRICT)
    category = fields.CharEnumField(ThreadCategory, max_length=16)
    subject = fields.CharField(max_length=200)
    status = fields.CharEnumField(ThreadStatus, max_length=24, default=ThreadStatus.OPEN)
    assigned_to = fields.ForeignKeyField("autofin.User", related_name="assigned_threads", null=True,
                                         on_delete=fields.RESTRICT)
    case = fields.ForeignKeyField("autofin.SupportCase", related_name="threads", null=True,
                                  on_delete=fields.RESTRICT)
    # Unread = messages from the other side with an id above what this side has read.
    customer_read_up_to = fields.BigIntField(default=0)
    support_read_up_to = fields.BigIntField(default=0)
    created_at = fields.DatetimeField()
    last_message_at = fields.DatetimeField()
    closed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "message_threads"
        indexes = (("customer_id", "last_message_at"), ("status", "last_message_at"), ("assigned_to_id", "status"))


class SecureMessage(Model):
    id = fields.BigIntField(primary_key=True)
    thread = fields.ForeignKeyField("autofin.MessageThread", related_name="messages", on_delete=fields.RESTRICT)
    author = fields.ForeignKeyField("autofin.User", related_name="secure_messages", on_delete=fields.RESTRICT)
    from_support = fields.BooleanField()
    body = fields.TextField()
    # The client's key for this post: a retry with the same key answers with this message.
    idempotency_key = fields.CharField(max_length=128, null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "secure_messages"
        unique_together = (("author", "idempotency_key"),)
        indexes = (("thread_id", "id"),)


class AttachmentBlob(Model):
    """The bytes of an attachment, once per content."""

    sha256 = fields.CharField(max_length=64, primary_key=True)
    content = fields.BinaryField()
    size = fields.IntField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "attachment_blobs"


class MessageAttachment(Model):
    id = fields.BigIntField(primary_key=True)
    message = fields.ForeignKeyField("autofin.SecureMessage", related_name="attachments", on_delete=fields.RESTRICT)
    blob = fields.ForeignKeyField("autofin.AttachmentBlob", related_name="attachments", to_field="sha256",
                                  on_delete=fields.RESTRICT)
    filename = fields.CharField(max_length=200)
    # Checked from the content's leading bytes, never taken from the name or the client.
    content_type = fields.CharField(max_length=32)
    size = fields.IntField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "message_attachments"
        indexes = (("message_id", "id"),)
