from tortoise import migrations
from tortoise.migrations import operations as ops
from models.enums import AutopayAmountRule, AutopayStatus
from models.fields import MoneyField
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('autofin', '0004_payments')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AutopayPlan',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('contract', fields.ForeignKeyField('autofin.Contract', source_field='contract_id', db_constraint=True, to_field='id', related_name='autopay_plans', on_delete=OnDelete.RESTRICT)),
                ('user', fields.ForeignKeyField('autofin.User', source_field='user_id', db_constraint=True, to_field='id', related_name='autopay_plans', on_delete=OnDelete.RESTRICT)),
                ('method', fields.ForeignKeyField('autofin.PaymentMethod', source_field='method_id', db_constraint=True, to_field='id', related_name='autopay_plans', on_delete=OnDelete.RESTRICT)),
                ('status', fields.CharEnumField(default=AutopayStatus.ACTIVE, description='ACTIVE: ACTIVE\nSUSPENDED: SUSPENDED\nCANCELLED: CANCELLED', enum_type=AutopayStatus, max_length=12)),
                ('days_before_due', fields.SmallIntField(default=0)),
                ('amount_rule', fields.CharEnumField(default=AutopayAmountRule.AMOUNT_DUE, description='AMOUNT_DUE: AMOUNT_DUE\nAMOUNT_DUE_PLUS_EXTRA: AMOUNT_DUE_PLUS_EXTRA', enum_type=AutopayAmountRule, max_length=24)),
                ('extra_principal', MoneyField(default=0)),
                ('skip_due_date', fields.DateField(null=True)),
                ('consecutive_failures', fields.SmallIntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'autopay_plans', 'app': 'autofin', 'indexes': [Index(fields=['contract_id', 'status'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AutopayCycle',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('plan', fields.ForeignKeyField('autofin.AutopayPlan', source_field='plan_id', db_constraint=True, to_field='id', related_name='cycles', on_delete=OnDelete.RESTRICT)),
                ('due_date', fields.DateField()),
                ('draft_on', fields.DateField()),
                ('amount', MoneyField()),
                ('reminded_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('payment', fields.OneToOneField('autofin.Payment', source_field='payment_id', null=True, db_constraint=True, to_field='id', related_name='autopay_cycle', on_delete=OnDelete.RESTRICT)),
                ('skipped_reason', fields.CharField(default='', max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'autopay_cycles', 'app': 'autofin', 'unique_together': (('plan', 'due_date'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
