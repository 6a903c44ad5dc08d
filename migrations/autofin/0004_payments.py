from tortoise import migrations
from tortoise.migrations import operations as ops
from models.enums import BankAccountType, NotificationCategory, PaymentMethodKind, PaymentStatus
from models.fields import MoneyField
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import CheckConstraint

class Migration(migrations.Migration):
    dependencies = [('autofin', '0003_servicing')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PaymentMethod',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('customer', fields.ForeignKeyField('autofin.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name='payment_methods', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharEnumField(description='BANK_ACCOUNT: BANK_ACCOUNT\nDEBIT_CARD: DEBIT_CARD', enum_type=PaymentMethodKind, max_length=16)),
                ('holder_name', fields.CharField(max_length=128)),
                ('routing_number', fields.CharField(null=True, max_length=9)),
                ('account_number_encrypted', fields.TextField(null=True, unique=False)),
                ('account_blind_index', fields.CharField(null=True, max_length=64)),
                ('account_type', fields.CharEnumField(null=True, description='CHECKING: CHECKING\nSAVINGS: SAVINGS', enum_type=BankAccountType, max_length=8)),
                ('gateway', fields.CharField(null=True, max_length=32)),
                ('gateway_token', fields.CharField(null=True, max_length=128)),
                ('brand', fields.CharField(null=True, max_length=16)),
                ('expiry_month', fields.SmallIntField(null=True)),
                ('expiry_year', fields.SmallIntField(null=True)),
                ('last4', fields.CharField(max_length=4)),
                ('is_default', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('removed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'payment_methods', 'app': 'autofin', 'indexes': [Index(fields=['customer_id', 'removed_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Payment',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('contract', fields.ForeignKeyField('autofin.Contract', source_field='contract_id', db_constraint=True, to_field='id', related_name='payments', on_delete=OnDelete.RESTRICT)),
                ('method', fields.ForeignKeyField('autofin.PaymentMethod', source_field='method_id', db_constraint=True, to_field='id', related_name='payments', on_delete=OnDelete.RESTRICT)),
                ('created_by', fields.ForeignKeyField('autofin.User', source_field='created_by_id', db_constraint=True, to_field='id', related_name='payments_made', on_delete=OnDelete.RESTRICT)),
                ('amount', MoneyField()),
                ('scheduled_for', fields.DateField()),
                ('status', fields.CharEnumField(default=PaymentStatus.SCHEDULED, description='SCHEDULED: SCHEDULED\nPROCESSING: PROCESSING\nSETTLED: SETTLED\nFAILED: FAILED\nRETURNED: RETURNED\nCANCELLED: CANCELLED', enum_type=PaymentStatus, max_length=12)),
                ('confirmation_number', fields.CharField(unique=True, max_length=20)),
                ('idempotency_key', fields.CharField(max_length=128)),
                ('request_fingerprint', fields.CharField(max_length=64)),
                ('gateway_reference', fields.CharField(null=True, max_length=128)),
                ('failure_reason', fields.CharField(default='', max_length=255)),
                ('ledger_entry', fields.OneToOneField('autofin.LedgerEntry', source_field='ledger_entry_id', null=True, db_constraint=True, to_field='id', related_name='payment', on_delete=OnDelete.RESTRICT)),
                ('reversal_entry', fields.OneToOneField('autofin.LedgerEntry', source_field='reversal_entry_id', null=True, db_constraint=True, to_field='id', related_name='returned_payment', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('processing_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('settled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('failed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('returned_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('cancelled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'payments', 'app': 'autofin', 'unique_together': (('created_by', 'idempotency_key'),), 'indexes': [Index(fields=['status', 'scheduled_for']), Index(fields=['contract_id', 'created_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Notification',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('autofin.User', source_field='user_id', db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('category', fields.CharEnumField(description='PAYMENT_CONFIRMATIONS: PAYMENT_CONFIRMATIONS\nPAYMENT_REMINDERS: PAYMENT_REMINDERS\nSTATEMENTS_READY: STATEMENTS_READY\nSECURITY_ALERTS: SECURITY_ALERTS\nPAYMENT_PROBLEMS: PAYMENT_PROBLEMS', enum_type=NotificationCategory, max_length=24)),
                ('title', fields.CharField(max_length=128)),
                ('body', fields.CharField(max_length=500)),
                ('payment', fields.ForeignKeyField('autofin.Payment', source_field='payment_id', null=True, db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('read_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'notifications', 'app': 'autofin', 'indexes': [Index(fields=['user_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'An in-portal notification (the bell), alongside the email of the same event.'},
            bases=['Model'],
        ),
        # Added after the table: Tortoise 1.1's CreateModel drops `constraints` from its options.
        ops.AddConstraint(model_name='Payment', constraint=CheckConstraint(check='amount > 0', name='payments_amount_positive')),
    ]
