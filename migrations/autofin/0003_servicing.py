from tortoise import migrations
from tortoise.migrations import operations as ops
from models.enums import DelinquencyBucket, DocumentKind, LedgerEntryKind, OdometerSource
from models.fields import MoneyField
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('autofin', '0002_identity_security')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ContractDelinquency',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('contract', fields.OneToOneField('autofin.Contract', source_field='contract_id', db_constraint=True, to_field='id', related_name='delinquency', on_delete=OnDelete.CASCADE)),
                ('as_of', fields.DateField()),
                ('days_past_due', fields.IntField(default=0)),
                ('bucket', fields.CharEnumField(default=DelinquencyBucket.CURRENT, description='CURRENT: CURRENT\nDPD_1_29: DPD_1_29\nDPD_30_59: DPD_30_59\nDPD_60_89: DPD_60_89\nDPD_90_PLUS: DPD_90_PLUS', enum_type=DelinquencyBucket, max_length=12)),
                ('past_due_amount', MoneyField(default=0)),
                ('next_due_date', fields.DateField(null=True)),
                ('next_due_amount', MoneyField(default=0)),
                ('principal_balance', MoneyField(default=0)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'contract_delinquency', 'app': 'autofin', 'pk_attr': 'id', 'table_description': 'The delinquency state the daily close last computed for a contract (for lists and analytics).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DailyCloseRun',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('business_date', fields.DateField(unique=True)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('contracts_processed', fields.IntField(default=0)),
                ('late_fees_assessed', fields.IntField(default=0)),
                ('statements_generated', fields.IntField(default=0)),
            ],
            options={'table': 'daily_close_runs', 'app': 'autofin', 'pk_attr': 'id', 'table_description': 'One row per business date closed: a second run for the same date finds it and does nothing.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Document',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('contract', fields.ForeignKeyField('autofin.Contract', source_field='contract_id', db_constraint=True, to_field='id', related_name='documents', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharEnumField(description='STATEMENT: STATEMENT\nTAX_INTEREST_STATEMENT: TAX_INTEREST_STATEMENT\nTAX_LEASE_STATEMENT: TAX_LEASE_STATEMENT', enum_type=DocumentKind, max_length=24)),
                ('period_start', fields.DateField()),
                ('period_end', fields.DateField()),
                ('title', fields.CharField(max_length=128)),
                ('content', fields.BinaryField()),
                ('sha256', fields.CharField(max_length=64)),
                ('size_bytes', fields.IntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'documents', 'app': 'autofin', 'unique_together': (('contract', 'kind', 'period_start'),), 'indexes': [Index(fields=['contract_id', 'kind', 'period_end'])], 'pk_attr': 'id', 'table_description': 'A generated PDF (monthly statement or annual tax document), kept with its SHA-256.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OdometerReading',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('contract', fields.ForeignKeyField('autofin.Contract', source_field='contract_id', db_constraint=True, to_field='id', related_name='odometer_readings', on_delete=OnDelete.RESTRICT)),
                ('read_on', fields.DateField()),
                ('miles', fields.IntField()),
                ('source', fields.CharEnumField(description='ORIGINATION: ORIGINATION\nCUSTOMER: CUSTOMER\nSERVICE: SERVICE', enum_type=OdometerSource, max_length=12)),
                ('reported_by', fields.ForeignKeyField('autofin.User', source_field='reported_by_id', null=True, db_constraint=True, to_field='id', related_name='odometer_reports', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'odometer_readings', 'app': 'autofin', 'indexes': [Index(fields=['contract_id', 'read_on'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Contract',
            name='grace_days',
            field=fields.SmallIntField(default=10),
        ),
        ops.AlterField(
            model_name='LedgerEntry',
            name='kind',
            field=fields.CharEnumField(description='PAYMENT: PAYMENT\nPAYMENT_REVERSAL: PAYMENT_REVERSAL\nLATE_FEE: LATE_FEE\nRETURNED_PAYMENT_FEE: RETURNED_PAYMENT_FEE\nFEE_WAIVER: FEE_WAIVER\nADJUSTMENT: ADJUSTMENT\nPAYOFF_WAIVER: PAYOFF_WAIVER\nREFUND: REFUND', enum_type=LedgerEntryKind, max_length=24),
        ),
        ops.AddField(
            model_name='LedgerEntry',
            name='idempotency_key',
            field=fields.CharField(null=True, unique=True, max_length=128),
        ),
    ]
