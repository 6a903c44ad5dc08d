"""The contract ledger: append-only entries from which every balance is derived.

An entry is never updated or deleted; a correction or a returned payment is a new entry
(`reverses` points at the one it undoes). Each entry states how its amount splits into
principal, interest, fees and tax, and the database checks that the split adds up.
"""

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from models.enums import LedgerEntryKind
from models.fields import MoneyField


class LedgerEntry(Model):
    id = fields.BigIntField(primary_key=True)
    contract = fields.ForeignKeyField("autofin.Contract", related_name="ledger_entries", on_delete=fields.RESTRICT)
    kind = fields.CharEnumField(LedgerEntryKind, max_length=24)
    # The day the money counts from (a payment is credited the day it is received).
    effective_date = fields.DateField()
    posted_at = fields.DatetimeField()
    amount = MoneyField()
    principal = MoneyField(default=0)
    interest = MoneyField(default=0)
    fees = MoneyField(default=0)
    tax = MoneyField(default=0)
    reverses = fields.OneToOneField(
        "autofin.LedgerEntry", related_name="reversed_by", null=True, on_delete=fields.RESTRICT
    )
    memo = fields.CharField(max_length=255, default="")
    # Makes a posting happen once: e.g. "late-fee:<contract>:<installment>" for the daily close,
    # or a payment's idempotency key. NULL for entries that need none.
    idempotency_key = fields.CharField(max_length=128, null=True, unique=True)

    class Meta:
        table = "ledger_entries"
        indexes = (("contract_id", "effective_date", "id"),)
        constraints = (
            CheckConstraint(
                check="amount >= 0 AND principal >= 0 AND interest >= 0 AND fees >= 0 AND tax >= 0",
                name="ledger_entries_amounts_non_negative",
            ),
            CheckConstraint(
                check="principal + interest + fees + tax = amount",
                name="ledger_entries_allocation_balances",
            ),
        )
