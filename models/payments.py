"""Payment methods, payments and in-portal notifications.

A bank account number is stored only encrypted (AES-256-GCM, auth/crypto.py) with its last four
and a blind index; a card number never reaches the database: the gateway tokenizes it and only
its token, brand, last four and expiry are kept."""

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from models.enums import (
    BankAccountType,
    NotificationCategory,
    PaymentMethodKind,
    PaymentStatus,
)
from models.fields import MoneyField


class PaymentMethod(Model):
    id = fields.BigIntField(primary_key=True)
    customer = fields.ForeignKeyField("autofin.Customer", related_name="payment_methods", on_delete=fields.RESTRICT)
    kind = fields.CharEnumField(PaymentMethodKind, max_length=16)
    holder_name = fields.CharField(max_length=128)
    # Bank accounts. Routing numbers are public (they name the bank); the account number is not.
    routing_number = fields.CharField(max_length=9, null=True)
    account_number_encrypted = fields.TextField(null=True)
    account_blind_index = fields.CharField(max_length=64, null=True)
    account_type = fields.CharEnumField(BankAccountType, max_length=8, null=True)
    # Cards: what the gateway returned when it tokenized the number.
    gateway = fields.CharField(max_length=32, null=True)
    gateway_token = fields.CharField(max_length=128, null=True)
    brand = fields.CharField(max_length=16, null=True)
    expiry_month = fields.SmallIntField(null=True)
    expiry_year = fields.SmallIntField(null=True)
    last4 = fields.CharField(max_length=4)
    is_default = fields.BooleanField(default=False)
    created_at = fields.DatetimeField()
    # Removed methods stay for the payments that used them.
    removed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "payment_methods"
        indexes = (("customer_id", "removed_at"),)


class Payment(Model):
    id = fields.BigIntField(primary_key=True)
    contract = fields.ForeignKeyField("autofin.Contract", related_name="payments", on_delete=fields.RESTRICT)
    method = fields.ForeignKeyField("autofin.PaymentMethod", related_name="payments", on_delete=fields.RESTRICT)
    created_by = fields.ForeignKeyField("autofin.User", related_name="payments_made", on_delete=fields.RESTRICT)
    amount = MoneyField()
    scheduled_for = fields.DateField()
    status = fields.CharEnumField(PaymentStatus, max_length=12, default=PaymentStatus.SCHEDULED)
    confirmation_number = fields.CharField(max_length=20, unique=True)
    # The client's key for this submission: one payment per (user, key), whatever the retries.
    idempotency_key = fields.CharField(max_length=128)
    # SHA-256 of the submitted input: the same key with a different input is refused.
    request_fingerprint = fields.CharField(max_length=64)
    gateway_reference = fields.CharField(max_length=128, null=True)
    failure_reason = fields.CharField(max_length=255, default="")
    ledger_entry = fields.OneToOneField("autofin.LedgerEntry", related_name="payment", null=True,
                                        on_delete=fields.RESTRICT)
    reversal_entry = fields.OneToOneField("autofin.LedgerEntry", related_name="returned_payment", null=True,
                                          on_delete=fields.RESTRICT)
    created_at = fields.DatetimeField()
    processing_at = fields.DatetimeField(null=True)
    settled_at = fields.DatetimeField(null=True)
    failed_at = fields.DatetimeField(null=True)
    returned_at = fields.DatetimeField(null=True)
    cancelled_at = fields.DatetimeField(null=True)

    class Meta:
        table = "payments"
        unique_together = (("created_by", "idempotency_key"),)
        indexes = (("status", "scheduled_for"), ("contract_id", "created_at"))
        constraints = (CheckConstraint(check="amount > 0", name="payments_amount_positive"),)


class Notification(Model):
    """An in-portal notification (the bell), alongside the email of the same event."""

    id = fields.BigIntField(primary_key=True)
    user = fields.ForeignKeyField("autofin.User", related_name="notifications", on_delete=fields.CASCADE)
    category = fields.CharEnumField(NotificationCategory, max_length=24)
    title = fields.CharField(max_length=128)
    body = fields.CharField(max_length=500)
    payment = fields.ForeignKeyField("autofin.Payment", related_name="notifications", null=True,
                                     on_delete=fields.CASCADE)
    created_at = fields.DatetimeField()
    read_at = fields.DatetimeField(null=True)

    class Meta:
        table = "notifications"
        indexes = (("user_id", "created_at"),)
