"""Servicing state around contracts: odometer readings, the daily close, delinquency snapshots
and generated documents (statements, tax documents)."""

from tortoise import fields
from tortoise.models import Model

from models.enums import DelinquencyBucket, DocumentKind, OdometerSource
from models.fields import MoneyField


class OdometerReading(Model):
    id = fields.BigIntField(primary_key=True)
    contract = fields.ForeignKeyField("autofin.Contract", related_name="odometer_readings", on_delete=fields.RESTRICT)
    read_on = fields.DateField()
    miles = fields.IntField()
    source = fields.CharEnumField(OdometerSource, max_length=12)
    reported_by = fields.ForeignKeyField("autofin.User", related_name="odometer_reports", null=True,
                                         on_delete=fields.RESTRICT)
    created_at = fields.DatetimeField()

    class Meta:
        table = "odometer_readings"
        indexes = (("contract_id", "read_on"),)


class DailyCloseRun(Model):
    """One row per business date closed: a second run for the same date finds it and does nothing."""

    id = fields.BigIntField(primary_key=True)
    business_date = fields.DateField(unique=True)
    started_at = fields.DatetimeField()
    finished_at = fields.DatetimeField(null=True)
    contracts_processed = fields.IntField(default=0)
    late_fees_assessed = fields.IntField(default=0)
    statements_generated = fields.IntField(default=0)
    autopay_reminders = fields.IntField(default=0)
    autopay_drafts = fields.IntField(default=0)

    class Meta:
        table = "daily_close_runs"


class DailyCloseChunk(Model):
    """A share of a business date's close, planned with its run: a range of contracts (phase 1 is late
    fees, delinquency and autopay, phase 2 statements) or the other document runs (phase 3). Every
    process closing the date claims unfinished shares one at a time with a conditional UPDATE, so
    several workers split the close. A claim older than the close's STALE_AFTER is taken over."""

    id = fields.BigIntField(primary_key=True)
    run = fields.ForeignKeyField("autofin.DailyCloseRun", related_name="chunks", on_delete=fields.CASCADE)
    phase = fields.SmallIntField()
    number = fields.IntField()
    first_contract_id = fields.BigIntField(default=0)
    last_contract_id = fields.BigIntField(default=0)
    claimed_by = fields.CharField(max_length=64, default="")
    claimed_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)
    contracts_processed = fields.IntField(default=0)
    late_fees_assessed = fields.IntField(default=0)
    statements_generated = fields.IntField(default=0)
    autopay_reminders = fields.IntField(default=0)
    autopay_drafts = fields.IntField(default=0)

    class Meta:
        table = "daily_close_chunks"
        unique_together = (("run", "phase", "number"),)


class LedgerCheckpoint(Model):
    """A contract's ledger folded through a date (resolvers/servicing/positions.py Checkpoint), so its
    figures on a later day need only the rows after it. Derived and rewritten at will (the daily
    close, or the first request that finds none usable): the ledger stays the truth, and `rows` is
    checked against it before every use."""

    id = fields.BigIntField(primary_key=True)
    contract = fields.OneToOneField("autofin.Contract", related_name="ledger_checkpoint", on_delete=fields.CASCADE)
    through = fields.DateField()
    # The rows a request reads with it: those effective on or after this date (the newest ones up to
    # `through` that recentTransactions may show, and every row after `through`).
    recent_from = fields.DateField()
    rows = fields.IntField()
    terms = fields.CharField(max_length=64)
    data = fields.TextField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "ledger_checkpoints"


class ContractDelinquency(Model):
    """The delinquency state the daily close last computed for a contract (for lists and analytics).
    The ledger stays the truth: this row is derived and rewritten each close."""

    id = fields.BigIntField(primary_key=True)
    contract = fields.OneToOneField("autofin.Contract", related_name="delinquency", on_delete=fields.CASCADE)
    as_of = fields.DateField()
    days_past_due = fields.IntField(default=0)
    bucket = fields.CharEnumField(DelinquencyBucket, max_length=12, default=DelinquencyBucket.CURRENT)
    past_due_amount = MoneyField(default=0)
    next_due_date = fields.DateField(null=True)
    next_due_amount = MoneyField(default=0)
    principal_balance = MoneyField(default=0)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "contract_delinquency"


class Document(Model):
    """A generated PDF (monthly statement or annual tax document), kept with its SHA-256."""

    id = fields.BigIntField(primary_key=True)
    contract = fields.ForeignKeyField("autofin.Contract", related_name="documents", on_delete=fields.RESTRICT)
    kind = fields.CharEnumField(DocumentKind, max_length=24)
    period_start = fields.DateField()
    period_end = fields.DateField()
    title = fields.CharField(max_length=128)
    content = fields.BinaryField()
    sha256 = fields.CharField(max_length=64)
    size_bytes = fields.IntField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "documents"
        unique_together = (("contract", "kind", "period_start"),)
        indexes = (("contract_id", "kind", "period_end"),)
